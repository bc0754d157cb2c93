package bench

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"strings"

	"github.com/parbench/parbench/internal/procfs"
)

// procStat is what the runner reads from /proc/stat around a sample: the
// machine's CPU time, in clock ticks, and how many tasks are runnable,
// and how many of those are threads of the run's own child processes.
type procStat struct {
	ok           bool
	total, steal uint64
	procsRunning int
	// own is the runnable threads of this process, the reader's among
	// them, and of its children (a served point's service processes, a
	// processes point's workers): the run's own work, not another
	// program's. -1 where they cannot be read.
	own int
}

// readProcStat reads /proc/stat, and the runnable threads of this
// process's children; ok is false where there is no /proc/stat.
func readProcStat() procStat {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return procStat{}
	}
	st := parseProcStat(b)
	st.own = -1
	if self, ok := procfs.RunnableThreads(os.Getpid()); ok {
		st.own = self + procfs.RunnableChildren(os.Getpid())
	}
	return st
}

func parseProcStat(b []byte) procStat {
	var st procStat
	haveCPU, haveRun := false, false
	s := bufio.NewScanner(bytes.NewReader(b))
	for s.Scan() {
		f := strings.Fields(s.Text())
		if len(f) == 0 {
			continue
		}
		switch f[0] {
		case "cpu":
			// user nice system idle iowait irq softirq steal [guest guest_nice]:
			// guest time is already counted in user, so the total is
			// the first eight.
			for i := 1; i < len(f) && i <= 8; i++ {
				v, err := strconv.ParseUint(f[i], 10, 64)
				if err != nil {
					return procStat{}
				}
				st.total += v
				if i == 8 {
					st.steal = v
				}
			}
			haveCPU = len(f) > 8
		case "procs_running":
			if len(f) == 2 {
				n, err := strconv.Atoi(f[1])
				haveRun = err == nil
				st.procsRunning = n
			}
		}
	}
	st.ok = haveCPU && haveRun
	return st
}

// noise is the state of the machine during one sample.
type noise struct {
	ok bool
	// steal is the share of the machine's CPU time the hypervisor gave
	// to other guests during the sample, 0 to 1.
	steal float64
	// others is the number of runnable tasks that were not the run's,
	// averaged over the start and the end of the sample. Both readings
	// are taken by the runner's goroutine while the workers are parked
	// or done, but the run's other threads (its Go runtime spinning for
	// work, a client's connection closing) and its child processes (a
	// service's workers finishing their last request, op workers) may
	// still run: each reading counts them and leaves them out. Where
	// they cannot be read, one running task, the runner, is left out.
	others float64
}

func noiseBetween(a, b procStat) noise {
	if !a.ok || !b.ok {
		return noise{}
	}
	n := noise{ok: true}
	if b.total > a.total && b.steal >= a.steal {
		n.steal = float64(b.steal-a.steal) / float64(b.total-a.total)
	}
	// procs_running and the run's threads are read at two instants, so
	// a reading can come out below 0: clamp each, or it would cancel
	// the other reading's real load.
	n.others = float64(max(0, a.procsRunning-ownOr1(a.own))+max(0, b.procsRunning-ownOr1(b.own))) / 2
	return n
}

// ownOr1 is own, or 1 (the reader) where own could not be read.
func ownOr1(own int) int {
	if own < 0 {
		return 1
	}
	return own
}
