package workloads_test

import (
	"testing"
	"time"

	"github.com/parbench/parbench/workloads"
)

// tickEnv counts the checks and the ticks a worker reports, and keeps
// the fewest ticks of one check.
type tickEnv struct {
	workloads.NopEnv
	checks, ticks int64
	least         int
}

func (e *tickEnv) Check(ticks int) {
	if e.checks == 0 || ticks < e.least {
		e.least = ticks
	}
	e.checks++
	e.ticks += int64(ticks)
}

// TestCheckTicks checks that every check of CPU work reports the ticks
// it stands for: at least one (a check of no ticks would never bring
// gil-old's release nearer), and more than one where a check covers
// microseconds of work (one tick is ~12ns).
func TestCheckTicks(t *testing.T) {
	p := workloads.DefaultParams()
	p.OpTime = 100 * time.Microsecond
	p.IOFraction = 0
	for _, name := range []string{"cpu/sha256", "cpu/mandelbrot", "cpu/stream", "cpu/alloc", "mixed"} {
		t.Run(name, func(t *testing.T) {
			ws, err := workloads.Lookup(name)
			if err != nil {
				t.Fatal(err)
			}
			in, err := ws[0].Start(p)
			if err != nil {
				t.Fatal(err)
			}
			defer in.Close()
			env := &tickEnv{}
			wk, err := in.NewWorker(env)
			if err != nil {
				t.Fatal(err)
			}
			defer wk.Close()
			for range 3 {
				if err := wk.Op(); err != nil {
					t.Fatal(err)
				}
			}
			if env.checks == 0 || env.least < 2 {
				t.Errorf("%d checks, the fewest ticks of one %d: want each check of microseconds of work to count many ticks", env.checks, env.least)
			}
		})
	}
}

// BenchmarkTicks measures the work between two checks of each CPU
// workload on one goroutine and reports it per check and per tick: the
// measurement behind each workload's ticks per check (cpu.go, mixed.go).
// Its ns/tick should come out near TickTime on the machine where the
// ratios were set.
func BenchmarkTicks(b *testing.B) {
	p := workloads.DefaultParams()
	p.OpTime = 100 * time.Microsecond
	p.IOFraction = 0
	for _, name := range []string{"cpu/sha256", "cpu/mandelbrot", "cpu/stream", "cpu/alloc", "mixed"} {
		b.Run(name, func(b *testing.B) {
			ws, err := workloads.Lookup(name)
			if err != nil {
				b.Fatal(err)
			}
			in, err := ws[0].Start(p)
			if err != nil {
				b.Fatal(err)
			}
			defer in.Close()
			env := &tickEnv{}
			wk, err := in.NewWorker(env)
			if err != nil {
				b.Fatal(err)
			}
			defer wk.Close()
			b.ResetTimer()
			for b.Loop() {
				if err := wk.Op(); err != nil {
					b.Fatal(err)
				}
			}
			el := b.Elapsed()
			b.ReportMetric(float64(el.Nanoseconds())/float64(env.checks), "ns/check")
			b.ReportMetric(float64(el.Nanoseconds())/float64(env.ticks), "ns/tick")
			b.ReportMetric(float64(env.ticks)/float64(env.checks), "ticks/check")
		})
	}
}
