package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/parbench/parbench/bench"
	"github.com/parbench/parbench/internal/selfbench"
	"github.com/parbench/parbench/results"
)

// selfbenchUsage is the usage text; the verbs are the precision
// points (selfbench.DefaultOptions): workloads, GOMAXPROCS, goroutines.
const selfbenchUsage = `usage: parbench selfbench [--measures LIST] [--rounds N] [--out FILE]

Selfbench measures parbench's own harness beside Go's tools on this
machine (make bench-harness), so that the README's claims about it are
measured, not typed. The tools alternate within each round, parbench
first in odd rounds and Go's tool first in even ones, for --rounds
rounds, and each ratio is parbench's figure over Go's tool's in the same
round (above 1: parbench costs more):

  empty-op   the cost of an op that does nothing, at one goroutine on one
             P: parbench's runner against testing.B's RunParallel, in
             this process, each the median of three measurements of
             about --empty-op-time (what the results header's
             calibration line compares).
  precision  precision per second: %s at
             GOMAXPROCS %s, --count samples of --benchtime, through
             'parbench run' (%d goroutines, no lock) and through the bench
             package's BenchmarkCPU (go test -bench, built once with go
             test -c and run directly). Per point, benchstat's ± of the
             samples; the figure is its median over the points times the
             square root of the tool's wall time (±·√wall, the ± one
             second would give: lower is better, and the square of the
             ratio is how much more time one tool needs for the same ±).
  report     the wall time of 'parbench report' against benchstat (built
             once) on the reference run and on it repeated --copies times,
             after one untimed run of each.
  goroutines many goroutines: io/sleep with no lock at %s
             goroutines and GOMAXPROCS %s, one 'parbench
             run' of all of them a round, one sample each, and the same
             ops done by a plain Go program (in this process, no
             harness) in the same round; ops/s, B/goroutine and
             parallelism per point, and each tool's ops/s of the most
             goroutines over the fewest's (above 0.9: throughput holds
             as goroutines grow).

It needs the go command on PATH (precision and report build with it)
and parbench's source tree (run it at the repository root). The figures
go into one results file (default
results/local/harness-<host>-<UTC time>.txt), one line per figure, tool
and round: 'go tool benchstat -col /tool FILE' compares the tools and
'go tool benchstat -filter /vs:go-test FILE' summarises a ratio. The
defaults take about 3.5 minutes on 2 CPUs. Run it on a quiet machine:
timings of a busy one measure the other programs too.

Examples:

	parbench selfbench
	parbench selfbench --measures report --rounds 5

Flags:
`

// cmdSelfbench is `parbench selfbench`: the flags, then package
// internal/selfbench.
func cmdSelfbench(args []string, stdout, stderr io.Writer) error {
	def := selfbench.DefaultOptions()
	fs := flag.NewFlagSet("selfbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	measures := fs.String("measures", "all", "comma-separated `list` of measures: "+strings.Join(selfbench.Measures, ", ")+", or all")
	rounds := fs.Int("rounds", def.Rounds, "rounds of each measure, the tools alternating within each")
	count := fs.Int("count", def.Count, fmt.Sprintf("precision: samples per point, for both tools (benchstat's ± needs at least %d)", selfbench.MinCount))
	benchtime := fs.Duration("benchtime", def.Benchtime, "precision: time per sample, for both tools")
	emptyOpTime := fs.Duration("empty-op-time", def.EmptyOpTime, "empty-op: how long each measurement of each side runs")
	copies := fs.Int("copies", def.Copies, "report: the large input is the reference file repeated this many times")
	reference := fs.String("reference", def.Reference, "report: the results `file` to report on (relative to the repository root)")
	out := fs.String("out", "", "results `file` (default results/local/harness-<host>-<UTC time>.txt; never overwritten)")
	force := fs.Bool("force", false, "overwrite --out if it exists")
	quiet := fs.Bool("quiet", false, "no progress on stderr")
	fs.Usage = func() {
		itoa := func(xs []int) []string {
			out := make([]string, len(xs))
			for i, x := range xs {
				out[i] = strconv.Itoa(x)
			}
			return out
		}
		fmt.Fprintf(stderr, selfbenchUsage, and(def.Workloads), and(itoa(def.Procs)), def.Goroutines,
			and(itoa(def.ManyGoroutines)), and(itoa(def.ManyProcs)))
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("selfbench: unexpected argument %q (flags only)", fs.Arg(0))
	}
	o := def
	var err error
	if o.Measures, err = selfbench.LookMeasures(*measures); err != nil {
		return usagef("--measures: %v", err)
	}
	switch {
	case *rounds < 1 || *rounds > 100:
		return usagef("--rounds %d: want 1 to 100", *rounds)
	case *count < selfbench.MinCount || *count > 1000:
		return usagef("--count %d: want %d to 1000 (benchstat gives no ± below %d samples)", *count, selfbench.MinCount, selfbench.MinCount)
	case *benchtime < time.Millisecond || *benchtime > time.Minute:
		return usagef("--benchtime %v: want 1ms to 1m", *benchtime)
	case *emptyOpTime < time.Millisecond || *emptyOpTime > time.Minute:
		return usagef("--empty-op-time %v: want 1ms to 1m", *emptyOpTime)
	case *copies < 1 || *copies > 1000:
		return usagef("--copies %d: want 1 to 1000", *copies)
	}
	o.Rounds, o.Count, o.Benchtime, o.EmptyOpTime, o.Copies, o.Reference = *rounds, *count, *benchtime, *emptyOpTime, *copies, *reference
	o.Out, o.Force = *out, *force
	if o.Out == "" {
		o.Out = results.LocalPath("harness", time.Now())
	}
	if o.Parbench, err = os.Executable(); err != nil {
		return fmt.Errorf("selfbench: finding parbench's own binary: %w", err)
	}
	if o.Dir, err = selfbench.FindModule("."); err != nil {
		return usagef("selfbench: %v", err)
	}
	o.RunnerEmptyOp = bench.EmptyOpCost
	o.TestingBEmptyOp = testingBEmptyOp // calibration.go: the calibration line's
	o.Log = stderr
	if *quiet {
		o.Log = io.Discard
	}
	ctx, release := measuring(stderr, "selfbench")
	defer release()
	// The summary is read back from the file (selfbench.ReadSummary).
	sum, err := selfbench.Run(ctx, o)
	if errors.Is(err, selfbench.ErrReference) {
		return usagef("--reference %s: %v (want a results file; a relative path is relative to the repository root, %s)", *reference, err, o.Dir)
	}
	if err != nil {
		return measureError(ctx, "selfbench", o.Out, "", err)
	}
	if err := sum.Table(stdout); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "results: %s\n", o.Out)
	return nil
}

// and joins a list as prose: "a", "a and b", "a, b and c".
func and(list []string) string {
	if len(list) < 2 {
		return strings.Join(list, "")
	}
	return strings.Join(list[:len(list)-1], ", ") + " and " + list[len(list)-1]
}
