package bench

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"time"

	"github.com/parbench/parbench/results"
	"github.com/parbench/parbench/workloads"
	"golang.org/x/perf/benchfmt"
)

// point is one cell of the sweep, with its calibration.
type point struct {
	results.Point
	inst  workloads.Instance
	ops   int64 // ops per sample: the total (strong) or per goroutine (weak)
	chunk int64 // ops per draw from the shared counter
	x     execPoint

	secs []float64 // sec/op of its samples, prior ones first
	over bool      // stopped or failed: no more samples
}

// Run runs the sweep and passes each sample's result to sink as soon as
// it is measured. The first result carries the file configuration cfg.
// GOMAXPROCS is restored before Run returns.
//
// Closing c.Stop ends the run after the sample in flight; cancelling ctx
// ends it at once, abandoning that sample. Either way the error wraps
// ErrInterrupted. A sample that fails (an op error, a worker's Close
// error, a panic, a hang past the watchdog, a leak) fails its point
// only: the sweep goes on, and Run returns a *FailedError at the end. Errors of sink and c.Note end the
// run at once.
func Run(ctx context.Context, c Config, fileCfg []results.Config, sink func(*benchfmt.Result) error) error {
	if err := c.Validate(); err != nil {
		return err
	}
	return runValid(ctx, c, fileCfg, sink)
}

// runValid is Run of a validated Config (RunFile validates before it
// creates the file).
func runValid(ctx context.Context, c Config, fileCfg []results.Config, sink func(*benchfmt.Result) error) (err error) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))

	insts := make([]workloads.Instance, 0, len(c.Workloads))
	defer func() {
		for i, in := range insts {
			if cerr := closeWithin(in, closeTimeout); cerr != nil && err == nil {
				err = fmt.Errorf("closing %s: %w", c.Workloads[i].Name(), cerr)
			}
		}
	}()
	var points []*point
	for _, w := range c.Workloads {
		in, err := w.Start(c.Params)
		if err != nil {
			return fmt.Errorf("starting %s: %w", w.Name(), err)
		}
		insts = append(insts, in)
		for _, l := range c.Locks {
			for _, v := range c.Exec.variants() {
				for _, g := range c.Goroutines {
					for _, p := range c.Procs {
						points = append(points, &point{
							Point: results.Point{Workload: w.Name(), Lock: l, Extra: v.extra, Goroutines: g, Procs: p},
							inst:  in,
							x:     v.x,
						})
					}
				}
			}
		}
	}

	r := newRunner(ctx, c)
	r.sink = sink
	r.res.Config = make([]benchfmt.Config, len(fileCfg))
	for i, kv := range fileCfg {
		r.res.Config[i] = benchfmt.Config{Key: kv.Key, Value: []byte(kv.Value), File: true}
	}
	// What a resumed file already has counts; a point already done
	// takes no calibration and no sample.
	var active []*point
	r.points = len(points)
	for _, pt := range points {
		prior := c.Prior[pt.Name()]
		pt.secs = slices.Clone(prior.SecPerOp)
		if prior.Stopped || len(pt.secs) >= c.Count {
			pt.over = true
			r.pointsDone++
			continue
		}
		active = append(active, pt)
		r.samples += c.Count - len(pt.secs)
	}
	r.calibs = len(active)
	for _, pt := range active {
		if err := r.interrupted(); err != nil {
			return err
		}
		err := r.calibrate(pt)
		if errors.Is(err, errAborted) {
			return r.interrupted()
		}
		if err != nil {
			if err := r.failed(pt, err); err != nil {
				return err
			}
		}
		r.calibDone++
		r.step(pt)
	}
	seed := c.Seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	// Round-robin over the points that still want samples; a point that
	// stops (Count, TargetCI) or fails drops out of the rounds.
	for round := 0; ; round++ {
		active = slices.DeleteFunc(active, func(pt *point) bool { return pt.over })
		if len(active) == 0 {
			break
		}
		// The first round goes in sweep order, so that tools that order
		// keys by first appearance (benchstat) list them in that order.
		if round > 0 {
			rng.Shuffle(len(active), func(i, j int) { active[i], active[j] = active[j], active[i] })
		}
		for _, pt := range active {
			if err := r.interrupted(); err != nil {
				return err
			}
			s, err := r.sample(pt, pt.ops)
			if errors.Is(err, errAborted) {
				return r.interrupted()
			}
			if err != nil {
				if err := r.failed(pt, err); err != nil {
					return err
				}
				r.step(pt)
				continue
			}
			if err := r.emit(pt, s); err != nil {
				return err
			}
			r.samplesDone++
			pt.secs = append(pt.secs, s.wall.Seconds()/float64(s.ops))
			if err := r.maybeStop(pt); err != nil {
				return err
			}
			r.step(pt)
		}
	}
	if len(r.failures) > 0 {
		return &FailedError{Failures: r.failures}
	}
	return nil
}

// closeTimeout bounds Instance.Close: a workload whose sample was
// abandoned may never close, and the run must still end.
const closeTimeout = 10 * time.Second

func closeWithin(in workloads.Instance, d time.Duration) error {
	ch := make(chan error, 1)
	go func() { ch <- in.Close() }()
	select {
	case err := <-ch:
		return err
	case <-time.After(d):
		return fmt.Errorf("%w: Close did not return within %v", ErrHung, d)
	}
}

type runner struct {
	c       Config
	ctx     context.Context
	timeout time.Duration // the watchdog of one sample
	sink    func(*benchfmt.Result) error
	res     benchfmt.Result // reused: its Config is the file configuration
	t0      time.Time

	calibs, calibDone    int
	points, pointsDone   int
	samples, samplesDone int
	failures             []Failure
}

func newRunner(ctx context.Context, c Config) *runner {
	r := &runner{c: c, ctx: ctx, timeout: c.SampleTimeout, t0: time.Now()}
	if r.timeout == 0 {
		r.timeout = DefaultSampleTimeout(c.Benchtime)
	}
	return r
}

// interrupted returns the error that ends an interrupted run, or nil.
func (r *runner) interrupted() error {
	var err error
	if cerr := r.ctx.Err(); cerr != nil {
		err = fmt.Errorf("%w after %d samples: %w", ErrInterrupted, r.samplesDone, cerr)
	} else {
		select {
		case <-r.c.Stop:
			err = fmt.Errorf("%w after %d samples", ErrInterrupted, r.samplesDone)
		default:
			return nil
		}
	}
	if len(r.failures) > 0 {
		return errors.Join(err, &FailedError{Failures: r.failures})
	}
	return err
}

// failed records that pt failed: a note in the file, a Failure for the
// end of the run, and no more samples of pt. Its error is the note's.
func (r *runner) failed(pt *point, err error) error {
	pt.over = true
	r.pointsDone++
	r.samples -= r.c.Count - len(pt.secs)
	f := Failure{Point: pt.Name(), Workload: pt.Workload, Err: err}
	r.failures = append(r.failures, f)
	return r.note(results.NoteFailed, pt.Name()+" "+err.Error())
}

// maybeStop ends pt's sampling when it has Count samples or, under
// TargetCI, a narrow enough confidence interval, and notes why.
func (r *runner) maybeStop(pt *point) error {
	n := len(pt.secs)
	ci := CIHalfWidth(pt.secs)
	reason := ""
	switch {
	case n >= r.c.Count:
		reason = "count"
	case r.c.TargetCI > 0 && n >= MinAdaptive && ci <= r.c.TargetCI:
		reason = "ci"
		r.samples -= r.c.Count - n
	default:
		return nil
	}
	pt.over = true
	r.pointsDone++
	ciText := "inf"
	if !math.IsInf(ci, 0) && !math.IsNaN(ci) {
		ciText = fmt.Sprintf("%.2f%%", 100*ci)
	}
	return r.note(results.NoteStop, fmt.Sprintf("%s reason=%s samples=%d ci=%s cv=%.2f%%",
		pt.Name(), reason, n, ciText, 100*CV(pt.secs)))
}

func (r *runner) note(key, value string) error {
	if r.c.Note == nil {
		return nil
	}
	return r.c.Note(results.Note{Key: key, Value: value})
}

// step reports progress after a calibration or a sample of pt. The
// estimate counts a calibration as one unit of work, like a sample.
func (r *runner) step(pt *point) {
	if r.c.Progress == nil {
		return
	}
	el := time.Since(r.t0)
	done, total := r.calibDone+r.samplesDone, r.calibs+r.samples
	left := time.Duration(0)
	if done > 0 && total > done {
		left = time.Duration(float64(el) / float64(done) * float64(total-done))
	}
	r.c.Progress(Progress{
		Points: r.points, PointsDone: r.pointsDone,
		Samples: r.samples, SamplesDone: r.samplesDone,
		Done: done, Total: total,
		Elapsed: el, Left: left, Point: pt.Name(),
	})
}

// calibrate finds the op count for one sample of about Benchtime, the
// way testing.B does: run 1 op per goroutine, then grow the count by the
// measured rate (at most 100x a step) until a run takes a fifth of the
// target, and extrapolate from there.
func (r *runner) calibrate(pt *point) error {
	goal := r.c.Benchtime
	n := int64(1)
	if r.c.Scaling == Strong {
		n = int64(pt.Goroutines)
	}
	pt.chunk = 1
	for {
		s, err := r.sample(pt, n)
		if err != nil {
			return err
		}
		if s.wall >= goal/5 || n >= maxOps {
			n = predict(n, s.wall, goal)
			pt.ops = n
			// A draw should be ~100µs of one goroutine's work, and
			// there should be several draws per goroutine.
			perOp := float64(s.wall) / float64(s.ops) * float64(pt.Goroutines)
			chunk := int64(float64(100*time.Microsecond) / max(perOp, 1))
			if r.c.Scaling == Strong {
				chunk = min(chunk, n/int64(4*pt.Goroutines))
			}
			pt.chunk = min(max(chunk, 1), 10000)
			return nil
		}
		n = grow(n, s.wall, goal/5)
	}
}

// predict scales n, which took d, to take goal.
func predict(n int64, d, goal time.Duration) int64 {
	if d <= 0 {
		return min(n*100, maxOps)
	}
	x := int64(float64(n) * float64(goal) / float64(d))
	return min(max(x, 1), maxOps)
}

// grow is testing.B's step: aim 20% past the goal, grow at least by one
// and at most 100x.
func grow(n int64, d, goal time.Duration) int64 {
	next := n * 100
	if d > 0 {
		next = int64(1.2 * float64(n) * float64(goal) / float64(d))
	}
	return min(max(next, n+1), 100*n, maxOps)
}
