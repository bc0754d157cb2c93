package bench

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/parbench/parbench/bench/gil"
	"github.com/parbench/parbench/workloads"
)

// perOp makes a chunk's loop of op, which is told each op's index: a
// probe of divide's division of the ops, apart from the sample's loops.
func perOp(op func(w int, i int64) error) opsFunc {
	return func(w int, lo, hi int64) (int64, error) {
		for i := lo; i < hi; i++ {
			if err := op(w, i); err != nil {
				return i - lo, err
			}
		}
		return hi - lo, nil
	}
}

// TestDivideExactlyOnce checks that strong scaling runs every op index
// exactly once, whatever the goroutine count and chunk size, and that the
// per-goroutine counts add up.
func TestDivideExactlyOnce(t *testing.T) {
	for _, tc := range []struct {
		g     int
		n     int64
		chunk int64
	}{
		{1, 1, 1}, {1, 1000, 7}, {2, 1000, 1}, {3, 1000, 64}, {8, 999, 10},
		{64, 10000, 3}, {100, 50, 1}, {7, 5, 100}, {16, 1 << 14, 1000},
	} {
		t.Run(fmt.Sprintf("g=%d/n=%d/chunk=%d", tc.g, tc.n, tc.chunk), func(t *testing.T) {
			hits := make([]atomic.Int32, tc.n)
			begun := make([]atomic.Int32, tc.g)
			ended := make([]atomic.Int32, tc.g)
			done, _, err := divide(new(atomic.Bool), tc.g, tc.n, tc.chunk, false, func(bool) {},
				func(w int) { begun[w].Add(1) },
				func(w int) { ended[w].Add(1) },
				perOp(func(w int, i int64) error { hits[i].Add(1); return nil }))
			if err != nil {
				t.Fatal(err)
			}
			for i := range hits {
				if h := hits[i].Load(); h != 1 {
					t.Fatalf("op %d ran %d times, want 1", i, h)
				}
			}
			var sum int64
			for _, d := range done {
				sum += d
			}
			if sum != tc.n {
				t.Errorf("goroutines report %d ops, want %d", sum, tc.n)
			}
			for w := range tc.g {
				if begun[w].Load() != 1 || ended[w].Load() != 1 {
					t.Errorf("goroutine %d: begin %d times, end %d times, want 1 each", w, begun[w].Load(), ended[w].Load())
				}
			}
		})
	}
}

// TestDivideWeak checks that weak scaling gives each goroutine n ops.
func TestDivideWeak(t *testing.T) {
	const g, n = 5, 300
	var per [g]atomic.Int64
	done, _, err := divide(new(atomic.Bool), g, n, 16, true, func(bool) {}, func(int) {}, func(int) {},
		perOp(func(w int, i int64) error { per[w].Add(1); return nil }))
	if err != nil {
		t.Fatal(err)
	}
	for w := range g {
		if per[w].Load() != n || done[w] != n {
			t.Errorf("goroutine %d did %d ops (reported %d), want %d", w, per[w].Load(), done[w], n)
		}
	}
}

// TestDivideStopsOnError checks that the first error comes back, every
// goroutine still calls end, and the others stop early.
func TestDivideStopsOnError(t *testing.T) {
	boom := errors.New("boom")
	var ran atomic.Int64
	var ended atomic.Int32
	_, _, err := divide(new(atomic.Bool), 4, 1_000_000, 10, false, func(bool) {}, func(int) {},
		func(int) { ended.Add(1) },
		perOp(func(w int, i int64) error {
			ran.Add(1)
			if i == 100 {
				return boom
			}
			return nil
		}))
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
	if ended.Load() != 4 {
		t.Errorf("%d goroutines called end, want 4", ended.Load())
	}
	if ran.Load() >= 1_000_000 {
		t.Errorf("all %d ops ran after an error", ran.Load())
	}
}

// TestDivideClock checks that the clock brackets the work: mark(true)
// comes before any op and mark(false) after the last.
func TestDivideClock(t *testing.T) {
	var started, stopped atomic.Bool
	var early atomic.Int32
	_, wall, err := divide(new(atomic.Bool), 3, 100, 1, false,
		func(start bool) {
			if start {
				started.Store(true)
			} else {
				stopped.Store(true)
			}
		},
		func(int) {}, func(int) {},
		perOp(func(int, int64) error {
			if !started.Load() || stopped.Load() {
				early.Add(1)
			}
			return nil
		}))
	if err != nil {
		t.Fatal(err)
	}
	if early.Load() != 0 {
		t.Errorf("%d ops ran outside the timed region", early.Load())
	}
	if !stopped.Load() || wall <= 0 {
		t.Errorf("stopped=%v wall=%v, want the clock stopped after a positive time", stopped.Load(), wall)
	}
}

// TestDivideParkedBeforeClock checks that every goroutine has run up
// to the start channel and parked there when the clock starts, at
// GOMAXPROCS 1 too, where a goroutine runs only once its creator
// blocks: its first run is start-up, not the sample's work.
func TestDivideParkedBeforeClock(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	const g = 500
	// Goroutines of an earlier test's abandoned sample may still be
	// about (watchdog tests): they can only add to the count.
	var parked int
	_, _, err := divide(new(atomic.Bool), g, g, 1, false,
		func(start bool) {
			if !start {
				return
			}
			buf := make([]byte, 4<<20)
			for _, st := range strings.Split(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
				if strings.Contains(st, "bench.divide.func") && strings.Contains(st, "[chan receive") {
					parked++
				}
			}
		},
		func(int) {}, func(int) {}, perOp(func(int, int64) error { return nil }))
	if err != nil {
		t.Fatal(err)
	}
	if parked < g {
		t.Errorf("at the clock's start %d of %d goroutines parked on the start channel, want all", parked, g)
	}
}

// TestCheckOps checks the runner's own count: a lost or a duplicated op
// fails the sample.
func TestCheckOps(t *testing.T) {
	for _, tc := range []struct {
		done []int64
		ops  int64
		weak bool
		ok   bool
	}{
		{[]int64{5, 5}, 10, false, true},
		{[]int64{5, 4}, 10, false, false}, // one lost
		{[]int64{6, 5}, 10, false, false}, // one done twice
		{[]int64{10, 10, 10}, 10, true, true},
		{[]int64{10, 9, 10}, 10, true, false},
	} {
		sum, err := checkOps(tc.done, tc.ops, len(tc.done), tc.weak)
		if (err == nil) != tc.ok {
			t.Errorf("checkOps(%v, %d, weak=%v) = %d, %v; want ok=%v", tc.done, tc.ops, tc.weak, sum, err, tc.ok)
		}
	}
}

// probeWorker counts its own ops and, on cue, fails, panics or sets the
// sample's failure flag (the watchdog abandoning it) at its op number
// at (counting from 1). With once set, only the first of the probes
// sharing it to reach its op at does so. With failed (the sample's
// failure flag) set, it also counts the ops it began after the flag
// was set. Each is used by one goroutine.
type probeWorker struct {
	ops     int64
	at      int64
	errAt   error
	panicAt bool
	stop    *atomic.Bool
	once    *atomic.Bool
	failed  *atomic.Bool
	after   int64 // ops begun with failed set
}

func (p *probeWorker) Op() error {
	p.ops++
	if p.failed != nil && p.failed.Load() {
		p.after++
	}
	if p.ops != p.at || (p.once != nil && !p.once.CompareAndSwap(false, true)) {
		return nil
	}
	switch {
	case p.errAt != nil:
		return p.errAt
	case p.panicAt:
		panic("probe")
	case p.stop != nil:
		p.stop.Store(true)
	}
	return nil
}

func (*probeWorker) Close() error { return nil }

// probeThread counts its brackets. It is not a gil.Bracketless.
type probeThread struct {
	workloads.NopEnv
	opStart, opEnd int64
}

func (*probeThread) Start()     {}
func (*probeThread) Stop()      {}
func (t *probeThread) OpStart() { t.opStart++ }
func (t *probeThread) OpEnd()   { t.opEnd++ }

// bareProbe is a probeThread that is a gil.Bracketless.
type bareProbe struct{ probeThread }

func (*bareProbe) Bracketless() {}

// probes returns g workers and g threads, bracketless or not.
func probes(g int, bracketless bool) ([]*probeWorker, []*probeThread, []workloads.Worker, []gil.Thread) {
	pw := make([]*probeWorker, g)
	pt := make([]*probeThread, g)
	ws := make([]workloads.Worker, g)
	ts := make([]gil.Thread, g)
	for i := range g {
		pw[i] = &probeWorker{}
		ws[i] = pw[i]
		if bracketless {
			b := &bareProbe{}
			pt[i], ts[i] = &b.probeThread, b
		} else {
			pt[i] = &probeThread{}
			ts[i] = pt[i]
		}
	}
	return pw, pt, ws, ts
}

// TestBracketless checks the choice of loop: bare exactly when every
// Thread of the sample is a gil.Bracketless, whatever the mode is
// called. That sampleOps runs the loop chosen, the loop tests check by
// the brackets (checkBrackets).
func TestBracketless(t *testing.T) {
	for _, tc := range []struct {
		mode string
		bare bool
	}{{"none", true}, {"gil", true}, {"gil-old", true}, {"mutex", false}} {
		lock, err := gil.New(tc.mode, gil.DefaultOptions())
		if err != nil {
			t.Fatal(err)
		}
		if bare := bracketless([]gil.Thread{lock.Thread(), lock.Thread()}); bare != tc.bare {
			t.Errorf("lock=%s: bracketless %v, want %v", tc.mode, bare, tc.bare)
		}
	}
	_, _, _, ts := probes(3, true)
	if !bracketless(ts) {
		t.Error("three Bracketless threads: bracketless false, want true")
	}
	ts[1] = &probeThread{}
	if bracketless(ts) {
		t.Error("one thread of three not Bracketless: bracketless true, want false")
	}
	if _, _, _, ts = probes(2, false); bracketless(ts) {
		t.Error("threads that are not Bracketless: bracketless true, want false")
	}
}

// loops runs f for the bare and the bracketed loop (bare: the threads
// are gil.Bracketless), each under strong and weak scaling.
func loops(t *testing.T, f func(t *testing.T, bare, weak bool)) {
	for _, bare := range []bool{true, false} {
		for _, weak := range []bool{false, true} {
			t.Run(fmt.Sprintf("bracketless=%v/weak=%v", bare, weak), func(t *testing.T) {
				f(t, bare, weak)
			})
		}
	}
}

// checkBrackets fails t unless the bracketed loop bracketed each op of
// every goroutine once (OpEnd also after a failed op), and the bare
// loop none.
func checkBrackets(t *testing.T, bare bool, pw []*probeWorker, pt []*probeThread) {
	t.Helper()
	for w := range pw {
		want := pw[w].ops
		if bare {
			want = 0
		}
		if pt[w].opStart != want || pt[w].opEnd != want {
			t.Errorf("goroutine %d: %d ops, OpStart %d times, OpEnd %d; want %d each",
				w, pw[w].ops, pt[w].opStart, pt[w].opEnd, want)
		}
	}
}

// TestLoopsExactCounts checks both loops under both scalings: every op
// is run, each goroutine's count in done is what its worker did, and
// checkOps agrees.
func TestLoopsExactCounts(t *testing.T) {
	loops(t, func(t *testing.T, bare, weak bool) {
		for _, tc := range []struct {
			g        int
			n, chunk int64
		}{{1, 1, 1}, {1, 1000, 10000}, {2, 1001, 7}, {3, 10, 1}, {8, 5, 100}, {5, 1 << 14, 1000}} {
			pw, pt, ws, ts := probes(tc.g, bare)
			done, _, err := divide(new(atomic.Bool), tc.g, tc.n, tc.chunk, weak, func(bool) {}, func(int) {}, func(int) {}, sampleOps(ts, ws))
			if err != nil {
				t.Fatal(err)
			}
			for w := range tc.g {
				if done[w] != pw[w].ops {
					t.Errorf("g=%d n=%d chunk=%d: goroutine %d did %d ops, done says %d", tc.g, tc.n, tc.chunk, w, pw[w].ops, done[w])
				}
				if weak && done[w] != tc.n {
					t.Errorf("g=%d n=%d chunk=%d: goroutine %d did %d ops, want %d each", tc.g, tc.n, tc.chunk, w, done[w], tc.n)
				}
			}
			if _, err := checkOps(done, tc.n, tc.g, weak); err != nil {
				t.Errorf("g=%d n=%d chunk=%d: %v", tc.g, tc.n, tc.chunk, err)
			}
			checkBrackets(t, bare, pw, pt)
		}
	})
}

// TestLoopsFail checks both loops when an op fails: its error comes
// back, done counts the ops before it exactly, the other goroutines stop
// at their next chunk, and the bracketed loop still ends the failed
// op's bracket. The first worker to reach its 25th op fails there (any
// of them may be the one that gets that far first); the others never
// fail, so only the failure flag stops them short of n ops: each
// begins at most one chunk's ops after the flag is set (a chunk drawn
// just before it was set runs whole).
func TestLoopsFail(t *testing.T) {
	loops(t, func(t *testing.T, bare, weak bool) {
		const g, n, chunk, at = 3, 1_000_000, 10, 25
		boom := errors.New("boom")
		flag, once := new(atomic.Bool), new(atomic.Bool)
		pw, pt, ws, ts := probes(g, bare)
		for _, p := range pw {
			p.at, p.errAt, p.once, p.failed = at, boom, once, flag
		}
		done, _, err := divide(flag, g, n, chunk, weak, func(bool) {}, func(int) {}, func(int) {}, sampleOps(ts, ws))
		if !errors.Is(err, boom) {
			t.Fatalf("err = %v, want boom", err)
		}
		failed := 0
		for w := range g {
			p := pw[w]
			switch {
			case p.ops == at && done[w] == at-1:
				failed++ // the one that failed: the ops before it counted
			case p.ops%chunk != 0 || done[w] != p.ops:
				t.Errorf("goroutine %d did %d ops, done says %d; want a whole number of chunks of %d, all counted", w, p.ops, done[w], chunk)
			}
			if p.after > chunk {
				t.Errorf("goroutine %d began %d ops after the failure flag was set, want at most one chunk (%d)", w, p.after, chunk)
			}
		}
		if failed != 1 {
			t.Errorf("%d goroutines stopped at their op %d with %d counted, want the one that failed", failed, at, at-1)
		}
		checkBrackets(t, bare, pw, pt)
	})
}

// TestLoopsPanic checks both loops when an op panics: a *PanicError
// comes back, and every goroutine still ends its turn.
func TestLoopsPanic(t *testing.T) {
	loops(t, func(t *testing.T, bare, weak bool) {
		const g = 4
		pw, _, ws, ts := probes(g, bare)
		for _, p := range pw {
			p.at, p.panicAt = 7, true
		}
		run := sampleOps(ts, ws)
		var ended atomic.Int32
		_, _, err := divide(new(atomic.Bool), g, 1_000_000, 10, weak, func(bool) {}, func(int) {},
			func(int) { ended.Add(1) }, run)
		var pe *PanicError
		if !errors.As(err, &pe) || pe.Value != "probe" || len(pe.Stack) == 0 {
			t.Fatalf("err = %v, want a *PanicError of the probe's panic with its stack", err)
		}
		if ended.Load() != g {
			t.Errorf("%d goroutines ended their turn, want %d", ended.Load(), g)
		}
	})
}

// TestLoopsStop checks both loops when the sample's failure flag is set
// from outside (the watchdog abandoning it) mid-run: every goroutine
// stops at the end of the chunk it is in, with no error of its own, and
// done still counts what each did. Every worker sets the flag at its
// 5th op, so each did one chunk of 10 ops or none.
func TestLoopsStop(t *testing.T) {
	loops(t, func(t *testing.T, bare, weak bool) {
		const g, n, chunk = 3, 1_000_000, 10
		stop := new(atomic.Bool)
		pw, pt, ws, ts := probes(g, bare)
		for _, p := range pw {
			p.at, p.stop = 5, stop
		}
		run := sampleOps(ts, ws)
		done, _, err := divide(stop, g, n, chunk, weak, func(bool) {}, func(int) {}, func(int) {}, run)
		if err != nil {
			t.Fatalf("err = %v, want none: the flag was set from outside", err)
		}
		var sum int64
		for w := range g {
			if done[w] != pw[w].ops || (done[w] != 0 && done[w] != chunk) {
				t.Errorf("goroutine %d did %d ops, done says %d; want one chunk of %d or none, all counted", w, pw[w].ops, done[w], chunk)
			}
			sum += done[w]
		}
		if sum == 0 {
			t.Error("no goroutine did an op")
		}
		checkBrackets(t, bare, pw, pt)
	})
}
