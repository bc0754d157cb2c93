package cli

import (
	"context"
	"flag"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/parbench/parbench/bench"
	"github.com/parbench/parbench/results"
)

// calibrationTime is how long each half of the calibration measures.
const calibrationTime = 25 * time.Millisecond

// calibrationNote measures what a run's numbers stand on: the timer's
// resolution, and the cost of one empty op through parbench's runner
// next to testing.B's RunParallel, both at one goroutine on one P. A
// runner cost far above testing.B's would mean the harness, not the
// workload, is being measured.
func calibrationNote(ctx context.Context) results.Note {
	v := fmt.Sprintf("timer-resolution=%v", bench.TimerResolution())
	if ns, err := bench.EmptyOpCost(ctx, calibrationTime); err == nil {
		v += fmt.Sprintf(" runner-empty-op=%.2fns", ns)
	} else {
		v += " runner-empty-op=failed:" + err.Error()
	}
	if ns, err := testingBEmptyOp(calibrationTime); err == nil {
		v += fmt.Sprintf(" testing-b-empty-op=%.2fns", ns)
	} else {
		v += " testing-b-empty-op=failed:" + err.Error()
	}
	return results.Note{Key: results.NoteCalibration, Value: v}
}

var testingInit sync.Once

// testingBEmptyOp is testing.B's cost per op of an empty RunParallel
// body at GOMAXPROCS 1, in nanoseconds: the median of three runs of
// about d each, the estimator bench.EmptyOpCost uses for the runner (a
// single run beside a median of three would favour the runner, timing
// noise being skewed upwards). It fails if -test.benchtime cannot be
// set to d or back.
func testingBEmptyOp(d time.Duration) (ns float64, err error) {
	testingInit.Do(testing.Init) // registers -test.benchtime outside `go test`
	if f := flag.Lookup("test.benchtime"); f != nil {
		old := f.Value.String()
		if err := f.Value.Set(d.String()); err != nil {
			return 0, fmt.Errorf("-test.benchtime %v: %w", d, err)
		}
		defer func() {
			if rerr := f.Value.Set(old); rerr != nil && err == nil {
				err = fmt.Errorf("restoring -test.benchtime %s: %w", old, rerr)
			}
		}()
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	var runs [3]float64
	for i := range runs {
		r := testing.Benchmark(func(b *testing.B) {
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
				}
			})
		})
		if r.N > 0 {
			runs[i] = float64(r.T.Nanoseconds()) / float64(r.N)
		}
	}
	slices.Sort(runs[:])
	return runs[1], nil
}
