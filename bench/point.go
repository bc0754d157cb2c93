package bench

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/parbench/parbench/bench/gil"
	"github.com/parbench/parbench/results"
	"github.com/parbench/parbench/workloads"
	"golang.org/x/perf/benchfmt"
)

// Single measures one point outside a sweep, one sample at a time, for
// a caller that sizes its samples itself: package bench/partest, where
// testing.B picks each b.N. Each sample is a sweep's own (the runner's
// sample and measure): a fresh lock, one Worker per goroutine with its
// gil.Thread as Env, a GC, the goroutines released together, the ops
// drawn in chunks from one counter shared by all goroutines (strong
// scaling), the watchdog, the check that exactly the ops asked for were
// done, the leak check, and the same figures as a result line of
// parbench run.
//
// Unlike a sweep's point it has no GOMAXPROCS of its own: each sample
// runs at the caller's runtime.GOMAXPROCS(0) and leaves it as it is.
// It takes no calibration: each sample's chunk is sized by the rate of
// the largest sample before it (chunk 1 for the first), with the
// formula that calibration uses. A workloads.MinOpser's floor does not apply: the
// caller sizes every sample.
type Single struct {
	// Timeout is the watchdog of each sample; 0 means 20 times the
	// sample's expected time, and at least a minute (singleTimeout).
	Timeout time.Duration

	r        *runner
	pt       *point
	lastOps  int64 // the largest sample's ops and time, for the next chunk
	lastWall time.Duration
	warnings []Warning
	hung     error // a sample's ErrHung: no more samples
}

// Sample is what one sample of a Single measured.
type Sample struct {
	Ops  int64         // ops done, all goroutines together
	Wall time.Duration // the timed window: from the release of the goroutines to the last op's end
	// Values holds every figure of a parbench result line beyond
	// sec/op, in the order a sweep writes them: cpu-sec/op,
	// parallelism, the lock's figures, the workload's own (a
	// workloads.Sampler's), the runtime's metrics, steal-frac and
	// other-runnable. Units are package results' and each lock's; a
	// figure undefined for the sample is left out, as on a result line.
	Values []benchfmt.Value
	// Warnings are findings about the sample that are not failures (the
	// OS starved the process, so the watchdog waited longer).
	Warnings []Warning
}

// NewSingle returns a Single of in under lock mode lock (package gil,
// with opts) with goroutines goroutines. name names the workload in
// errors and warnings (a leak names it). Its errors match ErrInvalid
// and are *FieldErrors naming "Lock", "Goroutines" or the LockOpts
// field, with what would be valid.
func NewSingle(name string, in workloads.Instance, lock string, opts gil.Options, goroutines int) (*Single, error) {
	if err := gil.Check(lock); err != nil {
		return nil, invalid(&FieldError{Field: "Lock", Err: err})
	}
	if goroutines < 1 || goroutines > MaxGoroutines {
		return nil, invalid(&FieldError{Field: "Goroutines", Value: strconv.Itoa(goroutines), Err: fmt.Errorf("want 1 to %d", MaxGoroutines)})
	}
	if err := checkLockOpts(opts); err != nil {
		return nil, invalid(err)
	}
	if in == nil {
		return nil, errors.New("bench: NewSingle of a nil Instance")
	}
	if _, ok := in.(workloads.Timed); ok {
		return nil, fmt.Errorf("bench: NewSingle of %s, a workloads.Timed Instance: its samples last a set time, and a Single's are sized by their caller", name)
	}
	s := &Single{}
	c := Config{LockOpts: opts, Scaling: Strong, Benchtime: time.Second}
	c.Warn = func(w Warning) { s.warnings = append(s.warnings, w) }
	s.r = newRunner(context.Background(), c)
	s.pt = &point{
		Point: results.Point{Workload: name, Lock: lock, Goroutines: goroutines},
		inst:  in,
		chunk: 1,
	}
	return s, nil
}

// FileConfig returns the file configuration of how the Single takes
// its samples, the part of a sweep's (Config.FileConfig) that applies
// to it: strong scaling and its lock options, each key package results'.
func (s *Single) FileConfig() []results.Config {
	return lockFileConfig(Strong, s.r.c.LockOpts)
}

// singleTimeout is a Single's default watchdog for a sample expected to
// take d (0 when unknown: the first sample): DefaultSampleTimeout(d),
// 20 times d, and never under a minute. Under go test the samples are
// testing.B's, sized to -benchtime (1s by default) by a rate that may
// rest on a single op, so the floor is six times a sweep's. go test's
// own -timeout (10 minutes by default) still ends the whole binary; the
// watchdog ends the one sample first, with the lock's state and every
// goroutine's stack in its *HangError.
func singleTimeout(d time.Duration) time.Duration {
	return max(DefaultSampleTimeout(d), time.Minute)
}

// Sample runs ops ops on the Single's goroutines, which draw them from
// one shared counter, and returns what it measured. window, if not nil,
// is called with true just before the timed window opens and with false
// just after it closes (testing.B's StartTimer and StopTimer), outside
// every figure; it is never called once Sample has returned, even for a
// sample the watchdog abandoned. An op's error, a Worker's Close error,
// a panic (*PanicError), a hang past the Timeout (*HangError, which
// wraps ErrHung), goroutines or descriptors left behind (*LeakError)
// and a miscount of ops fail the sample.
func (s *Single) Sample(ops int64, window func(start bool)) (Sample, error) {
	if s.hung != nil {
		return Sample{}, fmt.Errorf("bench: a Single whose sample hung takes no more samples: %w", s.hung)
	}
	if ops < 1 {
		return Sample{}, fmt.Errorf("bench: Single.Sample of %d ops, want at least 1", ops)
	}
	pt := s.pt
	// pt.Procs stays 0, so the sample's runtime.GOMAXPROCS(pt.Procs)
	// only reads. Since Go 1.25 a call with a positive value, even the
	// value the runtime has, makes GOMAXPROCS custom and stops the
	// runtime's own updates of it when the CPU limit changes
	// (runtime.SetDefaultGOMAXPROCS).
	pt.timeout = s.Timeout
	if s.lastOps > 0 {
		pt.chunk = chunkFor(s.lastOps, s.lastWall, ops, pt.Goroutines, true)
		if pt.timeout == 0 {
			pt.timeout = singleTimeout(time.Duration(float64(s.lastWall) * float64(ops) / float64(s.lastOps)))
		}
	}
	if pt.timeout == 0 {
		pt.timeout = singleTimeout(0)
	}
	var (
		mu   sync.Mutex
		over bool
	)
	pt.window = nil
	if window != nil {
		pt.window = func(start bool) {
			mu.Lock()
			defer mu.Unlock()
			if !over {
				window(start)
			}
		}
	}
	defer func() {
		mu.Lock()
		over = true
		mu.Unlock()
	}()
	s.warnings = nil
	res, err := s.r.sample(pt, ops)
	warnings := s.warnings
	s.warnings = nil
	if errors.Is(err, ErrHung) {
		// Its goroutines may still run and read pt: no later sample
		// may change it.
		s.hung = err
	}
	if err != nil {
		return Sample{Warnings: warnings}, err
	}
	// The next chunks are sized by the largest sample so far: testing's
	// first call of each run is a probe of one op, whose time is mostly
	// waking the goroutines, and under -benchtime=Nx or -cpu 1,2 the
	// sample after it is a full one.
	if res.ops >= s.lastOps {
		s.lastOps, s.lastWall = res.ops, res.wall
	}
	return Sample{Ops: res.ops, Wall: res.wall, Values: res.appendFigures(nil), Warnings: warnings}, nil
}
