package gil

import (
	"sync"
	"testing"
	"time"
)

// The cost of the locks on the timed path, where the runner calls them
// on every op: the accounting must not add to it what only a
// watchdog's dump needs.

// BenchmarkMutexOp is one goroutine's OpStart/OpEnd under lock=mutex:
// the uncontended take and drop the runner pays on every op.
func BenchmarkMutexOp(b *testing.B) {
	th := NewMutex().Thread()
	th.Start()
	defer th.Stop()
	for b.Loop() {
		th.OpStart()
		th.OpEnd()
	}
}

// BenchmarkGILIO is one goroutine's BeginIO/EndIO under lock=gil: a drop
// and a take with no other goroutine to hand over to.
func BenchmarkGILIO(b *testing.B) {
	th := NewGIL(DefaultOptions().SwitchInterval).Thread()
	th.Start()
	defer th.Stop()
	for b.Loop() {
		th.BeginIO()
		th.EndIO()
	}
}

// BenchmarkGILIOContended is two goroutines that each drop the GIL for
// IO and take it back: an op is one BeginIO/EndIO of either goroutine.
// Most drops signal the other goroutine, and most takes find the GIL
// free before it runs; the holder changes about once a switch interval
// (a drop request, then a forced switch), which switches/op reports.
func BenchmarkGILIOContended(b *testing.B) {
	g := NewGIL(DefaultOptions().SwitchInterval)
	ths := []Thread{g.Thread(), g.Thread()}
	var wg sync.WaitGroup
	t0 := time.Now()
	b.ResetTimer()
	for i, th := range ths {
		n := b.N / 2
		if i == 0 {
			n = b.N - n
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			th.Start()
			defer th.Stop()
			for range n {
				th.BeginIO()
				th.EndIO()
			}
		}()
	}
	wg.Wait()
	wall := time.Since(t0)
	for _, m := range g.Metrics(wall) {
		if m.Unit == UnitSwitches {
			b.ReportMetric(m.Value*wall.Seconds()/float64(b.N), "switches/op")
		}
	}
}
