package gil

import (
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/parbench/parbench/workloads"
)

// TestOldGILTicker checks that gil-old counts ticks down as CPython 2's
// _Py_Ticker does: the tick that takes the ticker below zero releases
// the lock (so a holder releases every interval+1 ticks), a check of
// many ticks releases once, and the ticks past zero count towards the
// next release. A release is a drop, so it shows as one tenure.
func TestOldGILTicker(t *testing.T) {
	ones := func(n int) []int { return slices.Repeat([]int{1}, n) }
	for _, tc := range []struct {
		name     string
		interval int
		checks   []int
		releases int64
	}{
		{"99 ticks", 100, ones(99), 0},
		{"100 ticks: the ticker is at zero", 100, ones(100), 0},
		{"101 ticks: below zero", 100, ones(101), 1},
		{"one check of 100", 100, []int{100}, 0},
		{"one check of 250", 100, []int{250}, 1},
		{"250 then 52: the phase is kept", 100, []int{250, 52}, 1},
		{"250 then 53", 100, []int{250, 53}, 2},
		{"checks of 0 ticks", 100, slices.Repeat([]int{0}, 1000), 0},
		{"30,000 ticks in checks of 30", 100, slices.Repeat([]int{30}, 1000), 30000 / 101},
		{"interval 1: every other tick", 1, ones(10), 5},
		{"interval 1, checks of 1000", 1, slices.Repeat([]int{1000}, 7), 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewOldGIL(tc.interval)
			th := g.Thread()
			th.Start()
			for _, n := range tc.checks {
				th.Check(n)
			}
			if got := g.stats.tenure.n; got != tc.releases {
				t.Errorf("%d releases, want %d", got, tc.releases)
			}
			th.Stop()
		})
	}
}

// TestOldGILBattle runs CPython 2's GIL battle: under gil-old at the
// default check interval, two goroutines hashing (cpu/sha256) on two Ps
// release the lock at every op (~3µs, ~320 ticks) and wake each other,
// and the two together must run slower than one alone (CPython 2.7 here:
// 0.58-1.11x, median ~0.8x). Rounds of 1 and 2 goroutines are
// interleaved, and the same rounds under "none" tell whether two CPUs
// were free: where gil-old gained on a machine too busy for "none" to
// gain from the second goroutine, the test skips rather than fail.
//
// On the 2-CPU VM the median of 9 rounds was 0.82-0.96x on a quiet
// machine and lower on a busy one; the old one-tick-per-check gil-old
// gave 0.96-1.03x. So a median at or above 1x gets one more try: the
// test fails a lock that lets CPU work overlap every time, and the old
// tick about one time in four.
func TestOldGILBattle(t *testing.T) {
	if runtime.NumCPU() < 2 {
		t.Skipf("needs 2 CPUs, has %d", runtime.NumCPU())
	}
	if raceEnabled {
		t.Skip("the race detector's cost per op hides the lock's")
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	if p := runtime.GOMAXPROCS(0); p != 2 {
		t.Skipf("GOMAXPROCS is %d, not 2", p)
	}
	ws, err := workloads.Lookup("cpu/sha256")
	if err != nil {
		t.Fatal(err)
	}
	in, err := ws[0].Start(workloads.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	const (
		ops    = 20000 // the whole work, ~60-80ms on one core
		rounds = 9
	)
	// elapsed runs the ops split over g goroutines under mode.
	elapsed := func(mode string, g int) time.Duration {
		l := newLock(t, mode, DefaultOptions())
		workers := make([]workloads.Worker, g)
		threads := make([]Thread, g)
		for i := range workers {
			threads[i] = l.Thread()
			if workers[i], err = in.NewWorker(threads[i]); err != nil {
				t.Fatal(err)
			}
		}
		var wg sync.WaitGroup
		t0 := time.Now()
		for i, th := range threads {
			wg.Go(func() {
				th.Start()
				defer th.Stop()
				for range ops / g {
					if err := workers[i].Op(); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		return time.Since(t0)
	}
	var mNone, mOld float64
	for try := range 2 {
		var none, old []float64 // throughput of 2 goroutines over 1, per round
		for range rounds {
			none = append(none, float64(elapsed("none", 1))/float64(elapsed("none", 2)))
			old = append(old, float64(elapsed("gil-old", 1))/float64(elapsed("gil-old", 2)))
		}
		slices.Sort(none)
		slices.Sort(old)
		mNone, mOld = none[rounds/2], old[rounds/2]
		t.Logf("try %d: 2 goroutines over 1, median of %d rounds: none %.2fx (%.2f-%.2f), gil-old %.2fx (%.2f-%.2f)",
			try+1, rounds, mNone, none[0], none[rounds-1], mOld, old[0], old[rounds-1])
		if mOld < maxBattle {
			return
		}
	}
	if mNone < 1.7 {
		t.Skipf("the machine is busy: 2 goroutines under none ran only %.2fx as fast as 1, so a second CPU was not free to fight over the lock", mNone)
	}
	t.Errorf("gil-old: 2 CPU-bound goroutines on 2 free CPUs ran %.2fx as fast as 1 in two tries, want below %.2f: no GIL battle", mOld, maxBattle)
}

// maxBattle is the most TestOldGILBattle lets 2 goroutines run as fast
// as 1: slower, as in CPython 2.
const maxBattle = 1.0
