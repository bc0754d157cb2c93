package workloads_test

import (
	"testing"
	"time"

	"github.com/parbench/parbench/workloads"
)

// TestConvoy runs latency/convoy's parts by hand: IO ops that each make
// two IO sections, background CPU workers that check, and the figures:
// percentiles in order and the rate.
func TestConvoy(t *testing.T) {
	ws, err := workloads.Lookup("latency/convoy")
	if err != nil {
		t.Fatal(err)
	}
	p := workloads.DefaultParams()
	p.CPUGoroutines = 3
	in, err := ws[0].Start(p)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	bg, ok := in.(workloads.Backgrounder)
	if !ok || bg.Background() != 3 {
		t.Fatalf("latency/convoy: Backgrounder %v with %d goroutines, want 3", ok, p.CPUGoroutines)
	}
	s := in.(workloads.Sampler)
	s.BeginSample()
	env := &countEnv{}
	w, err := in.NewWorker(env)
	if err != nil {
		t.Fatal(err)
	}
	const ops = 20
	for range ops {
		if err := w.Op(); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	if got := env.ios.Load(); got != 2*ops {
		t.Errorf("%d IO sections in %d ops, want %d (a round trip and a sleep(0) each)", got, ops, 2*ops)
	}
	if env.bad.Load() != 0 {
		t.Errorf("unbalanced or nested IO sections")
	}
	benv := &countEnv{}
	bw, err := bg.NewBackground(benv)
	if err != nil {
		t.Fatal(err)
	}
	if err := bw.Op(); err != nil {
		t.Fatal(err)
	}
	if benv.checks.Load() == 0 || benv.ios.Load() != 0 {
		t.Errorf("background op: %d checks and %d IO sections, want CPU work only", benv.checks.Load(), benv.ios.Load())
	}
	got := map[string]float64{}
	var order []string
	for _, m := range s.EndSample(time.Second, ops) {
		got[m.Unit] = m.Value
		order = append(order, m.Unit)
	}
	// 20 latencies: a p90 (2 above it) but no p99 (it would be the max).
	if _, ok := got[workloads.UnitP99]; ok {
		t.Errorf("%s from %d latencies, want none below 100 (units %v)", workloads.UnitP99, ops, order)
	}
	if got[workloads.UnitLatencies] != ops {
		t.Errorf("%s = %v, want %d", workloads.UnitLatencies, got[workloads.UnitLatencies], ops)
	}
	if m, ok := in.(workloads.MinOpser); !ok || m.MinOps() < 1000 {
		t.Errorf("latencies/convoy: MinOpser %v, want one asking for at least 1000 ops a sample", ok)
	}
	units := []string{workloads.UnitP50, workloads.UnitP90, workloads.UnitMax}
	for i, u := range units {
		if got[u] <= 0 {
			t.Errorf("%s = %v, want > 0 (units %v)", u, got[u], order)
		}
		if i > 0 && got[u] < got[units[i-1]] {
			t.Errorf("%s %v < %s %v", u, got[u], units[i-1], got[units[i-1]])
		}
	}
	if got[workloads.UnitRate] != ops {
		t.Errorf("%s = %v, want %d ops in 1s", workloads.UnitRate, got[workloads.UnitRate], ops)
	}
}

func TestLatencyMetrics(t *testing.T) {
	ms := func(xs ...int) []time.Duration {
		var d []time.Duration
		for _, x := range xs {
			d = append(d, time.Duration(x)*time.Millisecond)
		}
		return d
	}
	down := func(n int) []int { // n..1 ms, unsorted
		xs := make([]int, n)
		for i := range xs {
			xs[i] = n - i
		}
		return xs
	}
	const (
		p50, p90, p99 = workloads.UnitP50, workloads.UnitP90, workloads.UnitP99
		top, n        = workloads.UnitMax, workloads.UnitLatencies
	)
	type m = workloads.Metric
	for _, tc := range []struct {
		name string
		lat  []time.Duration
		want []m // values in seconds, counts as counts
	}{
		{"none", nil, nil},
		{"one: only its max", ms(7), []m{{0.007, top}, {1, n}}},
		{"two: a p50", ms(3, 7), []m{{0.003, p50}, {0.007, top}, {2, n}}},
		{"nine: no p90", ms(down(9)...), []m{{0.005, p50}, {0.009, top}, {9, n}}},
		{"ten: a p90", ms(down(10)...), []m{{0.005, p50}, {0.009, p90}, {0.010, top}, {10, n}}},
		{"ninety-nine: no p99", ms(down(99)...), []m{{0.050, p50}, {0.089, p90}, {0.099, top}, {99, n}}},
		{"hundred: a p99", ms(down(100)...), []m{{0.050, p50}, {0.090, p90}, {0.099, p99}, {0.100, top}, {100, n}}},
		{"thousand", ms(down(1000)...), []m{{0.500, p50}, {0.900, p90}, {0.990, p99}, {1.000, top}, {1000, n}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := workloads.LatencyMetrics(tc.lat)
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for i, g := range got {
				w := tc.want[i]
				if d := g.Value - w.Value; g.Unit != w.Unit || d > 1e-12 || d < -1e-12 {
					t.Errorf("figure %d: %v %s, want %v %s", i, g.Value, g.Unit, w.Value, w.Unit)
				}
			}
		})
	}
}

func TestCPUGoroutinesValidate(t *testing.T) {
	for _, tc := range []struct {
		n  int
		ok bool
	}{{0, true}, {4, true}, {-1, false}, {workloads.MaxCPUGoroutines + 1, false}} {
		p := workloads.DefaultParams()
		p.CPUGoroutines = tc.n
		if err := p.Validate(); (err == nil) != tc.ok {
			t.Errorf("--cpu-goroutines %d: Validate() = %v, want ok %v", tc.n, err, tc.ok)
		}
	}
}
