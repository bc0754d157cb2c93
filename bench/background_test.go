package bench

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parbench/parbench/workloads"
)

// bgWorkload is countWorkload with background goroutines that count
// their ops and how many are running.
type bgWorkload struct{ n int }

func (bgWorkload) Name() string    { return "test/background" }
func (bgWorkload) Summary() string { return "test workload with background goroutines" }
func (w bgWorkload) Start(workloads.Params) (workloads.Instance, error) {
	return &bgInstance{n: w.n}, nil
}

type bgInstance struct {
	n              int
	bgOps, running atomic.Int64
}

func (in *bgInstance) NewWorker(env workloads.Env) (workloads.Worker, error) {
	return fnWorker(func() error {
		workloads.Spin(env, 5)
		return nil
	}), nil
}
func (in *bgInstance) Close() error    { return nil }
func (in *bgInstance) Background() int { return in.n }
func (in *bgInstance) NewBackground(env workloads.Env) (workloads.Worker, error) {
	started := false
	return fnWorker(func() error {
		if !started {
			started = true
			in.running.Add(1)
		}
		in.bgOps.Add(1)
		workloads.Spin(env, 5)
		return nil
	}), nil
}

type fnWorker func() error

func (f fnWorker) Op() error    { return f() }
func (f fnWorker) Close() error { return nil }

// TestBackground checks the runner's background goroutines: they run
// under the sample's lock beside the measured ops, their ops are not
// counted, and every one has stopped when the sample ends.
func TestBackground(t *testing.T) {
	for _, lock := range []string{"none", "gil", "gil-old", "mutex"} {
		t.Run(lock, func(t *testing.T) {
			w := bgWorkload{n: 2}
			in, _ := w.Start(workloads.Params{})
			pt := &point{inst: in, ops: 200, chunk: 10}
			pt.Lock, pt.Goroutines, pt.Procs = lock, 1, 2
			c := testConfig(w)
			c.LockOpts.SwitchInterval = 50 * time.Microsecond
			r := newRunner(context.Background(), c)
			s, err := r.sample(pt, pt.ops)
			if err != nil {
				t.Fatal(err)
			}
			bi := in.(*bgInstance)
			if s.ops != 200 {
				t.Errorf("%d ops counted, want the 200 measured ones only", s.ops)
			}
			after := bi.bgOps.Load()
			if after == 0 {
				t.Errorf("no background op ran")
			}
			time.Sleep(time.Millisecond)
			if bi.bgOps.Load() != after {
				t.Errorf("background ops went on after the sample")
			}
			if lock != "none" && !hasUnit(s, "switches/s") {
				t.Errorf("no lock figures in %v", s.metrics)
			}
		})
	}
}

func hasUnit(s sampleResult, unit string) bool {
	for _, m := range s.metrics {
		if strings.EqualFold(m.Unit, unit) {
			return true
		}
	}
	return false
}
