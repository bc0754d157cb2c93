package bench

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
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
	shape serviceShape // a served point's server shape (service.go)
	// sampleTime is the length of each sample of a point whose
	// Instance is a workloads.Timed (replicated.go), 0 for any other:
	// it is not calibrated, and its goroutines run until their Op says
	// the sample is done.
	sampleTime time.Duration

	secs []float64 // sec/op of its samples, prior ones first
	over bool      // stopped or failed: no more samples

	// For the estimate of the time left (eta.go): a sample's planned
	// cost, from its calibration, and what its samples cost so far.
	plan  time.Duration
	cost  time.Duration
	costN int

	// timeout is the watchdog of its samples when its op floor
	// stretched them past Benchtime (minops.go); 0: the runner's.
	timeout time.Duration
	// floor is its op floor (minops.go), and floorCut calibration's
	// warning that the floor, or the sample time its goroutines need
	// (goal), gave way to its time budget, or "".
	floor    opFloor
	floorCut string
	// goal is the time its samples are sized to (sampleGoal):
	// Benchtime, or longer for many goroutines.
	goal time.Duration
	// window, if set, is a Single's hook around each sample's timed
	// window (point.go); a sweep's points have none.
	window func(start bool)
}

// Run runs the sweep and passes each sample's result to sink as soon as
// it is measured. The first result carries the file configuration cfg.
// GOMAXPROCS is restored before Run returns.
//
// Closing c.Stop ends the run after the sample in flight; cancelling ctx
// ends it at once, abandoning that sample. Either way the error wraps
// ErrInterrupted. A sample that fails (an op error, a worker's Close
// error, a panic, a hang past the watchdog, a leak) fails its point
// only: the sweep goes on, and Run returns a *FailedError at the end. A
// replicated workload's (Timed) instances are checked for leaks once,
// after every instance is closed: a leak then is a *LeakError in Run's
// error (beside a FailedError's failures, if any), unless the run was
// interrupted or a sample hung, whose goroutines may still be running. Errors of sink and c.Note end the
// run at once.
func Run(ctx context.Context, c Config, fileCfg []results.Config, sink func(*benchfmt.Result) error) error {
	if err := c.check(c.Prior == nil); err != nil {
		return err
	}
	return runValid(ctx, c, fileCfg, sink)
}

// runValid is Run of a validated Config (RunFile validates before it
// creates the file).
func runValid(ctx context.Context, c Config, fileCfg []results.Config, sink func(*benchfmt.Result) error) (err error) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))

	// The instances in start order, each with its workload's name.
	type started struct {
		name string
		in   workloads.Instance
	}
	var insts []started
	// A Timed instance (a replicated workload's) is checked for leaks
	// around its whole life, not per sample (sample.go): the resources
	// before the first StartReplicated, against those once every
	// instance is closed. timed names the workloads of the Timed
	// instances started.
	var (
		timedBefore resources
		timed       []string
	)
	defer func() {
		for _, s := range insts {
			if cerr := closeWithin(s.in, closeTimeout); cerr != nil && err == nil {
				err = fmt.Errorf("closing %s: %w", s.name, cerr)
			}
		}
		if len(timed) > 0 && leakCheckable(err) {
			if lerr := checkLeaks(timedBefore, strings.Join(timed, ", ")); lerr != nil {
				err = errors.Join(err, fmt.Errorf("after closing: %w", lerr))
			}
		}
	}()
	// One instance per workload, or, in a served sweep, one per
	// workload, lock and server shape: the service's processes hold the
	// point's lock, so each lock and shape needs a service of its own;
	// a replicated workload has one per design (consistency).
	type instKey struct {
		lock             string
		workers, threads int
		consistency      string
	}
	var points []*point
	for _, w := range c.Workloads {
		ins := map[instKey]workloads.Instance{}
		for _, pp := range c.plan(w) {
			var key instKey
			if pp.shape.served() {
				key = instKey{pp.Lock, pp.shape.workers, pp.shape.threads, ""}
			}
			key.consistency = pp.consistency
			in, ok := ins[key]
			if !ok {
				if pp.consistency != "" && timed == nil {
					timedBefore = takeResources()
					timed = []string{} // taken
				}
				var err error
				if in, err = c.start(w, pp); err != nil {
					return err
				}
				insts = append(insts, started{w.Name(), in})
				ins[key] = in
				if _, ok := in.(workloads.Timed); ok && !slices.Contains(timed, w.Name()) {
					timed = append(timed, w.Name())
				}
			}
			pt := &point{Point: pp.Point, inst: in, x: pp.x, shape: pp.shape}
			if t, ok := in.(workloads.Timed); ok {
				pt.sampleTime = t.SampleTime()
			}
			points = append(points, pt)
		}
	}

	r := newRunner(ctx, c)
	r.sink = sink
	r.all = points
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
	// A Timed point takes no calibration: its plan is its sample time.
	for _, pt := range active {
		if pt.sampleTime > 0 {
			r.timedPlan(pt)
		} else {
			r.calibs++
		}
	}
	for _, pt := range active {
		if pt.sampleTime > 0 {
			continue
		}
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
		if pt.over {
			r.step(pt, unitFailed)
			continue
		}
		if err := r.checkIdle(pt); err != nil {
			return err
		}
		if pt.floorCut != "" {
			if err := r.warn(pt, pt.floorCut); err != nil {
				return err
			}
		}
		r.step(pt, unitCalibration)
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
				r.step(pt, unitFailed)
				continue
			}
			if err := r.emit(pt, s); err != nil {
				return err
			}
			r.samplesDone++
			pt.secs = append(pt.secs, s.timed().Seconds()/float64(s.ops))
			r.resize(pt, s.wall)
			if err := r.maybeStop(pt); err != nil {
				return err
			}
			r.step(pt, unitSample)
		}
	}
	if len(r.failures) > 0 {
		return &FailedError{Failures: r.failures}
	}
	return nil
}

// leakCheckable reports whether a run that ended with err can have
// its resources counted after closing: not one interrupted or with a
// hung sample, whose goroutines may still be running, abandoned.
// (A FailedError unwraps to its failures: ErrHung finds a hung one.)
func leakCheckable(err error) bool {
	return !errors.Is(err, ErrInterrupted) && !errors.Is(err, ErrHung)
}

// start starts w's instance for the point pp: Start, for a served
// point StartService with the point's lock and shape, for a replicated
// one StartReplicated with its design.
func (c *Config) start(w workloads.Workload, pp planned) (workloads.Instance, error) {
	what, starter := w.Name(), "Start"
	var (
		in  workloads.Instance
		err error
	)
	if pp.shape.served() {
		starter = "StartService"
		svc := c.service(pp.Lock, pp.shape)
		what = fmt.Sprintf("%s (lock %s, %d workers of %d threads)", w.Name(), svc.Lock, svc.Workers, svc.Threads)
		in, err = w.(workloads.Served).StartService(c.Params, svc)
	} else if pp.consistency != "" {
		starter = "StartReplicated"
		what = fmt.Sprintf("%s (consistency %s)", w.Name(), pp.consistency)
		in, err = w.(workloads.Replicated).StartReplicated(c.Params, pp.consistency)
	} else {
		in, err = w.Start(c.Params)
	}
	var pe *workloads.ParamError
	switch {
	case errors.As(err, &pe) && strings.HasPrefix(pe.Param, "Service."): // a shape the workload could not run
		return nil, &FieldError{Field: pe.Param, Value: pe.Value, Err: fmt.Errorf("starting %s: %w", what, pe.Err)}
	case errors.As(err, &pe): // a setting the workload could not use (a --db that refuses)
		return nil, &FieldError{Field: "Params." + pe.Param, Value: pe.Value, Err: fmt.Errorf("starting %s: %w", what, pe.Err)}
	case err != nil:
		return nil, fmt.Errorf("starting %s: %w", what, err)
	case in == nil: // a third-party workload's bug: say so, not a nil dereference later
		return nil, fmt.Errorf("starting %s: its %s returned no Instance and no error", what, starter)
	}
	return in, nil
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
	samplesFailed        int // of r.samples, those that failed points will not take
	failures             []Failure

	all  []*point  // the sweep's points, for the estimate
	eta  eta       // the estimate of the time left
	last time.Time // when the last calibration or sample ended
}

func newRunner(ctx context.Context, c Config) *runner {
	r := &runner{c: c, ctx: ctx, timeout: c.SampleTimeout, t0: time.Now()}
	r.last = r.t0
	r.eta = eta{benchtime: c.Benchtime, count: c.Count}
	if r.timeout == 0 {
		r.timeout = DefaultSampleTimeout(c.Benchtime)
	}
	return r
}

// interrupted returns the error that ends an interrupted run, or nil.
func (r *runner) interrupted() error {
	var err error
	if cerr := r.ctx.Err(); cerr != nil {
		err = fmt.Errorf("%w %s: %w", ErrInterrupted, r.when(), cerr)
	} else {
		select {
		case <-r.c.Stop:
			err = fmt.Errorf("%w %s", ErrInterrupted, r.when())
		default:
			return nil
		}
	}
	if len(r.failures) > 0 {
		return errors.Join(err, &FailedError{Failures: r.failures})
	}
	return err
}

// when says how far an interrupted run got: "after N samples", or
// "before the first sample".
func (r *runner) when() string {
	if r.samplesDone == 0 {
		return "before the first sample"
	}
	return fmt.Sprintf("after %d samples", r.samplesDone)
}

// failed records that pt failed: Config.Failed at once, a note in the
// file, a Failure for the end of the run, and no more samples of pt
// (counted as failed in Progress). Its error is the note's.
func (r *runner) failed(pt *point, err error) error {
	pt.over = true
	r.pointsDone++
	r.samplesFailed += r.c.Count - len(pt.secs)
	f := Failure{Point: pt.Name(), Workload: pt.Workload, At: &pt.Point, Err: err}
	r.failures = append(r.failures, f)
	if r.c.Failed != nil {
		r.c.Failed(f)
	}
	if err := r.note(results.NoteFailed, pt.Name()+" "+err.Error()); err != nil {
		return err
	}
	return r.stallNotes(pt, err)
}

// warn hands a warning about pt to Config.Warn and writes it as a note,
// its fields named by their file configuration keys.
func (r *runner) warn(pt *point, text string) error {
	w := Warning{Point: pt.Name(), Text: text}
	if r.c.Warn != nil {
		r.c.Warn(w)
	}
	return r.note(results.NoteWarning, pt.Name()+" "+fieldRefs(text, strings.ToLower))
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

// The units of work that step prices for the estimate.
const (
	unitFailed = iota // a failed calibration or sample: not priced
	unitCalibration
	unitSample
)

// step records the cost of a unit of work of pt for the estimate, and
// reports progress.
func (r *runner) step(pt *point, unit int) {
	now := time.Now()
	d := now.Sub(r.last)
	r.last = now
	switch unit {
	case unitCalibration:
		r.eta.calibrated(d)
	case unitSample:
		r.eta.sampled(pt, d)
	}
	if r.c.Progress == nil {
		return
	}
	done, total := r.calibDone+r.samplesDone, r.calibs+r.samples-r.samplesFailed
	r.c.Progress(Progress{
		Points: r.points, PointsDone: r.pointsDone,
		Samples: r.samples, SamplesDone: r.samplesDone,
		Failed: len(r.failures), SamplesFailed: r.samplesFailed,
		Done: done, Total: max(total, done),
		Elapsed: now.Sub(r.t0), Left: r.eta.left(r.all, r.calibs-r.calibDone),
		Point: pt.Name(),
	})
}

// calibrate finds the op count for one sample of about Benchtime (or
// of the longer time that many goroutines need: sampleGoal), the way
// testing.B does: run 1 op per goroutine, then grow the count by the
// measured rate (at most 100x a step) until a run takes a fifth of the
// target, and extrapolate from there. A point with an op floor (its
// workload's MinOps, or one op per goroutine: minops.go) also needs a
// run of a tenth of its floor's ops (or of a tenth of its time budget)
// before the rate counts, and its samples hold at least the floor's
// ops, or what fits the budget, with a warning.
func (r *runner) calibrate(pt *point) error {
	goal, want := r.sampleGoal(pt)
	pt.goal = goal
	if want > goal {
		pt.floorCut = goalCut(pt, goal, want, r.c.SampleTimeout)
	}
	n := int64(1)
	if r.c.Scaling == Strong {
		n = int64(pt.Goroutines)
	}
	pt.chunk = 1
	floor := r.floorOf(pt)
	pt.floor = floor
	for {
		t := time.Now()
		s, err := r.sample(pt, n)
		if err != nil {
			return err
		}
		long := s.wall >= goal/5 || n >= maxOps
		if long && floor.rated(n, s.wall) {
			last := n
			byTime := predict(n, s.wall, goal)
			var cut bool
			n, cut = floor.sized(byTime, n, s.wall)
			pt.ops = n
			// A sample's plan for the estimate: this run's wall time
			// scaled to n ops, plus what this run cost beyond its wall
			// time (starting goroutines or workers, the GC before it).
			pt.plan = time.Duration(float64(s.wall)*float64(n)/float64(last)) + max(time.Since(t)-s.wall, 0)
			pt.chunk = chunkFor(s.ops, s.wall, n, pt.Goroutines, r.c.Scaling == Strong)
			if n > byTime || goal > r.c.Benchtime {
				pt.timeout = r.floorTimeout(time.Duration(float64(s.wall) * float64(n) / float64(last)))
			}
			// A floor of one op a goroutine that its budget cut leaves
			// goroutines idle: checkIdle says so.
			if cut && !floor.perG {
				pt.floorCut = floorCut(floor, n, time.Duration(float64(s.wall)/float64(last)))
			}
			return nil
		}
		if !long {
			n = grow(n, s.wall, goal/5)
		} else {
			n = floor.next(n, s.wall)
		}
	}
}

// checkIdle warns when pt's calibrated ops per sample are fewer than its
// goroutines (strong scaling: the goroutines share the ops), so that
// some goroutines never get an op and the point measures fewer
// goroutines than its name says. It names the Benchtime that would give
// every goroutine one op, by the calibrated rate.
func (r *runner) checkIdle(pt *point) error {
	g := int64(pt.Goroutines)
	if r.c.Scaling != Strong || pt.ops >= g {
		return nil
	}
	idle := g - pt.ops
	text := fmt.Sprintf("the calibrated %d ops per sample leave %d of its %d goroutines (%.0f%%) without an op",
		pt.ops, idle, g, 100*float64(idle)/float64(g))
	want := roundUp(time.Duration(float64(r.c.Benchtime) * float64(g) / float64(max(pt.ops, 1))))
	if want <= time.Hour {
		text += fmt.Sprintf("; {Benchtime} %v would give each one an op", want)
	} else {
		text += "; even {Benchtime} 1h would not give each one an op: use fewer goroutines"
	}
	return r.warn(pt, text)
}

// roundUp rounds d up to two significant digits: 6.67s to 6.7s.
func roundUp(d time.Duration) time.Duration {
	unit := time.Duration(1)
	for d/unit >= 100 {
		unit *= 10
	}
	return (d + unit - 1) / unit * unit
}

// chunkFor sizes the chunk of a sample of n ops (in all under strong
// scaling, each under weak) on g goroutines, from a run that did ops ops
// in wall: a draw from the shared counter should be ~100µs of one
// goroutine's work (testing.B.RunParallel's grain), and there should be
// several draws per goroutine (at least 4 under strong scaling); 1 to
// 10,000 ops. Calibration sizes a sweep's points with it, and a Single
// each sample by the largest before (point.go). One op of a goroutine
// takes the run's wall time per op times the goroutines that shared the
// run's ops: g, or ops when a run of fewer ops left some idle (a Single's
// one-op probe, whose time is one op's and the goroutines' start).
func chunkFor(ops int64, wall time.Duration, n int64, g int, strong bool) int64 {
	ops = max(ops, 1)
	perOp := float64(wall) / float64(ops) * float64(min(int64(g), ops))
	chunk := int64(float64(100*time.Microsecond) / max(perOp, 1))
	if strong {
		chunk = min(chunk, n/int64(4*g))
	}
	return min(max(chunk, 1), 10000)
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
