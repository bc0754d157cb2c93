package bench

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parbench/parbench/bench/gil"
	"github.com/parbench/parbench/results"
	"github.com/parbench/parbench/workloads"
	"golang.org/x/perf/benchfmt"
)

// replWorkload is a fake workloads.Replicated whose instances are
// Timed: each sample lasts sampleTime from its first Op, each Op a
// short sleep (a request), and it records how the runner drives it.
// Under cp it refuses an even replica count, as Raft's majority wants.
type replWorkload struct {
	name       string
	sampleTime time.Duration
	// never: Op never says the sample is done (a bug the watchdog
	// must catch); doneAtOnce: every Op says so (a sample of no op).
	never, doneAtOnce bool
	// leakClose: Close leaves a goroutine behind, blocked on
	// rec.release.
	leakClose bool
	rec       *replRecord
}

type replRecord struct {
	mu       sync.Mutex
	designs  []string // StartReplicated's, in call order
	starts   int      // Start's
	envs     []workloads.Env
	closed   int
	instance []*replInstance
	release  chan struct{} // ends the goroutines a leakClose Close leaves
}

func newRepl(name string) replWorkload {
	return replWorkload{name: name, sampleTime: 20 * time.Millisecond, rec: &replRecord{}}
}

func (w replWorkload) Name() string            { return w.name }
func (w replWorkload) Summary() string         { return "fake replicated workload" }
func (w replWorkload) Consistencies() []string { return []string{"cp", "ap"} }
func (w replWorkload) Params() []string {
	return []string{workloads.ParamReplicas, workloads.ParamPartition, workloads.ParamPhaseTime,
		workloads.ParamSyncInterval, workloads.ParamRequestTimeout}
}

func (w replWorkload) Start(workloads.Params) (workloads.Instance, error) {
	w.rec.mu.Lock()
	defer w.rec.mu.Unlock()
	w.rec.starts++
	return nil, errors.New("start it with a consistency")
}

func (w replWorkload) CheckReplicated(p workloads.Params, c string) error {
	if c == "cp" && p.Replicas%2 == 0 {
		return &workloads.ParamError{Param: workloads.ParamReplicas, Value: fmt.Sprint(p.Replicas), Err: errors.New("cp wants an odd count")}
	}
	return nil
}

func (w replWorkload) StartReplicated(_ workloads.Params, c string) (workloads.Instance, error) {
	w.rec.mu.Lock()
	defer w.rec.mu.Unlock()
	w.rec.designs = append(w.rec.designs, c)
	in := &replInstance{w: w, design: c}
	w.rec.instance = append(w.rec.instance, in)
	return in, nil
}

type replInstance struct {
	w      replWorkload
	design string
	t0     atomic.Int64 // the sample's first Op, unix ns; 0 before it
	ops    atomic.Int64 // ops counted this sample, the done ones left out
	late   atomic.Int64 // Op calls on a worker that had said done
	// samples: the ops EndSample was given and those counted.
	samples [][2]int64
}

func (in *replInstance) SampleTime() time.Duration { return in.w.sampleTime }
func (in *replInstance) BeginSample()              { in.t0.Store(0); in.ops.Store(0) }
func (in *replInstance) EndSample(wall time.Duration, ops int64) []workloads.Metric {
	in.samples = append(in.samples, [2]int64{ops, in.ops.Load()})
	return []workloads.Metric{
		{Value: float64(slices.Index(in.w.Consistencies(), in.design)), Unit: "design"},
		{Value: float64(in.ops.Load()), Unit: "counted-ops"},
		{Value: float64(in.late.Load()), Unit: "late-ops"},
	}
}

func (in *replInstance) NewWorker(env workloads.Env) (workloads.Worker, error) {
	in.w.rec.mu.Lock()
	in.w.rec.envs = append(in.w.rec.envs, env)
	in.w.rec.mu.Unlock()
	return &replWorker{in: in}, nil
}

func (in *replInstance) Close() error {
	in.w.rec.mu.Lock()
	defer in.w.rec.mu.Unlock()
	in.w.rec.closed++
	if in.w.leakClose {
		go func() { <-in.w.rec.release }()
	}
	return nil
}

type replWorker struct {
	in   *replInstance
	done bool
}

func (wk *replWorker) Op() error {
	in := wk.in
	if wk.done {
		in.late.Add(1)
	}
	now := time.Now().UnixNano()
	in.t0.CompareAndSwap(0, now)
	if in.w.doneAtOnce || !in.w.never && time.Duration(now-in.t0.Load()) >= in.w.sampleTime {
		wk.done = true
		return fmt.Errorf("client: %w", workloads.ErrSampleDone)
	}
	time.Sleep(200 * time.Microsecond)
	in.ops.Add(1)
	return nil
}

func (wk *replWorker) Close() error { return nil }

func replConfig(ws ...workloads.Workload) Config {
	c := testConfig(ws...)
	c.Procs, c.Goroutines, c.Count = []int{1}, []int{1, 3}, 2
	return c
}

// TestReplicatedPoints checks a sweep of a replicated workload: one
// StartReplicated per design and no Start, names with consistency=
// after the lock, each sample on its own design's instance, the
// clients under lock none, and Timed samples that call Op until it
// says done, never after, and count exactly the ops done before.
func TestReplicatedPoints(t *testing.T) {
	w := newRepl("test/repl")
	c := replConfig(w)
	var progress []Progress
	c.Progress = func(p Progress) { progress = append(progress, p) }
	rs := run(t, c)

	if !slices.Equal(w.rec.designs, []string{"cp", "ap"}) || w.rec.starts != 0 {
		t.Errorf("StartReplicated with %v and Start %d times, want cp then ap and no Start", w.rec.designs, w.rec.starts)
	}
	if w.rec.closed != 2 {
		t.Errorf("%d instances closed, want 2", w.rec.closed)
	}
	none := gil.None{}.Thread()
	for i, env := range w.rec.envs {
		if env != workloads.Env(none) {
			t.Fatalf("worker %d got Env %T, want lock none's thread: the clients hold no lock", i, env)
		}
	}
	var want []string
	for _, d := range []string{"cp", "ap"} {
		for _, g := range c.Goroutines {
			want = append(want, fmt.Sprintf("Test/repl/lock=none/consistency=%s/goroutines=%d-1", d, g))
		}
	}
	var points []string
	for _, p := range c.Points() {
		points = append(points, p.Name())
	}
	if !slices.Equal(points, want) {
		t.Errorf("Points() =\n%v\nwant\n%v", points, want)
	}
	counts := map[string]int{}
	for _, r := range rs {
		name := string(r.Name)
		counts[name]++
		pt, err := results.ParseName(name)
		if err != nil {
			t.Fatal(err)
		}
		design, _ := r.Value("design")
		if got := pt.Get(results.KeyConsistency); got != w.Consistencies()[int(design)] {
			t.Errorf("%s: measured on the %s instance", name, w.Consistencies()[int(design)])
		}
		counted, _ := r.Value("counted-ops")
		if late, _ := r.Value("late-ops"); late != 0 {
			t.Errorf("%s: Op called %v times after it said the sample was done", name, late)
		}
		if r.Iters == 0 || float64(r.Iters) != counted {
			t.Errorf("%s: %d ops on the line, the instance counted %v", name, r.Iters, counted)
		}
		// The goroutines ran until the sample time had passed: a lower
		// bound, which no slow machine breaks.
		if sec, _ := r.Value("sec/op"); time.Duration(sec*float64(r.Iters)*1e9) < w.sampleTime {
			t.Errorf("%s: the sample lasted %v, under its sample time %v", name, time.Duration(sec*float64(r.Iters)*1e9), w.sampleTime)
		}
	}
	for _, name := range want {
		if counts[name] != c.Count {
			t.Errorf("%s: %d samples, want %d", name, counts[name], c.Count)
		}
	}
	// No calibration: the run's work is its samples alone.
	for _, in := range w.rec.instance {
		if n := len(in.samples); n != c.Count*len(c.Goroutines) {
			t.Errorf("%s: %d samples on its instance, want %d and no calibration run", in.design, n, c.Count*len(c.Goroutines))
		}
	}
	if len(progress) == 0 || progress[0].Total != len(want)*c.Count {
		t.Errorf("progress %+v: want a total of %d samples and no calibration", progress[0], len(want)*c.Count)
	}
}

// TestReplicatedConsistencyChosen checks that Config.Consistency picks
// the designs run: one instance, the names of that design only.
func TestReplicatedConsistencyChosen(t *testing.T) {
	w := newRepl("test/repl")
	c := replConfig(w)
	c.Goroutines, c.Count = []int{2}, 1
	c.Consistency = []string{"ap"}
	rs := run(t, c)
	if !slices.Equal(w.rec.designs, []string{"ap"}) {
		t.Errorf("StartReplicated with %v, want ap only", w.rec.designs)
	}
	for _, r := range rs {
		if got := string(r.Name); got != "Test/repl/lock=none/consistency=ap/goroutines=2-1" {
			t.Errorf("result %s", got)
		}
	}
	// Beside a workload that sweeps locks, a replicated one is planned
	// under lock none only.
	mixed := replConfig(w)
	mixed.Workloads = append(mixed.Workloads, countWorkload{name: "test/count"})
	mixed.Locks, mixed.Consistency = []string{"none", "gil"}, nil
	if err := mixed.Validate(); err != nil {
		t.Fatalf("Validate of a mixed sweep under none and gil: %v", err)
	}
	locks := map[string][]string{}
	for _, p := range mixed.Points() {
		if !slices.Contains(locks[p.Workload], p.Lock) {
			locks[p.Workload] = append(locks[p.Workload], p.Lock)
		}
	}
	if !slices.Equal(locks["test/repl"], []string{"none"}) || !slices.Equal(locks["test/count"], []string{"none", "gil"}) {
		t.Errorf("locks planned %v, want test/repl under none only, test/count under none and gil", locks)
	}
	// A sweep of no replicated workload has no consistency key.
	plain := testConfig(countWorkload{name: "test/count"})
	for _, p := range plain.Points() {
		if strings.Contains(p.Name(), "consistency=") {
			t.Errorf("%s: a workload without replicas named with a consistency", p.Name())
		}
	}
}

// TestReplicatedInvalid checks that a sweep the replicated workloads
// cannot run is a FieldError naming the field at fault, before any
// instance starts.
func TestReplicatedInvalid(t *testing.T) {
	for _, tc := range []struct {
		name  string
		set   func(*Config)
		field string
		text  string // in the message
	}{
		{"a workload without replicas", func(c *Config) {
			c.Workloads = append(c.Workloads, countWorkload{name: "test/count"})
			c.Consistency = []string{"cp"}
		}, "Consistency", "test/count has no replicas"},
		{"no such design", func(c *Config) { c.Consistency = []string{"ca"} }, "Consistency", "valid: cp, ap"},
		{"a design twice", func(c *Config) { c.Consistency = []string{"cp", "cp"} }, "Consistency", "cp given twice"},
		{"empty list", func(c *Config) { c.Consistency = []string{} }, "Consistency", "empty list"},
		{"a workload without replicas before a bad design", func(c *Config) {
			c.Workloads = append(c.Workloads, countWorkload{name: "test/count"})
			c.Consistency = []string{"ca"}
		}, "Consistency", "test/count has no replicas"},
		{"no lock none", func(c *Config) { c.Locks = []string{"gil", "mutex"} }, "Locks", "add none"},
		{"processes", func(c *Config) { c.Exec.Modes = []string{ExecProcesses} }, "Exec.Modes", "run as goroutines"},
		{"even replicas under cp", func(c *Config) { c.Params.Replicas = 4 }, "Params.Replicas", "test/repl under consistency cp"},
		{"even replicas under cp, chosen", func(c *Config) { c.Params.Replicas, c.Consistency = 4, []string{"ap", "cp"} }, "Params.Replicas", "cp wants an odd count"},
		{"replicas out of range", func(c *Config) { c.Params.Replicas = workloads.MaxReplicas + 1 }, "Params.Replicas", "want 1 to"},
		{"bad partition", func(c *Config) { c.Params.Partition = "everyone" }, "Params.Partition", "minority, halves, isolate-leader"},
		{"replicas without a replicated workload", func(c *Config) {
			c.Workloads = []workloads.Workload{lookup(t, "cpu/sha256")}
			c.Params.Replicas = 5
		}, "Params.Replicas", "no workload in"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newRepl("test/repl")
			c := replConfig(w)
			tc.set(&c)
			c.Points() // before Validate, as the command may: no panic
			err := Run(context.Background(), c, nil, func(*benchfmt.Result) error { return nil })
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != tc.field || !errors.Is(err, ErrInvalid) {
				t.Fatalf("Run = %v, want a FieldError naming %s", err, tc.field)
			}
			if !strings.Contains(err.Error(), tc.text) {
				t.Errorf("error %q does not say %q", err, tc.text)
			}
			if len(w.rec.designs) != 0 {
				t.Errorf("instances started (%v) before the check", w.rec.designs)
			}
		})
	}
	// Valid: an even count under ap alone, and the replicated knobs
	// with a replicated workload.
	w := newRepl("test/repl")
	c := replConfig(w)
	c.Params.Replicas, c.Params.Partition, c.Consistency = 4, workloads.PartitionHalves, []string{"ap"}
	if err := c.Validate(); err != nil {
		t.Errorf("4 replicas under ap: %v", err)
	}
}

// TestTimedPlan checks a Timed point's plan: no ops to size, its
// sample time as the estimate's price, and a watchdog of at least 3
// sample times and timedSlack, or the runner's when longer.
func TestTimedPlan(t *testing.T) {
	for _, tc := range []struct {
		runner, sample, want time.Duration
	}{
		{10 * time.Second, 3 * time.Second, 9*time.Second + timedSlack},
		{time.Hour, 3 * time.Second, time.Hour},
	} {
		r := &runner{timeout: tc.runner}
		pt := &point{sampleTime: tc.sample}
		r.timedPlan(pt)
		if pt.timeout != tc.want || pt.plan != tc.sample || pt.ops != 0 {
			t.Errorf("runner %v, sample %v: timeout %v, plan %v, ops %d; want %v, %v, 0", tc.runner, tc.sample, pt.timeout, pt.plan, pt.ops, tc.want, tc.sample)
		}
	}
}

// TestTimedFailures checks the two ways a Timed instance fails its
// point: an Op that never says the sample is done hangs until the
// watchdog, and a sample in which every Op says so at once has no
// sec/op.
func TestTimedFailures(t *testing.T) {
	slack := timedSlack
	timedSlack = 0
	defer func() { timedSlack = slack }()
	for _, tc := range []struct {
		name   string
		set    func(*replWorkload)
		is     error
		prefix string
	}{
		{"never done", func(w *replWorkload) { w.never = true }, ErrHung, ""},
		{"done at once", func(w *replWorkload) { w.doneAtOnce = true }, nil, "a timed sample did no op"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newRepl("test/repl")
			tc.set(&w)
			c := replConfig(w)
			c.Goroutines, c.Consistency = []int{2}, []string{"ap"}
			c.SampleTimeout = 300 * time.Millisecond
			err := Run(context.Background(), c, nil, func(*benchfmt.Result) error { return nil })
			var failed *FailedError
			if !errors.As(err, &failed) || len(failed.Failures) != 1 {
				t.Fatalf("Run = %v, want the point failed", err)
			}
			ferr := failed.Failures[0].Err
			if tc.is != nil && !errors.Is(ferr, tc.is) || !strings.Contains(ferr.Error(), tc.prefix) {
				t.Errorf("failure %v, want %v %q", ferr, tc.is, tc.prefix)
			}
		})
	}
}

// TestSingleRefusesTimed checks that a Single, whose samples its caller
// sizes in ops, refuses an Instance whose samples last a set time.
func TestSingleRefusesTimed(t *testing.T) {
	w := newRepl("test/repl")
	in, _ := w.StartReplicated(workloads.DefaultParams(), "ap")
	if _, err := NewSingle(w.Name(), in, "none", gil.DefaultOptions(), 1); err == nil {
		t.Error("NewSingle of a Timed instance: no error")
	}
}

// TestTimedLeakAfterClose checks the leak check of a Timed instance,
// which its samples skip: a goroutine its Close leaves behind is a
// *LeakError naming the workload in Run's error, its samples written.
func TestTimedLeakAfterClose(t *testing.T) {
	w := newRepl("test/repl")
	w.leakClose, w.rec.release = true, make(chan struct{})
	defer close(w.rec.release)
	c := replConfig(w)
	c.Goroutines, c.Count, c.Consistency = []int{2}, 1, []string{"ap"}
	n := 0
	err := Run(context.Background(), c, nil, func(*benchfmt.Result) error { n++; return nil })
	var leak *LeakError
	if !errors.As(err, &leak) || leak.Workload != "test/repl" || leak.Goroutines != 1 {
		t.Fatalf("Run = %v, want a LeakError of test/repl's goroutine", err)
	}
	if errors.As(err, new(*FailedError)) || n != 1 {
		t.Errorf("Run = %v with %d samples written, want the sample and no failed point", err, n)
	}
}

// TestEmptyConsistencyPoints checks that an empty Consistency, which
// Validate refuses, plans no point of a replicated workload (the
// command asks for Points before it validates) and the rest as usual.
func TestEmptyConsistencyPoints(t *testing.T) {
	c := replConfig(newRepl("test/repl"), countWorkload{name: "test/count"})
	c.Consistency = []string{}
	for _, p := range c.Points() {
		if p.Workload != "test/count" {
			t.Errorf("point %s planned with no design", p.Name())
		}
	}
	if len(c.Points()) != len(c.Goroutines) {
		t.Errorf("%d points, want test/count's %d", len(c.Points()), len(c.Goroutines))
	}
}
