package gil

import (
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"
)

// manySleepers runs n goroutines under one GIL that each do cycles
// BeginIO / sleep(io) / EndIO, the way io/sleep does, and returns the
// GIL and the wall time. It is the many-waiter case: with more
// goroutines than the GIL can serve in one io, most of them wait on the
// condition at any time.
func manySleepers(tb testing.TB, n, cycles int, io time.Duration) (*GIL, time.Duration) {
	tb.Helper()
	g := NewGIL(DefaultOptions().SwitchInterval)
	ths := make([]Thread, n)
	for i := range ths {
		ths[i] = g.Thread()
	}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for _, th := range ths {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			th.Start()
			for range cycles {
				th.BeginIO()
				time.Sleep(io)
				th.EndIO()
			}
			th.Stop()
		}()
	}
	t0 := time.Now()
	close(start)
	wg.Wait()
	return g, time.Since(t0)
}

// BenchmarkGILManySleepers is io/sleep under gil at 100 to 100,000
// goroutines: an op is one BeginIO/sleep(1ms)/EndIO cycle. The cost of
// an op, and of a switch (switch-ns), must not grow with the number of
// goroutines waiting: with one timer per waiter it did, to a cliff.
func BenchmarkGILManySleepers(b *testing.B) {
	for _, n := range []int{100, 1000, 10000, 100000} {
		b.Run(fmt.Sprintf("goroutines=%d", n), func(b *testing.B) {
			cycles := max(b.N/n, 1)
			g, wall := manySleepers(b, n, cycles, time.Millisecond)
			ops := n * cycles
			b.ReportMetric(float64(wall.Nanoseconds())/float64(ops), "ns/cycle")
			if sw := g.stats.switches.Load(); sw > 0 {
				b.ReportMetric(float64(wall.Nanoseconds())/float64(sw), "switch-ns")
			}
			b.ReportMetric(0, "ns/op")
		})
	}
}

// TestManyWaiters runs io/sleep's cycle (BeginIO, a 1ms sleep, EndIO)
// three times in each of 100,000 goroutines under one GIL on 2 Ps, the
// point that timed out before: with one timer per waiter the timer
// wake-ups grew with the waiters and starved the hand-offs. All must
// finish, leaving the GIL free, no waiter queued and the clock
// goroutine gone. Under the race detector, which allows 8128 live
// goroutines, it runs 8,000.
func TestManyWaiters(t *testing.T) {
	n := 100000
	if raceEnabled {
		n = 8000
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	done := make(chan struct{})
	var g *GIL
	go func() {
		g, _ = manySleepers(t, n, 3, time.Millisecond)
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		t.Fatalf("%d goroutines did not finish 3 cycles each in 2 minutes", n)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.locked || len(g.waiters) != 0 || g.switchWait != nil {
		t.Errorf("after all stopped: locked=%t, %d waiters, switch wait %v", g.locked, len(g.waiters), g.switchWait)
	}
	if _, ok := g.timeouts.next(); ok {
		t.Error("a timed wait is still queued")
	}
	if g.stats.switches.Load() == 0 {
		t.Error("no switch between goroutines")
	}
	for _, th := range g.stats.threads {
		if Phase(th.phase.Load()) != PhaseStopped {
			t.Fatalf("thread %d is %v, want stopped", th.id, Phase(th.phase.Load()))
		}
	}
	// The clock goroutine ends clockLinger after the last wait.
	deadline := time.Now().Add(10 * time.Second)
	for g.clock.on {
		if time.Now().After(deadline) {
			t.Fatal("the clock goroutine still runs 10s after the last wait")
		}
		g.mu.Unlock()
		time.Sleep(10 * time.Millisecond)
		g.mu.Lock()
	}
}
