package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parbench/parbench/results"
	"github.com/parbench/parbench/workloads"
	"golang.org/x/perf/benchfmt"
)

// TestStarvedRule checks the watchdog's rule on the figures of one
// window: starved by the OS only when the threads queued for a CPU and
// got little of what they could have used.
func TestStarvedRule(t *testing.T) {
	const s, ms = time.Second, time.Millisecond
	for _, tc := range []struct {
		name             string
		wall, run, queue time.Duration
		cpus             int
		noProc           bool
		want             bool
	}{
		// The stall that failed a `make bench` point on a loaded
		// 2-CPU VM: 22ms of CPU in 1.5s, seconds in the run queue.
		{name: "starved VM", wall: 1500 * ms, run: 22 * ms, queue: 3 * s, cpus: 2, want: true},
		{name: "CPU-bound at 8 tasks per CPU", wall: 10 * s, run: 2500 * ms, queue: 17500 * ms, cpus: 2, want: true},
		{name: "cgroup throttled", wall: 10 * s, run: 200 * ms, queue: 9 * s, cpus: 16, want: true},
		// A lost wake-up or a deadlock: the threads sleep.
		{name: "sleeping", wall: 10 * s, run: 3 * ms, queue: 1 * ms, cpus: 2},
		{name: "sleeping, wake-ups queue on a busy machine", wall: 10 * s, run: 5 * ms, queue: 2 * s, cpus: 2},
		// A spinning op: the threads run.
		{name: "spinning", wall: 10 * s, run: 10 * s, queue: 20 * ms, cpus: 2},
		{name: "spinning beside two busy loops", wall: 10 * s, run: 6700 * ms, queue: 3300 * ms, cpus: 2},
		{name: "spinning threads oversubscribing the CPUs", wall: 10 * s, run: 40 * s, queue: 120 * s, cpus: 4},
		{name: "half the CPU it asked for", wall: 10 * s, run: 10 * s, queue: 10 * s, cpus: 2},
		// No figures: as before the rule, the first deadline fails.
		{name: "no /proc", wall: 10 * s, run: 22 * ms, queue: 3 * s, cpus: 2, noProc: true},
		{name: "schedstat off (zeros)", wall: 10 * s, cpus: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := window{wall: tc.wall, run: tc.run, queue: tc.queue, ok: !tc.noProc}
			if got := w.starved(tc.cpus); got != tc.want {
				t.Errorf("%+v.starved(%d) = %v, want %v", w, tc.cpus, got, tc.want)
			}
		})
	}
}

// TestBetween checks the sums over threads: a thread begun in the
// window counts from zero, one that ended is left out.
func TestBetween(t *testing.T) {
	t0 := time.Unix(1000, 0)
	before := map[int]schedStat{1: {run: 5, queue: 7}, 2: {run: 100, queue: 100}}
	after := map[int]schedStat{1: {run: 15, queue: 27}, 3: {run: 1, queue: 2}}
	w := between(t0, before, t0.Add(time.Second), after)
	if want := (window{wall: time.Second, run: 11, queue: 22, ok: true}); w != want {
		t.Errorf("between = %+v, want %+v", w, want)
	}
	if w := between(t0, nil, t0.Add(time.Second), after); w.ok {
		t.Errorf("between without a first reading = %+v, want !ok", w)
	}
}

// fakeThreads is one thread's figures that grow by run and queue per
// second of the clock.
type fakeThreads struct {
	t0         time.Time
	run, queue float64 // per second of wall time
}

func (f fakeThreads) at(now time.Time) map[int]schedStat {
	d := float64(now.Sub(f.t0))
	return map[int]schedStat{1: {run: time.Duration(f.run * d), queue: time.Duration(f.queue * d)}}
}

// TestWatchdogExtends plays deadlines on synthetic figures: a starved
// sample gets more timeouts up to the cap, a sleeping or spinning one
// none, and a sample starved then sleeping fails at the next deadline.
func TestWatchdogExtends(t *testing.T) {
	const timeout = 10 * time.Second
	starved := [2]float64{0.01, 3}   // 1% of a CPU, 3 threads queued
	sleeping := [2]float64{0.001, 0} // wakes now and then
	spinning := [2]float64{1, 0.01}  // one thread on a CPU
	for _, tc := range []struct {
		name    string
		windows [][2]float64 // the figures per second of each timeout
		want    []bool       // expired's answers
	}{
		{"starved", [][2]float64{starved, starved, starved, starved, starved}, []bool{true, true, true, false}},
		{"sleeping", [][2]float64{sleeping}, []bool{false}},
		{"spinning", [][2]float64{spinning}, []bool{false}},
		{"starved, then sleeping", [][2]float64{starved, sleeping}, []bool{true, false}},
		{"starved, then spinning", [][2]float64{starved, starved, spinning}, []bool{true, true, false}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t0 := time.Unix(1000, 0)
			th := map[int]schedStat{1: {}}
			d := newWatchdog(timeout, 2, sampleStart{at: t0, threads: th})
			now := t0
			wantDue := timeout
			var got []bool
			for _, w := range tc.windows {
				// Each deadline fires a little late, as on a busy machine.
				next := now.Add(timeout + 300*time.Millisecond)
				g := fakeThreads{t0: now, run: w[0], queue: w[1]}.at(next)
				for tid, s := range th {
					g[tid] = schedStat{run: g[tid].run + s.run, queue: g[tid].queue + s.queue}
				}
				th, now = g, next
				ext := d.expired(now, th)
				got = append(got, ext)
				if !ext {
					break
				}
				wantDue = now.Sub(t0) + timeout
			}
			if !equalBools(got, tc.want) {
				t.Fatalf("expired answered %v, want %v", got, tc.want)
			}
			n := len(got) - 1 // the last answer is false
			if d.extended != n || d.extended > maxExtensions {
				t.Errorf("extended %d times, want %d, at most %d", d.extended, n, maxExtensions)
			}
			if d.due != wantDue {
				t.Errorf("due %v after %d extensions, want %v: a timeout after the last extension", d.due, n, wantDue)
			}
			warn := d.warning()
			if (warn != "") != (n > 0) {
				t.Errorf("warning %q after %d extensions", warn, n)
			}
			if n > 0 && !strings.Contains(warn, "starved by the OS for") {
				t.Errorf("warning %q does not say the OS starved the sample", warn)
			}
			if j := d.judgement(); !strings.HasPrefix(j, "watchdog: in the last ") {
				t.Errorf("judgement %q", j)
			}
		})
	}
}

// TestWatchdogNoProc checks that without thread figures the first
// deadline fails the sample, as before the rule.
func TestWatchdogNoProc(t *testing.T) {
	t0 := time.Unix(1000, 0)
	d := newWatchdog(time.Second, 2, sampleStart{at: t0})
	if d.expired(t0.Add(time.Second), nil) {
		t.Error("extended without figures")
	}
	if j := d.judgement(); !strings.Contains(j, "no thread figures") {
		t.Errorf("judgement %q", j)
	}
}

func equalBools(a, b []bool) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// onceWorkload's first op of the run calls first; every other op
// returns at once.
type onceWorkload struct {
	name  string
	first func()
}

func (w onceWorkload) Name() string  { return w.name }
func (onceWorkload) Summary() string { return "blocks, spins or sleeps in its first op (test)" }
func (w onceWorkload) Start(workloads.Params) (workloads.Instance, error) {
	return &onceInstance{first: w.first}, nil
}

type onceInstance struct {
	first func()
	once  sync.Once
}

func (in *onceInstance) NewWorker(workloads.Env) (workloads.Worker, error) {
	return onceWorker{in}, nil
}
func (in *onceInstance) Close() error { return nil }

type onceWorker struct{ in *onceInstance }

func (w onceWorker) Op() error  { w.in.once.Do(w.in.first); return nil }
func (onceWorker) Close() error { return nil }

// runOnce runs one point of w under a watchdog of timeout and returns
// the notes, the warnings, the results and Run's error.
func runOnce(t *testing.T, w workloads.Workload, timeout time.Duration) ([]results.Note, []Warning, int, error) {
	t.Helper()
	c := testConfig(w)
	c.Procs, c.Goroutines, c.Count = []int{1}, []int{1}, 1
	c.SampleTimeout = timeout
	var notes []results.Note
	var warns []Warning
	c.Note = func(n results.Note) error { notes = append(notes, n); return nil }
	c.Warn = func(w Warning) { warns = append(warns, w) }
	n := 0
	err := Run(context.Background(), c, nil, func(*benchfmt.Result) error { n++; return nil })
	return notes, warns, n, err
}

// TestHangFailsAtFirstDeadline checks, on the real /proc, that a
// sample that hangs sleeping or spinning is not taken for a starved
// one: it fails at its first deadline, and the dump says why.
func TestHangFailsAtFirstDeadline(t *testing.T) {
	const timeout = 300 * time.Millisecond
	release := make(chan struct{})
	defer close(release)
	var released atomic.Bool
	defer released.Store(true)
	for _, tc := range []struct {
		name  string
		first func()
		// strict: the figures must clear it. A spinning op on a machine
		// with four runnable tasks per CPU is starved by the rule's
		// figures, so a busy test machine may extend it, up to the cap.
		strict bool
	}{
		{"sleeping", func() { <-release }, true},
		{"spinning", func() {
			for !released.Load() {
			}
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			_, warns, _, err := runOnce(t, onceWorkload{name: "cpu/" + tc.name, first: tc.first}, timeout)
			elapsed := time.Since(start)
			var h *HangError
			if !errors.As(err, &h) {
				t.Fatalf("Run = %v, want a *HangError", err)
			}
			if h.Extended > maxExtensions || len(warns) != 0 {
				t.Errorf("extended %d times (cap %d), warnings %v", h.Extended, maxExtensions, warns)
			}
			if h.Extended > 0 {
				if tc.strict {
					t.Errorf("a %s hang was extended %d times:\n%s", tc.name, h.Extended, h.Machine)
				} else {
					t.Logf("the busy machine starved the spinning op: extended %d times:\n%s", h.Extended, h.Machine)
				}
			}
			// Generous: the bound is what the cap allows, and the
			// machine is shared.
			if limit := 10 * (1 + maxExtensions) * timeout; elapsed > limit {
				t.Errorf("the hang failed after %v, want well within %v", elapsed, limit)
			}
			if _, err := os.Stat("/proc/self/task"); err == nil && h.Extended == 0 && !strings.Contains(h.Machine, "not starved by the OS: the sample hung") {
				t.Errorf("dump lacks the watchdog's judgement:\n%s", h.Machine)
			}
		})
	}
}

// starveMachine makes the watchdog see a process the OS starves: its
// thread runs 1% of the time and three threads wait for a CPU.
func starveMachine(t *testing.T) {
	old := watchdogThreads
	f := fakeThreads{t0: time.Now(), run: 0.01, queue: 3}
	watchdogThreads = func() map[int]schedStat { return f.at(time.Now()) }
	t.Cleanup(func() { watchdogThreads = old })
}

// TestStarvedSampleIsKept checks that a sample that outlives its
// timeout while the OS starves the process is waited for, kept, and
// warned about, to Config.Warn and in the notes.
func TestStarvedSampleIsKept(t *testing.T) {
	starveMachine(t)
	const timeout = 300 * time.Millisecond
	notes, warns, n, err := runOnce(t, onceWorkload{name: "cpu/slow", first: func() { time.Sleep(timeout * 3 / 2) }}, timeout)
	if err != nil {
		t.Fatalf("Run = %v, want the starved sample kept", err)
	}
	if n != 1 {
		t.Errorf("%d results, want 1", n)
	}
	if len(warns) != 1 || !strings.Contains(warns[0].Text, "starved by the OS for") {
		t.Fatalf("warnings %v, want one that the OS starved the sample", warns)
	}
	if !hasNote(notes, results.NoteWarning, "the watchdog waited") {
		t.Errorf("notes %v lack the warning", notes)
	}
}

// TestStarvedHangFailsAtCap checks that a hang the watchdog takes for
// starvation still fails, after maxExtensions more timeouts.
func TestStarvedHangFailsAtCap(t *testing.T) {
	starveMachine(t)
	const timeout = 100 * time.Millisecond
	release := make(chan struct{})
	defer close(release)
	start := time.Now()
	notes, warns, _, err := runOnce(t, onceWorkload{name: "cpu/hang", first: func() { <-release }}, timeout)
	elapsed := time.Since(start)
	var h *HangError
	if !errors.As(err, &h) {
		t.Fatalf("Run = %v, want a *HangError", err)
	}
	if h.Extended != maxExtensions || !strings.Contains(h.Error(), fmt.Sprintf("%d more while the OS starved it", maxExtensions)) {
		t.Errorf("%q: extended %d times, want %d", h, h.Extended, maxExtensions)
	}
	if elapsed < (1+maxExtensions)*timeout {
		t.Errorf("failed after %v, before its %d timeouts", elapsed, 1+maxExtensions)
	}
	if len(warns) != 0 {
		t.Errorf("warnings %v: a hang says it in its failure instead", warns)
	}
	if !hasNote(notes, results.NoteFailed, "while the OS starved it") {
		t.Errorf("notes %v: the failed note does not say the watchdog waited", notes)
	}
}
