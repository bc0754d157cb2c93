package bench

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parbench/parbench/bench/gil"
	"github.com/parbench/parbench/results"
	"github.com/parbench/parbench/workloads"
)

// servedWorkload is a workloads.Served that records how the runner
// starts it: its StartService calls, and the Env of every worker made
// on its instances. Its instances report their shape as figures, so a
// test can check that each sample ran on its point's instance.
type servedWorkload struct {
	countWorkload
	rec *serviceRecord
}

type serviceRecord struct {
	mu       sync.Mutex
	services []workloads.Service // StartService's, in call order
	starts   int                 // Start's
	envs     []workloads.Env     // NewWorker's, all instances
}

func newServed(name string) servedWorkload {
	return servedWorkload{countWorkload{name: name}, &serviceRecord{}}
}

func (w servedWorkload) Start(workloads.Params) (workloads.Instance, error) {
	w.rec.mu.Lock()
	w.rec.starts++
	w.rec.mu.Unlock()
	return &servedInstance{countInstance: &countInstance{}, rec: w.rec}, nil
}

func (w servedWorkload) StartService(_ workloads.Params, s workloads.Service) (workloads.Instance, error) {
	w.rec.mu.Lock()
	defer w.rec.mu.Unlock()
	w.rec.services = append(w.rec.services, s)
	return &servedInstance{countInstance: &countInstance{}, rec: w.rec, svc: s}, nil
}

type servedInstance struct {
	*countInstance
	rec *serviceRecord
	svc workloads.Service
}

func (in *servedInstance) NewWorker(env workloads.Env) (workloads.Worker, error) {
	in.rec.mu.Lock()
	in.rec.envs = append(in.rec.envs, env)
	in.rec.mu.Unlock()
	return in.countInstance.NewWorker(env)
}

// The units of servedInstance's figures: its shape, and its lock as an
// index of gil.Modes.
const (
	unitShapeWorkers = "shape-workers"
	unitShapeThreads = "shape-threads"
	unitShapeLock    = "shape-lock"
)

func (in *servedInstance) EndSample(wall time.Duration, ops int64) []workloads.Metric {
	return append(in.countInstance.EndSample(wall, ops),
		workloads.Metric{Value: float64(in.svc.Workers), Unit: unitShapeWorkers},
		workloads.Metric{Value: float64(in.svc.Threads), Unit: unitShapeThreads},
		workloads.Metric{Value: float64(slices.Index(gil.Modes(), in.svc.Lock)), Unit: unitShapeLock},
		workloads.Metric{Value: fakeServerCPU.Seconds(), Unit: results.UnitServerCPU},
	)
}

// fakeServerCPU is the service CPU per op servedInstance reports: far
// more than its clients' own, so that a point's cpu-sec/op shows
// whether the runner counted it.
const fakeServerCPU = 10 * time.Millisecond

func servedConfig(ws ...workloads.Workload) Config {
	c := testConfig(ws...)
	c.Locks = []string{"none", "gil"}
	c.Service = ServiceConfig{Workers: []int{1, 2}, Threads: []int{1, 4}}
	c.Procs, c.Goroutines, c.Count = []int{1}, []int{1, 2}, 2
	return c
}

// TestServedPoints checks a served sweep: one StartService per lock and
// shape with the point's lock and the sweep's lock options, no Start,
// clients under lock none while the names keep the point's lock, each
// sample on its own point's instance, and the names in sweep order with
// the shape's keys.
func TestServedPoints(t *testing.T) {
	w := newServed("test/served")
	c := servedConfig(w)
	c.LockOpts.SwitchInterval = 2 * time.Millisecond
	rs := run(t, c)

	var want []workloads.Service
	for _, l := range c.Locks {
		for _, nw := range c.Service.Workers {
			for _, nt := range c.Service.Threads {
				want = append(want, workloads.Service{Workers: nw, Threads: nt, Lock: l,
					SwitchInterval: c.LockOpts.SwitchInterval, CheckInterval: c.LockOpts.CheckInterval})
			}
		}
	}
	if !reflect.DeepEqual(w.rec.services, want) {
		t.Errorf("StartService calls:\n%v\nwant one per lock and shape:\n%v", w.rec.services, want)
	}
	if w.rec.starts != 0 {
		t.Errorf("Start called %d times in a served sweep", w.rec.starts)
	}
	none := gil.None{}.Thread()
	for i, env := range w.rec.envs {
		if env != workloads.Env(none) {
			t.Fatalf("worker %d got Env %T, want lock none's thread: the clients hold no lock", i, env)
		}
	}

	var names []string
	for _, l := range c.Locks {
		for _, nw := range c.Service.Workers {
			for _, nt := range c.Service.Threads {
				for _, g := range c.Goroutines {
					names = append(names, fmt.Sprintf("Test/served/lock=%s/server-workers=%d/server-threads=%d/goroutines=%d-1", l, nw, nt, g))
				}
			}
		}
	}
	var points []string
	for _, p := range c.Points() {
		points = append(points, p.Name())
	}
	if !slices.Equal(points, names) {
		t.Errorf("Points:\n%s\nwant:\n%s", strings.Join(points, "\n"), strings.Join(names, "\n"))
	}
	if len(rs) != len(names)*c.Count {
		t.Fatalf("%d results, want %d", len(rs), len(names)*c.Count)
	}
	for i, r := range rs {
		if i < len(names) && string(r.Name) != names[i] { // the first round goes in sweep order
			t.Errorf("result %d is %s, want %s", i, r.Name, names[i])
		}
		p, err := results.ParseName(string(r.Name))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range []struct {
			unit, want string
		}{
			{unitShapeWorkers, p.Get(results.KeyServerWorkers)},
			{unitShapeThreads, p.Get(results.KeyServerThreads)},
			{unitShapeLock, strconv.Itoa(slices.Index(gil.Modes(), p.Lock))},
		} {
			if v, ok := unitValue(r, f.unit); !ok || strconv.FormatFloat(v, 'g', -1, 64) != f.want {
				t.Errorf("%s: %s %v (present %v), want %s: the sample ran on another point's instance", r.Name, f.unit, v, ok, f.want)
			}
		}
		// The service's CPU counts in the point's: its processes are
		// the point's too.
		cpu, _ := unitValue(r, "cpu-sec/op")
		par, _ := unitValue(r, "parallelism")
		op, _ := unitValue(r, "sec/op")
		if cpu < fakeServerCPU.Seconds() || math.Abs(par-cpu/op) > 1e-6*par {
			t.Errorf("%s: cpu-sec/op %v, parallelism %v at %v sec/op: want the service's %v a op counted in both", r.Name, cpu, par, op, fakeServerCPU)
		}
	}
}

// TestServedOneList checks that a shape given by one list sweeps it
// against 1 of the other, in the names and in the file configuration.
func TestServedOneList(t *testing.T) {
	for _, tc := range []struct {
		s                ServiceConfig
		workers, threads string
		names            []string
	}{
		{ServiceConfig{Threads: []int{2, 8}}, "1", "2,8",
			[]string{"Test/served/lock=gil/server-workers=1/server-threads=2/goroutines=4-2", "Test/served/lock=gil/server-workers=1/server-threads=8/goroutines=4-2"}},
		{ServiceConfig{Workers: []int{3}}, "3", "1",
			[]string{"Test/served/lock=gil/server-workers=3/server-threads=1/goroutines=4-2"}},
	} {
		c := testConfig(newServed("test/served"))
		c.Locks, c.Procs, c.Goroutines = []string{"gil"}, []int{2}, []int{4}
		c.Service = tc.s
		if err := c.Validate(); err != nil {
			t.Fatalf("%+v: %v", tc.s, err)
		}
		var names []string
		for _, p := range c.Points() {
			names = append(names, p.Name())
		}
		if !slices.Equal(names, tc.names) {
			t.Errorf("%+v: points %v, want %v", tc.s, names, tc.names)
		}
		cfg := fileConfig(c)
		if cfg[results.KeyServerWorkers] != tc.workers || cfg[results.KeyServerThreads] != tc.threads || cfg[results.KeyHandlerCPU] != "300µs" {
			t.Errorf("%+v: file configuration server-workers %q, server-threads %q, handler-cpu %q; want %q, %q, 300µs",
				tc.s, cfg[results.KeyServerWorkers], cfg[results.KeyServerThreads], cfg[results.KeyHandlerCPU], tc.workers, tc.threads)
		}
	}
}

// A sweep without a shape starts its workloads as before, names its
// points as before and writes none of the shape's keys.
func TestUnservedUnchanged(t *testing.T) {
	w := newServed("test/served")
	c := testConfig(w)
	c.Locks, c.Procs, c.Goroutines, c.Count = []string{"gil"}, []int{1}, []int{2}, 1
	rs := run(t, c)
	if w.rec.starts != 1 || len(w.rec.services) != 0 {
		t.Errorf("Start called %d times, StartService %d: want Start once", w.rec.starts, len(w.rec.services))
	}
	if len(rs) != 1 || string(rs[0].Name) != "Test/served/lock=gil/goroutines=2-1" {
		t.Errorf("results %v", rs)
	}
	if len(w.rec.envs) == 0 {
		t.Fatal("no worker made")
	}
	for i, env := range w.rec.envs {
		if env == workloads.Env(gil.None{}.Thread()) {
			t.Errorf("worker %d runs free: without a shape the clients hold --lock", i)
		}
	}
	cfg := fileConfig(c)
	for _, k := range []string{results.KeyServerWorkers, results.KeyServerThreads, results.KeyHandlerCPU} {
		if v, ok := cfg[k]; ok {
			t.Errorf("file configuration has %s %q", k, v)
		}
	}
}

func fileConfig(c Config) map[string]string {
	m := map[string]string{}
	for _, kv := range c.FileConfig(time.Unix(0, 0)) {
		m[kv.Key] = kv.Value
	}
	return m
}

func TestServiceValidate(t *testing.T) {
	served := newServed("test/served")
	handler := workloads.DefaultParams()
	handler.HandlerCPU = time.Millisecond
	for _, tc := range []struct {
		name   string
		s      ServiceConfig
		ws     []workloads.Workload
		exec   ExecConfig
		params *workloads.Params
		field  string
		want   string
	}{
		{"ok", ServiceConfig{Workers: []int{1, 64}, Threads: []int{1, 256}}, nil, ExecConfig{}, nil, "", ""},
		{"zero threads", ServiceConfig{Threads: []int{0}}, nil, ExecConfig{}, nil, "Service.Threads", "Service.Threads 0: want 1 to 256 threads per worker process"},
		{"too many workers", ServiceConfig{Workers: []int{1, 65}}, nil, ExecConfig{}, nil, "Service.Workers", "Service.Workers 65: want 1 to 64 worker processes"},
		{"too many threads", ServiceConfig{Threads: []int{300}}, nil, ExecConfig{}, nil, "Service.Threads", "Service.Threads 300: want 1 to 256"},
		{"twice", ServiceConfig{Threads: []int{2, 4, 2}}, nil, ExecConfig{}, nil, "Service.Threads", "Service.Threads: 2 given twice"},
		{"empty", ServiceConfig{Workers: []int{}}, nil, ExecConfig{}, nil, "Service.Workers", "Service.Workers: empty list"},
		{"not served", ServiceConfig{Threads: []int{2}}, []workloads.Workload{countWorkload{name: "cpu/count"}}, ExecConfig{}, nil, "Service.Threads",
			"Service.Threads: cpu/count has no service to shape (served workloads: "},
		{"not served, both lists", ServiceConfig{Workers: []int{2}, Threads: []int{2}}, []workloads.Workload{countWorkload{name: "cpu/count"}}, ExecConfig{}, nil, "Service.Workers",
			"drop it from Workloads, or drop Service.Workers and Service.Threads"},
		{"processes", ServiceConfig{Workers: []int{2}}, nil, ExecConfig{Modes: []string{ExecProcesses}}, nil, "Exec.Modes",
			"Exec.Modes processes: the clients of a served sweep (Service.Workers) run as goroutines"},
		{"handler without shape", ServiceConfig{}, nil, ExecConfig{}, &handler, "Params.HandlerCPU",
			"Params.HandlerCPU 1ms: only the service of a served sweep runs a handler"},
		{"handler with shape", ServiceConfig{Threads: []int{2}}, nil, ExecConfig{}, &handler, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := testConfig(append([]workloads.Workload{served}, tc.ws...)...)
			c.Service, c.Exec = tc.s, tc.exec
			if tc.params != nil {
				c.Params = *tc.params
			}
			checkValidate(t, c.Validate(), tc.field, tc.want)
		})
	}
}

// checkValidate checks Validate's err: nil where want is "", else a
// *FieldError on field whose message contains want.
func checkValidate(t *testing.T, err error, field, want string) {
	t.Helper()
	var fe *FieldError
	switch {
	case want == "" && err != nil:
		t.Fatalf("Validate: %v", err)
	case want == "":
	case !errors.As(err, &fe) || fe.Field != field || !strings.Contains(err.Error(), want):
		t.Errorf("Validate: %v, want a FieldError on %s containing %q", err, field, want)
	}
}

// TestServedResume checks that an interrupted served sweep resumes
// with the same lists, its points' names being the ones the file has,
// and that other lists are refused, naming the key.
func TestServedResume(t *testing.T) {
	c := servedConfig(newServed("test/served"))
	path := interruptedFile(t, c)
	r, err := ReadResume(path)
	if err != nil {
		t.Fatal(err)
	}
	other := c
	other.Service.Threads = []int{1, 8}
	var re *ResumeError
	if _, err := r.Check(other, time.Now()); !errors.As(err, &re) || re.Key != results.KeyServerThreads {
		t.Errorf("Check with other threads: %v, want a ResumeError on %s", err, results.KeyServerThreads)
	}
	unserved := c
	unserved.Service = ServiceConfig{}
	if _, err := r.Check(unserved, time.Now()); err == nil || !strings.Contains(err.Error(), results.KeyServerWorkers) {
		t.Errorf("Check without a shape: %v, want it refused for the file's %s", err, results.KeyServerWorkers)
	}
	res, run, err := runFile(t, c, Output{Resume: r})
	if err != nil {
		t.Fatal(err)
	}
	if total := len(c.Points()) * c.Count; res.Written != total-2 || len(run.Samples) != total {
		t.Errorf("resumed: wrote %d, the file has %d samples; want %d and %d", res.Written, len(run.Samples), total-2, total)
	}
}
