package partest

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"github.com/parbench/parbench/bench"
	"github.com/parbench/parbench/bench/gil"
	"github.com/parbench/parbench/results"
	"github.com/parbench/parbench/workloads"
)

// Env is what each goroutine's op gets: the Env of parbench's own
// workloads. Under lock=none its methods are empty calls; under the
// simulated GILs an op that calls Check inside its CPU work and
// BeginIO/EndIO around its blocking calls gets CPython's behaviour for
// work of that shape.
type Env = workloads.Env

// Sweep is what Run measures: one sub-benchmark per lock mode and
// goroutine count. The zero value is the default sweep.
type Sweep struct {
	// Goroutines are the goroutine counts G; each shares b.N ops
	// (strong scaling). Empty means 1, 2, 8 and 64. Each is from 1 to
	// bench.MaxGoroutines, none twice.
	Goroutines []int
	// Locks are the lock modes of package gil: none, gil (CPython's GIL
	// since 3.2), gil-old (CPython 2's) and mutex (one coarse lock
	// around each op). Empty means none and gil.
	Locks []string
	// LockOptions configures the simulated locks; a zero field takes
	// its value from gil.DefaultOptions() (a 5ms switch interval, a
	// check interval of 100 ticks).
	LockOptions gil.Options
	// Class is what bounds the op, one of results.Classes() ("cpu",
	// "memory", "io", "mixed", "latency", "webapp"): written in the
	// classes line, it lets parbench report apply that class's rules.
	// Empty states none (the report applies no class's rules), except
	// in RunWorkload, which takes the workload's own.
	Class string
}

// The defaults of a zero Sweep.
var (
	defaultGoroutines = []int{1, 2, 8, 64}
	defaultLocks      = []string{"none", "gil"}
)

// leaf is one sub-benchmark of a Sweep.
type leaf struct {
	name       string // lock=<mode>/goroutines=<G>
	lock       string
	goroutines int
}

// normalized returns s with its defaults filled in, or an error naming
// the Sweep field at fault and what would be valid.
func (s Sweep) normalized() (Sweep, error) {
	if len(s.Goroutines) == 0 {
		s.Goroutines = defaultGoroutines
	}
	if len(s.Locks) == 0 {
		s.Locks = defaultLocks
	}
	for i, g := range s.Goroutines {
		if g < 1 || g > bench.MaxGoroutines {
			return s, fmt.Errorf("Sweep.Goroutines: %d out of range (want 1 to %d)", g, bench.MaxGoroutines)
		}
		if slices.Contains(s.Goroutines[:i], g) {
			return s, fmt.Errorf("Sweep.Goroutines: %d given twice", g)
		}
	}
	for i, l := range s.Locks {
		if err := gil.Check(l); err != nil {
			return s, fmt.Errorf("Sweep.Locks: %w", err)
		}
		if slices.Contains(s.Locks[:i], l) {
			return s, fmt.Errorf("Sweep.Locks: %q given twice", l)
		}
	}
	def := gil.DefaultOptions()
	switch o := &s.LockOptions; {
	case o.SwitchInterval < 0:
		return s, fmt.Errorf("Sweep.LockOptions.SwitchInterval: %v (want a positive duration, or 0 for %v)", o.SwitchInterval, def.SwitchInterval)
	case o.CheckInterval < 0:
		return s, fmt.Errorf("Sweep.LockOptions.CheckInterval: %d (want at least 1, or 0 for %d)", o.CheckInterval, def.CheckInterval)
	}
	if s.LockOptions.SwitchInterval == 0 {
		s.LockOptions.SwitchInterval = def.SwitchInterval
	}
	if s.LockOptions.CheckInterval == 0 {
		s.LockOptions.CheckInterval = def.CheckInterval
	}
	if s.Class != "" {
		if _, err := results.ParseClass(s.Class); err != nil || s.Class == results.ClassUnknown.String() {
			valid := make([]string, 0, len(results.Classes()))
			for _, c := range results.Classes() {
				valid = append(valid, c.String())
			}
			return s, fmt.Errorf("Sweep.Class: %q is not a class (valid: %s, or empty for none)", s.Class, strings.Join(valid, ", "))
		}
	}
	return s, nil
}

// leaves returns the sub-benchmarks of a normalized Sweep in run order:
// lock by lock, each over the goroutine counts, as parbench run orders
// its sweep.
func (s Sweep) leaves() []leaf {
	var ls []leaf
	for _, l := range s.Locks {
		for _, g := range s.Goroutines {
			// Package results writes the keys: a Point of no workload
			// names its lock and goroutines alone, "/lock=gil/goroutines=8".
			name := strings.TrimPrefix(results.Point{Lock: l, Goroutines: g}.Name(), "/")
			ls = append(ls, leaf{name: name, lock: l, goroutines: g})
		}
	}
	return ls
}

// Names returns the names of the sub-benchmarks Run makes of s, in the
// order it runs them ("lock=none/goroutines=1", ...), or the error Run
// would fail with, naming the Sweep field at fault.
func (s Sweep) Names() ([]string, error) {
	s, err := s.normalized()
	if err != nil {
		return nil, err
	}
	var names []string
	for _, l := range s.leaves() {
		names = append(names, l.name)
	}
	return names, nil
}

// Run benchmarks op over s: one sub-benchmark per lock mode and goroutine
// count, named lock=<mode>/goroutines=<G>. In each, the G goroutines
// share b.N ops, drawn from one counter; newOp is called once per
// goroutine and sample, outside the timed window, with that goroutine's
// Env, and returns its op. After each op Run calls env.Check(1), a
// switch point between ops (see the package comment). An error from
// newOp or op fails the benchmark with it. GOMAXPROCS is go test's
// -cpu value; Run never changes it (but for testing's first call of each
// sub-benchmark, see the package comment).
func Run(b *testing.B, s Sweep, newOp func(env Env) (op func() error, err error)) {
	b.Helper()
	if newOp == nil {
		b.Fatal("partest: Run: newOp is nil")
	}
	run(b, s, "", opInstance{newOp})
}

// RunWorkload benchmarks a workload of the public workloads API (one of
// parbench's, or a user's, registered or not) over s, as Run does an op:
// it starts w with p once, makes each goroutine's Worker with its Env,
// and closes the Instance at the end. Its ops get no Check between them:
// a workload marks its own work, as under parbench run. s.Class empty
// means w's own class (workloads.Classed). A workloads.Sampler's and a
// workloads.Backgrounder's parts run as in parbench run; a
// workloads.MinOpser's floor does not apply (testing sizes b.N).
func RunWorkload(b *testing.B, s Sweep, w workloads.Workload, p workloads.Params) {
	b.Helper()
	if w == nil {
		b.Fatal("partest: RunWorkload: the workload is nil")
	}
	if s.Class == "" {
		s.Class = workloads.ClassOf(w).String()
		if s.Class == results.ClassUnknown.String() {
			s.Class = ""
		}
	}
	if _, err := s.normalized(); err != nil {
		b.Fatalf("partest: %v", err)
	}
	if err := p.Validate(); err != nil {
		b.Fatalf("partest: RunWorkload %s: workloads.Params.%v", w.Name(), err)
	}
	in, err := w.Start(p)
	if err != nil {
		b.Fatalf("partest: starting %s: %v", w.Name(), err)
	}
	defer func() {
		if err := in.Close(); err != nil {
			b.Errorf("partest: closing %s: %v", w.Name(), err)
		}
	}()
	run(b, s, w.Name(), in)
}

// run is Run and RunWorkload: validate, write the configuration, then
// one sub-benchmark per leaf over in.
func run(b *testing.B, s Sweep, workload string, in workloads.Instance) {
	b.Helper()
	s, err := s.normalized()
	if err != nil {
		b.Fatalf("partest: %v", err)
	}
	leaves := s.leaves()
	// A B without a name is testing.Benchmark's: its output is
	// discarded and it has no -cpu loop. One with a name is go test
	// -bench's, whose output is a results file.
	gotest := b.Name() != ""
	var base results.Point // the benchmark's own name, its workload the classes line's key
	if gotest {
		if base, err = results.ParseName(b.Name()); err != nil {
			b.Fatalf("partest: benchmark name %q: %v", b.Name(), err)
		}
		for _, l := range leaves {
			p, err := results.ParseName(b.Name() + "/" + l.name)
			if err != nil || p.Lock != l.lock || p.Goroutines != l.goroutines {
				b.Fatalf("partest: benchmark name %q already has lock= or goroutines= keys, or a part without = after a key: its sub-benchmark %s would not read back as lock %s, goroutines %d (%v)",
					b.Name(), l.name, l.lock, l.goroutines, err)
			}
		}
	}
	name := workload
	if name == "" {
		name = b.Name()
	}
	singles := make([]*bench.Single, len(leaves))
	for i, l := range leaves {
		if singles[i], err = bench.NewSingle(name, in, l.lock, s.LockOptions, l.goroutines); err != nil {
			b.Fatalf("partest: %v", err)
		}
	}
	if gotest {
		if err := writeConfig(singles[0].FileConfig(), s.Class, base.Workload); err != nil {
			b.Fatalf("partest: %v", err)
		}
	}
	for i, l := range leaves {
		single := singles[i]
		probe := gotest
		b.Run(l.name, func(b *testing.B) {
			b.StopTimer()
			if probe {
				probe = false
				if p := firstCPU(); p > 0 {
					defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(p))
				}
			}
			measure(b, single)
		})
	}
}

// measure takes one sample of b.N ops and reports it: ns/op is the
// sample's timed window over its ops, and every other figure of a
// parbench result line follows through b.ReportMetric.
func measure(b *testing.B, single *bench.Single) {
	b.Helper()
	s, err := single.Sample(int64(b.N), func(start bool) {
		if start {
			b.StartTimer()
		} else {
			b.StopTimer()
		}
	})
	for _, w := range s.Warnings {
		b.Logf("partest: warning: %s", w.Text)
	}
	if err != nil {
		b.Fatalf("partest: %s", failure(err))
	}
	if afterSample != nil {
		afterSample(b, s)
	}
	b.ReportMetric(float64(s.Wall.Nanoseconds())/float64(s.Ops), "ns/op")
	for _, v := range s.Values {
		x, unit := testingUnit(v.Value, v.Unit)
		if math.IsNaN(x) || math.IsInf(x, 0) {
			continue // benchfmt writes no such value either
		}
		if err := checkUnit(unit); err != nil {
			b.Fatalf("partest: figure %q: %v", v.Unit, err)
		}
		b.ReportMetric(x, unit)
	}
}

// afterSample, if set, sees each sample a sub-benchmark took with its B
// (the tests record what each call measured).
var afterSample func(b *testing.B, s bench.Sample)

// failure is an error of a sample as a benchmark's failure: with the
// stack of a panic, and the lock's state and the stacks of a hang.
func failure(err error) string {
	var pe *bench.PanicError
	var he *bench.HangError
	switch {
	case errors.As(err, &pe):
		return fmt.Sprintf("%v\n%s", err, pe.Stack)
	case errors.As(err, &he):
		const most = 64 << 10
		dump := he.Dump()
		if len(dump) > most {
			dump = dump[:most] + "\n... (cut)"
		}
		return fmt.Sprintf("%v\n%s", err, dump)
	}
	return err.Error()
}

// testingUnit returns a figure as b.ReportMetric should take it: a time
// ("sec" in the unit's numerator: cpu-sec/op, sched-p99-sec) in ns, as
// testing prints at most seven decimals and a time of a few
// nanoseconds in seconds would print as 0. benchfmt's readers (benchstat,
// parbench report) turn "ns" back into "sec" (benchunit.Tidy), so the
// figure reads as the one parbench run writes. But benchfmt keeps the
// unit of a value that tidying leaves as it is, 0: a time that would
// print as 0 in ns (below 1e-6ns) goes as 0 in its own unit, so that
// it too reads back in sec.
func testingUnit(x float64, unit string) (float64, string) {
	num, den, hasDen := strings.Cut(unit, "/")
	parts := strings.Split(num, "-")
	ns := x
	for i, p := range parts {
		if p == "sec" {
			parts[i] = "ns"
			ns *= 1e9
		}
	}
	if ns == x {
		return x, unit // no time
	}
	if math.Abs(ns) < 1e-6 {
		return 0, unit
	}
	unit = strings.Join(parts, "-")
	if hasDen {
		unit += "/" + den
	}
	return ns, unit
}

// checkUnit refuses a unit that b.ReportMetric would panic on or that
// would replace one of testing's own figures.
func checkUnit(unit string) error {
	switch {
	case unit == "" || strings.IndexFunc(unit, unicode.IsSpace) >= 0:
		return errors.New("a unit must be a word without spaces")
	case unit == "ns/op" || unit == "B/op" || unit == "allocs/op" || unit == "MB/s":
		return fmt.Errorf("unit %s would replace testing's own", unit)
	}
	return nil
}

// firstCPU returns the first value of go test's -cpu list, or 0 when
// there is none (GOMAXPROCS stays as it is).
func firstCPU() int {
	f := flag.Lookup("test.cpu")
	if f == nil {
		return 0
	}
	return firstOf(f.Value.String())
}

// firstOf returns the first value of a -cpu list as testing reads it
// (parseCpuList): comma-separated, each field trimmed, empty fields
// skipped, so " ,2" is [2]. It returns 0 for an empty list, and for a
// bad first value, which testing refuses before any benchmark runs.
func firstOf(list string) int {
	for field := range strings.SplitSeq(list, ",") {
		field = strings.TrimSpace(field)
		if field == "" {
			continue
		}
		n, err := strconv.Atoi(field)
		if err != nil || n < 1 {
			return 0
		}
		return n
	}
	return 0
}

// opInstance is Run's op as a workloads.Instance: each Worker is one
// goroutine's op, with a switch point after each.
type opInstance struct {
	newOp func(env Env) (func() error, error)
}

func (in opInstance) NewWorker(env workloads.Env) (workloads.Worker, error) {
	op, err := in.newOp(env)
	if err != nil {
		return nil, err
	}
	if op == nil {
		return nil, errors.New("newOp returned a nil op and no error")
	}
	return opWorker{op: op, env: env}, nil
}

func (opInstance) Close() error { return nil }

type opWorker struct {
	op  func() error
	env Env
}

// Op runs the user's op, then marks a switch point: one tick, as
// CPython's eval loop checks its eval breaker after a call into C.
func (w opWorker) Op() error {
	if err := w.op(); err != nil {
		return err
	}
	w.env.Check(1)
	return nil
}

func (opWorker) Close() error { return nil }

// The configuration partest has written to os.Stdout, process-wide: a
// key is written again only when its value changes.
var (
	configMu sync.Mutex
	written  = map[string]string{}
	classes  []results.WorkloadClass
	machine  = sync.OnceValue(func() []results.Config {
		return append(results.Machine(), results.Config{Key: results.KeyDate, Value: time.Now().UTC().Format(time.RFC3339)})
	})
)

// writeConfig writes, before the first sub-benchmark's line, the file
// configuration a parbench run writes that applies here: the machine
// (once), how the samples are taken (sampling: a Single's FileConfig)
// and the classes line with workload's class, each only when its value
// differs from the one written before.
func writeConfig(sampling []results.Config, class, workload string) error {
	configMu.Lock()
	defer configMu.Unlock()
	cfg := append(slices.Clone(machine()), sampling...)
	if class != "" {
		c, _ := results.ParseClass(class) // normalized checked it
		i := slices.IndexFunc(classes, func(wc results.WorkloadClass) bool { return wc.Workload == workload })
		if i < 0 {
			classes = append(classes, results.WorkloadClass{Workload: workload, Class: c})
		} else {
			classes[i].Class = c
		}
		cfg = append(cfg, results.Config{Key: results.KeyClasses, Value: results.FormatClasses(classes)})
	}
	var changed []results.Config
	for _, c := range cfg {
		if written[c.Key] != c.Value {
			changed = append(changed, c)
		}
	}
	if err := results.WriteConfig(os.Stdout, changed); err != nil {
		return err
	}
	for _, c := range changed {
		written[c.Key] = c.Value
	}
	return nil
}
