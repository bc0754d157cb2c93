package procs

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/parbench/parbench/bench/gil"
	"github.com/parbench/parbench/workloads"
)

// faultWorkload misbehaves in a worker process on its 3rd op: it exits,
// hangs, writes garbage on the protocol pipe, or returns an error.
type faultWorkload struct{ mode string }

func (w faultWorkload) Name() string    { return "test/" + w.mode }
func (w faultWorkload) Summary() string { return "misbehaving worker" }
func (w faultWorkload) Start(workloads.Params) (workloads.Instance, error) {
	return &faultInstance{mode: w.mode}, nil
}

type faultInstance struct {
	mode string
	ops  int
}

func (in *faultInstance) NewWorker(workloads.Env) (workloads.Worker, error) { return in, nil }
func (in *faultInstance) Close() error                                      { return nil }

func (in *faultInstance) Op() error {
	in.ops++
	if in.ops != 3 {
		return nil
	}
	switch in.mode {
	case "exit":
		fmt.Fprintln(os.Stderr, "boom: about to exit")
		os.Exit(3)
	case "hang":
		select {}
	case "garbage":
		os.Stdout.WriteString("hello, this is not a frame\n")
	case "fail":
		return errors.New("the op's own error")
	}
	return nil
}

func init() {
	for _, m := range []string{"exit", "hang", "garbage", "fail", "ok"} {
		workloads.Register(faultWorkload{m})
	}
}

// TestMain makes this test binary a worker when the pool runs it.
// With hangEnv set, a worker hangs before it reads its hello.
func TestMain(m *testing.M) {
	if IsWorker() && os.Getenv(hangEnv) != "" {
		select {}
	}
	MaybeServe()
	// Under -race a process sleeps 1s at exit; workers need not.
	os.Setenv("GORACE", "atexit_sleep_ms=0")
	os.Exit(m.Run())
}

const hangEnv = "PROCS_TEST_HANG_AT_START"

func spec(workload, lock string, payload int) Spec {
	return Spec{Workload: workload, Lock: lock, LockOpts: gil.DefaultOptions(), Procs: 1,
		Params: workloads.DefaultParams(), Payload: payload}
}

// noChildren fails t if any worker process of this process is left.
func noChildren(t *testing.T) {
	t.Helper()
	pids, err := Children()
	if err != nil {
		t.Skipf("no process list: %v", err)
	}
	if len(pids) > 0 {
		t.Errorf("worker processes left behind: %v", pids)
	}
}

func runPool(t *testing.T, w int, sp Spec, n, chunk int64, weak bool) ([]int64, Stats) {
	t.Helper()
	p, err := Start(w, sp, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := p.Begin(); err != nil {
		t.Fatal(err)
	}
	done, err := p.Run(n, chunk, weak)
	if err != nil {
		t.Fatal(err)
	}
	st, err := p.End(time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	for i := range done {
		if done[i] != st.Ops[i] {
			t.Errorf("worker %d: parent counted %d ops, worker %d", i, done[i], st.Ops[i])
		}
	}
	return done, st
}

func TestPoolSharesOps(t *testing.T) {
	tests := []struct {
		workload, lock string
		workers        int
		payload        int
		n, chunk       int64
		weak           bool
	}{
		{"cpu/sha256", "gil", 3, 1 << 10, 1000, 7, false},
		{"cpu/sha256", "none", 2, 0, 101, 10, false},
		{"test/ok", "none", 2, 300 << 10, 20, 5, false}, // chunks capped by bytes
		{"io/tcp", "gil", 2, 16, 50, 4, false},          // each worker its own echo server
		{"test/ok", "mutex", 3, 8, 17, 4, true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%s/w=%d/payload=%d/weak=%v", tt.workload, tt.lock, tt.workers, tt.payload, tt.weak), func(t *testing.T) {
			done, st := runPool(t, tt.workers, spec(tt.workload, tt.lock, tt.payload), tt.n, tt.chunk, tt.weak)
			var sum int64
			for _, d := range done {
				sum += d
				if tt.weak && d != tt.n {
					t.Errorf("weak: a worker did %d ops, want %d", d, tt.n)
				}
			}
			want := tt.n
			if tt.weak {
				want *= int64(tt.workers)
			}
			if sum != want {
				t.Errorf("did %d ops in all, want %d (%v)", sum, want, done)
			}
			if st.CPU <= 0 {
				t.Errorf("workers' CPU time %v, want > 0", st.CPU)
			}
			noChildren(t)
		})
	}
}

func TestPoolConvoyFigures(t *testing.T) {
	sp := spec("latency/convoy", "gil", 0)
	sp.Params.CPUGoroutines = 1
	_, st := runPool(t, 2, sp, 40, 4, false)
	units := map[string]bool{}
	for _, m := range st.Metrics {
		units[m.Unit] = true
	}
	for _, u := range []string{workloads.UnitP50, workloads.UnitMax, workloads.UnitRate} {
		if !units[u] {
			t.Errorf("no %s among %v", u, st.Metrics)
		}
	}
	noChildren(t)
}

func TestPoolFailures(t *testing.T) {
	tests := []struct {
		mode string
		want []string // in the error
	}{
		{"exit", []string{"worker 1", "exit status 3", "boom: about to exit"}},
		{"garbage", []string{"worker 1", "wrote garbage", "above the maximum"}},
		{"fail", []string{"worker 1", "op failed: the op's own error"}},
		{"hang", []string{"worker 1", "aborted"}},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			p, err := Start(2, spec("test/"+tt.mode, "none", 0), DefaultOptions())
			if err != nil {
				t.Fatal(err)
			}
			defer p.Abort()
			// Worker 0 gets ops 0 and 1 only; worker 1 reaches its 3rd op.
			// A watchdog, as the runner has, ends a hang.
			timer := time.AfterFunc(time.Second, p.Abort)
			defer timer.Stop()
			_, err = p.runSplit(2, 5)
			var we *WorkerError
			if !errors.As(err, &we) {
				t.Fatalf("Run = %v, want a *WorkerError", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			p.Abort()
			noChildren(t)
		})
	}
}

// runSplit gives worker 0 a ops and worker 1 b ops, in one frame each.
func (p *Pool) runSplit(a, b int64) ([]int64, error) {
	done := make([]int64, 2)
	err := p.each(func(w *proc) error {
		k := []int64{a, b}[w.idx]
		if _, err := w.in.Write(p.workFrame(nil, k)); err != nil {
			return p.fail(w, err)
		}
		if _, err := p.expect(w, tDone, 0); err != nil {
			return err
		}
		done[w.idx] = k
		return nil
	})
	return done, err
}

func TestStartFailure(t *testing.T) {
	_, err := Start(2, spec("no/such", "none", 0), DefaultOptions())
	if err == nil || !strings.Contains(err.Error(), `workload "no/such"`) {
		t.Errorf("Start = %v, want an error quoting the worker's stderr about the workload", err)
	}
	noChildren(t)
}

func TestStartTimeout(t *testing.T) {
	opt := DefaultOptions()
	opt.StartTimeout = 300 * time.Millisecond
	t.Setenv(hangEnv, "1")
	_, err := Start(1, spec("test/ok", "none", 0), opt)
	if err == nil || !strings.Contains(err.Error(), "no reply within") {
		t.Errorf("Start = %v, want a timeout", err)
	}
	noChildren(t)
}

func TestMergeMetrics(t *testing.T) {
	got := MergeMetrics([][]workloads.Metric{
		{{Value: 1, Unit: "p50-sec"}, {Value: 3, Unit: "max-sec"}, {Value: 10, Unit: "ops/s"}, {Value: 500, Unit: "latencies"}},
		{{Value: 3, Unit: "p50-sec"}, {Value: 2, Unit: "max-sec"}, {Value: 20, Unit: "ops/s"}, {Value: 600, Unit: "latencies"}},
	})
	want := []workloads.Metric{{Value: 2, Unit: "p50-sec"}, {Value: 3, Unit: "max-sec"}, {Value: 30, Unit: "ops/s"}, {Value: 1100, Unit: "latencies"}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("MergeMetrics = %v, want %v", got, want)
	}
	// A worker with too few latencies for a p99 leaves it out: the
	// merged line has none, since the other's p99 is not the p99 of
	// the summed count.
	got = MergeMetrics([][]workloads.Metric{
		{{Value: 1, Unit: "p50-sec"}, {Value: 9, Unit: "p99-sec"}, {Value: 150, Unit: "latencies"}},
		{{Value: 3, Unit: "p50-sec"}, {Value: 50, Unit: "latencies"}},
	})
	want = []workloads.Metric{{Value: 2, Unit: "p50-sec"}, {Value: 200, Unit: "latencies"}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("MergeMetrics with a p99 from one worker = %v, want %v", got, want)
	}
}
