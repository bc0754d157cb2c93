package mapworkloads_test

import (
	"sync"
	"sync/atomic"
	"testing"

	_ "example.com/mapbench/mapworkloads"
	"github.com/parbench/parbench/results"
	"github.com/parbench/parbench/workloads"
)

// countEnv counts a worker's Env calls.
type countEnv struct{ checks, ticks, ios atomic.Int64 }

func (e *countEnv) Check(ticks int) { e.checks.Add(1); e.ticks.Add(int64(ticks)) }
func (e *countEnv) BeginIO()        { e.ios.Add(1) }
func (e *countEnv) EndIO()          {}

// TestRegistered finds the three workloads by their family, as
// `mapbench run --workloads mapbench` does, each with its class.
func TestRegistered(t *testing.T) {
	ws, err := workloads.Lookup("mapbench")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, w := range ws {
		names = append(names, w.Name())
		if c := workloads.ClassOf(w); c != results.ClassCPU {
			t.Errorf("%s: class %q, want %q", w.Name(), c, results.ClassCPU)
		}
	}
	want := []string{"mapbench/json", "mapbench/mutex", "mapbench/sharded"}
	if len(names) != len(want) {
		t.Fatalf("Lookup(mapbench) = %v, want %v", names, want)
	}
	for i := range want {
		if names[i] != want[i] {
			t.Fatalf("Lookup(mapbench) = %v, want %v", names, want)
		}
	}
}

// TestOps runs ops of each workload on three goroutines sharing one
// Instance, as the runner does: every op passes its own check, every
// op marks its CPU work with Check and none claims to block.
func TestOps(t *testing.T) {
	ws, err := workloads.Lookup("mapbench")
	if err != nil {
		t.Fatal(err)
	}
	const goroutines, ops = 3, 200
	for _, w := range ws {
		t.Run(w.Name(), func(t *testing.T) {
			in, err := w.Start(workloads.DefaultParams())
			if err != nil {
				t.Fatal(err)
			}
			defer in.Close()
			env := &countEnv{}
			var wg sync.WaitGroup
			errs := make(chan error, goroutines)
			for range goroutines {
				wk, err := in.NewWorker(env)
				if err != nil {
					t.Fatal(err)
				}
				wg.Go(func() {
					defer wk.Close()
					for range ops {
						if err := wk.Op(); err != nil {
							errs <- err
							return
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			if n := env.checks.Load(); n < goroutines*ops {
				t.Errorf("%d Checks in %d ops: each op must mark its CPU work", n, goroutines*ops)
			}
			if n := env.ticks.Load(); n < 10*goroutines*ops {
				t.Errorf("%d ticks in %d ops: an op stands for more than 10 (workloads.TickTime)", n, goroutines*ops)
			}
			if n := env.ios.Load(); n != 0 {
				t.Errorf("%d IO sections: nothing here blocks", n)
			}
		})
	}
}
