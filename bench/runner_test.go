package bench

import (
	"bytes"
	"context"
	"errors"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parbench/parbench/results"
	"github.com/parbench/parbench/workloads"
	"golang.org/x/perf/benchfmt"
)

// countWorkload counts the ops done in each sample, so a test can check
// the runner against the workload's own count.
type countWorkload struct {
	name string
	fail bool // Op fails on the instance's first op, wherever it falls (a calibration run or a sample)
}

func (w countWorkload) Name() string    { return w.name }
func (w countWorkload) Summary() string { return "test workload" }
func (w countWorkload) Start(workloads.Params) (workloads.Instance, error) {
	return &countInstance{fail: w.fail}, nil
}

type countInstance struct {
	fail    bool
	failed  atomic.Bool
	ops     atomic.Int64
	samples []int64 // ops counted per sample
}

func (in *countInstance) NewWorker(workloads.Env) (workloads.Worker, error) {
	return countWorker{in}, nil
}
func (in *countInstance) Close() error { return nil }
func (in *countInstance) BeginSample() { in.ops.Store(0) }
func (in *countInstance) EndSample(_ time.Duration, ops int64) []workloads.Metric {
	in.samples = append(in.samples, in.ops.Load())
	return []workloads.Metric{{Value: float64(in.ops.Load()), Unit: "counted-ops"}}
}

type countWorker struct{ in *countInstance }

func (w countWorker) Op() error {
	w.in.ops.Add(1)
	if w.in.fail && w.in.failed.CompareAndSwap(false, true) {
		return errors.New("the first op failed")
	}
	// A little work so the calibration has something to measure.
	workloads.Spin(workloads.NopEnv{}, 1)
	return nil
}
func (w countWorker) Close() error { return nil }

func testConfig(ws ...workloads.Workload) Config {
	c := DefaultConfig()
	c.Workloads = ws
	c.Procs = []int{1, 2}
	c.Goroutines = []int{1, 3}
	c.Count = 3
	c.Benchtime = 5 * time.Millisecond
	c.Seed = 1
	return c
}

// run runs c and returns the file it wrote, parsed back with benchfmt.
func run(t *testing.T, c Config) []*benchfmt.Result {
	t.Helper()
	var buf bytes.Buffer
	w := benchfmt.NewWriter(&buf)
	err := Run(context.Background(), c, c.FileConfig(time.Now()), func(r *benchfmt.Result) error {
		return w.Write(r)
	})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	rd := benchfmt.NewReader(&buf, "test.txt")
	var rs []*benchfmt.Result
	for rd.Scan() {
		switch r := rd.Result().(type) {
		case *benchfmt.Result:
			rs = append(rs, r.Clone())
		case *benchfmt.SyntaxError:
			t.Fatalf("output does not parse: %v", r)
		}
	}
	if err := rd.Err(); err != nil {
		t.Fatal(err)
	}
	return rs
}

// TestRunOutput checks the results file: it parses with benchfmt, has
// one result per sample with parbench's name keys, carries the file
// configuration, and every sample did exactly its ops.
func TestRunOutput(t *testing.T) {
	wl := countWorkload{name: "cpu/count"}
	c := testConfig(wl)
	rs := run(t, c)
	points := len(c.Procs) * len(c.Goroutines)
	if len(rs) != points*c.Count {
		t.Fatalf("%d results, want %d", len(rs), points*c.Count)
	}
	perPoint := map[string]int{}
	for i, r := range rs {
		p, err := results.ParseName(string(r.Name))
		if err != nil {
			t.Fatal(err)
		}
		if p.Workload != "cpu/count" || p.Lock != "none" || p.Goroutines == 0 || p.Procs == 0 {
			t.Errorf("result %d: parsed point %+v", i, p)
		}
		perPoint[string(r.Name)]++
		// Round-robin: the first round has every point once.
		if i < points && perPoint[string(r.Name)] != 1 {
			t.Errorf("point %s sampled twice in the first round", r.Name)
		}
		counted, ok := r.Value("counted-ops")
		if !ok || int(counted) != r.Iters {
			t.Errorf("%s: workload counted %v ops, result says %d", r.Name, counted, r.Iters)
		}
		if v, ok := r.Value("sec/op"); !ok || v <= 0 {
			t.Errorf("%s: sec/op = %v, %v", r.Name, v, ok)
		}
		if v, ok := r.Value("parallelism"); !ok || v < 0 {
			t.Errorf("%s: parallelism = %v, %v", r.Name, v, ok)
		}
		for _, key := range []string{"goos", "cpu", "ncpu", "go", "procs", "goroutines", "count", "benchtime"} {
			if r.GetConfig(key) == "" {
				t.Errorf("%s: file configuration lacks %q", r.Name, key)
			}
		}
	}
	for name, n := range perPoint {
		if n != c.Count {
			t.Errorf("%s: %d samples, want %d", name, n, c.Count)
		}
	}
}

// TestRunRestoresGOMAXPROCS checks GOMAXPROCS is back after a run, and
// after a failed one.
func TestRunRestoresGOMAXPROCS(t *testing.T) {
	before := runtime.GOMAXPROCS(0)
	c := testConfig(countWorkload{name: "cpu/count"})
	c.Procs = []int{before + 3}
	run(t, c)
	if got := runtime.GOMAXPROCS(0); got != before {
		t.Errorf("GOMAXPROCS = %d after Run, want %d", got, before)
	}
	c.Workloads = []workloads.Workload{countWorkload{name: "cpu/fail", fail: true}}
	err := Run(context.Background(), c, nil, func(*benchfmt.Result) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "the first op failed") {
		t.Errorf("Run with a failing op: err = %v, want the first op failed", err)
	}
	if got := runtime.GOMAXPROCS(0); got != before {
		t.Errorf("GOMAXPROCS = %d after a failed Run, want %d", got, before)
	}
}

// TestRunWeak checks weak scaling: each goroutine does the same ops, so
// the total grows with the goroutines.
func TestRunWeak(t *testing.T) {
	c := testConfig(countWorkload{name: "cpu/count"})
	c.Scaling = Weak
	c.Procs = []int{1}
	c.Goroutines = []int{1, 4}
	for _, r := range run(t, c) {
		p, _ := results.ParseName(string(r.Name))
		if r.Iters%p.Goroutines != 0 {
			t.Errorf("%s: %d ops is not a multiple of %d goroutines", r.Name, r.Iters, p.Goroutines)
		}
		if r.GetConfig("scaling") != "weak" {
			t.Errorf("%s: scaling = %q, want weak", r.Name, r.GetConfig("scaling"))
		}
	}
}

// TestRunCancel checks that a cancelled context stops the run.
func TestRunCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c := testConfig(countWorkload{name: "cpu/count"})
	n := 0
	err := Run(ctx, c, nil, func(*benchfmt.Result) error { n++; return nil })
	if !errors.Is(err, context.Canceled) || n != 0 {
		t.Errorf("cancelled Run: err=%v after %d results, want context.Canceled and none", err, n)
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		mod   func(*Config)
		field string // the FieldError's field
		msg   string // its message, with the field's Go name
	}{
		{"no workloads", func(c *Config) { c.Workloads = nil }, "Workloads", "Workloads: no workload selected"},
		{"procs zero", func(c *Config) { c.Procs = []int{0} }, "Procs", "Procs: 0 out of range (want 1 to 1024)"},
		{"procs huge", func(c *Config) { c.Procs = []int{MaxProcs + 1} }, "Procs", "Procs: 1025 out of range (want 1 to 1024)"},
		{"procs twice", func(c *Config) { c.Procs = []int{2, 2} }, "Procs", "Procs: 2 given twice"},
		{"goroutines empty", func(c *Config) { c.Goroutines = nil }, "Goroutines", "Goroutines: empty list"},
		{"unknown lock", func(c *Config) { c.Locks = []string{"spinlock"} }, "Locks", `Locks: unknown lock mode "spinlock"`},
		{"count zero", func(c *Config) { c.Count = 0 }, "Count", "Count 0: want 1 to 1000"},
		{"count under target-ci", func(c *Config) { c.Count, c.TargetCI = 3, 0.02 }, "Count", "Count 3: TargetCI needs at least 6 samples a point"},
		{"benchtime tiny", func(c *Config) { c.Benchtime = time.Microsecond }, "Benchtime", "Benchtime 1µs: want 1ms to 1h"},
		{"scaling", func(c *Config) { c.Scaling = "diagonal" }, "Scaling", `Scaling "diagonal": want strong or weak`},
		{"check interval", func(c *Config) { c.LockOpts.CheckInterval = 0 }, "LockOpts.CheckInterval", "LockOpts.CheckInterval 0: want at least 1"},
		{"io fraction", func(c *Config) { c.Params.IOFraction = 1.5 }, "Params.IOFraction", "Params.IOFraction 1.5: want a number from 0 to 1"},
		{"payload without processes", func(c *Config) { c.Exec.Payloads = []int{64} }, "Exec.Payloads", "Exec.Payloads 64: only Exec.Modes processes sends payloads (goroutines share memory)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			tc.mod(&c)
			err := c.Validate()
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != tc.field || !errors.Is(err, ErrInvalid) {
				t.Fatalf("Validate() = %v, want a FieldError of %s matching ErrInvalid", err, tc.field)
			}
			if !strings.HasPrefix(err.Error(), tc.msg) {
				t.Errorf("Validate() = %q, want %q", err, tc.msg)
			}
		})
	}
	c := DefaultConfig()
	if err := c.Validate(); err != nil {
		t.Errorf("DefaultConfig().Validate() = %v", err)
	}
}

func TestDefaultProcs(t *testing.T) {
	for _, tc := range []struct {
		cpus int
		want string
	}{{1, "1,2"}, {2, "1,2,4"}, {3, "1,2,4,6"}, {16, "1,2,4,8,16,32"}, {64, "1,2,4,8,16,32,64,128"}} {
		if got := joinInts(DefaultProcs(tc.cpus)); got != tc.want {
			t.Errorf("DefaultProcs(%d) = %s, want %s", tc.cpus, got, tc.want)
		}
	}
}

func TestRedactDSN(t *testing.T) {
	for in, want := range map[string]string{
		"": "sqlite (embedded)",
		"postgres://bench:secret@127.0.0.1:5432/parbench?sslmode=disable": "postgres://bench@127.0.0.1:5432/parbench?sslmode=disable",
		"postgres://127.0.0.1/parbench?password=secret":                   "postgres://127.0.0.1/parbench?password=redacted",
	} {
		got := redactDSN(in)
		if got != want || strings.Contains(got, "secret") {
			t.Errorf("redactDSN(%q) = %q, want %q", in, got, want)
		}
	}
}

// nilStart is a workload whose Start returns neither an Instance nor
// an error: a third-party bug that Run names rather than crash on.
type nilStart struct{ bgWorkload }

func (nilStart) Start(workloads.Params) (workloads.Instance, error) { return nil, nil }

func TestRunNilInstance(t *testing.T) {
	err := Run(context.Background(), testConfig(nilStart{}), nil, func(*benchfmt.Result) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "test/background") || !strings.Contains(err.Error(), "no Instance") {
		t.Fatalf("Run = %v, want an error naming the workload and its missing Instance", err)
	}
}
