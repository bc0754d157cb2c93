package workloads_test

import (
	"net"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parbench/parbench/workloads"
)

// countEnv counts the calls a workload makes, and checks that IO
// sections are balanced and never nested.
type countEnv struct {
	checks, ios atomic.Int64
	inIO        atomic.Int32
	bad         atomic.Int32
}

func (e *countEnv) Check(ticks int) {
	e.checks.Add(1)
	if e.inIO.Load() != 0 {
		e.bad.Add(1) // CPU work inside an IO section
	}
}
func (e *countEnv) BeginIO() {
	e.ios.Add(1)
	if e.inIO.Add(1) != 1 {
		e.bad.Add(1)
	}
}
func (e *countEnv) EndIO() {
	if e.inIO.Add(-1) != 0 {
		e.bad.Add(1)
	}
}

// TestEveryWorkload runs a few ops of every registered workload on three
// goroutines, checks each op's own verification passes, that CPU work
// calls Check and blocking work sits in IO sections, and that Close
// releases what Start made.
func TestEveryWorkload(t *testing.T) {
	p := workloads.DefaultParams()
	p.IOLatency = 100 * time.Microsecond
	p.OpTime = 200 * time.Microsecond
	for _, w := range workloads.All() {
		t.Run(w.Name(), func(t *testing.T) {
			if testing.Short() && w.Name() == "cpu/stream" {
				t.Skip("allocates 192 MiB")
			}
			p := p
			p.TempDir = t.TempDir()
			in, err := w.Start(p)
			if err != nil {
				t.Fatal(err)
			}
			envs := make([]*countEnv, 3)
			var wg sync.WaitGroup
			errs := make(chan error, 3)
			for i := range envs {
				envs[i] = &countEnv{}
				wk, err := in.NewWorker(envs[i])
				if err != nil {
					t.Fatal(err)
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					defer wk.Close()
					for range 5 {
						if err := wk.Op(); err != nil {
							errs <- err
							return
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			var checks, ios int64
			for _, e := range envs {
				checks += e.checks.Load()
				ios += e.ios.Load()
				if e.bad.Load() != 0 || e.inIO.Load() != 0 {
					t.Errorf("unbalanced or nested IO sections, or CPU work inside IO")
				}
			}
			family := workloads.Family(w.Name())
			if (family == "cpu" || w.Name() == "mixed") && checks < 15 {
				t.Errorf("%d checks in 15 ops of CPU work, want at least one per op", checks)
			}
			if (family == "io" || w.Name() == "mixed") && ios != 15 {
				t.Errorf("%d IO sections in 15 ops, want 15", ios)
			}
			if addr, ok := in.(interface{ Addr() net.Addr }); ok {
				defer func() {
					if c, err := net.Dial("tcp", addr.Addr().String()); err == nil {
						c.Close()
						t.Errorf("server at %s still accepts after Close", addr.Addr())
					}
				}()
			}
			if err := in.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			left, _ := filepath.Glob(filepath.Join(p.TempDir, "*"))
			if len(left) != 0 {
				t.Errorf("files left after Close: %v", left)
			}
		})
	}
}

func TestLookup(t *testing.T) {
	for _, tc := range []struct {
		pattern string
		min     int
		err     bool
	}{
		{"all", 8, false}, {"cpu", 4, false}, {"cpu/*", 4, false}, {"io/", 3, false},
		{"cpu/sha256", 1, false}, {"mixed", 1, false}, {"gpu", 0, true}, {"cpu/sha1", 0, true},
	} {
		ws, err := workloads.Lookup(tc.pattern)
		if (err != nil) != tc.err || len(ws) < tc.min {
			t.Errorf("Lookup(%q) = %d workloads, %v", tc.pattern, len(ws), err)
		}
	}
}

func TestSpinUnitsFor(t *testing.T) {
	if workloads.SpinUnitsFor(0) != 0 {
		t.Error("SpinUnitsFor(0) != 0")
	}
	// Ratios, not wall times: ten times the duration is about ten times
	// the units (integer rounding aside).
	a, b := workloads.SpinUnitsFor(100*time.Microsecond), workloads.SpinUnitsFor(time.Millisecond)
	if a < 1 || b < 9*a || b > 11*a+10 {
		t.Errorf("SpinUnitsFor: 100µs -> %d units, 1ms -> %d units; want a 10x ratio", a, b)
	}
}
