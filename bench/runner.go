package bench

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"github.com/parbench/parbench/bench/background"
	"math"
	"math/rand/v2"
	"net/url"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parbench/parbench/bench/gil"
	"github.com/parbench/parbench/bench/prof"
	"github.com/parbench/parbench/bench/rtmetrics"
	"github.com/parbench/parbench/results"
	"github.com/parbench/parbench/workloads"
	"golang.org/x/perf/benchfmt"
)

// Scaling says how the work of a sample grows with goroutines.
type Scaling string

const (
	// Strong scaling: a fixed total of ops shared by the goroutines
	// (Amdahl's setting). Speedup is T(1)/T(p) for the same work.
	Strong Scaling = "strong"
	// Weak scaling: each goroutine does a fixed share, so the work grows
	// with the goroutines (Gustafson's setting).
	Weak Scaling = "weak"
)

// Bounds on the sweep dimensions. Beyond them a run is a mistake, not an
// experiment.
const (
	MaxProcs      = 1024
	MaxGoroutines = 1 << 20
	MaxCount      = 1000
	maxOps        = 1e9
)

// Config is one sweep. Start from DefaultConfig.
type Config struct {
	Workloads  []workloads.Workload
	Procs      []int    // GOMAXPROCS values
	Goroutines []int    // goroutine counts
	Locks      []string // lock modes (package gil)
	LockOpts   gil.Options
	Count      int           // samples per point
	Benchtime  time.Duration // target wall time per sample
	Scaling    Scaling
	Params     workloads.Params
	// Seed orders the points within each round; 0 picks one at random.
	Seed uint64
	// Progress, if set, is called after each calibration and sample.
	Progress func(Progress)

	// TargetCI, if above 0, lets a point stop before Count samples: once
	// it has MinAdaptive samples and the 95% confidence interval of its
	// median sec/op is within ±TargetCI of the median (0.02 for 2%).
	TargetCI float64
	// SampleTimeout is the watchdog of one sample (calibration runs
	// included); 0 means DefaultSampleTimeout(Benchtime). A sample that
	// runs longer fails its point with ErrHung, and the sweep goes on.
	SampleTimeout time.Duration
	// Prior holds what a results file being resumed already has, by
	// result name: those samples count towards Count and TargetCI.
	Prior map[string]Prior
	// Stop, when closed, ends the run after the sample in flight (the
	// first SIGINT). Cancelling Run's ctx ends it at once, abandoning
	// the sample in flight (the second).
	Stop <-chan struct{}
	// Note, if set, receives the run's notes (results.NoteStop,
	// results.NoteFailed) as they happen, to be written between results.
	Note func(results.Note) error
	// Profile, if set, profiles the run (package prof): each sample
	// runs under its point's pprof labels, the lock records its waits
	// for the gil profile, and the traced point's first sample is
	// traced. The caller starts and stops it.
	Profile *prof.Session
	// Exec is the --exec dimension: goroutines, or worker processes
	// with their payloads (exec.go). The zero value is goroutines only.
	Exec ExecConfig
}

// Prior is a point's state in a results file being resumed.
type Prior struct {
	SecPerOp []float64 // its samples' sec/op, in file order
	Stopped  bool      // a stop note says it needs no more
}

// DefaultSampleTimeout is the watchdog's default: 20 times the calibrated
// sample time, and never under 10s, so that only a hang trips it on a
// busy machine.
func DefaultSampleTimeout(benchtime time.Duration) time.Duration {
	return max(20*benchtime, 10*time.Second)
}

// Progress is the state of a run, for a progress line.
type Progress struct {
	Points, PointsDone   int           // points in the sweep; points stopped or failed
	Samples, SamplesDone int           // samples this run plans (at most, under TargetCI) and has taken
	Done, Total          int           // calibrations and samples: the units of the estimate
	Elapsed              time.Duration // since Run began
	Left                 time.Duration // estimated time left
	Point                string        // the point just measured
}

// DefaultProcs returns 1, 2, 4, ... up to twice cpus, with 2*cpus itself
// last when it is not a power of two.
func DefaultProcs(cpus int) []int {
	var ps []int
	for p := 1; p < 2*cpus; p *= 2 {
		ps = append(ps, p)
	}
	return append(ps, 2*cpus)
}

// DefaultGoroutines is 1, 2, 4, ..., 64.
func DefaultGoroutines() []int { return []int{1, 2, 4, 8, 16, 32, 64} }

// DefaultConfig returns the documented defaults for every workload.
func DefaultConfig() Config {
	return Config{
		Workloads:  workloads.All(),
		Procs:      DefaultProcs(results.AvailableCPUs()),
		Goroutines: DefaultGoroutines(),
		Locks:      []string{"none"},
		LockOpts:   gil.DefaultOptions(),
		Count:      10,
		Benchtime:  200 * time.Millisecond,
		Scaling:    Strong,
		Params:     workloads.DefaultParams(),
	}
}

// Validate checks every field, naming the flag of the first bad one.
func (c *Config) Validate() error {
	if len(c.Workloads) == 0 {
		return errors.New("--workloads: no workload selected")
	}
	if err := checkList("--procs", c.Procs, MaxProcs); err != nil {
		return err
	}
	if err := checkList("--goroutines", c.Goroutines, MaxGoroutines); err != nil {
		return err
	}
	if len(c.Locks) == 0 {
		return errors.New("--lock: empty list (valid: " + strings.Join(gil.Modes(), ", ") + ")")
	}
	for _, l := range c.Locks {
		if err := gil.Check(l); err != nil {
			return fmt.Errorf("--lock: %w", err)
		}
	}
	if c.Count < 1 || c.Count > MaxCount {
		return fmt.Errorf("--count %d: want 1 to %d", c.Count, MaxCount)
	}
	if c.Benchtime < time.Millisecond || c.Benchtime > time.Hour {
		return fmt.Errorf("--benchtime %v: want 1ms to 1h", c.Benchtime)
	}
	if c.Scaling != Strong && c.Scaling != Weak {
		return fmt.Errorf("--scaling %q: want strong or weak", c.Scaling)
	}
	if c.LockOpts.SwitchInterval <= 0 {
		return fmt.Errorf("--switch-interval %v: want a positive duration", c.LockOpts.SwitchInterval)
	}
	if c.TargetCI < 0 || c.TargetCI >= 1 || c.TargetCI != c.TargetCI {
		return fmt.Errorf("--target-ci %v%%: want a percentage above 0%% and below 100%%, e.g. 2%%", 100*c.TargetCI)
	}
	if c.TargetCI > 0 && c.Count < MinAdaptive {
		return fmt.Errorf("--count %d: --target-ci needs at least %d samples a point", c.Count, MinAdaptive)
	}
	if c.SampleTimeout < 0 {
		return fmt.Errorf("--sample-timeout %v: want a positive duration, or 0 for the default", c.SampleTimeout)
	}
	if c.LockOpts.CheckInterval < 1 {
		return fmt.Errorf("--check-interval %d: want at least 1", c.LockOpts.CheckInterval)
	}
	if err := c.Exec.validate(c.Workloads); err != nil {
		return err
	}
	return c.Params.Validate()
}

func checkList(flag string, xs []int, hi int) error {
	if len(xs) == 0 {
		return fmt.Errorf("%s: empty list", flag)
	}
	seen := map[int]bool{}
	for _, x := range xs {
		if x < 1 || x > hi {
			return fmt.Errorf("%s: %d out of range (want 1 to %d)", flag, x, hi)
		}
		if seen[x] {
			return fmt.Errorf("%s: %d given twice", flag, x)
		}
		seen[x] = true
	}
	return nil
}

// FileConfig returns the file configuration of a run: the machine, the
// date and the sweep's settings.
func (c *Config) FileConfig(now time.Time) []results.Config {
	names := make([]string, len(c.Workloads))
	for i, w := range c.Workloads {
		names[i] = w.Name()
	}
	cfg := results.Machine()
	cfg = append(cfg,
		results.Config{Key: "date", Value: now.UTC().Format(time.RFC3339)},
		results.Config{Key: "workloads", Value: strings.Join(names, ",")},
		results.Config{Key: "procs", Value: joinInts(c.Procs)},
		results.Config{Key: "goroutines", Value: joinInts(c.Goroutines)},
		results.Config{Key: "locks", Value: strings.Join(c.Locks, ",")},
		results.Config{Key: "count", Value: strconv.Itoa(c.Count)},
		results.Config{Key: "target-ci", Value: FormatPercent(c.TargetCI)},
		results.Config{Key: "benchtime", Value: c.Benchtime.String()},
		results.Config{Key: "scaling", Value: string(c.Scaling)},
		results.Config{Key: "switch-interval", Value: c.LockOpts.SwitchInterval.String()},
		results.Config{Key: "check-interval", Value: strconv.Itoa(c.LockOpts.CheckInterval)},
		results.Config{Key: "io-latency", Value: c.Params.IOLatency.String()},
		results.Config{Key: "server-latency", Value: c.Params.ServerLatency.String()},
		results.Config{Key: "io-fraction", Value: strconv.FormatFloat(c.Params.IOFraction, 'g', -1, 64)},
		results.Config{Key: "op-time", Value: c.Params.OpTime.String()},
		results.Config{Key: "cpu-goroutines", Value: strconv.Itoa(c.Params.CPUGoroutines)},
		results.Config{Key: "database", Value: redactDSN(c.Params.DB)},
		results.Config{Key: "faults", Value: cmp.Or(c.Params.Faults, "off")},
	)
	return append(cfg, c.Exec.fileConfig()...)
}

// redactDSN describes the webapp workloads' database for the file
// configuration: "sqlite (embedded)" by default, else the DSN without its
// password, which must never land in a results file.
func redactDSN(dsn string) string {
	if dsn == "" {
		return "sqlite (embedded)"
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "unparsable DSN"
	}
	if _, has := u.User.Password(); has {
		u.User = url.User(u.User.Username())
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "redacted")
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// FormatPercent writes a fraction as --target-ci takes it: "2%", or
// "off" for 0.
func FormatPercent(x float64) string {
	if x == 0 {
		return "off"
	}
	return strconv.FormatFloat(100*x, 'g', -1, 64) + "%"
}

func joinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ",")
}

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
// ErrInterrupted. A sample that fails (an op error, a panic, a hang past
// the watchdog, a leak) fails its point only: the sweep goes on, and Run
// returns a *FailedError at the end. Errors of sink and c.Note end the
// run at once.
func Run(ctx context.Context, c Config, fileCfg []results.Config, sink func(*benchfmt.Result) error) (err error) {
	if err := c.Validate(); err != nil {
		return err
	}
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

// sampleResult is what one sample measured.
type sampleResult struct {
	ops     int64 // ops done in all
	wall    time.Duration
	cpu     time.Duration
	metrics []workloads.Metric
	noise   noise
	rt      rtmetrics.Delta // the runtime's metrics (sched latency, GC share, ...)
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

// errAborted is sample's error when Run's ctx was cancelled mid-sample.
var errAborted = errors.New("sample abandoned: run cancelled")

// abandon is shared by a sample and its watchdog. Once the watchdog
// gives up on the sample it sets stop; everything the sample started
// checks it and winds down at its next chance, and the runner never
// touches the sample's state again.
type abandon struct {
	stop atomic.Bool
	mu   sync.Mutex
	fns  []func() // to call on abandoning: stop background goroutines
}

func (a *abandon) onAbandon(f func()) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.stop.Load() {
		f()
		return
	}
	a.fns = append(a.fns, f)
}

func (a *abandon) abandon() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.stop.Store(true)
	for _, f := range a.fns {
		f()
	}
}

// sample runs ops ops (strong) or ops per goroutine (weak) at pt under
// the watchdog: a panic anywhere in it becomes a *PanicError, a sample
// that outlives the timeout is abandoned with ErrHung, and after it the
// process must hold no more goroutines or descriptors than before (a
// *LeakError otherwise).
func (r *runner) sample(pt *point, ops int64) (sampleResult, error) {
	before := takeResources()
	runtime.GOMAXPROCS(pt.Procs)
	type outcome struct {
		s   sampleResult
		err error
	}
	ab := new(abandon)
	ch := make(chan outcome, 1) // buffered: an abandoned sample still finishes its send
	go func() {
		var o outcome
		defer func() {
			if v := recover(); v != nil {
				o.err = &PanicError{Value: v, Stack: debug.Stack()}
			}
			ch <- o
		}()
		r.profiled(pt, func() { o.s, o.err = r.measure(pt, ops, ab) })
	}()
	timer := time.NewTimer(r.timeout)
	defer timer.Stop()
	select {
	case o := <-ch:
		if o.err != nil {
			return o.s, o.err
		}
		return o.s, checkLeaks(before, pt.Workload)
	case <-timer.C:
		ab.abandon()
		return sampleResult{}, fmt.Errorf("%w within --sample-timeout %v; its goroutines are abandoned", ErrHung, r.timeout)
	case <-r.ctx.Done():
		ab.abandon()
		return sampleResult{}, errAborted
	}
}

// measure is one sample, run by sample's goroutine. It checks ab before
// each step that the runner would regret after abandoning it.
func (r *runner) measure(pt *point, ops int64, ab *abandon) (sampleResult, error) {
	if pt.x.processes {
		return r.measureProcs(pt, ops, ab)
	}
	lock, err := gil.New(pt.Lock, r.lockOptions(pt))
	if err != nil {
		return sampleResult{}, err
	}
	g := pt.Goroutines
	threads := make(threadSet, g)
	workers := make([]workloads.Worker, g)
	closeWorkers := func() {
		for i, w := range workers {
			if w != nil {
				w.Close()
				workers[i] = nil
			}
		}
	}
	defer closeWorkers()
	sampler, _ := pt.inst.(workloads.Sampler)
	if sampler != nil {
		sampler.BeginSample()
	}
	for i := range g {
		if ab.stop.Load() {
			return sampleResult{}, ErrHung
		}
		threads[i] = lock.Thread()
		w, err := pt.inst.NewWorker(threads[i])
		if err != nil {
			return sampleResult{}, err
		}
		workers[i] = withPayload(w, pt.x.payload)
	}
	if ab.stop.Load() {
		return sampleResult{}, ErrHung
	}
	runtime.GC()
	bg, err := background.Start(pt.inst, lock)
	if err != nil {
		return sampleResult{}, err
	}
	defer bg.End()
	if bg != nil {
		ab.onAbandon(bg.Stop)
	}
	stat0 := readProcStat()
	var cpu0, cpu1 time.Duration
	// Around the timed window, outside it: the runtime's metrics and,
	// for the traced point, the trace.
	var rt0, rt1 rtmetrics.Snapshot
	var traceStop func()
	mark := func(start bool) {
		if start {
			rt0 = rtmetrics.Read()
			traceStop = r.traceStart(pt, ops)
			cpu0 = processCPU()
		} else {
			cpu1 = processCPU()
			if traceStop != nil {
				traceStop()
			}
			rt1 = rtmetrics.Read()
		}
	}
	weak := r.c.Scaling == Weak
	done, wall, err := divideStop(&ab.stop, g, ops, pt.chunk, weak, mark,
		threads.start, threads.stop,
		func(w int, _ int64) error {
			th := threads[w]
			th.OpStart()
			err := workers[w].Op()
			th.OpEnd()
			return err
		})
	stat1 := readProcStat()
	if bgErr := bg.End(); err == nil {
		err = bgErr
	}
	if err == nil && ab.stop.Load() {
		err = ErrHung
	}
	if err != nil {
		return sampleResult{}, err
	}
	sum, err := checkOps(done, ops, g, weak)
	if err != nil {
		return sampleResult{}, err
	}
	closeWorkers()
	metrics := lock.Metrics(wall)
	r.lockDone(lock)
	if sampler != nil {
		metrics = append(metrics, sampler.EndSample(wall, sum)...)
	}
	return sampleResult{ops: sum, wall: wall, cpu: cpu1 - cpu0, metrics: metrics, noise: noiseBetween(stat0, stat1), rt: rt1.Sub(rt0)}, nil
}

// emit writes one sample as a result line.
func (r *runner) emit(pt *point, s sampleResult) error {
	res := &r.res
	res.Name = append(res.Name[:0], pt.Name()...)
	res.Iters = int(s.ops)
	sec := s.wall.Seconds()
	res.Values = append(res.Values[:0],
		benchfmt.Value{Value: sec / float64(s.ops), Unit: "sec/op"},
		benchfmt.Value{Value: s.cpu.Seconds() / float64(s.ops), Unit: "cpu-sec/op"},
		benchfmt.Value{Value: s.cpu.Seconds() / sec, Unit: "parallelism"},
	)
	for _, m := range s.metrics {
		res.Values = append(res.Values, benchfmt.Value{Value: m.Value, Unit: m.Unit})
	}
	res.Values = s.rt.AppendValues(res.Values, s.ops)
	if s.noise.ok {
		res.Values = append(res.Values,
			benchfmt.Value{Value: s.noise.steal, Unit: "steal-frac"},
			benchfmt.Value{Value: s.noise.others, Unit: "other-runnable"},
		)
	}
	return r.sink(res)
}

// Points returns the sweep's points in sweep order: workload, lock,
// goroutines, GOMAXPROCS, as Run measures them.
func (c *Config) Points() []results.Point {
	var pts []results.Point
	for _, w := range c.Workloads {
		for _, l := range c.Locks {
			for _, v := range c.Exec.variants() {
				for _, g := range c.Goroutines {
					for _, p := range c.Procs {
						pts = append(pts, results.Point{Workload: w.Name(), Lock: l, Extra: v.extra, Goroutines: g, Procs: p})
					}
				}
			}
		}
	}
	return pts
}

// threadSet is a sample's lock handles, one per goroutine. Its methods
// are named (not closures) so that a profile of lock waits names the
// place a goroutine first asked for the lock: bench.threadSet.start.
type threadSet []gil.Thread

func (ts threadSet) start(w int) { ts[w].Start() }
func (ts threadSet) stop(w int)  { ts[w].Stop() }
