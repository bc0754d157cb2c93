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
	units := []string{workloads.UnitP50, workloads.UnitP90, workloads.UnitP99, workloads.UnitMax}
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
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = 100 - i // 100..1, unsorted
	}
	for _, tc := range []struct {
		name string
		lat  []time.Duration
		want []float64 // p50, p90, p99, max in seconds
	}{
		{"none", nil, nil},
		{"one", ms(7), []float64{0.007, 0.007, 0.007, 0.007}},
		{"hundred", ms(hundred...), []float64{0.050, 0.090, 0.099, 0.100}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := workloads.LatencyMetrics(tc.lat)
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for i, m := range got {
				if d := m.Value - tc.want[i]; d > 1e-12 || d < -1e-12 {
					t.Errorf("%s = %v, want %v", m.Unit, m.Value, tc.want[i])
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
