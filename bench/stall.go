package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/parbench/parbench/internal/rtmetrics"
)

// The machine's side of a watchdog's dump. A sample can outlive the
// watchdog because of the lock (a lost wake-up: the waiters sleep with
// their timers due and the process idles) or because of the machine
// (the process gets no CPU: its CPU time stands still, its threads are
// runnable, the lock's waiters' timers are overdue and the watchdog
// itself fires late). The figures below tell the two apart.

// sampleStart is what the watchdog notes when a sample starts.
type sampleStart struct {
	at      time.Time
	cpu     time.Duration // the process's CPU time (user and system)
	stat    procStat
	threads map[int]schedStat // by thread id; nil without /proc
}

func startSample() sampleStart {
	_, cpu := rtmetrics.ProcessCPU()
	return sampleStart{at: time.Now(), cpu: cpu, stat: readProcStat(), threads: readThreads(false)}
}

// schedStat is one thread's line of /proc/self/task/TID/schedstat (and
// its state, from stat, when asked for).
type schedStat struct {
	state      string
	run, queue time.Duration // on a CPU; runnable, waiting for one
}

// machineDump returns the process's CPU time over the sample, how late
// the watchdog fired, the machine's steal and run queue over the sample,
// and each thread's scheduler state from /proc (Linux only).
func (s sampleStart) machineDump(limit time.Duration) string {
	now := time.Now()
	_, cpu := rtmetrics.ProcessCPU()
	wall := now.Sub(s.at)
	var b strings.Builder
	fmt.Fprintf(&b, "process: %v of CPU in the %v of the sample (%.1f%% of one CPU); the watchdog fired %v after its %v limit",
		(cpu - s.cpu).Round(time.Microsecond), wall.Round(time.Microsecond),
		100*(cpu-s.cpu).Seconds()/max(wall.Seconds(), 1e-9), (wall - limit).Round(time.Microsecond), limit)
	if n := noiseBetween(s.stat, readProcStat()); n.ok {
		fmt.Fprintf(&b, "\nmachine over the sample: steal %.1f%%, %.1f other runnable tasks", 100*n.steal, n.others)
		if la, err := os.ReadFile("/proc/loadavg"); err == nil {
			fmt.Fprintf(&b, ", load average %s", strings.Join(strings.Fields(string(la))[:3], " "))
		}
	}
	if th := s.threadsDump(); th != "" {
		b.WriteString(th)
	}
	return b.String()
}

// threadsDump writes each thread's state and its time on a CPU and in
// the run queue since the sample began, with the sums over threads: a
// process that the machine starves has runnable threads that waited
// for a CPU far longer than they ran.
func (s sampleStart) threadsDump() string {
	now := readThreads(true)
	if len(now) == 0 {
		return ""
	}
	tids := make([]int, 0, len(now))
	for tid := range now {
		tids = append(tids, tid)
	}
	sort.Ints(tids)
	var b strings.Builder
	var run, queue time.Duration
	for _, tid := range tids {
		t := now[tid]
		t0 := s.threads[tid] // zero for a thread begun during the sample
		t.run, t.queue = t.run-t0.run, t.queue-t0.queue
		run, queue = run+t.run, queue+t.queue
		fmt.Fprintf(&b, "\n  tid %d %s: on a CPU %v, in the run queue %v", tid, t.state, t.run.Round(time.Microsecond), t.queue.Round(time.Microsecond))
	}
	return fmt.Sprintf("\nthreads over the sample (state: R runnable or running, S sleeping): on a CPU %v, in the run queue %v%s",
		run.Round(time.Microsecond), queue.Round(time.Microsecond), b.String())
}

// readThreads reads every thread's schedstat (and, with state, its
// state) from /proc/self/task; nil where there is none.
func readThreads(state bool) map[int]schedStat {
	dirs, err := filepath.Glob("/proc/self/task/*")
	if err != nil || len(dirs) == 0 {
		return nil
	}
	ts := make(map[int]schedStat, len(dirs))
	for _, d := range dirs {
		tid, err := strconv.Atoi(filepath.Base(d))
		if err != nil {
			continue
		}
		t := schedStat{state: "?"}
		if state {
			if stat, err := os.ReadFile(filepath.Join(d, "stat")); err == nil {
				// The state is the field after the command, which is
				// in parentheses and may hold spaces.
				if i := strings.LastIndexByte(string(stat), ')'); i >= 0 {
					if f := strings.Fields(string(stat[i+1:])); len(f) > 0 {
						t.state = f[0]
					}
				}
			}
		}
		if ss, err := os.ReadFile(filepath.Join(d, "schedstat")); err == nil {
			if f := strings.Fields(string(ss)); len(f) >= 2 {
				run, _ := strconv.ParseInt(f[0], 10, 64)
				queue, _ := strconv.ParseInt(f[1], 10, 64)
				t.run, t.queue = time.Duration(run), time.Duration(queue)
			}
		}
		ts[tid] = t
	}
	return ts
}
