package bench

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parbench/parbench/results"
	"github.com/parbench/parbench/workloads"
	"go.uber.org/goleak"
	"golang.org/x/perf/benchfmt"
)

// badWorkload misbehaves on purpose at one goroutine count: it hangs,
// panics, leaks or fails to close a worker there, and counts like countWorkload elsewhere.
type badWorkload struct {
	name    string
	badG    int
	mode    string        // "hang", "panic", "leak-goroutine", "leak-listener", "close-error"
	release chan struct{} // a hung op returns when this is closed
}

func (w badWorkload) Name() string    { return w.name }
func (w badWorkload) Summary() string { return "misbehaving test workload" }
func (w badWorkload) Start(workloads.Params) (workloads.Instance, error) {
	return &badInstance{w: w}, nil
}

type badInstance struct {
	w      badWorkload
	leaked []net.Listener
}

func (in *badInstance) NewWorker(workloads.Env) (workloads.Worker, error) {
	return &badWorker{in: in}, nil
}

func (in *badInstance) Close() error {
	for _, l := range in.leaked {
		l.Close()
	}
	return nil
}

type badWorker struct {
	in  *badInstance
	ops int
}

var badG atomic.Int64 // the goroutine count of the sample in flight

func (w *badWorker) Op() error {
	w.ops++
	if int(badG.Load()) == w.in.w.badG && w.ops == 3 {
		switch w.in.w.mode {
		case "hang":
			<-w.in.w.release
		case "panic":
			panic("workload exploded")
		}
	}
	workloads.Spin(workloads.NopEnv{}, 1)
	return nil
}

func (w *badWorker) Close() error {
	if int(badG.Load()) != w.in.w.badG {
		return nil
	}
	switch w.in.w.mode {
	case "leak-goroutine":
		go func() { <-w.in.w.release }()
	case "leak-listener":
		if l, err := net.Listen("tcp", "127.0.0.1:0"); err == nil {
			w.in.leaked = append(w.in.leaked, l)
		}
	case "close-error":
		return errCloseWorker
	}
	return nil
}

var errCloseWorker = errors.New("worker would not close")

// runBad runs a sweep over goroutines 1 and 2 of w, with badG set per
// sample through the Progress hook's point, and returns the results, the
// notes and Run's error.
func runBad(t *testing.T, w badWorkload) ([]string, []results.Note, error) {
	t.Helper()
	c := testConfig()
	c.Workloads = []workloads.Workload{gWorkload{w}}
	c.Procs = []int{1}
	c.Goroutines = []int{1, 2}
	c.Count = 3
	c.SampleTimeout = 300 * time.Millisecond
	var names []string
	var notes []results.Note
	c.Note = func(n results.Note) error { notes = append(notes, n); return nil }
	err := Run(context.Background(), c, nil, func(r *benchfmt.Result) error {
		names = append(names, string(r.Name))
		return nil
	})
	return names, notes, err
}

// gWorkload tells badWorker the goroutine count of each sample.
type gWorkload struct{ badWorkload }

func (w gWorkload) Start(p workloads.Params) (workloads.Instance, error) {
	in, err := w.badWorkload.Start(p)
	return gInstance{in.(*badInstance)}, err
}

type gInstance struct{ *badInstance }

func (in gInstance) BeginSample() { badG.Store(0) }
func (in gInstance) EndSample(time.Duration, int64) []workloads.Metric {
	return nil
}

// NewWorker counts the workers of the sample, so Op knows its G.
func (in gInstance) NewWorker(env workloads.Env) (workloads.Worker, error) {
	badG.Add(1)
	return in.badInstance.NewWorker(env)
}

func TestWatchdogAbandonsHungSample(t *testing.T) {
	release := make(chan struct{})
	names, notes, err := runBad(t, badWorkload{name: "cpu/hang", badG: 2, mode: "hang", release: release})
	close(release)
	var failed *FailedError
	if !errors.As(err, &failed) || !errors.Is(err, ErrHung) {
		t.Fatalf("Run = %v, want a *FailedError wrapping ErrHung", err)
	}
	if len(failed.Failures) != 1 || !strings.Contains(failed.Failures[0].Point, "goroutines=2") {
		t.Errorf("failures = %v, want the goroutines=2 point only", failed.Failures)
	}
	// The sweep went on: the healthy point has all its samples.
	if n := count(names, "goroutines=1-1"); n != 3 {
		t.Errorf("healthy point: %d samples, want 3", n)
	}
	if !hasNote(notes, results.NoteFailed, "goroutines=2") {
		t.Errorf("notes %v lack a failed note for goroutines=2", notes)
	}
	goleak.VerifyNone(t, goleak.IgnoreCurrent())
}

func TestPanicIsCaughtPerSample(t *testing.T) {
	names, notes, err := runBad(t, badWorkload{name: "cpu/panic", badG: 1, mode: "panic"})
	var pe *PanicError
	if !errors.As(err, &pe) || !strings.Contains(string(pe.Stack), "badWorker") {
		t.Fatalf("Run = %v, want a *PanicError with the workload's stack", err)
	}
	if n := count(names, "goroutines=2-1"); n != 3 {
		t.Errorf("healthy point: %d samples, want 3", n)
	}
	if !hasNote(notes, results.NoteFailed, "workload exploded") {
		t.Errorf("notes %v lack the panic", notes)
	}
}

// TestWorkerCloseErrorFailsPoint checks that a worker's Close error
// fails its point like an op's error, with a note, and the sweep goes on.
func TestWorkerCloseErrorFailsPoint(t *testing.T) {
	names, notes, err := runBad(t, badWorkload{name: "cpu/unclosable", badG: 2, mode: "close-error"})
	var failed *FailedError
	if !errors.As(err, &failed) || !errors.Is(err, errCloseWorker) {
		t.Fatalf("Run = %v, want a *FailedError wrapping the Close error", err)
	}
	if len(failed.Failures) != 1 || !strings.Contains(failed.Failures[0].Point, "goroutines=2") {
		t.Errorf("failures = %v, want the goroutines=2 point only", failed.Failures)
	}
	if n := count(names, "goroutines=1-1"); n != 3 {
		t.Errorf("healthy point: %d samples, want 3", n)
	}
	if !hasNote(notes, results.NoteFailed, "closing worker") {
		t.Errorf("notes %v lack the Close error", notes)
	}
}

func TestLeakCheckNamesWorkload(t *testing.T) {
	for _, mode := range []string{"leak-goroutine", "leak-listener"} {
		t.Run(mode, func(t *testing.T) {
			release := make(chan struct{})
			defer close(release)
			_, _, err := runBad(t, badWorkload{name: "io/leaky", badG: 2, mode: mode, release: release})
			var le *LeakError
			if !errors.As(err, &le) || le.Workload != "io/leaky" {
				t.Fatalf("Run = %v, want a *LeakError naming io/leaky", err)
			}
			if mode == "leak-listener" && !strings.Contains(err.Error(), "listener on 127.0.0.1:") {
				t.Errorf("error %q does not name the listener", err)
			}
		})
	}
}

func TestTargetCIStops(t *testing.T) {
	c := testConfig(countWorkload{name: "cpu/count"})
	c.Procs, c.Goroutines = []int{1}, []int{1}
	c.Count = 40
	c.TargetCI = 0.99 // wide: usually met at the minimum, but the machine is noisy
	var notes []results.Note
	c.Note = func(n results.Note) error { notes = append(notes, n); return nil }
	rs := run(t, c)
	if len(rs) < MinAdaptive || len(rs) > c.Count {
		t.Errorf("%d samples, want %d to %d", len(rs), MinAdaptive, c.Count)
	}
	if len(notes) != 1 || notes[0].Field("samples") != strconv.Itoa(len(rs)) {
		t.Fatalf("notes = %v, want one stop note with samples=%d", notes, len(rs))
	}
	if r := notes[0].Field("reason"); r != "ci" && !(r == "count" && len(rs) == c.Count) {
		t.Errorf("reason %q after %d samples", r, len(rs))
	}
}

// TestMaybeStop checks the stopping rule on made-up samples.
func TestMaybeStop(t *testing.T) {
	for _, tc := range []struct {
		name   string
		secs   []float64
		target float64
		want   string // reason, "" for no stop
	}{
		{"quiet, too few", []float64{1, 1, 1, 1, 1}, 0.02, ""},
		{"quiet, enough", []float64{1, 1, 1, 1, 1, 1}, 0.02, "ci"},
		{"noisy", []float64{1, 2, 1, 2, 1, 2, 1}, 0.02, ""},
		{"noisy at count", []float64{1, 2, 1, 2, 1, 2, 1, 2, 1, 2}, 0.02, "count"},
		{"no target", []float64{1, 1, 1, 1, 1, 1}, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			c.Count, c.TargetCI = 10, tc.target
			var notes []results.Note
			c.Note = func(n results.Note) error { notes = append(notes, n); return nil }
			r := newRunner(context.Background(), c)
			pt := &point{Point: results.Point{Workload: "cpu/x", Lock: "none", Goroutines: 1, Procs: 1}, secs: tc.secs}
			if err := r.maybeStop(pt); err != nil {
				t.Fatal(err)
			}
			got := ""
			if len(notes) == 1 {
				got = notes[0].Field("reason")
			}
			if got != tc.want || pt.over != (tc.want != "") {
				t.Errorf("reason %q, over %v; want %q", got, pt.over, tc.want)
			}
		})
	}
}

func TestPriorSamplesCount(t *testing.T) {
	c := testConfig(countWorkload{name: "cpu/count"})
	c.Procs, c.Goroutines, c.Count = []int{1, 2}, []int{1}, 4
	c.Prior = map[string]Prior{
		"CPU/count/lock=none/goroutines=1-1": {SecPerOp: []float64{1, 1, 1, 1}},
		"CPU/count/lock=none/goroutines=1-2": {SecPerOp: []float64{1}},
	}
	rs := run(t, c)
	if len(rs) != 3 {
		t.Fatalf("%d samples, want the 3 missing", len(rs))
	}
	for _, r := range rs {
		if string(r.Name) != "CPU/count/lock=none/goroutines=1-2" {
			t.Errorf("sampled %s, which the file already had", r.Name)
		}
	}
}

func TestStopEndsAfterSampleInFlight(t *testing.T) {
	c := testConfig(countWorkload{name: "cpu/count"})
	stop := make(chan struct{})
	c.Stop = stop
	n := 0
	err := Run(context.Background(), c, nil, func(*benchfmt.Result) error {
		n++
		if n == 2 {
			close(stop)
		}
		return nil
	})
	if !errors.Is(err, ErrInterrupted) || n != 2 {
		t.Errorf("Run = %v after %d results, want ErrInterrupted after 2", err, n)
	}
}

func TestCIHalfWidth(t *testing.T) {
	if hw := CIHalfWidth([]float64{1, 1, 1, 1, 1}); hw < 1e300 {
		t.Errorf("5 values: half-width %v, want +Inf", hw)
	}
	xs := []float64{100, 101, 99, 100, 102, 98, 100, 100}
	if hw := CIHalfWidth(xs); hw <= 0 || hw > 0.021 {
		t.Errorf("half-width %v, want within (0, 2%%]", hw)
	}
	if cv := CV([]float64{1, 1, 1}); cv != 0 {
		t.Errorf("CV of equal values = %v", cv)
	}
}

func TestParseProcStat(t *testing.T) {
	st := parseProcStat([]byte("cpu  100 0 50 800 10 0 0 40 0 0\ncpu0 1 2 3\nprocs_running 3\nprocs_blocked 0\n"))
	if !st.ok || st.total != 1000 || st.steal != 40 || st.procsRunning != 3 {
		t.Errorf("parseProcStat = %+v", st)
	}
	st.own = -1
	b := procStat{ok: true, total: 1100, steal: 50, procsRunning: 1, own: -1}
	n := noiseBetween(st, b)
	if n.steal != 0.1 || n.others != 1 {
		t.Errorf("noiseBetween = %+v, want steal 0.1, others 1", n)
	}
	// The run's own child processes' runnable threads are not others.
	st.own, b.own = 3, 1
	if n := noiseBetween(st, b); n.others != 0 {
		t.Errorf("noiseBetween with 3 and 1 runnable threads of the run = %+v, want others 0", n)
	}
	if parseProcStat([]byte("garbage")).ok {
		t.Error("garbage parsed as /proc/stat")
	}
}

func count(names []string, suffix string) int {
	n := 0
	for _, s := range names {
		if strings.HasSuffix(s, suffix) {
			n++
		}
	}
	return n
}

func hasNote(notes []results.Note, key, sub string) bool {
	for _, n := range notes {
		if n.Key == key && strings.Contains(n.Value, sub) {
			return true
		}
	}
	return false
}
