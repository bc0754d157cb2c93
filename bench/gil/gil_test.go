package gil

import (
	"errors"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// lockModes are the modes that serialise CPU work.
var lockModes = []string{"gil", "gil-old", "mutex"}

// testOptions makes every mode switch often: a short switch interval and
// a release every other check.
func testOptions() Options {
	return Options{SwitchInterval: 20 * time.Microsecond, CheckInterval: 1}
}

func newLock(t testing.TB, mode string, opts Options) Lock {
	t.Helper()
	l, err := New(mode, opts)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// statsOf returns the accounting of a locking mode.
func statsOf(t testing.TB, l Lock) *stats {
	t.Helper()
	switch l := l.(type) {
	case *GIL:
		return &l.stats
	case *OldGIL:
		return &l.stats
	case *Mutex:
		return &l.stats
	}
	t.Fatalf("mode %s has no accounting", l.Name())
	return nil
}

// runThreads runs body on g goroutines, each with its own Thread of l
// between Start and Stop, and fails the test if they are not all done
// within limit: a deadlock or a lost wake-up fails instead of hanging.
// It returns the wall time from before the first Start to after the
// last Stop.
func runThreads(t *testing.T, l Lock, g int, limit time.Duration, body func(w int, th Thread)) time.Duration {
	t.Helper()
	threads := make([]Thread, g)
	for i := range threads {
		threads[i] = l.Thread()
	}
	var wg sync.WaitGroup
	t0 := time.Now()
	for w, th := range threads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			th.Start()
			defer th.Stop()
			body(w, th)
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(limit):
		buf := make([]byte, 1<<20)
		n := runtime.Stack(buf, true)
		t.Fatalf("%d goroutines under %s not done after %v: deadlock or lost wake-up\n%s", g, l.Name(), limit, buf[:n])
	}
	return time.Since(t0)
}

// randomOps does rounds ops of random shape: CPU sections between
// checks, IO sections of random length, yields in random places. Inside
// each CPU section it counts itself in occ, and counts a violation when
// someone else is in there too.
func randomOps(th Thread, rng *rand.Rand, rounds int, occ, violations *atomic.Int32) {
	for range rounds {
		th.OpStart()
		for range rng.IntN(20) + 1 {
			if occ.Add(1) != 1 {
				violations.Add(1)
			}
			if rng.IntN(4) == 0 {
				runtime.Gosched()
			}
			for range rng.IntN(200) {
				occ.Load()
			}
			occ.Add(-1)
			th.Check(1)
			if rng.IntN(8) == 0 {
				th.BeginIO()
				if rng.IntN(2) == 0 {
					runtime.Gosched()
				} else {
					time.Sleep(time.Duration(rng.IntN(30)) * time.Microsecond)
				}
				th.EndIO()
			}
		}
		th.OpEnd()
	}
}

// TestMutualExclusion runs random schedules and checks that no two
// goroutines are ever inside a CPU section at once.
func TestMutualExclusion(t *testing.T) {
	for _, mode := range lockModes {
		for seed := range uint64(3) {
			t.Run(mode+"/seed="+string(rune('0'+seed)), func(t *testing.T) {
				var occ, violations atomic.Int32
				l := newLock(t, mode, testOptions())
				runThreads(t, l, 5, time.Minute, func(w int, th Thread) {
					randomOps(th, rand.New(rand.NewPCG(seed, uint64(w))), 100, &occ, &violations)
				})
				if v := violations.Load(); v != 0 {
					t.Errorf("%d times a goroutine entered a CPU section that another was in", v)
				}
			})
		}
	}
}

// TestNoneDoesNotExclude checks that the stress body really overlaps
// CPU sections when nothing serialises them, so that the mutual
// exclusion test can fail. It needs two Ps, and luck; it only logs.
func TestNoneDoesNotExclude(t *testing.T) {
	var occ, violations atomic.Int32
	runThreads(t, newLock(t, "none", testOptions()), 4, time.Minute, func(w int, th Thread) {
		randomOps(th, rand.New(rand.NewPCG(9, uint64(w))), 100, &occ, &violations)
	})
	t.Logf("mode none: %d overlapping CPU sections", violations.Load())
}

// TestForcedSwitching checks that a holder that drops on request does
// not run on until another goroutine has held the GIL: across its
// Check, the switch counter moves at least twice (to another goroutine
// and back).
func TestForcedSwitching(t *testing.T) {
	for _, g := range []int{2, 3, 5} {
		t.Run(string(rune('0'+g))+"goroutines", func(t *testing.T) {
			l := NewGIL(50 * time.Microsecond)
			var forced, bad atomic.Int32
			runThreads(t, l, g, time.Minute, func(_ int, th Thread) {
				for i := 0; forced.Load() < 50 && i < 1e7; i++ {
					// We hold the GIL: only we may clear the request,
					// and only a take moves the counter.
					if !l.dropRequest.Load() {
						th.Check(1)
						continue
					}
					l.mu.Lock()
					before := l.switches
					l.mu.Unlock()
					th.Check(1)
					forced.Add(1)
					l.mu.Lock()
					after := l.switches
					l.mu.Unlock()
					if after < before+2 {
						bad.Add(1)
					}
				}
			})
			if forced.Load() == 0 {
				t.Fatal("no drop request in 1e7 checks")
			}
			if b := bad.Load(); b != 0 {
				t.Errorf("%d of %d drops on request were followed by the same holder", b, forced.Load())
			}
		})
	}
}

// TestForcedSwitchAtIO checks that a drop before IO with a drop request
// pending also waits for the hand-off, as drop_gil does.
func TestForcedSwitchAtIO(t *testing.T) {
	l := NewGIL(20 * time.Microsecond)
	a, b := l.Thread().(*newThread), l.Thread().(*newThread)
	a.Start()
	bTook := make(chan struct{})
	bDone := make(chan struct{})
	go func() {
		b.Start()
		close(bTook)
		<-bDone
		b.Stop()
	}()
	for !l.dropRequest.Load() {
		runtime.Gosched()
	}
	a.BeginIO()
	l.mu.Lock()
	holder := l.lastHolder
	l.mu.Unlock()
	if holder != b {
		t.Errorf("BeginIO with a drop request pending returned before the waiter took the GIL")
	}
	<-bTook
	close(bDone)
	a.EndIO()
	a.Stop()
}

// TestIOReleases checks that a goroutine blocked in IO does not hold the
// lock: another goroutine takes it, runs and ends while the first is
// still inside its IO section.
func TestIOReleases(t *testing.T) {
	for _, mode := range []string{"none", "gil", "gil-old"} {
		t.Run(mode, func(t *testing.T) {
			l := newLock(t, mode, testOptions())
			inIO := make(chan struct{})
			otherDone := make(chan struct{})
			runThreads(t, l, 2, time.Minute, func(w int, th Thread) {
				if w == 0 {
					th.Check(1)
					th.BeginIO()
					close(inIO)
					<-otherDone // blocks for good if IO kept the lock
					th.EndIO()
					th.Check(1)
					return
				}
				th.BeginIO() // wait for the other's IO without the lock
				<-inIO
				th.EndIO()
				for range 100 {
					th.Check(1)
				}
				close(otherDone)
			})
		})
	}
}

// TestStress runs many goroutines with tiny intervals through random
// schedules; it fails on a deadlock or a lost wake-up instead of
// hanging.
func TestStress(t *testing.T) {
	opts := Options{SwitchInterval: time.Microsecond, CheckInterval: 1}
	for _, mode := range lockModes {
		t.Run(mode, func(t *testing.T) {
			var occ, violations atomic.Int32
			l := newLock(t, mode, opts)
			runThreads(t, l, 32, 2*time.Minute, func(w int, th Thread) {
				randomOps(th, rand.New(rand.NewPCG(uint64(w), 7)), 30, &occ, &violations)
			})
			if v := violations.Load(); v != 0 {
				t.Errorf("%d mutual exclusion violations", v)
			}
		})
	}
}

// TestAccounting checks that the figures add up: one holder at a time
// means summed tenure and hand-off gaps fit in the wall time; waiting
// fits in each goroutine's time; every holder change has a hand-off;
// and the reported rate is the count over the wall time.
func TestAccounting(t *testing.T) {
	for _, mode := range lockModes {
		t.Run(mode, func(t *testing.T) {
			var occ, violations atomic.Int32
			l := newLock(t, mode, testOptions())
			const g = 4
			wall := runThreads(t, l, g, time.Minute, func(w int, th Thread) {
				randomOps(th, rand.New(rand.NewPCG(42, uint64(w))), 100, &occ, &violations)
			})
			s := statsOf(t, l)
			switches := s.switches.Load()
			if s.tenure.n == 0 || switches == 0 {
				t.Fatalf("no tenure (%d) or no switch (%d) recorded", s.tenure.n, switches)
			}
			if s.tenure.sum+s.handoff.sum > wall {
				t.Errorf("tenure %v + hand-off %v > wall %v: two holders at once", s.tenure.sum, s.handoff.sum, wall)
			}
			if s.handoff.n != switches {
				t.Errorf("%d hand-offs for %d switches", s.handoff.n, switches)
			}
			if s.inOrder > s.turns || s.turns > switches {
				t.Errorf("in order %d, turns %d, switches %d: want in order <= turns <= switches", s.inOrder, s.turns, switches)
			}
			var active time.Duration
			for i, th := range s.threads {
				if th.waited > th.active {
					t.Errorf("thread %d waited %v of %v", i, th.waited, th.active)
				}
				active += th.active
			}
			if active > g*wall {
				t.Errorf("goroutine time %v > %d x wall %v", active, g, wall)
			}
			if gl, ok := l.(*GIL); ok && gl.switches != uint64(switches)+1 {
				t.Errorf("switch_number %d, want the %d accounted holder changes + the first take", gl.switches, switches)
			}
			got := map[string]float64{}
			for _, m := range l.Metrics(wall) {
				got[m.Unit] = m.Value
			}
			if want := float64(switches) / wall.Seconds(); math.Abs(got[UnitSwitches]-want) > 1e-9*want {
				t.Errorf("%s = %v, want %v", UnitSwitches, got[UnitSwitches], want)
			}
			if w := got[UnitWait]; !(w > 0 && w < 1) {
				t.Errorf("%s = %v, want in (0, 1) with 4 goroutines contending", UnitWait, w)
			}
			for _, u := range []string{UnitTenure, UnitHandoff, UnitInOrder} {
				if _, ok := got[u]; !ok {
					t.Errorf("no %s in %v", u, got)
				}
			}
		})
	}
}

// TestTurnOrder checks the hand-over order of CPU-bound goroutines under
// the GIL: two alternate strictly; four are woken at random, so they do
// not take turns in order (with 200 turns, all in order would happen
// with a chance of about 3^-200).
func TestTurnOrder(t *testing.T) {
	for _, tc := range []struct {
		g          int
		allInOrder bool
	}{{2, true}, {4, false}} {
		t.Run(string(rune('0'+tc.g))+"goroutines", func(t *testing.T) {
			l := NewGIL(20 * time.Microsecond)
			var stop atomic.Bool
			runThreads(t, l, tc.g, time.Minute, func(_ int, th Thread) {
				for i := 0; !stop.Load() && i < 1e8; i++ {
					th.Check(1)
					if i%64 == 0 {
						l.mu.Lock()
						if l.stats.turns >= 200 {
							stop.Store(true)
						}
						l.mu.Unlock()
					}
				}
			})
			s := &l.stats
			if s.turns < 200 {
				t.Fatalf("only %d turns", s.turns)
			}
			if got := s.inOrder == s.turns; got != tc.allInOrder {
				t.Errorf("%d goroutines: %d of %d turns in order", tc.g, s.inOrder, s.turns)
			}
		})
	}
}

// TestSem checks the GILs' semaphore (sem.go) under contention, counting
// with a plain int that the race detector watches.
func TestSem(t *testing.T) {
	s := newSem()
	var wg sync.WaitGroup
	n := 0
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 2000 {
				s.Lock()
				n++
				if i%7 == 0 {
					runtime.Gosched()
				}
				s.Unlock()
			}
		}()
	}
	wg.Wait()
	if n != 8*2000 {
		t.Errorf("n = %d, want %d", n, 8*2000)
	}
}

func TestHistQuantile(t *testing.T) {
	for _, tc := range []struct {
		name   string
		values []time.Duration
		q      float64
		want   time.Duration
	}{
		{"empty", nil, 0.5, 0},
		{"exact below 64ns", []time.Duration{3, 5, 40}, 0.5, 5},
		{"one value", []time.Duration{5 * time.Millisecond}, 0.5, 5 * time.Millisecond},
		{"median of many", []time.Duration{time.Microsecond, 2 * time.Microsecond, 5 * time.Millisecond, 6 * time.Millisecond, 7 * time.Millisecond}, 0.5, 5 * time.Millisecond},
		{"max", []time.Duration{time.Microsecond, time.Second}, 1, time.Second},
		{"negative is zero", []time.Duration{-5}, 0.5, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var h hist
			for _, v := range tc.values {
				h.add(v)
			}
			got := h.quantile(tc.q)
			if math.Abs(float64(got-tc.want)) > 0.032*float64(tc.want) {
				t.Errorf("quantile(%v) = %v, want %v within 3.2%%", tc.q, got, tc.want)
			}
		})
	}
}

func TestHistBuckets(t *testing.T) {
	prev := -1
	for v := uint64(1); v < 1<<60; v += v/8 + 1 {
		i := histBucket(v)
		if i < prev || i >= histBuckets {
			t.Fatalf("bucket(%d) = %d after %d (of %d)", v, i, prev, histBuckets)
		}
		if mid := histValue(i); math.Abs(float64(mid)-float64(v)) > 0.032*float64(v) {
			t.Fatalf("value %d in a bucket of middle %d", v, mid)
		}
		prev = i
	}
}

func TestNewUnknown(t *testing.T) {
	if _, err := New("gil-new", DefaultOptions()); !errors.Is(err, ErrUnknownMode) {
		t.Errorf("New(gil-new): %v, want ErrUnknownMode", err)
	}
	for _, m := range Modes() {
		if l := newLock(t, m, DefaultOptions()); l.Name() != m {
			t.Errorf("New(%q).Name() = %q", m, l.Name())
		}
	}
}
