package selfbench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/perf/benchfmt"

	"github.com/parbench/parbench/bench"
	"github.com/parbench/parbench/results"
)

// Module is the module path of parbench's source tree, which Run builds
// the bench package's tests and benchstat in.
const Module = "github.com/parbench/parbench"

// ReferenceFile is the committed reference run that the report measure
// reads, relative to the module root.
const ReferenceFile = "results/vm-20261125T091418Z.txt"

// MinCount is the fewest samples per point the precision measure
// takes: with fewer, benchstat's ± (the 95% interval of the median,
// assuming nothing) is unbounded. It is bench.MinAdaptive, the same
// bound for the runner's --target-ci.
const MinCount = bench.MinAdaptive

// Measures lists the measures in the order Run takes them.
var Measures = []string{results.HarnessEmptyOp, results.HarnessPrecision, results.HarnessReport, results.HarnessGoroutines}

// Options is one self-benchmark. DefaultOptions fills every field but
// the empty-op functions, the binaries, Dir, Log, Force and the output.
type Options struct {
	// Measures are the measures to take (results.Harness*), in any
	// order; Run takes them in the order of Measures.
	Measures []string
	// Rounds is how many times each tool measures each figure; the
	// tools alternate within a round (parbench's first in odd rounds,
	// Go's tool's in even ones).
	Rounds int
	// Workloads at each GOMAXPROCS of Procs are the precision
	// measure's points, with Goroutines goroutines in parbench (go
	// test's RunParallel runs GOMAXPROCS goroutines: one at P 1). The
	// workloads are of one family (BenchRegexp).
	Workloads  []string
	Procs      []int
	Goroutines int
	// Count and Benchtime are the precision measure's samples per point
	// (at least MinCount) and time per sample, for both tools.
	Count     int
	Benchtime time.Duration
	// ManyGoroutines at each GOMAXPROCS of ManyProcs are the goroutines
	// measure's points (GoroutinesWorkload, no lock, at least two
	// goroutine counts). Their samples are sized to Benchtime, or
	// longer where the goroutines need it (the runner's sample goal:
	// about 10s for 100,000 goroutines on one proc).
	ManyGoroutines []int
	ManyProcs      []int
	// EmptyOpTime is how long each empty-op measurement runs.
	EmptyOpTime time.Duration
	// Copies is how many times the large report input repeats the
	// reference file.
	Copies int

	// Parbench is the parbench binary to run (the running one).
	Parbench string
	// GoTest and Benchstat are the bench package's test binary and
	// benchstat, and Plain the goroutines measure's plain program
	// (internal/selfbench/plainsleep); Run builds each one that is
	// empty with the go command.
	GoTest, Benchstat, Plain string
	// Dir is parbench's module root: the bench package's tests and
	// benchstat are built there, and Reference is relative to it.
	Dir       string
	Reference string

	// RunnerEmptyOp and TestingBEmptyOp measure the empty op in
	// process, in nanoseconds: bench.EmptyOpCost, the median of three
	// samples, and the median of three testing.Benchmark runs of an
	// empty RunParallel body (the results header's calibration line's),
	// so that both sides are the same estimator.
	RunnerEmptyOp   func(ctx context.Context, d time.Duration) (float64, error)
	TestingBEmptyOp func(d time.Duration) (float64, error)

	// Out is the results file to create; Force overwrites it.
	Out   string
	Force bool
	// Log receives progress.
	Log io.Writer
}

// DefaultOptions returns the measures of `make bench-harness`: all
// four, 3 rounds; cpu/sha256 and cpu/mandelbrot at GOMAXPROCS 1 and 2
// with 2 goroutines, 10 samples of 200ms; the reference file 20 times;
// io/sleep at 10,000 and 100,000 goroutines, GOMAXPROCS 1 and 2.
func DefaultOptions() Options {
	return Options{
		Measures:    slices.Clone(Measures),
		Rounds:      3,
		Workloads:   []string{"cpu/sha256", "cpu/mandelbrot"},
		Procs:       []int{1, 2},
		Goroutines:  2,
		Count:       10,
		Benchtime:   200 * time.Millisecond,
		EmptyOpTime: 100 * time.Millisecond,
		Copies:      20,
		Reference:   ReferenceFile,

		ManyGoroutines: []int{10_000, 100_000},
		ManyProcs:      []int{1, 2},
	}
}

// ErrNoGo is returned when a measure needs the go command and PATH has
// none.
var ErrNoGo = errors.New("the go command is not on PATH: the precision, report and goroutines measures build the bench package's tests (go test -c), benchstat and a plain Go program with it")

// ErrReference is wrapped by the error of a report measure whose
// Reference cannot be read; Run reads it before it builds anything.
var ErrReference = errors.New("the report's reference file")

// LookMeasures parses a comma-separated list of measures, or "all".
func LookMeasures(list string) ([]string, error) {
	if list == "all" {
		return slices.Clone(Measures), nil
	}
	var out []string
	for _, m := range strings.Split(list, ",") {
		m = strings.TrimSpace(m)
		if !slices.Contains(Measures, m) {
			return nil, fmt.Errorf("unknown measure %q (valid: %s, or all)", m, strings.Join(Measures, ", "))
		}
		if !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	return out, nil
}

// check validates o.
func (o Options) check() error {
	switch {
	case len(o.Measures) == 0:
		return errors.New("no measures")
	case o.Rounds < 1:
		return fmt.Errorf("%d rounds: want at least 1", o.Rounds)
	case o.Count < MinCount:
		return fmt.Errorf("count %d: want at least %d samples per point (benchstat gives no ± below %d)", o.Count, MinCount, MinCount)
	case slices.Contains(o.Measures, results.HarnessPrecision) && (len(o.Procs) == 0 || slices.Min(o.Procs) < 1 || o.Goroutines < 1):
		return fmt.Errorf("procs %v, %d goroutines: want at least one GOMAXPROCS, each and the goroutines at least 1", o.Procs, o.Goroutines)
	case slices.Contains(o.Measures, results.HarnessGoroutines) && (len(o.ManyGoroutines) < 2 || slices.Min(o.ManyGoroutines) < 1 || len(o.ManyProcs) == 0 || slices.Min(o.ManyProcs) < 1):
		return fmt.Errorf("goroutines %v at procs %v: want at least two goroutine counts and one GOMAXPROCS, each at least 1", o.ManyGoroutines, o.ManyProcs)
	case o.Benchtime <= 0 || o.EmptyOpTime <= 0:
		return fmt.Errorf("benchtime %v, empty-op time %v: want both above 0", o.Benchtime, o.EmptyOpTime)
	case o.Copies < 1:
		return fmt.Errorf("copies %d: want at least 1", o.Copies)
	case o.Parbench == "" || o.Out == "":
		return errors.New("no parbench binary or no results file")
	case slices.Contains(o.Measures, results.HarnessEmptyOp) && (o.RunnerEmptyOp == nil || o.TestingBEmptyOp == nil):
		return errors.New("the empty-op measure without its functions")
	}
	return nil
}

// FindModule returns the root of parbench's source tree that dir is in
// (where go.mod names Module), or an error saying why it is not.
func FindModule(dir string) (string, error) {
	d, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil {
			if modulePath(b) == Module {
				return d, nil
			}
			return "", fmt.Errorf("%s is module %q, not %s: run it in parbench's source tree", filepath.Join(d, "go.mod"), modulePath(b), Module)
		}
		up := filepath.Dir(d)
		if up == d {
			return "", fmt.Errorf("%s is not in a Go module: run it in parbench's source tree (it builds the bench package's tests)", dir)
		}
		d = up
	}
}

var moduleLine = regexp.MustCompile(`(?m)^module\s+"?([^\s"]+)"?\s*$`)

func modulePath(gomod []byte) string {
	if m := moduleLine.FindSubmatch(gomod); m != nil {
		return string(m[1])
	}
	return ""
}

// BenchRegexp is the -test.bench pattern that selects exactly the
// workloads in the bench package's BenchmarkCPU, BenchmarkIO and
// BenchmarkMixed (whose sub-benchmarks are named as parbench's points
// are): one family only, since -bench matches each level of the name
// on its own.
func BenchRegexp(workloads []string) (string, error) {
	var top string
	var subs []string
	for _, w := range workloads {
		name := results.Point{Workload: w}.Name() // CPU/sha256
		t, sub, ok := strings.Cut(name, "/")
		if !ok || strings.Contains(sub, "/") {
			return "", fmt.Errorf("workload %q: want family/name, one level deep", w)
		}
		if top != "" && t != top {
			return "", fmt.Errorf("workloads %q and %q: one family only", workloads[0], w)
		}
		top = t
		subs = append(subs, regexp.QuoteMeta(sub))
	}
	if top == "" {
		return "", errors.New("no workloads")
	}
	return "^Benchmark" + top + "$/^(" + strings.Join(subs, "|") + ")$", nil
}

// Row is one figure that two tools measured, round by round.
type Row struct {
	Measure, Subject string
	// Label says what the figure is, for the table. A Detail row is a
	// part of the headline row above it.
	Label  string
	Detail bool
	// Tool is parbench's side, Vs Go's.
	Tool, Vs string
	// A and B are Tool's and Vs's figure in each round (NaN where one
	// failed), in Unit.
	A, B []float64
	Unit string
}

// Ratio is A over B, round by round, over the rounds.
func (r Row) Ratio() Range { return Summarize(Ratios(r.A, r.B)) }

// PointRow is one precision point: each tool's ± and median sec/op in
// each round.
type PointRow struct {
	Key
	SpreadA, SpreadB []float64
	SecA, SecB       []float64
}

// Summary is what a harness file holds (ReadSummary).
type Summary struct {
	// Options are those the file says it was made with (its KeyHarness
	// line): the rounds, counts, times and measures.
	Options Options
	Rows    []Row
	Points  []PointRow
	Lines   map[string]int // the report inputs' line counts
	// Goroutines is the goroutines measure, one row per GOMAXPROCS.
	Goroutines []GoroutineRow
	// Elapsed is the whole run, builds included, and Builds the builds
	// alone: 0 for a file read on its own.
	Elapsed, Builds time.Duration
}

// Run measures parbench beside Go's tools, round after round, writes
// every figure to o.Out as it comes, and returns the summary, read back
// from that file (ReadSummary). It creates o.Out and reads o.Reference
// before it builds or measures anything, so that a bad one fails at
// once; an o.Out that it created and wrote nothing to is removed when
// Run fails.
func Run(ctx context.Context, o Options) (sum *Summary, err error) {
	start := time.Now()
	if err := o.check(); err != nil {
		return nil, err
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	need := func(m string) bool { return slices.Contains(o.Measures, m) }
	var ref string
	var data []byte
	if need(results.HarnessReport) {
		if ref, data, err = o.reference(); err != nil {
			return nil, err
		}
	}
	re := ""
	if need(results.HarnessPrecision) {
		if re, err = BenchRegexp(o.Workloads); err != nil {
			return nil, err
		}
	}

	if err := os.MkdirAll(filepath.Dir(o.Out), 0o755); err != nil {
		return nil, err
	}
	f, err := results.Create(o.Out, o.Force)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	w := &writer{FigureWriter: results.NewFigureWriter(f, time.Now(), results.KeyHarness, o.harnessKey(bytes.Count(data, []byte("\n"))))}
	defer func() {
		// A run that fails having written nothing leaves no file.
		if fi, serr := f.Stat(); err != nil && serr == nil && fi.Size() == 0 {
			f.Close()
			os.Remove(o.Out)
		}
	}()

	tmp, err := os.MkdirTemp("", "parbench-selfbench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	if err := o.build(ctx, tmp); err != nil {
		return nil, err
	}
	builds := time.Since(start)

	for _, m := range Measures {
		if !need(m) {
			continue
		}
		var err error
		switch m {
		case results.HarnessEmptyOp:
			err = emptyOp(ctx, o, w)
		case results.HarnessPrecision:
			err = precision(ctx, o, re, tmp, w)
		case results.HarnessReport:
			err = report(ctx, o, ref, data, tmp, w)
		case results.HarnessGoroutines:
			err = goroutinesMeasure(ctx, o, tmp, w)
		}
		if err != nil {
			return nil, err
		}
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	if sum, err = ReadSummaryFile(o.Out); err != nil {
		return nil, err
	}
	sum.Elapsed, sum.Builds = time.Since(start), builds
	return sum, nil
}

// reference returns o.Reference's path (relative to o.Dir) and
// content, ending in a newline.
func (o Options) reference() (string, []byte, error) {
	ref := o.Reference
	if !filepath.IsAbs(ref) {
		ref = filepath.Join(o.Dir, ref)
	}
	data, err := os.ReadFile(ref)
	if err != nil {
		return "", nil, fmt.Errorf("%w: %w", ErrReference, err)
	}
	if len(data) > 0 && data[len(data)-1] != '\n' {
		data = append(data, '\n')
	}
	return ref, data, nil
}

// harnessKey is the value of the file's KeyHarness: how the run was
// made, as ReadSummary reads it back.
func (o Options) harnessKey(referenceLines int) string {
	return fmt.Sprintf("rounds=%d count=%d benchtime=%v empty-op-time=%v goroutines=%d copies=%d reference-lines=%d many-goroutines=%s many-procs=%s measures=%s",
		o.Rounds, o.Count, o.Benchtime, o.EmptyOpTime, o.Goroutines, o.Copies, referenceLines, joinInts(o.ManyGoroutines), joinInts(o.ManyProcs), strings.Join(o.Measures, ","))
}

// joinInts writes xs as "1,2".
func joinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ",")
}

// build builds, in tmp, each of the bench package's test binary,
// benchstat and the plain program that a measure needs and o does not
// name, and names it.
func (o *Options) build(ctx context.Context, tmp string) error {
	needTest := slices.Contains(o.Measures, results.HarnessPrecision) && o.GoTest == ""
	needStat := slices.Contains(o.Measures, results.HarnessReport) && o.Benchstat == ""
	needPlain := slices.Contains(o.Measures, results.HarnessGoroutines) && o.Plain == ""
	if !needTest && !needStat && !needPlain {
		return nil
	}
	goCmd, err := exec.LookPath("go")
	if err != nil {
		return ErrNoGo
	}
	run := func(args ...string) error {
		cmd := exec.CommandContext(ctx, goCmd, args...)
		cmd.Dir = o.Dir
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, tail(out))
		}
		return nil
	}
	if needTest {
		o.GoTest = filepath.Join(tmp, "bench.test")
		fmt.Fprintf(o.Log, "selfbench: building the bench package's tests (go test -c ./bench)\n")
		if err := run("test", "-c", "-o", o.GoTest, "./bench"); err != nil {
			return err
		}
	}
	if needStat {
		o.Benchstat = filepath.Join(tmp, "benchstat")
		fmt.Fprintf(o.Log, "selfbench: building benchstat (go build golang.org/x/perf/cmd/benchstat)\n")
		if err := run("build", "-o", o.Benchstat, "golang.org/x/perf/cmd/benchstat"); err != nil {
			return err
		}
	}
	if needPlain {
		o.Plain = filepath.Join(tmp, "plainsleep")
		fmt.Fprintf(o.Log, "selfbench: building the plain program (go build ./internal/selfbench/plainsleep)\n")
		if err := run("build", "-o", o.Plain, "./internal/selfbench/plainsleep"); err != nil {
			return err
		}
	}
	return nil
}

// timed runs one command with its standard output to the file stdout
// (created or truncated) and returns its wall time and peak RSS in
// bytes (0 where unknown). A command that fails gives an error with
// the tail of both its outputs: a test binary says --- FAIL on its
// standard output.
func timed(ctx context.Context, dir, stdout, name string, args ...string) (wall time.Duration, rss int64, err error) {
	out, err := os.Create(stdout)
	if err != nil {
		return 0, 0, err
	}
	defer out.Close()
	var errb bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = out, &errb
	cmd.WaitDelay = 5 * time.Second
	t0 := time.Now()
	err = cmd.Run()
	wall = time.Since(t0)
	if err != nil {
		var outs string
		if b, rerr := os.ReadFile(stdout); rerr == nil && len(bytes.TrimSpace(b)) > 0 {
			outs += "\nstdout:\n" + tail(b)
		}
		if len(bytes.TrimSpace(errb.Bytes())) > 0 {
			outs += "\nstderr:\n" + tail(errb.Bytes())
		}
		return wall, 0, fmt.Errorf("%s %s: %w%s", filepath.Base(name), strings.Join(args, " "), err, outs)
	}
	return wall, peakRSS(cmd.ProcessState), nil
}

func tail(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 2000 {
		s = "..." + s[len(s)-2000:]
	}
	return s
}

// inOrder runs the two sides of round r: a first in odd rounds, b
// first in even ones, so that drift of the machine and the warmth of
// caches fall on both tools alike.
func inOrder(r int, a, b func() error) error {
	if r%2 == 0 {
		a, b = b, a
	}
	if err := a(); err != nil {
		return err
	}
	return b()
}

// emptyOp measures the empty op in process, the runner and testing.B
// alternating, in each round.
func emptyOp(ctx context.Context, o Options, w *writer) error {
	for r := 1; r <= o.Rounds; r++ {
		fmt.Fprintf(o.Log, "selfbench: empty op, round %d/%d\n", r, o.Rounds)
		var a, b float64
		err := inOrder(r, func() error {
			var err error
			if a, err = o.RunnerEmptyOp(ctx, o.EmptyOpTime); err != nil {
				return fmt.Errorf("the runner's empty op: %w", err)
			}
			return nil
		}, func() error {
			var err error
			if b, err = o.TestingBEmptyOp(o.EmptyOpTime); err != nil {
				return fmt.Errorf("testing.B's empty op: %w", err)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if err := w.figure(results.HarnessFigure{Measure: results.HarnessEmptyOp, Tool: results.ToolRunner}, val(a*1e-9, "sec/op")); err != nil {
			return err
		}
		if err := w.figure(results.HarnessFigure{Measure: results.HarnessEmptyOp, Tool: results.ToolTestingB}, val(b*1e-9, "sec/op")); err != nil {
			return err
		}
		if err := w.ratio(results.HarnessEmptyOp, "", results.ToolRunner, results.ToolTestingB, a, b); err != nil {
			return err
		}
	}
	return nil
}

// precision runs the points through parbench and through go test,
// alternating, in each round.
func precision(ctx context.Context, o Options, re, tmp string, w *writer) error {
	var keys []Key
	for _, wl := range o.Workloads {
		for _, p := range o.Procs {
			keys = append(keys, Key{wl, p})
		}
	}
	procs := make([]string, len(o.Procs))
	for i, p := range o.Procs {
		procs[i] = strconv.Itoa(p)
	}
	for r := 1; r <= o.Rounds; r++ {
		figs := map[string]float64{}
		// side times one tool's run of every point and writes its
		// figures.
		side := func(tool string, run func() (time.Duration, map[Key][]float64, error)) func() error {
			return func() error {
				fmt.Fprintf(o.Log, "selfbench: precision, round %d/%d: %s (%d points x %d samples of %v)\n", r, o.Rounds, tool, len(keys), o.Count, o.Benchtime)
				wall, samples, err := run()
				if err != nil {
					return err
				}
				var spreads []float64
				for _, k := range keys {
					xs := samples[k]
					if len(xs) != o.Count {
						return fmt.Errorf("%s measured %s %d times, want %d", tool, k, len(xs), o.Count)
					}
					sp := Spread(xs)
					spreads = append(spreads, sp)
					h := results.HarnessFigure{Measure: results.HarnessPrecision, Subject: k.Workload, Tool: tool, Procs: k.Procs}
					if err := w.figure(h, val(Median(xs), "sec/op"), val(sp, results.UnitCIPct)); err != nil {
						return err
					}
				}
				figs[tool] = Precision(spreads, wall.Seconds())
				h := results.HarnessFigure{Measure: results.HarnessPrecision, Tool: tool}
				return w.figure(h, val(Median(spreads), results.UnitCIPct), val(wall.Seconds(), results.UnitWallSec), val(figs[tool], results.UnitPrecision))
			}
		}
		err := inOrder(r, side(results.ToolParbench, func() (time.Duration, map[Key][]float64, error) {
			out := filepath.Join(tmp, fmt.Sprintf("parbench-%d.txt", r))
			wall, _, err := timed(ctx, o.Dir, filepath.Join(tmp, "stdout"), o.Parbench, "run", "--quiet",
				"--workloads", strings.Join(o.Workloads, ","), "--lock", "none",
				"--procs", strings.Join(procs, ","), "--goroutines", strconv.Itoa(o.Goroutines),
				"--count", strconv.Itoa(o.Count), "--benchtime", o.Benchtime.String(), "--out", out)
			if err != nil {
				return wall, nil, err
			}
			s, err := readSamplesFile(out)
			return wall, s, err
		}), side(results.ToolGoTest, func() (time.Duration, map[Key][]float64, error) {
			out := filepath.Join(tmp, fmt.Sprintf("go-test-%d.txt", r))
			wall, _, err := timed(ctx, o.Dir, out, o.GoTest, "-test.run", "^$", "-test.bench", re,
				"-test.cpu", strings.Join(procs, ","), "-test.count", strconv.Itoa(o.Count),
				"-test.benchtime", o.Benchtime.String())
			if err != nil {
				return wall, nil, err
			}
			s, err := readSamplesFile(out)
			return wall, s, err
		}))
		if err != nil {
			return err
		}
		if err := w.ratio(results.HarnessPrecision, "", results.ToolParbench, results.ToolGoTest, figs[results.ToolParbench], figs[results.ToolGoTest]); err != nil {
			return err
		}
	}
	return nil
}

func readSamplesFile(path string) (map[Key][]float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadSamples(f, path)
}

// report times `parbench report` and benchstat on the reference file
// (ref, of content data) and on it repeated o.Copies times,
// alternating, after one untimed run of each.
func report(ctx context.Context, o Options, ref string, data []byte, tmp string, w *writer) error {
	inputs := []struct{ name, path string }{{"reference", ref}}
	if o.Copies > 1 {
		big := filepath.Join(tmp, fmt.Sprintf("reference-%dx.txt", o.Copies))
		if err := os.WriteFile(big, bytes.Repeat(data, o.Copies), 0o644); err != nil {
			return err
		}
		inputs = append(inputs, struct{ name, path string }{fmt.Sprintf("reference-%dx", o.Copies), big})
	}
	lines := bytes.Count(data, []byte("\n"))
	stdout := filepath.Join(tmp, "stdout")
	type tool struct {
		name string
		run  func(file string) (time.Duration, int64, error)
	}
	par := tool{results.ToolParbench, func(f string) (time.Duration, int64, error) {
		return timed(ctx, o.Dir, stdout, o.Parbench, "report", f)
	}}
	stat := tool{results.ToolBenchstat, func(f string) (time.Duration, int64, error) {
		return timed(ctx, o.Dir, stdout, o.Benchstat, f)
	}}
	fmt.Fprintf(o.Log, "selfbench: report, a run of each tool untimed (the page cache, the binaries)\n")
	for _, t := range []tool{par, stat} {
		if _, _, err := t.run(inputs[0].path); err != nil {
			return err
		}
	}
	for r := 1; r <= o.Rounds; r++ {
		for i, in := range inputs {
			fmt.Fprintf(o.Log, "selfbench: report, round %d/%d: %s (%d lines)\n", r, o.Rounds, in.name, lines*max(1, i*o.Copies))
			walls := map[string]float64{}
			one := func(t tool) func() error {
				return func() error {
					wall, rss, err := t.run(in.path)
					if err != nil {
						return err
					}
					walls[t.name] = wall.Seconds()
					return w.figure(results.HarnessFigure{Measure: results.HarnessReport, Subject: in.name, Tool: t.name},
						val(wall.Seconds(), "sec/op"), val(float64(rss), results.UnitPeakRSS))
				}
			}
			if err := inOrder(r, one(par), one(stat)); err != nil {
				return err
			}
			if err := w.ratio(results.HarnessReport, in.name, results.ToolParbench, results.ToolBenchstat, walls[results.ToolParbench], walls[results.ToolBenchstat]); err != nil {
				return err
			}
		}
	}
	return nil
}

func val(v float64, unit string) benchfmt.Value { return benchfmt.Value{Value: v, Unit: unit} }

// writer writes the harness file's figures.
type writer struct {
	*results.FigureWriter
}

func (w *writer) figure(h results.HarnessFigure, vals ...benchfmt.Value) error {
	if err := h.Check(); err != nil {
		return err // a programming error
	}
	// A peak RSS of 0 is unknown (rss_other.go): leave it out.
	vals = slices.DeleteFunc(slices.Clone(vals), func(v benchfmt.Value) bool { return v.Unit == results.UnitPeakRSS && v.Value <= 0 })
	return w.Figure(h.Name(), vals...)
}

// ratio writes the round's ratio of tool's figure a over vs's b.
func (w *writer) ratio(measure, subject, tool, vs string, a, b float64) error {
	h := results.HarnessFigure{Measure: measure, Subject: subject, Tool: tool, Vs: vs}
	return w.figure(h, val(Ratios([]float64{a}, []float64{b})[0], results.UnitRatio))
}
