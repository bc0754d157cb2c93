package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/parbench/parbench/analysis"
	"github.com/parbench/parbench/internal/calibrate"
	"github.com/parbench/parbench/results"
)

const calibrateUsage = `usage: parbench calibrate [--python P]... [--behaviours LIST] [--rounds N] [--out FILE]

Calibrate checks the simulated GIL against the real one on this machine.
It runs small Python programs (standard library only, CPython 2.7 and
3.x) that measure a behaviour on real threads, and the parbench points
that simulate it (--lock gil for CPython 3, gil-old for CPython 2),
interleaved, --rounds times each, and prints one table: per figure,
CPython's median and parbench's, and whether they match within
CPython's own spread over its rounds (at least 10%%, 25%% for a p99).

Interpreters: each --python (a name on PATH or a path; repeat it or
give a comma-separated list) is used if it runs; one that does not is
an error. Without --python, the first CPython 3 and the first CPython
2.7 that run among python3, python2.7, python2, python, the other
pythonX.Y on PATH and ~/.pyenv/versions/*/bin are used. With none,
calibrate says so and exits 0, having measured nothing.

Behaviours:
%s
Both sides go into one results file (default
results/local/calibrate-<host>-<UTC time>.txt); 'parbench report FILE'
prints the table again, and 'go tool benchstat -col /impl FILE' compares
the sides with benchstat. All behaviours on two interpreters take 3 to 5
minutes on 2 CPUs (it prints an estimate as it goes). Run it on a quiet
machine: a busy one widens CPython's spread, and with it each row's
tolerance (shown on the row), so that more figures match; above 50%% a
figure within it says "noisy" instead. With 3 rounds, about one figure
in seven reads DIFFERS on pure noise (rounds spread 10-30%%), one in
forty with --rounds 5: rerun a behaviour before trusting a lone DIFFERS.

Examples:

	parbench calibrate
	parbench calibrate --python python3.12 --behaviours cpu,switch
	parbench calibrate --python ~/.pyenv/versions/2.7.18/bin/python2.7

Flags:
`

// pythonList is the repeatable --python flag.
type pythonList []string

func (l *pythonList) String() string { return strings.Join(*l, ",") }

func (l *pythonList) Set(s string) error {
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p == "" {
			return errors.New("empty interpreter (want a name on PATH or a path, e.g. --python python3)")
		}
		// make calibrate quotes each PYTHON entry, so the shell leaves
		// a leading ~/ as it is.
		if rest, ok := strings.CutPrefix(p, "~/"); ok {
			if home, err := os.UserHomeDir(); err == nil {
				p = filepath.Join(home, rest)
			}
		}
		*l = append(*l, p)
	}
	return nil
}

// cmdCalibrate is `parbench calibrate`: the flags, then package
// internal/calibrate.
func cmdCalibrate(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("calibrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var pythons pythonList
	fs.Var(&pythons, "python", "CPython `interpreter` to calibrate against, a name on PATH or a path (repeatable, or a comma-separated list; default: find CPython 3 and 2.7)")
	behaviours := fs.String("behaviours", "all", "comma-separated `list` of behaviours: "+strings.Join(calibrate.Names(), ", ")+", or all")
	rounds := fs.Int("rounds", calibrate.MinRounds, "rounds of each behaviour on each side, interleaved (at least 3)")
	out := fs.String("out", "", "results `file` (default results/local/calibrate-<host>-<UTC time>.txt; never overwritten)")
	force := fs.Bool("force", false, "overwrite --out if it exists")
	quiet := fs.Bool("quiet", false, "no progress on stderr")
	fs.Usage = func() {
		var b strings.Builder
		for _, bh := range calibrate.Behaviours {
			fmt.Fprintf(&b, "  %-10s %s\n", bh.Name, bh.About)
		}
		fmt.Fprintf(stderr, calibrateUsage, b.String())
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("calibrate: unexpected argument %q (flags only)", fs.Arg(0))
	}
	bs, err := calibrate.Lookup(*behaviours)
	if err != nil {
		return usagef("--behaviours: %v", err)
	}
	if *rounds < calibrate.MinRounds || *rounds > 100 {
		return usagef("--rounds %d: want %d to 100 (CPython's spread needs at least %d rounds)", *rounds, calibrate.MinRounds, calibrate.MinRounds)
	}
	log := stderr
	if *quiet {
		log = io.Discard
	}
	ctx, release := measuring(stderr, "calibrate")
	defer release()
	found, skipped, err := calibrate.Find(ctx, pythons)
	if err != nil {
		return usagef("--python: %v (want a CPython 2.7 or 3.x that runs, a name on PATH or a path)", err)
	}
	for _, s := range skipped {
		fmt.Fprintf(log, "calibrate: skipping %s: it does not run: %v\n", s.Path, s.Err)
	}
	if len(found) == 0 {
		fmt.Fprintf(stdout, "calibrate: no CPython found (tried %s and ~/.pyenv/versions/*/bin; name one with --python or PYTHON=): nothing measured\n",
			strings.Join(calibrate.Candidates()[:4], ", "))
		return nil
	}
	o := calibrate.Options{Interpreters: found, Behaviours: bs, Rounds: *rounds, Out: *out, Force: *force,
		NCPU: results.AvailableCPUs(), Log: log}
	if o.Out == "" {
		o.Out = results.LocalPath("calibrate", time.Now())
	}
	for _, in := range found {
		fmt.Fprintf(log, "calibrate: %s, simulated by --lock %s: %s\n", in, in.Lock(), in.Banner)
	}
	fmt.Fprintf(log, "calibrate: %d behaviour%s x %d round%s x %d interpreter%s on %d CPUs, about %v\n",
		len(bs), plural(len(bs)), *rounds, plural(*rounds), len(found), plural(len(found)), o.NCPU, calibrate.Estimate(o))
	if err := calibrate.Run(ctx, o); err != nil {
		return measureError(ctx, "calibrate", o.Out,
			fmt.Sprintf(" ('parbench report %s' judges the figures with 2 or more CPython rounds)", o.Out), err)
	}
	// The table is the report's, read back from the file: `parbench
	// report FILE` prints the same.
	b, err := analysis.NewBuilder(analysis.DefaultOptions())
	if err != nil {
		return err
	}
	if err := readFile(b, o.Out, ""); err != nil {
		return err
	}
	rep, err := b.Report()
	if err != nil {
		return fmt.Errorf("%s: %w", o.Out, err)
	}
	for _, w := range rep.Warnings {
		fmt.Fprintf(stderr, "parbench: warning: %v\n", w)
	}
	for _, c := range rep.Calibrations {
		if err := c.WriteText(stdout); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "\nresults: %s\n", o.Out)
	return nil
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
