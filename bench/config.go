package bench

import (
	"cmp"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/parbench/parbench/bench/gil"
	"github.com/parbench/parbench/bench/prof"
	"github.com/parbench/parbench/results"
	"github.com/parbench/parbench/workloads"
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
	// Failed, if set, is called as soon as a point fails, before its
	// note is written and before the sweep goes on: a command shows it
	// there rather than only at the end.
	Failed func(Failure)
	// Warn, if set, is called with each warning of the run as it is
	// found (a goroutine count the calibrated op count leaves idle, a
	// sample the OS starved so that the watchdog waited longer);
	// the warning is also written as a results.NoteWarning.
	Warn func(Warning)

	// TargetCI, if above 0, lets a point stop before Count samples: once
	// it has MinAdaptive samples and the 95% confidence interval of its
	// median sec/op is within ±TargetCI of the median (0.02 for 2%).
	TargetCI float64
	// SampleTimeout is the watchdog of one sample (calibration runs
	// included); 0 means DefaultSampleTimeout(Benchtime), or of the
	// planned sample time for a point whose op floor stretches its
	// samples past Benchtime (workloads.MinOpser, MaxFloorTime). A sample that
	// runs longer fails its point with ErrHung, and the sweep goes on,
	// unless the OS starved the process: where /proc/self/task has
	// schedstat (Linux), a timeout in which the process's threads
	// waited in the run queue for at least half of it and ran less
	// than a quarter of the CPU time they could have used gets the
	// sample another SampleTimeout, at most 3 more in all, and a
	// warning. Threads that sleep (a lost wake-up, a deadlock) or run
	// (a spinning op) fail at the first deadline.
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
	// Service is the server shape of a sweep of served workloads, the
	// --server-workers and --server-threads dimensions (service.go):
	// with one, each point's lock is its service's and its goroutines
	// are the clients. The zero value is no shape.
	Service ServiceConfig
	// Consistency is the --consistency dimension of a sweep of
	// replicated workloads (workloads.Replicated: cluster/*), the
	// designs to run each under ("cp", "ap"; replicated.go). nil: each
	// replicated workload sweeps all its Consistencies() and other
	// workloads have no such dimension. Set, every workload of the
	// sweep must be replicated and offer each design. A replicated
	// workload's points carry consistency= in their names, its
	// goroutines are its clients, under lock none only, and its
	// samples last a set time (workloads.Timed), uncalibrated.
	Consistency []string
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
	Points, PointsDone int // points in the sweep; points stopped or failed
	// Samples is what this run plans (at most, under TargetCI), the
	// samples that failed points will not take included: those are
	// SamplesFailed, so that a total never falls without a word.
	Samples, SamplesDone int
	Failed               int           // points failed so far
	SamplesFailed        int           // samples the failed points will not take
	Done, Total          int           // calibrations and samples done and to do, failed ones left out
	Elapsed              time.Duration // since Run began
	// Left is the estimated time left: the planned time of the
	// calibrations and samples to do, each priced at what the run has
	// measured so far (eta.go).
	Left  time.Duration
	Point string // the point just measured
}

// Warning is a finding about a point that is not a failure: the run
// goes on, and the warning is written to the file as a note.
type Warning struct {
	Point string // result name
	// Text says what is wrong and what would mend it. It may name a
	// Config field in braces, "{Benchtime}", as FieldError does.
	Text string
}

// Message is the warning with each Config field in braces written as
// name(field): a command passes the name of the flag that sets it.
func (w Warning) Message(name func(field string) string) string {
	return w.Point + ": " + fieldRefs(w.Text, name)
}

func (w Warning) String() string { return w.Message(goName) }

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

// DefaultConfig returns the documented defaults for every workload of
// workloads.Lookup("all"): all but the replicated ones (cluster/*),
// which a sweep runs only where named.
func DefaultConfig() Config {
	all, _ := workloads.Lookup("all")
	return Config{
		Workloads:  all,
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

// Validate checks every field, and that no knob of Params is set away
// from its default where no workload of the sweep reads it
// (workloads.ParamUser). Its error matches ErrInvalid and is, for a
// field out of range or a knob that nothing reads, a *FieldError naming
// the field.
func (c *Config) Validate() error {
	return c.check(true)
}

// check is Validate; a resumed sweep (newSweep false) skips the knobs
// check: its knobs are its file's, which Resume.Check holds it to.
func (c *Config) check(newSweep bool) error {
	err := c.validate()
	if err == nil && newSweep {
		err = c.checkParamsUsed()
	}
	return invalid(err)
}

func (c *Config) validate() error {
	bad := func(field, value, format string, args ...any) error {
		return &FieldError{Field: field, Value: value, Err: fmt.Errorf(format, args...)}
	}
	if len(c.Workloads) == 0 {
		return bad("Workloads", "", "no workload selected")
	}
	if err := checkList("Procs", c.Procs, MaxProcs); err != nil {
		return err
	}
	if err := checkList("Goroutines", c.Goroutines, MaxGoroutines); err != nil {
		return err
	}
	if len(c.Locks) == 0 {
		return bad("Locks", "", "empty list (valid: %s)", strings.Join(gil.Modes(), ", "))
	}
	for _, l := range c.Locks {
		if err := gil.Check(l); err != nil {
			return &FieldError{Field: "Locks", Err: err}
		}
	}
	if c.Count < 1 || c.Count > MaxCount {
		return bad("Count", strconv.Itoa(c.Count), "want 1 to %d", MaxCount)
	}
	if c.Benchtime < time.Millisecond || c.Benchtime > time.Hour {
		return bad("Benchtime", c.Benchtime.String(), "want 1ms to 1h")
	}
	if c.Scaling != Strong && c.Scaling != Weak {
		return bad("Scaling", strconv.Quote(string(c.Scaling)), "want strong or weak")
	}
	if err := checkLockOpts(c.LockOpts); err != nil {
		return err
	}
	if c.TargetCI < 0 || c.TargetCI >= 1 || c.TargetCI != c.TargetCI {
		return bad("TargetCI", fmt.Sprintf("%v%%", 100*c.TargetCI), "want a percentage above 0%% and below 100%%, e.g. 2%%")
	}
	if c.TargetCI > 0 && c.Count < MinAdaptive {
		return bad("Count", strconv.Itoa(c.Count), "{TargetCI} needs at least %d samples a point", MinAdaptive)
	}
	if c.SampleTimeout < 0 {
		return bad("SampleTimeout", c.SampleTimeout.String(), "want a positive duration, or 0 for the default")
	}
	if err := c.Exec.validate(c.Workloads); err != nil {
		return err
	}
	if err := c.Service.validate(c.Workloads, c.Exec, c.Locks); err != nil {
		return err
	}
	if err := c.Params.Validate(); err != nil {
		return err
	}
	// The knobs a workload parses itself, for the sweep's workloads
	// only: --faults crash is cluster's, and webapp refuses it.
	for _, w := range c.Workloads {
		if pc, ok := w.(workloads.ParamChecker); ok {
			if err := pc.CheckParams(c.Params); err != nil {
				return err
			}
		}
	}
	return c.validateReplicated()
}

// checkParamsUsed returns a *FieldError for the first knob of Params
// set away from its default that no workload of c reads: the file
// would record a setting that changed nothing, and the report would
// split its groups by it.
func (c *Config) checkParamsUsed() error {
	for _, name := range c.Params.Changed() {
		if !slices.ContainsFunc(c.Workloads, func(w workloads.Workload) bool { return workloads.Uses(w, name) }) {
			return &FieldError{Field: "Params." + name, Value: c.Params.Value(name),
				Err: fmt.Errorf("no workload in {Workloads} reads it (it is for %s): drop it, or add one of those to {Workloads}",
					workloadsWhere(func(w workloads.Workload) bool { return workloads.Uses(w, name) }))}
		}
	}
	// The handler runs in a served sweep's service only: without a
	// shape the webapp workloads run as they always have.
	if !c.Service.served() && slices.Contains(c.Params.Changed(), workloads.ParamHandlerCPU) {
		return &FieldError{Field: "Params." + workloads.ParamHandlerCPU, Value: c.Params.Value(workloads.ParamHandlerCPU),
			Err: errors.New("only the service of a served sweep runs a handler: add {Service.Threads} or {Service.Workers}, or drop it")}
	}
	if !c.Service.served() && slices.Contains(c.Params.Changed(), workloads.ParamDBLatency) {
		return &FieldError{Field: "Params." + workloads.ParamDBLatency, Value: c.Params.Value(workloads.ParamDBLatency),
			Err: errors.New("only the service of a served sweep adds it to its database calls: add {Service.Threads} or {Service.Workers}, or drop it")}
	}
	return nil
}

// workloadsWhere names the registered workloads w with is(w): a whole
// family by its name ("webapp") where each of its workloads is one,
// else each workload.
func workloadsWhere(is func(workloads.Workload) bool) string {
	var names []string
	for _, w := range workloads.All() {
		if !is(w) {
			continue
		}
		fam := workloads.Family(w.Name())
		all, _ := workloads.Lookup(fam)
		if slices.ContainsFunc(all, func(v workloads.Workload) bool { return !is(v) }) || fam == w.Name() {
			names = append(names, w.Name())
		} else if !slices.Contains(names, fam) {
			names = append(names, fam)
		}
	}
	if len(names) == 0 {
		return "no registered workload"
	}
	return strings.Join(names, ", ")
}

// checkList checks a list field: not empty, each value from 1 to hi,
// none twice.
func checkList(field string, xs []int, hi int) error {
	bad := func(format string, args ...any) error {
		return &FieldError{Field: field, Err: fmt.Errorf(format, args...)}
	}
	if len(xs) == 0 {
		return bad("empty list")
	}
	seen := map[int]bool{}
	for _, x := range xs {
		if x < 1 || x > hi {
			return bad("%d out of range (want 1 to %d)", x, hi)
		}
		if seen[x] {
			return bad("%d given twice", x)
		}
		seen[x] = true
	}
	return nil
}

// checkLockOpts returns a *FieldError for the first option of o out of
// range: a sweep's (Config.LockOpts) and a Single's.
func checkLockOpts(o gil.Options) error {
	if o.SwitchInterval <= 0 {
		return &FieldError{Field: "LockOpts.SwitchInterval", Value: o.SwitchInterval.String(), Err: errors.New("want a positive duration")}
	}
	if o.CheckInterval < 1 {
		return &FieldError{Field: "LockOpts.CheckInterval", Value: strconv.Itoa(o.CheckInterval), Err: errors.New("want at least 1")}
	}
	return nil
}

// lockFileConfig is the file configuration of how samples were taken:
// the scaling and the lock options, a sweep's (FileConfig) and a
// Single's alike.
func lockFileConfig(scaling Scaling, o gil.Options) []results.Config {
	return []results.Config{
		{Key: results.KeyScaling, Value: string(scaling)},
		{Key: results.KeySwitchInterval, Value: o.SwitchInterval.String()},
		{Key: results.KeyCheckInterval, Value: strconv.Itoa(o.CheckInterval)},
	}
}

// FileConfig returns the file configuration of a run: the machine, the
// date, the sweep's settings and each workload's class (its
// workloads.Classed, so that the analysis never reads a class from a
// name). Package results names every key and its role.
func (c *Config) FileConfig(now time.Time) []results.Config {
	names := make([]string, len(c.Workloads))
	classes := make([]results.WorkloadClass, len(c.Workloads))
	for i, w := range c.Workloads {
		names[i] = w.Name()
		classes[i] = results.WorkloadClass{Workload: w.Name(), Class: workloads.ClassOf(w)}
	}
	cfg := results.Machine()
	cfg = append(cfg,
		results.Config{Key: results.KeyDate, Value: now.UTC().Format(time.RFC3339)},
		results.Config{Key: results.KeyWorkloads, Value: strings.Join(names, ",")},
		results.Config{Key: results.KeyProcs, Value: joinInts(c.Procs)},
		results.Config{Key: results.KeyGoroutines, Value: joinInts(c.Goroutines)},
		results.Config{Key: results.KeyLocks, Value: strings.Join(c.Locks, ",")},
		results.Config{Key: results.KeyCount, Value: strconv.Itoa(c.Count)},
		results.Config{Key: results.KeyTargetCI, Value: FormatPercent(c.TargetCI)},
		results.Config{Key: results.KeyBenchtime, Value: c.Benchtime.String()},
	)
	// A served sweep's shape and handler: nothing for a sweep without
	// one, so that its files read, and resume, as before.
	if c.Service.served() {
		cfg = append(cfg,
			results.Config{Key: results.KeyServerWorkers, Value: joinInts(c.Service.workers())},
			results.Config{Key: results.KeyServerThreads, Value: joinInts(c.Service.threads())},
		)
	}
	// A sweep with a replicated workload's designs and settings:
	// nothing for any other.
	replSweep, replSettings := c.replicatedFileConfig()
	cfg = append(cfg, replSweep...)
	cfg = append(cfg, lockFileConfig(c.Scaling, c.LockOpts)...)
	cfg = append(cfg,
		results.Config{Key: results.KeyIOLatency, Value: c.Params.IOLatency.String()},
		results.Config{Key: results.KeyServerLatency, Value: c.Params.ServerLatency.String()},
		results.Config{Key: results.KeyIOFraction, Value: strconv.FormatFloat(c.Params.IOFraction, 'g', -1, 64)},
		results.Config{Key: results.KeyOpTime, Value: c.Params.OpTime.String()},
		results.Config{Key: results.KeyCPUGoroutines, Value: strconv.Itoa(c.Params.CPUGoroutines)},
		results.Config{Key: results.KeyDatabase, Value: redactDSN(c.Params.DB)},
		results.Config{Key: results.KeyFaults, Value: cmp.Or(c.Params.Faults, "off")},
	)
	if c.Service.served() {
		cfg = append(cfg, results.Config{Key: results.KeyHandlerCPU, Value: c.Params.Value(workloads.ParamHandlerCPU)},
			results.Config{Key: results.KeyDBLatency, Value: c.Params.Value(workloads.ParamDBLatency)})
		if c.Service.Command != nil {
			cfg = append(cfg, results.Config{Key: results.KeyServerCmd, Value: FormatCommand(c.Service.Command)})
		}
	}
	// An open-loop sweep's rate: nothing for a closed-loop one, so that
	// its files read, and resume, as before.
	if c.Params.Rate > 0 {
		cfg = append(cfg, results.Config{Key: results.KeyRate, Value: c.Params.Value(workloads.ParamRate)})
	}
	cfg = append(cfg, replSettings...)
	if len(classes) > 0 {
		cfg = append(cfg, results.Config{Key: results.KeyClasses, Value: results.FormatClasses(classes)})
	}
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

// Points returns the sweep's points in sweep order: workload, lock,
// exec mode and payload, server workers and threads, consistency,
// goroutines, GOMAXPROCS, as Run measures them.
func (c *Config) Points() []results.Point {
	var pts []results.Point
	for _, w := range c.Workloads {
		for _, pp := range c.plan(w) {
			pts = append(pts, pp.Point)
		}
	}
	return pts
}

// planned is one point of the sweep, as Points names it and Run
// measures it.
type planned struct {
	results.Point
	x     execPoint
	shape serviceShape
	// consistency is a replicated workload's design (replicated.go),
	// "" for any other.
	consistency string
}

// plan returns the points of workload w in sweep order: the one
// expansion of the dimensions, which Points and Run share so that a
// resumed file's names are the ones Run measures. The name's extra keys
// are the exec ones, then the server shape's, then a replicated
// workload's consistency.
func (c *Config) plan(w workloads.Workload) []planned {
	// A replicated workload's designs: none, and so no points, for an
	// empty Consistency, which Validate refuses but Points may be
	// asked for first.
	designs := c.consistencies(w)
	repl := replicated(w) != nil
	if !repl {
		designs = []string{""} // no dimension, no key
	}
	var pts []planned
	for _, l := range c.Locks {
		if repl && l != "none" {
			continue // the replicas hold no simulated lock (validateReplicated)
		}
		for _, v := range c.Exec.variants() {
			for _, s := range c.Service.shapes() {
				for _, d := range designs {
					extra := v.extra
					if s.extra != nil {
						extra = append(slices.Clip(extra), s.extra...)
					}
					if d != "" {
						extra = append(slices.Clip(extra), results.KV{Key: results.KeyConsistency, Value: d})
					}
					for _, g := range c.Goroutines {
						for _, p := range c.Procs {
							pts = append(pts, planned{
								Point:       results.Point{Workload: w.Name(), Lock: l, Extra: extra, Goroutines: g, Procs: p},
								x:           v.x,
								shape:       s,
								consistency: d,
							})
						}
					}
				}
			}
		}
	}
	return pts
}
