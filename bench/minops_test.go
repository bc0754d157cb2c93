package bench

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parbench/parbench/results"
	"github.com/parbench/parbench/workloads"
)

func TestOpFloorArithmetic(t *testing.T) {
	ms := time.Millisecond
	f := opFloor{ops: 1000, budget: 30 * time.Second}
	for _, tc := range []struct {
		name string
		n    int64
		d    time.Duration
		want bool
	}{
		{"one long op", 1, 400 * ms, false},
		{"a tenth of the ops", 100, ms, true},
		{"half of calibration's budget", 7, 1500 * ms, true},
		{"neither", 99, 1400 * ms, false},
	} {
		if got := f.rated(tc.n, tc.d); got != tc.want {
			t.Errorf("rated(%d, %v) = %v, want %v (%s)", tc.n, tc.d, got, tc.want, tc.name)
		}
	}
	if !(opFloor{}).rated(1, time.Nanosecond) {
		t.Errorf("no floor: rated = false, want true (testing.B's calibration unchanged)")
	}
	for _, tc := range []struct {
		name string
		n    int64
		d    time.Duration
		want int64
	}{
		{"fast ops: a tenth of the floor", 1, ms, 100},
		{"one 0.4s op: what fits calibration's 3s", 1, 400 * ms, 7},
		{"a run past the budget still grows", 5, 10 * time.Second, 6},
	} {
		if got := f.next(tc.n, tc.d); got != tc.want {
			t.Errorf("next(%d, %v) = %d, want %d (%s)", tc.n, tc.d, got, tc.want, tc.name)
		}
	}
	for _, tc := range []struct {
		name           string
		n, last        int64
		d              time.Duration
		want           int64
		cut            bool
		noFloor        bool
		floorUnchanged bool
	}{
		{name: "benchtime's ops above the floor", n: 5000, last: 1000, d: 80 * ms, want: 5000},
		{name: "raised to the floor", n: 60, last: 100, d: 650 * ms, want: 1000},
		{name: "cut by the budget", n: 3, last: 100, d: 10 * time.Second, want: 300, cut: true},
		{name: "no floor", n: 3, last: 1, d: time.Second, want: 3, noFloor: true},
	} {
		ff := f
		if tc.noFloor {
			ff = opFloor{}
		}
		got, cut := ff.sized(tc.n, tc.last, tc.d)
		if got != tc.want || cut != tc.cut {
			t.Errorf("sized(%d, %d, %v) = %d, %v, want %d, %v (%s)", tc.n, tc.last, tc.d, got, cut, tc.want, tc.cut, tc.name)
		}
	}
}

func TestFloorOf(t *testing.T) {
	in := &floorInstance{min: 1000}
	for _, tc := range []struct {
		name    string
		mod     func(*Config)
		g       int
		inst    workloads.Instance
		ops     int64
		budget  time.Duration
		timeout time.Duration // floorTimeout of a 2s plan
	}{
		{"strong", func(*Config) {}, 3, in, 1000, MaxFloorTime, DefaultSampleTimeout(2 * time.Second)},
		{"weak: per goroutine", func(c *Config) { c.Scaling = Weak }, 3, in, 334, MaxFloorTime, DefaultSampleTimeout(2 * time.Second)},
		{"explicit timeout: a quarter of it", func(c *Config) { c.SampleTimeout = 8 * time.Second }, 1, in, 1000, 2 * time.Second, 0},
		{"a long explicit timeout: MaxFloorTime", func(c *Config) { c.SampleTimeout = time.Hour }, 1, in, 1000, MaxFloorTime, 0},
		{"not a MinOpser", func(*Config) {}, 1, &countInstance{}, 0, 0, DefaultSampleTimeout(2 * time.Second)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			tc.mod(&c)
			r := newRunner(context.Background(), c)
			pt := &point{inst: tc.inst}
			pt.Goroutines = tc.g
			f := r.floorOf(pt)
			if f.ops != tc.ops || f.budget != tc.budget {
				t.Errorf("floorOf = %+v, want %d ops in %v", f, tc.ops, tc.budget)
			}
			if got := r.floorTimeout(2 * time.Second); got != tc.timeout {
				t.Errorf("floorTimeout(2s) = %v, want %v", got, tc.timeout)
			}
			if got := r.floorTimeout(time.Millisecond); got != 0 {
				t.Errorf("floorTimeout(1ms) = %v, want 0: the runner's own is longer", got)
			}
		})
	}
}

// floorWorkload's first op is long (first), the rest take each; its
// instance is a MinOpser when min > 0, and records the ops of every
// run (calibration runs included).
type floorWorkload struct {
	min         int
	first, each time.Duration
}

func (floorWorkload) Name() string    { return "test/floor" }
func (floorWorkload) Summary() string { return "test workload with an op floor" }
func (w floorWorkload) Start(workloads.Params) (workloads.Instance, error) {
	in := &countInstance{}
	if w.min == 0 {
		return &slowInstance{countInstance: in, w: w}, nil
	}
	return &floorInstance{slowInstance: slowInstance{countInstance: in, w: w}, min: w.min}, nil
}

type slowInstance struct {
	*countInstance
	w    floorWorkload
	once sync.Once
}

func (in *slowInstance) NewWorker(workloads.Env) (workloads.Worker, error) {
	return fnWorker(func() error {
		in.ops.Add(1)
		first := false
		in.once.Do(func() { first = true })
		if first {
			time.Sleep(in.w.first)
			return nil
		}
		for t0 := time.Now(); time.Since(t0) < in.w.each; { // a spin: Go's sleeps are ~1ms late on an idle P
		}
		return nil
	}), nil
}

type floorInstance struct {
	slowInstance
	min int
}

func (in *floorInstance) MinOps() int { return in.min }

// TestCalibrateFloor checks the op floor against today's calibration:
// a first op of 60ms calibrates a point without a floor on that one op
// (1 op a sample, as testing.B would), and a point with a floor of 1000
// on a run of at least 100 ops, and samples 1000.
func TestCalibrateFloor(t *testing.T) {
	for _, tc := range []struct {
		name     string
		min      int
		minCalib int64 // the fewest ops of the run the rate came from
		ops      int64
	}{
		{"no floor: one op", 0, 1, 1},
		{"floor 1000", 1000, 100, 1000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := floorWorkload{min: tc.min, first: 60 * time.Millisecond, each: 20 * time.Microsecond}
			in, _ := w.Start(workloads.Params{})
			c := testConfig(w)
			r := newRunner(context.Background(), c)
			pt := &point{inst: in}
			pt.Workload, pt.Lock, pt.Goroutines, pt.Procs = w.Name(), "none", 1, 1
			if err := r.calibrate(pt); err != nil {
				t.Fatal(err)
			}
			var ci *countInstance
			switch in := in.(type) {
			case *slowInstance:
				ci = in.countInstance
			case *floorInstance:
				ci = in.countInstance
			}
			runs := ci.samples
			if pt.ops != tc.ops || runs[len(runs)-1] < tc.minCalib {
				t.Errorf("calibration runs %v gave %d ops a sample, want %d from a last run of at least %d", runs, pt.ops, tc.ops, tc.minCalib)
			}
			if pt.floorCut != "" || pt.timeout != 0 {
				t.Errorf("floor cut %q, timeout %v: want neither (1000 ops of 20µs fit the budget and the 10s watchdog)", pt.floorCut, pt.timeout)
			}
		})
	}
}

// TestFloorBudget checks a floor that its budget cuts: ops of 4ms, a
// SampleTimeout of 2s (a budget of 500ms) hold at most 125 of the 1000
// asked for; the run warns, and the line says how many it holds.
func TestFloorBudget(t *testing.T) {
	w := floorWorkload{min: 1000, first: 4 * time.Millisecond, each: 4 * time.Millisecond}
	c := testConfig(w)
	c.Procs, c.Goroutines, c.Count = []int{1}, []int{1}, 2
	c.SampleTimeout = 2 * time.Second
	var warnings []string
	c.Warn = func(w Warning) { warnings = append(warnings, w.Text) }
	rs := run(t, c)
	if len(rs) != 2 {
		t.Fatalf("%d results, want 2", len(rs))
	}
	for _, r := range rs { // the second sized by the first's rate
		if n := r.Iters; n > 125 || n < 10 {
			t.Errorf("%d ops a sample, want what fits 500ms of 4ms ops (at most 125)", n)
		}
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "holds what fits by the rate of the one before") ||
		!strings.Contains(warnings[0], "{SampleTimeout}") {
		t.Errorf("warnings %q, want one on the floor cut by a quarter of {SampleTimeout}", warnings)
	}
}

// TestResize checks that a point whose floor its calibration cut is
// sized again from each sample's rate, both ways, and that no other
// point is.
func TestResize(t *testing.T) {
	f := opFloor{ops: 1000, budget: 30 * time.Second}
	for _, tc := range []struct {
		name  string
		floor opFloor
		ops   int64
		d     time.Duration
		want  int64
	}{
		{"cut on a convoy's long wait, then fast", f, 317, 160 * time.Millisecond, 1000},
		{"cut, and slower still", f, 317, 60 * time.Second, 158},
		{"at the floor already", f, 1000, time.Minute, 1000},
		{"no floor", opFloor{}, 3, time.Minute, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRunner(context.Background(), DefaultConfig())
			pt := &point{ops: tc.ops, floor: tc.floor}
			r.resize(pt, tc.d)
			if pt.ops != tc.want {
				t.Errorf("resize after %d ops in %v: %d ops, want %d", tc.ops, tc.d, pt.ops, tc.want)
			}
		})
	}
}

// TestConvoyFloor runs latency/convoy with a CPU goroutine through the
// runner: however long one convoyed op is, a sample holds at least
// 1,000 latencies, and its line has a p99 and says how many it rests
// on. A short switch interval keeps it quick.
func TestConvoyFloor(t *testing.T) {
	if testing.Short() {
		t.Skip("runs 1000 convoyed round trips per lock")
	}
	ws, err := workloads.Lookup("latency/convoy")
	if err != nil {
		t.Fatal(err)
	}
	c := testConfig(ws...)
	c.Locks = []string{"gil", "gil-old"}
	c.Procs, c.Goroutines, c.Count = []int{2}, []int{1}, 1
	c.Benchtime = 10 * time.Millisecond
	c.LockOpts.SwitchInterval = 200 * time.Microsecond
	c.LockOpts.CheckInterval = 10
	c.Params.CPUGoroutines = 1
	var warnings []string
	c.Warn = func(w Warning) { warnings = append(warnings, w.Text) }
	rs := run(t, c)
	if len(rs) != len(c.Locks) {
		t.Fatalf("%d results, want %d", len(rs), len(c.Locks))
	}
	for _, r := range rs {
		n, _ := r.Value(workloads.UnitLatencies)
		_, p99 := r.Value(workloads.UnitP99)
		t.Logf("%s: %d ops, %.3gs/op, p99 %v", r.Name, r.Iters, r.Values[0].Value, p99)
		if r.Iters < workloads.ConvoyMinOps || int(n) != r.Iters || !p99 {
			t.Errorf("%s: %d ops, %v latencies, p99 %v: want at least %d, one per op, and a p99",
				r.Name, r.Iters, n, p99, workloads.ConvoyMinOps)
		}
	}
	if len(warnings) != 0 {
		t.Errorf("warnings %q, want none", warnings)
	}
}

// TestGoroutineFloor checks the goroutines' part of the floor: one op
// for each goroutine of a strong-scaling point, whatever its class, a
// workload's larger MinOps winning, and no floor under weak scaling
// (each goroutine has its own ops).
func TestGoroutineFloor(t *testing.T) {
	for _, tc := range []struct {
		name string
		weak bool
		g    int
		inst workloads.Instance
		ops  int64
		perG bool
	}{
		{"strong: one each", false, 64, &countInstance{}, 64, true},
		{"one goroutine: no floor", false, 1, &countInstance{}, 0, false},
		{"weak: no floor", true, 64, &countInstance{}, 0, false},
		{"MinOps above the goroutines'", false, 3, &floorInstance{min: 1000}, 1000, false},
		{"goroutines' above MinOps", false, 3000, &floorInstance{min: 1000}, 3000, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			if tc.weak {
				c.Scaling = Weak
			}
			r := newRunner(context.Background(), c)
			pt := &point{inst: tc.inst}
			pt.Goroutines = tc.g
			f := r.floorOf(pt)
			if f.ops != tc.ops || f.perG != tc.perG {
				t.Errorf("floorOf = %+v, want %d ops, perG %v", f, tc.ops, tc.perG)
			}
		})
	}
}

// TestSampleGoal checks the sample time many goroutines need: Benchtime
// until their one-time costs (1µs each, shared by the CPUs the procs
// can use) pass 1% of it, then 100 times those costs, at most the
// floor's budget, with a warning that says what was cut and what would
// fix it.
func TestSampleGoal(t *testing.T) {
	cpus := results.AvailableCPUs()
	for _, tc := range []struct {
		name          string
		g, procs      int
		sampleTimeout time.Duration
		goal, want    time.Duration
		fix           string
	}{
		{"few goroutines", 64, 1, 0, 200 * time.Millisecond, 200 * time.Millisecond, ""},
		{"at the knee", 2000, 1, 0, 200 * time.Millisecond, 200 * time.Millisecond, ""},
		{"100,000 on one proc", 100_000, 1, 0, 10 * time.Second, 10 * time.Second, ""},
		{"a million on one proc", 1_000_000, 1, 0, MaxFloorTime, 100 * time.Second, "fewer goroutines"},
		{"explicit timeout cuts", 100_000, 1, 20 * time.Second, 5 * time.Second, 10 * time.Second, "a longer {SampleTimeout} or fewer goroutines"},
		{"procs share the costs", 100_000, 1000, 0, max(200*time.Millisecond, 10*time.Second/time.Duration(cpus)), max(200*time.Millisecond, 10*time.Second/time.Duration(cpus)), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			c.Benchtime = 200 * time.Millisecond
			c.SampleTimeout = tc.sampleTimeout
			r := newRunner(context.Background(), c)
			pt := &point{}
			pt.Goroutines, pt.Procs = tc.g, tc.procs
			goal, want := r.sampleGoal(pt)
			if goal != tc.goal || want != tc.want {
				t.Errorf("sampleGoal = %v, %v; want %v, %v", goal, want, tc.goal, tc.want)
			}
			if tc.fix == "" {
				return
			}
			text := goalCut(pt, goal, want, c.SampleTimeout)
			for _, w := range []string{fmt.Sprintf("about %v, short of the %v", goal, want), fmt.Sprintf("its %d goroutines", tc.g), tc.fix + " would"} {
				if !strings.Contains(text, w) {
					t.Errorf("goalCut = %q, want it to say %q", text, w)
				}
			}
		})
	}
}
