package bench

import (
	"context"
	"runtime"
	"slices"
	"time"

	"github.com/parbench/parbench/results"
	"github.com/parbench/parbench/workloads"
)

// TimerResolution returns the smallest step of the monotonic clock seen
// between two time.Now calls (the call's own cost included): a bound on
// how short a sample can be timed.
func TimerResolution() time.Duration {
	best := time.Duration(1<<63 - 1)
	for range 200 {
		t0 := time.Now()
		for {
			if d := time.Since(t0); d > 0 {
				best = min(best, d)
				break
			}
		}
	}
	return best
}

// empty is a workload whose op does nothing: it measures the runner.
type empty struct{}

func (empty) NewWorker(workloads.Env) (workloads.Worker, error) { return empty{}, nil }
func (empty) Close() error                                      { return nil }
func (empty) Op() error                                         { return nil }

// EmptyOpCost returns the runner's own cost per op, in nanoseconds: the
// median time per op of three samples of an op that does nothing, at
// one goroutine on one P with no lock, each sample about benchtime
// long. With no lock the sample runs the bare loop (ops.go: one
// increment and one call of Op per op). Compare it with testing.B's
// cost for an empty RunParallel body measured the same way;
// BenchmarkEmptyOp compares the two at GOMAXPROCS 1 and 2.
func EmptyOpCost(ctx context.Context, benchtime time.Duration) (float64, error) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	r, pt, err := emptyPoint(ctx, benchtime, "none", 1)
	if err != nil {
		return 0, err
	}
	var per []float64
	for range 3 {
		s, err := r.sample(pt, pt.ops)
		if err != nil {
			return 0, err
		}
		per = append(per, float64(s.wall)/float64(s.ops))
	}
	slices.Sort(per)
	return per[1], nil
}

// emptyPoint returns a runner of the default config with benchtime and
// its point of the empty op under lock at procs goroutines on procs
// Ps, calibrated as a sweep's would be (its ops and chunk set), for
// EmptyOpCost and BenchmarkEmptyOp. Its samples, the calibration's
// among them, set GOMAXPROCS to procs: the caller restores it.
func emptyPoint(ctx context.Context, benchtime time.Duration, lock string, procs int) (*runner, *point, error) {
	c := DefaultConfig()
	c.Benchtime = benchtime
	r := newRunner(ctx, c)
	pt := &point{Point: results.Point{Workload: "empty", Lock: lock, Goroutines: procs, Procs: procs}, inst: empty{}}
	if err := r.calibrate(pt); err != nil {
		return nil, nil, err
	}
	return r, pt, nil
}
