package results

import (
	"fmt"
	"strings"
)

// A harness file (`parbench selfbench`, `make bench-harness`, package
// internal/selfbench) holds parbench's own harness measured beside Go's
// tools on one machine, round after round, interleaved. It is an
// ordinary results file, one line per figure, tool and round, each
// named by HarnessFigure.Name:
//
//	BenchmarkHarness/empty-op/tool=runner 1 6.4e-09 sec/op
//	BenchmarkHarness/empty-op/tool=testing-b 1 5.8e-10 sec/op
//	BenchmarkHarness/empty-op/tool=runner/vs=testing-b 1 11 x
//	BenchmarkHarness/precision/cpu/sha256/tool=parbench-2 1 3.8e-06 sec/op 3.5 ci-pct
//	BenchmarkHarness/precision/tool=parbench 1 3.5 ci-pct 8.5 wall-sec 10.2 ci-pct-sqrt-sec
//	BenchmarkHarness/precision/tool=parbench/vs=go-test 1 1.57 x
//	BenchmarkHarness/report/reference-20x/tool=benchstat 1 1.02 sec/op 2.1e+07 peak-rss-B
//
// so that `benchstat -col /tool FILE` compares the tools figure by
// figure and `benchstat -filter /vs:go-test FILE` summarises a ratio
// over the rounds. KeyHarness in the file configuration marks it.
const (
	// KeyHarness marks a harness file; its value is how the run was
	// made ("rounds=3 count=10 benchtime=200ms").
	KeyHarness = "harness"
)

// What a harness file measures (HarnessFigure.Measure).
const (
	// HarnessEmptyOp is the cost of an op that does nothing: parbench's
	// runner (bench.EmptyOpCost) against testing.B's RunParallel.
	HarnessEmptyOp = "empty-op"
	// HarnessPrecision is precision per second of wall time: benchstat's
	// ± of each point's samples, and its median over the points times
	// the square root of the tool's wall time (UnitPrecision), through
	// `parbench run` and through `go test -bench`.
	HarnessPrecision = "precision"
	// HarnessReport is the wall time of `parbench report` against
	// benchstat on the same results file.
	HarnessReport = "report"
	// HarnessGoroutines is io/sleep at many goroutines: its ops/s (and
	// B/goroutine, parallelism) at each goroutine count, one `parbench
	// run` of all of them a round, beside the same ops done by a plain
	// Go program in the same round (ToolPlainGo), and each tool's ops/s
	// of the most goroutines over the fewest's in the same round
	// (subject "<most>-over-<fewest>-goroutines", unit x):
	//
	//	BenchmarkHarness/goroutines/100000-goroutines/tool=parbench-2 1 5.2e-07 sec/op 1.9e+06 ops/s 2281 B/goroutine 1.89 parallelism
	//	BenchmarkHarness/goroutines/100000-goroutines/tool=plain-go-2 1 5.1e-07 sec/op 1.95e+06 ops/s
	//	BenchmarkHarness/goroutines/100000-over-10000-goroutines/tool=parbench-2 1 1.2 x
	HarnessGoroutines = "goroutines"
)

// The name keys of a harness figure, and the tools it names.
const (
	NameTool = "tool"
	// NameVs marks a ratio: the figure of the tool over that of the
	// tool named by vs, in the same round.
	NameVs = "vs"

	ToolRunner    = "runner"    // parbench's runner, in process (empty op)
	ToolTestingB  = "testing-b" // testing.B.RunParallel, in process (empty op)
	ToolParbench  = "parbench"  // the parbench command (run, report)
	ToolGoTest    = "go-test"   // the bench package's test binary, -test.bench (go test -bench)
	ToolBenchstat = "benchstat" // golang.org/x/perf/cmd/benchstat
	// ToolPlainGo is the same work as a plain Go program does it, with
	// no harness: goroutines started, released at once, each looping
	// over the op (goroutines).
	ToolPlainGo = "plain-go"
)

// The units of a harness file beside sec/op.
const (
	// UnitCIPct is benchstat's ± in percent: the half-width of the 95%
	// interval of the median, the larger side, over the median.
	UnitCIPct = "ci-pct"
	// UnitWallSec is the wall time a tool took, in seconds.
	UnitWallSec = "wall-sec"
	// UnitPrecision is ±·√wall, UnitCIPct times the square root of
	// UnitWallSec: the ± a tool would reach in one second. Lower is
	// better; its square is the wall time the tool needs for an
	// interval of ±1%.
	UnitPrecision = "ci-pct-sqrt-sec"
	// UnitRatio is a ratio of two tools' figures.
	UnitRatio = "x"
	// UnitPeakRSS is a command's peak resident memory in bytes.
	UnitPeakRSS = "peak-rss-B"
)

// harnessBase is the base name of every harness figure ("BenchmarkHarness").
const harnessBase = "harness"

// HarnessFigure names one figure of a harness file.
type HarnessFigure struct {
	// Measure is HarnessEmptyOp, HarnessPrecision or HarnessReport.
	Measure string
	// Subject is what the figure is of: a precision point's workload
	// ("cpu/sha256"), a report's input ("reference-20x"), or "" for the
	// measure as a whole in one round.
	Subject string
	// Tool is the tool measured (Tool*).
	Tool string
	// Vs is, for a ratio, the tool whose figure divides Tool's; "" for
	// a figure of one tool.
	Vs string
	// Procs is a precision point's GOMAXPROCS; 0 otherwise.
	Procs int
}

// Name returns the figure's result name without "Benchmark":
// Harness/<measure>[/<subject>]/tool=<tool>[/vs=<tool>][-<procs>].
// Check the figure first (Check): Name does not.
func (h HarnessFigure) Name() string {
	w := harnessBase + "/" + h.Measure
	if h.Subject != "" {
		w += "/" + h.Subject
	}
	p := Point{Workload: w, Extra: []KV{{NameTool, h.Tool}}, Procs: h.Procs}
	if h.Vs != "" {
		p.Extra = append(p.Extra, KV{NameVs, h.Vs})
	}
	return p.Name()
}

// Check reports whether every field is a valid name part (see
// Figure.Check); the subject may be a path of such parts.
func (h HarnessFigure) Check() error {
	parts := [][2]string{{"measure", h.Measure}, {NameTool, h.Tool}}
	if h.Subject != "" {
		for _, s := range strings.Split(h.Subject, "/") {
			parts = append(parts, [2]string{"subject", s})
		}
	}
	if h.Vs != "" {
		parts = append(parts, [2]string{NameVs, h.Vs})
	}
	for _, kv := range parts {
		if err := namePart(kv[1]); err != nil {
			return fmt.Errorf("%w: harness figure's %s %q: %v", ErrBadName, kv[0], kv[1], err)
		}
	}
	if h.Procs < 0 {
		return fmt.Errorf("%w: harness figure's GOMAXPROCS %d is negative", ErrBadName, h.Procs)
	}
	return nil
}

// ParseHarnessFigure reads a result name (with or without "Benchmark")
// as a harness figure. ok is false, with a nil error, for a name that
// is not a harness figure's (its base name is not Harness); err wraps
// ErrBadName for a Harness name that is malformed.
func ParseHarnessFigure(name string) (h HarnessFigure, ok bool, err error) {
	p, rest, ok, err := cutBase(name, harnessBase, "a harness figure without a measure")
	if !ok || err != nil {
		return HarnessFigure{}, ok, err
	}
	h.Measure, h.Subject, _ = strings.Cut(rest, "/")
	h.Procs = p.Procs
	for _, kv := range p.Extra {
		switch {
		case kv.Key == NameTool && h.Tool == "":
			h.Tool = kv.Value
		case kv.Key == NameVs && h.Vs == "" && h.Tool != "":
			h.Vs = kv.Value
		default:
			return HarnessFigure{}, true, fmt.Errorf("%w %q: want Harness/<measure>[/<subject>]/tool=T[/vs=T][-P], not /%s=", ErrBadName, name, kv.Key)
		}
	}
	if p.Lock != "" || p.Goroutines != 0 || h.Tool == "" {
		return HarnessFigure{}, true, fmt.Errorf("%w %q: want Harness/<measure>[/<subject>]/tool=T[/vs=T][-P]", ErrBadName, name)
	}
	if err := h.Check(); err != nil {
		return HarnessFigure{}, true, fmt.Errorf("%q: %w", name, err)
	}
	return h, true, nil
}
