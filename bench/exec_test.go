package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/parbench/parbench/internal/procs"
	"github.com/parbench/parbench/results"
	"github.com/parbench/parbench/workloads"
	"golang.org/x/perf/benchfmt"
)

// TestMain lets this test binary serve as the worker processes of
// --exec processes.
func TestMain(m *testing.M) {
	procs.MaybeServe()
	// Under -race a process sleeps 1s at exit; workers need not.
	os.Setenv("GORACE", "atexit_sleep_ms=0")
	os.Exit(m.Run())
}

// execFault crashes or hangs on its 5th op, or fails to close its
// worker, in a worker process only.
type execFault struct{ mode string }

func (w execFault) Name() string    { return "test/exec-" + w.mode }
func (w execFault) Summary() string { return "worker process that " + w.mode + "es" }
func (w execFault) Start(workloads.Params) (workloads.Instance, error) {
	return &execFaultInst{mode: w.mode}, nil
}

type execFaultInst struct {
	mode string
	ops  int
}

func (in *execFaultInst) NewWorker(workloads.Env) (workloads.Worker, error) {
	if in.mode == "close" {
		return execCloseFails{in}, nil
	}
	return in, nil
}
func (in *execFaultInst) Close() error { return nil }

// execCloseFails is a worker whose Close fails in a worker process.
type execCloseFails struct{ *execFaultInst }

func (execCloseFails) Close() error {
	if procs.IsWorker() {
		return errors.New("worker would not close")
	}
	return nil
}

func (in *execFaultInst) Op() error {
	in.ops++
	if in.ops == 5 && procs.IsWorker() {
		switch in.mode {
		case "crash":
			fmt.Fprintln(os.Stderr, "crash: worker gives up")
			os.Exit(7)
		case "hang":
			select {}
		}
	}
	return nil
}

func init() {
	workloads.Register(execFault{"crash"})
	workloads.Register(execFault{"hang"})
	workloads.Register(execFault{"close"})
}

func lookup(t *testing.T, name string) workloads.Workload {
	t.Helper()
	ws, err := workloads.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return ws[0]
}

func noWorkersLeft(t *testing.T) {
	t.Helper()
	pids, err := procs.Children()
	if err != nil {
		t.Skipf("no process list: %v", err)
	}
	if len(pids) > 0 {
		t.Errorf("worker processes outlived the run: %v", pids)
	}
}

func TestExecProcessesNames(t *testing.T) {
	c := testConfig(lookup(t, "cpu/sha256"), lookup(t, "io/tcp"))
	c.Locks = []string{"gil"}
	c.Procs, c.Goroutines, c.Count = []int{1}, []int{2}, 2
	c.Exec = ExecConfig{Modes: []string{ExecGoroutines, ExecProcesses}, Payloads: []int{0, 1024}}
	rs := run(t, c)
	got := map[string]int{}
	for _, r := range rs {
		got[string(r.Name)]++
		p, err := results.ParseName(string(r.Name))
		if err != nil {
			t.Fatal(err)
		}
		_, hasStartup := unitValue(r, UnitStartup)
		if (p.Get("exec") == ExecProcesses) != hasStartup {
			t.Errorf("%s: %s present = %v", r.Name, UnitStartup, hasStartup)
		}
	}
	for _, w := range []string{"CPU/sha256", "IO/tcp"} {
		for _, x := range []string{"goroutines", "processes"} {
			for _, p := range []string{"0", "1024"} {
				name := w + "/lock=gil/exec=" + x + "/payload=" + p + "/goroutines=2-1"
				if got[name] != 2 {
					t.Errorf("%s: %d samples, want 2 (have %v)", name, got[name], got)
				}
			}
		}
	}
	noWorkersLeft(t)
}

func unitValue(r *benchfmt.Result, unit string) (float64, bool) {
	for _, v := range r.Values {
		if v.Unit == unit {
			return v.Value, true
		}
	}
	return 0, false
}

// A goroutines-only sweep keeps the names it had before --exec.
func TestExecGoroutinesKeepsNames(t *testing.T) {
	c := testConfig()
	c.Exec = ExecConfig{Modes: []string{ExecGoroutines}}
	for _, p := range c.Points() {
		if p.Extra != nil {
			t.Errorf("%s carries %v", p.Name(), p.Extra)
		}
	}
	for _, kv := range c.FileConfig(time.Now()) {
		if kv.Key == "exec" || kv.Key == "payload" {
			t.Errorf("file configuration has %s", kv.Key)
		}
	}
}

// goroutinesOnly is a workload that cannot run in a worker process.
type goroutinesOnly struct{ countWorkload }

func (goroutinesOnly) GoroutinesOnly() string { return "its server and database live in one process" }

func TestExecValidate(t *testing.T) {
	webapp := goroutinesOnly{countWorkload{name: "webapp/orders"}}
	tests := []struct {
		e    ExecConfig
		ws   []workloads.Workload
		want string
	}{
		{ExecConfig{Modes: []string{"threads"}}, nil, `Exec.Modes "threads"`},
		{ExecConfig{Modes: []string{ExecProcesses, ExecProcesses}}, nil, "given twice"},
		{ExecConfig{Payloads: []int{1024}}, nil, "Exec.Payloads 1024: only Exec.Modes processes"},
		{ExecConfig{IncludeStartup: true}, nil, "Exec.IncludeStartup"},
		{ExecConfig{Modes: []string{ExecProcesses}, Payloads: []int{procs.MaxPayload + 1}}, nil, "Exec.Payloads"},
		{ExecConfig{Modes: []string{ExecProcesses}}, []workloads.Workload{webapp}, "webapp/orders runs as goroutines only"},
		{ExecConfig{Modes: []string{ExecGoroutines}}, []workloads.Workload{webapp}, ""},
	}
	for _, tt := range tests {
		err := tt.e.validate(tt.ws)
		if tt.want == "" {
			if err != nil {
				t.Errorf("%+v: %v", tt.e, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: %v, want an error containing %q", tt.e, err, tt.want)
		}
	}
}

// TestExecGoroutinesOnly checks that what refuses a workload in a
// processes sweep is workloads.GoroutinesOnly, not its name, and that
// the error reads as it always has.
func TestExecGoroutinesOnly(t *testing.T) {
	procs := ExecConfig{Modes: []string{ExecGoroutines, ExecProcesses}}
	err := procs.validate([]workloads.Workload{
		countWorkload{name: "cpu/count"},
		goroutinesOnly{countWorkload{name: "webapp/orders"}},
	})
	// As parbench names the fields (package cli's fieldFlags).
	flags := map[string]string{"Exec.Modes": "--exec", "Workloads": "--workloads"}
	const want = "--exec processes: webapp/orders runs as goroutines only (its server and database live in one process); drop it from --workloads or use --exec goroutines"
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != "Exec.Modes" || fe.Message(func(f string) string { return flags[f] }) != want {
		t.Errorf("validate: %v, want a FieldError of Exec.Modes reading %q", err, want)
	}
	if err := procs.validate([]workloads.Workload{goroutinesOnly{countWorkload{name: "cpu/server"}}}); err == nil {
		t.Error("validate accepted a GoroutinesOnly workload outside webapp/")
	}
	if err := procs.validate([]workloads.Workload{countWorkload{name: "webapp/orders"}}); err != nil {
		t.Errorf("validate refused a webapp/ name that can run in a process: %v", err)
	}
}

func TestExecWorkerFailures(t *testing.T) {
	tests := []struct {
		mode string
		want []string
	}{
		{"crash", []string{"worker", "exit status 7", "crash: worker gives up"}},
		{"hang", []string{"did not finish"}},
		{"close", []string{"worker", "closing the worker: worker would not close"}},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			c := testConfig(lookup(t, "test/exec-"+tt.mode))
			c.Procs, c.Goroutines, c.Count = []int{1}, []int{2}, 1
			c.Benchtime = 50 * time.Millisecond
			c.SampleTimeout = 5 * time.Second
			c.Exec = ExecConfig{Modes: []string{ExecProcesses}}
			err := Run(context.Background(), c, nil, func(*benchfmt.Result) error { return nil })
			var failed *FailedError
			if !errors.As(err, &failed) {
				t.Fatalf("Run = %v, want a *FailedError", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			time.Sleep(100 * time.Millisecond) // the abandoned sample reaps its workers
			noWorkersLeft(t)
		})
	}
}

// IncludeStartup adds each sample's start-up to its time but sizes its
// ops without it: the timed ops still fill about Benchtime. Sized on a
// time that holds the start-up (milliseconds of fork and exec against
// microseconds of sha256), a sample held a few ops and its sec/op was
// the start-up's.
func TestIncludeStartupCalibratesWithout(t *testing.T) {
	c := testConfig(lookup(t, "cpu/sha256"))
	c.Locks = []string{"none"}
	c.Procs, c.Goroutines, c.Count = []int{1}, []int{1}, 2
	c.Benchtime = 50 * time.Millisecond
	c.Exec = ExecConfig{Modes: []string{ExecProcesses}, IncludeStartup: true}
	rs := run(t, c)
	if len(rs) != 2 {
		t.Fatalf("%d results, want 2", len(rs))
	}
	for _, r := range rs {
		sec, _ := unitValue(r, "sec/op")
		startup, ok := unitValue(r, UnitStartup)
		if !ok {
			t.Fatalf("%s: no %s", r.Name, UnitStartup)
		}
		total := sec * float64(r.Iters)
		// The reported time holds the start-up and the timed ops.
		if total < startup {
			t.Errorf("%s: %d ops at %.3g sec/op = %.3gs, less than its start-up %.3gs", r.Name, r.Iters, sec, total, startup)
		}
		// The timed ops fill a good share of Benchtime (a tenth: an
		// honest margin for a loaded machine and -race); sized with
		// the start-up inside, they filled a few microseconds.
		if ops := total - startup; ops < c.Benchtime.Seconds()/10 {
			t.Errorf("%s: %d ops took %.3gs beside a %.3gs start-up, want at least a tenth of Benchtime %v: the op count was sized with the start-up inside", r.Name, r.Iters, ops, startup, c.Benchtime)
		}
	}
	noWorkersLeft(t)
}
