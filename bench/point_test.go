package bench

import (
	"errors"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parbench/parbench/bench/gil"
	"github.com/parbench/parbench/workloads"
)

// funcInstance is an Instance whose workers call op; close, if set, is
// each worker's Close.
type funcInstance struct {
	op    func(env workloads.Env) error
	close func() error
}

func (in funcInstance) NewWorker(env workloads.Env) (workloads.Worker, error) {
	return funcWorker{in: in, env: env}, nil
}
func (funcInstance) Close() error { return nil }

type funcWorker struct {
	in  funcInstance
	env workloads.Env
}

func (w funcWorker) Op() error { return w.in.op(w.env) }
func (w funcWorker) Close() error {
	if w.in.close != nil {
		return w.in.close()
	}
	return nil
}

func TestNewSingleValidates(t *testing.T) {
	ok := funcInstance{op: func(workloads.Env) error { return nil }}
	bad := gil.DefaultOptions()
	bad.SwitchInterval = 0
	for _, tc := range []struct {
		lock       string
		goroutines int
		opts       gil.Options
		field      string
	}{
		{"gli", 1, gil.DefaultOptions(), "Lock"},
		{"none", 0, gil.DefaultOptions(), "Goroutines"},
		{"none", MaxGoroutines + 1, gil.DefaultOptions(), "Goroutines"},
		{"gil", 1, bad, "LockOpts.SwitchInterval"},
	} {
		_, err := NewSingle("test", ok, tc.lock, tc.opts, tc.goroutines)
		var fe *FieldError
		if !errors.Is(err, ErrInvalid) || !errors.As(err, &fe) || fe.Field != tc.field {
			t.Errorf("NewSingle(lock %q, goroutines %d) = %v, want a *FieldError of %s", tc.lock, tc.goroutines, err, tc.field)
		}
	}
}

// TestSingleSample checks one sample: exactly the ops asked for, shared
// by the goroutines, at the caller's GOMAXPROCS, left as it was; the
// window hook called once each way; the figures of a result line.
func TestSingleSample(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	for _, lock := range []string{"none", "gil"} {
		t.Run(lock, func(t *testing.T) {
			var ops atomic.Int64
			var procs sync.Map
			in := funcInstance{op: func(env workloads.Env) error {
				ops.Add(1)
				procs.Store(runtime.GOMAXPROCS(0), true)
				workloads.Spin(env, 1)
				return nil
			}}
			s, err := NewSingle("test", in, lock, gil.DefaultOptions(), 3)
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range []int64{1, 1000} {
				ops.Store(0)
				var calls []bool
				got, err := s.Sample(n, func(start bool) { calls = append(calls, start) })
				if err != nil {
					t.Fatal(err)
				}
				if got.Ops != n || ops.Load() != n {
					t.Errorf("Sample(%d): Ops %d, ops run %d", n, got.Ops, ops.Load())
				}
				if !slices.Equal(calls, []bool{true, false}) {
					t.Errorf("Sample(%d): window calls %v, want [true false]", n, calls)
				}
				if got.Wall <= 0 {
					t.Errorf("Sample(%d): Wall %v", n, got.Wall)
				}
				var units []string
				for _, v := range got.Values {
					units = append(units, v.Unit)
				}
				want := []string{"cpu-sec/op", "parallelism"}
				if lock == "gil" {
					want = append(want, gil.UnitSwitches, gil.UnitTenure, gil.UnitWait)
				}
				if len(units) < len(want) || !slices.Equal(units[:len(want)], want) || slices.Contains(units, "sec/op") {
					t.Errorf("Sample(%d) units %v, want %v first and no sec/op", n, units, want)
				}
			}
			if p := runtime.GOMAXPROCS(0); p != 1 {
				t.Errorf("GOMAXPROCS %d after the samples, want 1 as before", p)
			}
			procs.Range(func(k, _ any) bool {
				if k.(int) != 1 {
					t.Errorf("an op ran at GOMAXPROCS %d, want the caller's 1", k)
				}
				return true
			})
		})
	}
}

// TestSingleOpError checks that an op's error fails the sample with it.
func TestSingleOpError(t *testing.T) {
	boom := errors.New("boom")
	var n atomic.Int64
	in := funcInstance{op: func(workloads.Env) error {
		if n.Add(1) == 5 {
			return boom
		}
		return nil
	}}
	s, err := NewSingle("test", in, "none", gil.DefaultOptions(), 2)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Sample(100, nil); !errors.Is(err, boom) {
		t.Errorf("Sample = %v, want the op's error", err)
	}
}

// TestSingleHangWindow checks that a sample the watchdog abandons calls
// no window hook after Sample returned, even when its goroutines end
// later, and that the Single takes no more samples.
func TestSingleHangWindow(t *testing.T) {
	release := make(chan struct{})
	closed := make(chan struct{}, 1)
	in := funcInstance{
		op: func(workloads.Env) error { <-release; return nil },
		close: func() error {
			closed <- struct{}{}
			return nil
		},
	}
	s, err := NewSingle("test", in, "none", gil.DefaultOptions(), 1)
	if err != nil {
		t.Fatal(err)
	}
	s.Timeout = 100 * time.Millisecond
	var mu sync.Mutex
	var calls []bool
	returned := false
	late := false
	_, err = s.Sample(1, func(start bool) {
		mu.Lock()
		defer mu.Unlock()
		calls = append(calls, start)
		late = late || returned
	})
	mu.Lock()
	returned = true
	mu.Unlock()
	if !errors.Is(err, ErrHung) {
		t.Fatalf("Sample = %v, want ErrHung", err)
	}
	close(release)
	<-closed // the workers close after divide's mark(false)
	mu.Lock()
	defer mu.Unlock()
	if late || !slices.Equal(calls, []bool{true}) {
		t.Errorf("window calls %v (one after Sample returned: %v), want [true]", calls, late)
	}
	if _, err := s.Sample(1, nil); !errors.Is(err, ErrHung) {
		t.Errorf("Sample after a hang = %v, want an error wrapping ErrHung", err)
	}
}

func TestChunkFor(t *testing.T) {
	const us = time.Microsecond
	for _, tc := range []struct {
		ops    int64
		wall   time.Duration
		n      int64
		g      int
		strong bool
		want   int64
	}{
		{ops: 1000, wall: 1000 * us, n: 1e6, g: 1, strong: true, want: 100},  // 1µs ops: 100µs a draw
		{ops: 1000, wall: 1000 * us, n: 1e6, g: 4, strong: true, want: 25},   // 4µs of one goroutine's work per op
		{ops: 1000, wall: 1000 * us, n: 200, g: 1, strong: true, want: 50},   // at least 4 draws per goroutine
		{ops: 1000, wall: 1000 * us, n: 200, g: 1, strong: false, want: 100}, // weak: n is each goroutine's
		{ops: 1e6, wall: 1000 * us, n: 1e9, g: 1, strong: true, want: 10000}, // at most 10,000
		{ops: 1, wall: time.Second, n: 1e9, g: 1, strong: true, want: 1},     // slow ops: one a draw
		{ops: 1000, wall: 0, n: 1e9, g: 1, strong: true, want: 10000},        // an unmeasurably fast run
		{ops: 1000, wall: 1000 * us, n: 3, g: 8, strong: true, want: 1},      // fewer ops than goroutines
		// A Single's one-op probe on 64 goroutines: one goroutine did
		// the op, so an op is the probe's 20µs, not 64 times that.
		{ops: 1, wall: 20 * us, n: 1e5, g: 64, strong: true, want: 5},
		{ops: 3, wall: 30 * us, n: 1e5, g: 8, strong: true, want: 3}, // 3 ops on 8 goroutines: 3 did one each in 30µs
	} {
		if got := chunkFor(tc.ops, tc.wall, tc.n, tc.g, tc.strong); got != tc.want {
			t.Errorf("chunkFor(%d ops in %v, n %d, g %d, strong %v) = %d, want %d", tc.ops, tc.wall, tc.n, tc.g, tc.strong, got, tc.want)
		}
	}
}

// TestSingleChunkFromLargest checks that a Single sizes its chunks by the
// largest sample it took, not by a smaller one after it: testing's
// one-op probe of each -cpu value comes after the full samples of the
// one before.
func TestSingleChunkFromLargest(t *testing.T) {
	in := funcInstance{op: func(workloads.Env) error { return nil }}
	s, err := NewSingle("test", in, "none", gil.DefaultOptions(), 2)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int64{1, 1000, 1, 10} {
		if _, err := s.Sample(n, nil); err != nil {
			t.Fatal(err)
		}
	}
	if s.lastOps != 1000 {
		t.Errorf("after samples of 1, 1000, 1 and 10 ops the chunk is sized by a sample of %d ops, want the largest, 1000", s.lastOps)
	}
}

// TestSingleNeverSetsGOMAXPROCS checks that a Single's point has no
// GOMAXPROCS (Procs 0), so that the sample's runtime.GOMAXPROCS(pt.Procs)
// (sample.go, the one call on a sample's path) only reads: since Go 1.25
// setting it, even to the value it has, turns off the runtime's own
// updates of it. That state cannot be read back (and a test binary has
// it set already: testing sets GOMAXPROCS for every test), so the test
// checks the point and the value.
func TestSingleNeverSetsGOMAXPROCS(t *testing.T) {
	before := runtime.GOMAXPROCS(0)
	in := funcInstance{op: func(workloads.Env) error { return nil }}
	s, err := NewSingle("test", in, "gil", gil.DefaultOptions(), 2)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int64{1, 100} {
		if _, err := s.Sample(n, nil); err != nil {
			t.Fatal(err)
		}
		if s.pt.Procs != 0 {
			t.Errorf("after Sample(%d) the point's Procs is %d, want 0: the sample would call runtime.GOMAXPROCS(%d)", n, s.pt.Procs, s.pt.Procs)
		}
		if p := runtime.GOMAXPROCS(0); p != before {
			t.Errorf("GOMAXPROCS %d after Sample(%d), want %d as before", p, n, before)
		}
	}
}
