package gil

import (
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parbench/parbench/internal/rtmetrics"
)

// The stall stress test: the watchdog once gave up on a sample of
// cpu/stream under lock=gil with GOMAXPROCS 4 on a 2-CPU machine whose
// CPUs were busy with other processes. TestStallStress runs the locks
// the same way (more Ps than CPUs, the CPUs loaded by busy child
// processes, short samples of CPU sections with checks and some IO) and
// fails
//
//   - if two goroutines are ever inside a CPU section at once;
//   - if a goroutine starves under the gil at a short switch interval,
//     where a sample is long enough for starvation to show: while it
//     waits in one call (Start, Check, EndIO) the lock changes hands
//     more than turnsPerWaiter times per other goroutine. The bound
//     counts turns, not wall time: a machine that gives the process no
//     CPU stretches every wait (seen here: 5s waits at a load of 20 on
//     2 CPUs) without anyone getting ahead of the waiter, and it makes
//     timers late, so even the CPU the others run while one waits
//     varies with the load (it is logged, not bounded). A waiter that
//     the gil picks at random among g-1 at each hand-off would miss
//     30(g-1) of them with a chance of about e^-30; goroutines back
//     from IO that take a free GIL ahead of it make misses likelier
//     (six minutes under load saw at most 95 at 8 goroutines, against
//     a bound of 210). gil-old has no fairness by
//     design (CPython 2's GIL), and at the default 5ms interval a
//     sample is too short for the bound to bite, so those only log
//     their figures. (A holder that ignores the drop request is
//     TestForcedSwitching's to catch.)
//   - if a sample is not done within stallLimit: a deadlock or a lost
//     wake-up, with the lock's State and every stack.
//
// It logs the figures: samples, waits, their wall-time p50, p99 and
// maximum, and the longest wait's CPU time. `go test` runs it for about
// three seconds; PARBENCH_STRESS=1 runs it for five minutes and
// PARBENCH_STRESS=<duration> for that long.

const (
	// turnsPerWaiter bounds the hand-offs a waiter may miss, per other
	// goroutine.
	turnsPerWaiter = 30
	// stallLimit is the test's watchdog of one sample: far beyond the
	// longest sample a starved machine has shown (6.4s), so that only
	// a hang trips it.
	stallLimit = time.Minute
)

// stressFor returns how long TestStallStress runs.
func stressFor(t *testing.T) time.Duration {
	v := os.Getenv("PARBENCH_STRESS")
	switch v {
	case "":
		if testing.Short() {
			return time.Second
		}
		return 3 * time.Second
	case "1":
		return 5 * time.Minute
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		t.Fatalf("PARBENCH_STRESS=%q: want 1 or a positive duration such as 10m", v)
	}
	return d
}

// waitLog is a WaitRecorder that keeps every wait, and the calls that
// may wait with their wall and CPU time.
type waitLog struct {
	mu    sync.Mutex
	waits []time.Duration // the lock's own account of each wait
	// Of the calls that may wait: the longest, the one during which
	// the process ran the most CPU, the one with the most hand-offs.
	longest, starved, skipped call
	switches                  *atomic.Int64 // the lock's holder changes
}

type call struct {
	wall, cpu time.Duration
	turns     int64 // holder changes during the call
}

func (l *waitLog) RecordWait(d time.Duration) {
	l.mu.Lock()
	l.waits = append(l.waits, d)
	l.mu.Unlock()
}

// timed runs f, a call that may wait for the lock, and keeps its wall
// time and the process's CPU time meanwhile.
func (l *waitLog) timed(f func()) {
	_, c0 := rtmetrics.ProcessCPU()
	n0 := l.switches.Load()
	t0 := time.Now()
	f()
	wall := time.Since(t0)
	n1 := l.switches.Load()
	_, c1 := rtmetrics.ProcessCPU()
	c := call{wall, c1 - c0, n1 - n0}
	l.mu.Lock()
	if c.wall > l.longest.wall {
		l.longest = c
	}
	if c.cpu > l.starved.cpu {
		l.starved = c
	}
	if c.turns > l.skipped.turns {
		l.skipped = c
	}
	l.mu.Unlock()
}

// TestStallStress runs many short samples of each mode that hands the
// lock over in a CPU section, at more Ps than CPUs, under load.
func TestStallStress(t *testing.T) {
	total := stressFor(t)
	busy := startBusy(t, runtime.NumCPU())
	defer busy()
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))

	type config struct {
		mode     string
		procs, g int
		interval time.Duration // the gil's switch interval
	}
	var configs []config
	for _, procs := range []int{2 * runtime.NumCPU(), 4 * runtime.NumCPU()} {
		for _, g := range []int{2, 4, 8} {
			configs = append(configs,
				config{"gil", procs, g, 5 * time.Millisecond},
				config{"gil", procs, g, 50 * time.Microsecond},
				config{"gil-old", procs, g, 0})
		}
	}
	per := total / time.Duration(len(configs))
	for _, c := range configs {
		name := fmt.Sprintf("%s/interval=%v/procs=%d/goroutines=%d", c.mode, c.interval, c.procs, c.g)
		t.Run(name, func(t *testing.T) {
			runtime.GOMAXPROCS(c.procs)
			log := &waitLog{}
			opts := DefaultOptions()
			if c.interval > 0 {
				opts.SwitchInterval = c.interval
			}
			opts.Waits = log
			// Each goroutine's share runs past two switch
			// intervals, so that waiters time out and ask for the
			// GIL (the drop request and the forced switch), and at
			// least 8 ops of 60µs. Where the bound is checked, it
			// runs 12ms, a hundred tenures of each goroutine or more, so
			// that a starved waiter can miss more than maxTurns.
			fair := c.mode == "gil" && c.interval < time.Millisecond
			maxTurns := int64(turnsPerWaiter * (c.g - 1))
			rounds := max(8, int(2*opts.SwitchInterval/(60*time.Microsecond)))
			switch {
			case fair && raceEnabled && os.Getenv("PARBENCH_STRESS") == "":
				rounds = 50 // a short sample: it only checks, without the bound
				fair = false
			case fair:
				rounds = 200
			case c.mode != "gil":
				rounds = 8
			}
			var violations atomic.Int32
			var walls []time.Duration
			for end := time.Now().Add(per); len(walls) == 0 || time.Now().Before(end); {
				l := newLock(t, c.mode, opts)
				log.switches = &statsOf(t, l).switches
				t0 := time.Now()
				stressSample(t, l, log, c.g, rounds, uint64(len(walls)), &violations)
				walls = append(walls, time.Since(t0))
			}
			samples := len(walls)
			slices.Sort(walls)
			if v := violations.Load(); v != 0 {
				t.Errorf("%d times two goroutines were inside a CPU section at once", v)
			}
			w := log.waits
			if len(w) == 0 {
				t.Fatalf("%d samples and not one wait: the test did not contend", samples)
			}
			slices.Sort(w)
			longest, starved, skipped := log.longest, log.starved, log.skipped
			t.Logf("%d samples (p50 %v, max %v); %d waits: p50 %v, p99 %v, max %v; the longest call waited %v with %v of process CPU; in one call at most %v of CPU and %d hand-offs",
				samples, walls[samples/2], walls[samples-1], len(w), w[len(w)/2], w[len(w)*99/100], w[len(w)-1],
				longest.wall, longest.cpu, starved.cpu, skipped.turns)
			if !fair {
				return
			}
			if skipped.turns > maxTurns {
				t.Errorf("a goroutine waited %v in one call while the lock changed hands %d times, over %d: starvation",
					skipped.wall, skipped.turns, maxTurns)
			}
		})
	}
}

// stressSample is one sample: g goroutines, each of rounds ops of
// three 20µs CPU sections with a check after each and IO now and then,
// under l.
// A sample not done within stallLimit fails the test with the lock's
// state and every goroutine's stack.
func stressSample(t *testing.T, l Lock, log *waitLog, g, rounds int, seed uint64, violations *atomic.Int32) {
	t.Helper()
	var occ atomic.Int32
	var wg sync.WaitGroup
	for w := range g {
		th := l.Thread()
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, uint64(w)))
			log.timed(th.Start)
			defer th.Stop()
			for range rounds {
				th.OpStart()
				for range 3 {
					if occ.Add(1) != 1 {
						violations.Add(1)
					}
					spinFor(20 * time.Microsecond)
					occ.Add(-1)
					log.timed(func() { th.Check(1) })
				}
				if rng.IntN(8) == 0 {
					th.BeginIO()
					time.Sleep(time.Duration(rng.IntN(50)) * time.Microsecond)
					log.timed(th.EndIO)
				}
				th.OpEnd()
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(stallLimit):
		t.Fatalf("sample not done after %v\n%s\n\n%s", stallLimit, l.(Stater).State(), allStacks())
	}
}

// spinFor burns CPU for about d of wall time.
func spinFor(d time.Duration) {
	t0 := time.Now()
	x := uint64(1)
	for time.Since(t0) < d {
		for range 200 {
			x ^= x << 13
			x ^= x >> 7
			x ^= x << 17
		}
	}
	sink.Store(x)
}

var sink atomic.Uint64

func allStacks() string {
	buf := make([]byte, 1<<20)
	return string(buf[:runtime.Stack(buf, true)])
}

// startBusy starts n child processes (this test binary, in TestMain)
// that each keep one CPU busy, like `yes >/dev/null`,
// and returns the function that kills them. A child also ends when its
// stdin closes, so it does not outlive a test binary that was killed.
func startBusy(t testing.TB, n int) (stop func()) {
	t.Helper()
	var cmds []*exec.Cmd
	var pipes []io.Closer
	for range n {
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), "PARBENCH_BUSY_CHILD=1", "GOMAXPROCS=1")
		in, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds, pipes = append(cmds, cmd), append(pipes, in)
	}
	return func() {
		for i, cmd := range cmds {
			pipes[i].Close()
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	}
}

// TestMain runs the package's tests, or, in a child of startBusy, only
// keeps one CPU busy until its stdin closes.
func TestMain(m *testing.M) {
	if os.Getenv("PARBENCH_BUSY_CHILD") == "1" {
		var stop atomic.Bool
		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			stop.Store(true)
		}()
		for !stop.Load() {
			spinFor(time.Millisecond)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestStateDuringWait checks what State shows of a GIL with a holder that
// does not check and a waiter: the holder, the waiter in its timed
// wait with the drop request set, the switch number, and each line in
// String.
func TestStateDuringWait(t *testing.T) {
	l := NewGIL(time.Millisecond)
	a, b := l.Thread(), l.Thread()
	a.Start()
	done := make(chan struct{})
	go func() { b.Start(); b.Stop(); close(done) }()
	for !l.dropRequest.Load() {
		time.Sleep(100 * time.Microsecond)
	}
	st := l.State()
	if !st.Locked || st.Holder != 0 || !st.DropRequest || st.Waiters != 1 || st.Switches != 1 || st.SwitchWait != -1 {
		t.Errorf("State = %+v, want locked by 0, a drop request, one waiter, switch number 1", st)
	}
	if len(st.Threads) != 2 || st.Threads[0].Phase != PhaseHolding || st.Threads[1].Phase != PhaseWaiting {
		t.Fatalf("threads = %+v, want 0 holding, 1 waiting", st.Threads)
	}
	if tm := st.Threads[1].Timer; !strings.HasPrefix(tm, "due in ") && !strings.HasPrefix(tm, "overdue by ") && !strings.HasPrefix(tm, "signalled") {
		// Between two timed waits a waiter holds mu, and State
		// waits for it, so one of the three is always seen.
		t.Errorf("waiter's timer = %q, want its timed wait's state", tm)
	}
	s := st.String()
	for _, want := range []string{"lock gil ", "locked=true holder=0", "drop-request=true switch-number=1 switch-wait=none", "\n  thread 0: holding for ", "\n  thread 1: waiting for "} {
		if !strings.Contains(s, want) {
			t.Errorf("String() lacks %q:\n%s", want, s)
		}
	}
	a.Stop()
	<-done
	st = l.State()
	if st.Locked || st.Holder != -1 || st.Waiters != 0 || st.Threads[0].Phase != PhaseStopped || st.Threads[1].Phase != PhaseStopped {
		t.Errorf("after both stopped: %+v", st)
	}
}

// TestStateModes checks that every locking mode is a Stater whose State
// names the holder while one goroutine holds the lock and another
// waits.
func TestStateModes(t *testing.T) {
	for _, mode := range lockModes {
		t.Run(mode, func(t *testing.T) {
			l := newLock(t, mode, DefaultOptions())
			s, ok := l.(Stater)
			if !ok {
				t.Fatalf("mode %s is not a Stater", mode)
			}
			a, b := l.Thread(), l.Thread()
			a.Start()
			a.OpStart()
			done := make(chan struct{})
			go func() { b.Start(); b.OpStart(); b.OpEnd(); b.Stop(); close(done) }()
			deadline := time.Now().Add(time.Minute)
			for s.State().Threads[1].Phase != PhaseWaiting {
				if time.Now().After(deadline) {
					t.Fatalf("the second goroutine never waits: %v", s.State())
				}
				time.Sleep(100 * time.Microsecond)
			}
			st := s.State()
			if !st.Locked || st.Holder != 0 || st.Threads[0].Phase != PhaseHolding {
				t.Errorf("State:\n%v\nwant locked, held by thread 0", st)
			}
			a.OpEnd()
			a.Stop()
			<-done
		})
	}
	for _, mode := range Modes() {
		_, ok := newLock(t, mode, DefaultOptions()).(Stater)
		if ok != (mode != "none") {
			t.Errorf("mode %s: Stater %t, want every mode but none to be one", mode, ok)
		}
	}
}

// TestStateWhileMutexHeld checks that State does not block on a GIL whose
// internal mutex is held, and says so.
func TestStateWhileMutexHeld(t *testing.T) {
	l := NewGIL(time.Millisecond)
	l.Thread()
	l.mu.Lock()
	st := l.State()
	l.mu.Unlock()
	if st.Partial == "" || !strings.Contains(st.String(), "partial") || len(st.Threads) != 1 {
		t.Errorf("State with mu held = %+v, want a partial state with the thread", st)
	}
}

// TestStateAfterDrop checks that State tells holding from running
// without the lock once the holder has dropped it, though the
// accounting marks neither on a take or drop that does not hand over:
// between a mutex's ops, and in a GIL's IO.
func TestStateAfterDrop(t *testing.T) {
	for _, mode := range lockModes {
		t.Run(mode, func(t *testing.T) {
			l := newLock(t, mode, DefaultOptions())
			s := l.(Stater)
			th := l.Thread()
			th.Start()
			take, drop := th.OpStart, th.OpEnd
			if mode != "mutex" {
				take, drop = th.EndIO, th.BeginIO
				drop()
			}
			for i := range 3 {
				take()
				if st := s.State(); !st.Locked || st.Holder != 0 || st.Threads[0].Phase != PhaseHolding {
					t.Errorf("take %d: State:\n%v\nwant locked, held by thread 0", i, st)
				}
				drop()
				if st := s.State(); st.Locked || st.Holder != -1 || st.Threads[0].Phase != PhaseRunning {
					t.Errorf("drop %d: State:\n%v\nwant unlocked, thread 0 running without the lock", i, st)
				}
			}
			if mode != "mutex" {
				take()
			}
			th.Stop()
		})
	}
}
