package bench

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"
)

// BenchmarkEmptyOp is the runner's own cost per op beside testing.B's:
// an op that does nothing, through a whole sample of the runner (lock
// none, one goroutine per P) and through RunParallel, at GOMAXPROCS 1
// and 2. Compare the two ns/op of each procs= with benchstat; the goal
// is the runner within 2x of testing.B. Speed is measured here, not
// asserted in a test: the machines are small and noisy.
func BenchmarkEmptyOp(b *testing.B) {
	for _, procs := range []int{1, 2} {
		b.Run(fmt.Sprintf("runner/procs=%d", procs), func(b *testing.B) {
			benchRunnerEmpty(b, "none", procs)
		})
		b.Run(fmt.Sprintf("testing.B/procs=%d", procs), func(b *testing.B) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
				}
			})
		})
	}
}

// BenchmarkEmptyOpLocked is the same empty op through the runner under
// the lock modes that bracket each op or none: the cost of the
// bracketed loop (mutex) beside the bare one (none, gil).
func BenchmarkEmptyOpLocked(b *testing.B) {
	for _, lock := range []string{"none", "gil", "mutex"} {
		b.Run("lock="+lock, func(b *testing.B) { benchRunnerEmpty(b, lock, 1) })
	}
}

// benchRunnerEmpty times b.N empty ops as one runner sample at procs
// goroutines on procs Ps, its chunk calibrated as a sweep's would be.
func benchRunnerEmpty(b *testing.B, lock string, procs int) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	r, pt, err := emptyPoint(context.Background(), 10*time.Millisecond, lock, procs)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	s, err := r.sample(pt, int64(max(b.N, procs)))
	if err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	// The sample's own wall time, not the GC and goroutine start-up
	// around it: what the runner reports as sec/op.
	b.ReportMetric(float64(s.wall.Nanoseconds())/float64(s.ops), "runner-ns/op")
}
