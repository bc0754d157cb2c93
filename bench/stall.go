package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/parbench/parbench/internal/procfs"
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
	return sampleStart{at: time.Now(), cpu: cpu, stat: readProcStat(), threads: watchdogThreads()}
}

// watchdogThreads reads the threads' figures that the watchdog judges
// (readThreads without states); tests replace it to play a machine
// that starves the process.
var watchdogThreads = func() map[int]schedStat { return readThreads(false) }

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
	stat := readProcStat()
	threads := readThreads(true)
	wall := now.Sub(s.at)
	var b strings.Builder
	fmt.Fprintf(&b, "process: %v of CPU in the %v of the sample (%.1f%% of one CPU); the watchdog fired %v after its %v limit",
		(cpu - s.cpu).Round(time.Microsecond), wall.Round(time.Microsecond),
		100*(cpu-s.cpu).Seconds()/max(wall.Seconds(), 1e-9), (wall - limit).Round(time.Microsecond), limit.Round(time.Millisecond))
	if n := noiseBetween(s.stat, stat); n.ok {
		fmt.Fprintf(&b, "\nmachine over the sample: steal %.1f%%, %s", 100*n.steal, otherTasks(n, s.stat.own >= 0 && stat.own >= 0, threads))
		if la, err := os.ReadFile("/proc/loadavg"); err == nil {
			if f := strings.Fields(string(la)); len(f) >= 3 {
				fmt.Fprintf(&b, ", load average %s", strings.Join(f[:3], " "))
			}
		}
	}
	if th := s.threadsDump(now, threads); th != "" {
		b.WriteString(th)
	}
	return b.String()
}

// otherTasks writes the machine's runnable tasks that are not this
// process's. Where both readings counted the run's own runnable threads
// (and its children's), noise.others has left them out already (own).
// Otherwise it takes one running task, the runner, off each of its two
// readings, which holds at a sample's start (the workers parked) but
// not at a watchdog's fire, when the process's own threads may be
// runnable: those in state R at the end (the reading thread among them)
// come off the end's reading instead. Without the threads' states the
// figure says it counts them.
func otherTasks(n noise, own bool, threads map[int]schedStat) string {
	if own {
		return fmt.Sprintf("%.1f runnable tasks of other processes", n.others)
	}
	running := 0
	for _, t := range threads {
		if t.state == "R" {
			running++
		}
	}
	if running == 0 {
		return fmt.Sprintf("%.1f runnable tasks besides the runner, this process's other threads included", n.others)
	}
	return fmt.Sprintf("%.1f runnable tasks of other processes", max(0, n.others-float64(running-1)/2))
}

// threadsDump writes each thread's state and its time on a CPU and in
// the run queue since the sample began, with the sums over threads: a
// process that the machine starves has runnable threads that waited
// for a CPU far longer than they ran. threads is the reading at now.
func (s sampleStart) threadsDump(now time.Time, threads map[int]schedStat) string {
	if len(threads) == 0 {
		return ""
	}
	tids := make([]int, 0, len(threads))
	for tid := range threads {
		tids = append(tids, tid)
	}
	sort.Ints(tids)
	var b strings.Builder
	for _, tid := range tids {
		t, t0 := threads[tid], s.threads[tid] // t0 is zero for a thread begun during the sample
		fmt.Fprintf(&b, "\n  tid %d %s: on a CPU %v, in the run queue %v", tid, t.state,
			max(t.run-t0.run, 0).Round(time.Microsecond), max(t.queue-t0.queue, 0).Round(time.Microsecond))
	}
	w := between(s.at, s.threads, now, threads)
	return fmt.Sprintf("\nthreads over the sample (state: R runnable or running, S sleeping): on a CPU %v, in the run queue %v%s",
		w.run.Round(time.Microsecond), w.queue.Round(time.Microsecond), b.String())
}

// readThreads reads every thread's schedstat (and, with state, its
// state) from /proc/self/task; nil where there is none.
func readThreads(state bool) map[int]schedStat {
	const dir = "/proc/self/task"
	ents, err := os.ReadDir(dir)
	if err != nil || len(ents) == 0 {
		return nil
	}
	ts := make(map[int]schedStat, len(ents))
	for _, e := range ents {
		tid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		d := filepath.Join(dir, e.Name())
		t := schedStat{state: "?"}
		if state {
			if f, ok := procfs.Stat(filepath.Join(d, "stat")); ok {
				t.state = f[0]
			}
		}
		if run, queue, ok := procfs.Schedstat(filepath.Join(d, "schedstat")); ok {
			t.run, t.queue = run, queue
		}
		ts[tid] = t
	}
	return ts
}

// The watchdog's judgement. When a sample's deadline passes, the
// watchdog reads its threads' schedstat once more and judges the window
// since its last reading (the sample's start, or the deadline before).
// A process the OS starved had threads that wanted a CPU and waited in
// the run queue for it; a hung one did not: a lost wake-up or a
// deadlock leaves its threads sleeping (little run-queue wait, little
// CPU), and a spinning op runs (CPU time, little wait). So for a
// starved window the watchdog waits another timeout, up to
// maxExtensions times, and the runner warns that it did; for any other
// it fails the sample at once. Without schedstat figures (not Linux, or
// a kernel without them) no window is starved and the first deadline
// fails the sample, as it always did.
//
// The rule only sees the runner's own threads: a sample in worker
// processes (exec=processes) leaves them asleep on their pipes, so its
// windows are never starved.

// maxExtensions is how many more timeouts the watchdog waits for a
// starved sample: at most 4 timeouts in all, so a real hang on a busy
// machine still fails in bounded time.
const maxExtensions = 3

// window is what the process's threads did between two readings.
type window struct {
	wall       time.Duration
	run, queue time.Duration // summed over threads: on a CPU; runnable, waiting for one
	ok         bool          // both readings had /proc/self/task
}

// between sums the threads' time on a CPU and in the run queue from
// reading t0, at at0, to t1, at at1. A thread begun in between counts
// from zero; one that ended in between is gone from t1 and not counted.
func between(at0 time.Time, t0 map[int]schedStat, at1 time.Time, t1 map[int]schedStat) window {
	w := window{wall: at1.Sub(at0), ok: len(t0) > 0 && len(t1) > 0}
	for tid, t := range t1 {
		s := t0[tid]
		w.run += max(t.run-s.run, 0)
		w.queue += max(t.queue-s.queue, 0)
	}
	return w
}

// starved reports whether the OS kept the process from running over w,
// on a machine where the process may use cpus CPUs. Two conditions,
// both from the scheduler's own accounting:
//
//   - Its threads waited in the run queue for at least half the window
//     (queue >= wall/2: on average half a thread was runnable and
//     waiting all along). Threads that sleep do not queue, so a
//     lost wake-up or a deadlock, whose threads sleep, never passes
//     this, however busy the machine.
//   - It ran less than a quarter of the CPU time it could have used on
//     an otherwise idle machine: what its threads were runnable for
//     (run+queue), at most cpus CPUs over the window. The fair
//     scheduler gives a runnable thread its share of the CPUs, so a
//     quarter means at least four runnable tasks per CPU; a spinning
//     op, or a process that oversubscribes the CPUs with its own
//     threads, gets the CPUs it asks for or all of them, and fails.
//
// The stalls that failed points of `make bench` on a loaded 2-CPU VM
// (22ms of CPU in 1.5s, seconds of run-queue wait) pass both by a wide
// margin. A spinning op on a machine that busy passes too: the figures
// cannot tell it from a CPU-bound op the machine starves, which is why
// the extensions are capped.
func (w window) starved(cpus int) bool {
	if !w.ok || w.wall <= 0 {
		return false
	}
	could := min(w.run+w.queue, time.Duration(max(cpus, 1))*w.wall)
	return 2*w.queue >= w.wall && 4*w.run < could
}

// watchdog judges a sample's deadlines.
type watchdog struct {
	timeout time.Duration
	cpus    int
	start   time.Time         // the sample's
	due     time.Duration     // since start, when the deadline in force falls
	at      time.Time         // its last reading
	threads map[int]schedStat // at it
	// extended is how many more timeouts it granted; starved sums the
	// windows it judged starved, last is the window it judged last.
	extended      int
	starved, last window
}

func newWatchdog(timeout time.Duration, cpus int, start sampleStart) *watchdog {
	return &watchdog{timeout: timeout, cpus: cpus, start: start.at, due: timeout, at: start.at, threads: start.threads}
}

// expired is called when a deadline passes, at now, with the threads'
// figures then; it reports whether to wait another timeout, from now.
func (d *watchdog) expired(now time.Time, threads map[int]schedStat) bool {
	w := between(d.at, d.threads, now, threads)
	d.at, d.threads, d.last = now, threads, w
	if d.extended >= maxExtensions || !w.starved(d.cpus) {
		return false
	}
	d.extended++
	d.due = now.Sub(d.start) + d.timeout
	d.starved.wall += w.wall
	d.starved.run += w.run
	d.starved.queue += w.queue
	return true
}

// judgement says how the watchdog judged the last window, for the dump.
func (d *watchdog) judgement() string {
	w := d.last
	if !w.ok {
		return "watchdog: no thread figures (no /proc/self/task), so the sample was not judged starved"
	}
	s := fmt.Sprintf("watchdog: in the last %v the threads ran %v and waited %v in the run queue (%d CPUs): ",
		w.wall.Round(time.Millisecond), w.run.Round(time.Microsecond), w.queue.Round(time.Microsecond), d.cpus)
	if w.starved(d.cpus) {
		return s + fmt.Sprintf("starved by the OS, but the watchdog had already waited its %s while the OS starved the process for %v",
			timeouts(d.extended), d.starved.wall.Round(time.Millisecond))
	}
	s += "not starved by the OS: the sample hung"
	if d.extended > 0 {
		s += fmt.Sprintf("; before, the watchdog waited %s while the OS starved the process for %v", timeouts(d.extended), d.starved.wall.Round(time.Millisecond))
	}
	return s
}

// timeouts writes "1 more timeout", "3 more timeouts".
func timeouts(n int) string {
	if n == 1 {
		return "1 more timeout"
	}
	return fmt.Sprintf("%d more timeouts", n)
}

// warning is the text of the runner's warning about a sample the
// watchdog waited longer for, or "" if it did not.
func (d *watchdog) warning() string {
	if d.extended == 0 {
		return ""
	}
	s := d.starved
	return fmt.Sprintf("a sample was starved by the OS for %v (its threads waited %v in the run queue and ran %v), so the watchdog waited %s of %v for it; its figures measure the machine's load as much as the workload",
		s.wall.Round(time.Millisecond), s.queue.Round(time.Millisecond), s.run.Round(time.Millisecond), timeouts(d.extended), d.timeout)
}
