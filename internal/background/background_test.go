package background

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parbench/parbench/bench/gil"
	"github.com/parbench/parbench/workloads"
)

type instance struct {
	n        int
	ops      atomic.Int64
	failAt   int64
	closeErr error // every worker's Close returns it
	closed   atomic.Int32
	occupied atomic.Int32
	overlap  atomic.Int32
}

func (in *instance) NewWorker(workloads.Env) (workloads.Worker, error) { return nil, nil }
func (in *instance) Close() error                                      { return nil }
func (in *instance) Background() int                                   { return in.n }
func (in *instance) NewBackground(env workloads.Env) (workloads.Worker, error) {
	return &worker{in: in, env: env}, nil
}

type worker struct {
	in  *instance
	env workloads.Env
}

func (w *worker) Op() error {
	if w.in.occupied.Add(1) > 1 {
		w.in.overlap.Add(1)
	}
	workloads.Spin(workloads.NopEnv{}, 2)
	w.in.occupied.Add(-1)
	w.env.Check(1)
	if n := w.in.ops.Add(1); w.in.failAt > 0 && n == w.in.failAt {
		return errors.New("op failed")
	}
	return nil
}
func (w *worker) Close() error { w.in.closed.Add(1); return w.in.closeErr }

// TestGroup checks that background goroutines run under the lock (never
// two at once in their CPU work under gil), stop at End, and close their
// workers.
func TestGroup(t *testing.T) {
	in := &instance{n: 3}
	opts := gil.DefaultOptions()
	opts.SwitchInterval = 100 * time.Microsecond
	lock, err := gil.New("gil", opts)
	if err != nil {
		t.Fatal(err)
	}
	g, err := Start(in, lock)
	if err != nil {
		t.Fatal(err)
	}
	for in.ops.Load() < 100 {
		time.Sleep(time.Millisecond)
	}
	if err := g.End(); err != nil {
		t.Fatal(err)
	}
	after := in.ops.Load()
	time.Sleep(5 * time.Millisecond)
	if in.ops.Load() != after {
		t.Errorf("ops went on after End")
	}
	if in.closed.Load() != 3 {
		t.Errorf("%d workers closed, want 3", in.closed.Load())
	}
	if in.overlap.Load() != 0 {
		t.Errorf("%d ops overlapped under gil", in.overlap.Load())
	}
	if g.End() != nil {
		t.Error("a second End changed the result")
	}
}

func TestGroupError(t *testing.T) {
	in := &instance{n: 2, failAt: 10}
	g, err := Start(in, gil.None{})
	if err != nil {
		t.Fatal(err)
	}
	for in.ops.Load() < 10 {
		time.Sleep(time.Millisecond)
	}
	if err := g.End(); err == nil || err.Error() != "background goroutine: op failed" {
		t.Errorf("End() = %v, want the op's error", err)
	}
}

// TestGroupCloseError checks that End returns a worker's Close error
// when no op failed.
func TestGroupCloseError(t *testing.T) {
	errClose := errors.New("close failed")
	in := &instance{n: 2, closeErr: errClose}
	g, err := Start(in, gil.None{})
	if err != nil {
		t.Fatal(err)
	}
	if err := g.End(); !errors.Is(err, errClose) {
		t.Errorf("End() = %v, want the Close error", err)
	}
	if in.closed.Load() != 2 {
		t.Errorf("%d workers closed, want 2", in.closed.Load())
	}
}

func TestNone(t *testing.T) {
	g, err := Start(&instance{n: 0}, gil.None{})
	if g != nil || err != nil {
		t.Fatalf("Start with no background goroutines = %v, %v; want nil, nil", g, err)
	}
	g.Stop()
	if g.End() != nil {
		t.Error("End on a nil Group returned an error")
	}
}
