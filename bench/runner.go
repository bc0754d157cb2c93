package bench

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/parbench/parbench/bench/gil"
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
}

// Progress is the state of a run, for a progress line.
type Progress struct {
	Done, Total int           // calibrations and samples
	Elapsed     time.Duration // since Run began
	Left        time.Duration // estimated time left
	Point       string        // the point just measured
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
	if c.LockOpts.CheckInterval < 1 {
		return fmt.Errorf("--check-interval %d: want at least 1", c.LockOpts.CheckInterval)
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
		results.Config{Key: "benchtime", Value: c.Benchtime.String()},
		results.Config{Key: "scaling", Value: string(c.Scaling)},
		results.Config{Key: "switch-interval", Value: c.LockOpts.SwitchInterval.String()},
		results.Config{Key: "check-interval", Value: strconv.Itoa(c.LockOpts.CheckInterval)},
		results.Config{Key: "io-latency", Value: c.Params.IOLatency.String()},
		results.Config{Key: "server-latency", Value: c.Params.ServerLatency.String()},
		results.Config{Key: "io-fraction", Value: strconv.FormatFloat(c.Params.IOFraction, 'g', -1, 64)},
		results.Config{Key: "op-time", Value: c.Params.OpTime.String()},
	)
	return cfg
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
}

// Run runs the sweep and passes each sample's result to sink as soon as
// it is measured. The first result carries the file configuration cfg.
// GOMAXPROCS is restored before Run returns. Cancelling ctx stops the run
// between samples.
func Run(ctx context.Context, c Config, fileCfg []results.Config, sink func(*benchfmt.Result) error) (err error) {
	if err := c.Validate(); err != nil {
		return err
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))

	insts := make([]workloads.Instance, 0, len(c.Workloads))
	defer func() {
		for _, in := range insts {
			if cerr := in.Close(); cerr != nil && err == nil {
				err = fmt.Errorf("closing workload: %w", cerr)
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
			for _, g := range c.Goroutines {
				for _, p := range c.Procs {
					points = append(points, &point{
						Point: results.Point{Workload: w.Name(), Lock: l, Goroutines: g, Procs: p},
						inst:  in,
					})
				}
			}
		}
	}

	r := &runner{c: c, sink: sink, t0: time.Now(), total: len(points) * (1 + c.Count)}
	r.res.Config = make([]benchfmt.Config, len(fileCfg))
	for i, kv := range fileCfg {
		r.res.Config[i] = benchfmt.Config{Key: kv.Key, Value: []byte(kv.Value), File: true}
	}
	for _, pt := range points {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := r.calibrate(pt); err != nil {
			return fmt.Errorf("%s: %w", pt.Name(), err)
		}
		r.step(pt)
	}
	seed := c.Seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	order := make([]*point, len(points))
	copy(order, points)
	for round := range c.Count {
		// The first round goes in sweep order, so that tools that order
		// keys by first appearance (benchstat) list them in that order.
		if round > 0 {
			rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		}
		for _, pt := range order {
			if err := ctx.Err(); err != nil {
				return err
			}
			s, err := r.sample(pt, pt.ops)
			if err != nil {
				return fmt.Errorf("%s: %w", pt.Name(), err)
			}
			if err := r.emit(pt, s); err != nil {
				return err
			}
			r.step(pt)
		}
	}
	return nil
}

type runner struct {
	c     Config
	sink  func(*benchfmt.Result) error
	res   benchfmt.Result // reused: its Config is the file configuration
	t0    time.Time
	done  int
	total int
}

func (r *runner) step(pt *point) {
	r.done++
	if r.c.Progress == nil {
		return
	}
	el := time.Since(r.t0)
	left := time.Duration(float64(el) / float64(r.done) * float64(r.total-r.done))
	r.c.Progress(Progress{Done: r.done, Total: r.total, Elapsed: el, Left: left, Point: pt.Name()})
}

// sampleResult is what one sample measured.
type sampleResult struct {
	ops     int64 // ops done in all
	wall    time.Duration
	cpu     time.Duration
	metrics []workloads.Metric
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

// sample runs ops ops (strong) or ops per goroutine (weak) at pt.
func (r *runner) sample(pt *point, ops int64) (sampleResult, error) {
	runtime.GOMAXPROCS(pt.Procs)
	lock, err := gil.New(pt.Lock, r.c.LockOpts)
	if err != nil {
		return sampleResult{}, err
	}
	g := pt.Goroutines
	threads := make([]gil.Thread, g)
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
		threads[i] = lock.Thread()
		w, err := pt.inst.NewWorker(threads[i])
		if err != nil {
			return sampleResult{}, err
		}
		workers[i] = w
	}
	runtime.GC()
	var cpu0, cpu1 time.Duration
	mark := func(start bool) {
		if start {
			cpu0 = processCPU()
		} else {
			cpu1 = processCPU()
		}
	}
	weak := r.c.Scaling == Weak
	done, wall, err := divide(g, ops, pt.chunk, weak, mark,
		func(w int) { threads[w].Start() },
		func(w int) { threads[w].Stop() },
		func(w int, _ int64) error {
			th := threads[w]
			th.OpStart()
			err := workers[w].Op()
			th.OpEnd()
			return err
		})
	if err != nil {
		return sampleResult{}, err
	}
	want := ops
	if weak {
		want = ops * int64(g)
	}
	var sum int64
	for _, d := range done {
		sum += d
	}
	if sum != want {
		return sampleResult{}, fmt.Errorf("did %d ops, want %d: the work division lost or duplicated ops", sum, want)
	}
	closeWorkers()
	metrics := lock.Metrics(wall)
	if sampler != nil {
		metrics = append(metrics, sampler.EndSample(wall, sum)...)
	}
	return sampleResult{ops: sum, wall: wall, cpu: cpu1 - cpu0, metrics: metrics}, nil
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
	return r.sink(res)
}
