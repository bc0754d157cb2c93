package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/parbench/parbench/bench"
	"github.com/parbench/parbench/bench/gil"
	"github.com/parbench/parbench/results"
	"github.com/parbench/parbench/workloads"
	"golang.org/x/perf/benchfmt"
)

// Exit statuses.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// usageError is a bad command line: exit status 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

const topUsage = `usage: parbench <command> [flags]

commands:
  run     sweep workloads over GOMAXPROCS, goroutines and lock modes
  list    list the workloads and lock modes

Run 'parbench <command> -h' for a command's flags.
`

// parbench is the whole command, with injected writers so tests can run
// it. It returns the exit status.
func parbench(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, topUsage)
		return exitUsage
	}
	var err error
	switch args[0] {
	case "run":
		err = cmdRun(args[1:], stdout, stderr)
	case "list":
		err = cmdList(args[1:], stdout)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, topUsage)
		return exitOK
	default:
		err = usagef("unknown command %q (valid: run, list)", args[0])
	}
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, new(usageError)):
		fmt.Fprintf(stderr, "parbench: %v\n", err)
		return exitUsage
	default:
		fmt.Fprintf(stderr, "parbench: %v\n", err)
		return exitFailure
	}
}

func cmdList(args []string, stdout io.Writer) error {
	if len(args) > 0 {
		return usagef("list takes no arguments, got %q", args)
	}
	tw := tabwriter.NewWriter(stdout, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "WORKLOAD\tWHAT IT SHOWS")
	for _, w := range workloads.All() {
		fmt.Fprintf(tw, "%s\t%s\n", w.Name(), w.Summary())
	}
	fmt.Fprintln(tw, "\nLOCK MODE (--lock)\t")
	for _, m := range gil.Modes() {
		fmt.Fprintf(tw, "%s\t%s\n", m, gil.Summary(m))
	}
	return tw.Flush()
}

// runFlags are the flags of `parbench run`, parsed into a bench.Config.
type runFlags struct {
	workloads, procs, goroutines, locks string
	count                               int
	benchtime                           time.Duration
	scaling                             string
	out                                 string
	force                               bool
	quiet                               bool
	params                              workloads.Params
	lockOpts                            gil.Options
}

func newRunFlags(stderr io.Writer) (*flag.FlagSet, *runFlags) {
	def := bench.DefaultConfig()
	f := &runFlags{params: def.Params, lockOpts: def.LockOpts}
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.workloads, "workloads", "all", "comma-separated `list` of workloads or families (see parbench list)")
	fs.StringVar(&f.procs, "procs", joinInts(def.Procs), "GOMAXPROCS `list`: 1,2,4 or a range 1-16")
	fs.StringVar(&f.goroutines, "goroutines", joinInts(def.Goroutines), "goroutine counts `list`")
	fs.StringVar(&f.locks, "lock", "none", "lock modes `list`: "+strings.Join(gil.Modes(), ", "))
	fs.IntVar(&f.count, "count", def.Count, "samples per point")
	fs.DurationVar(&f.benchtime, "benchtime", def.Benchtime, "target wall time per sample")
	fs.StringVar(&f.scaling, "scaling", string(def.Scaling), "strong (fixed total work) or weak (fixed work per goroutine)")
	fs.StringVar(&f.out, "out", "", "results `file` (default results/<host>-<UTC time>.txt; never overwritten)")
	fs.BoolVar(&f.force, "force", false, "overwrite --out if it exists")
	fs.BoolVar(&f.quiet, "quiet", false, "no progress on stderr")
	fs.DurationVar(&f.params.IOLatency, "io-latency", def.Params.IOLatency, "io/sleep wait per op")
	fs.DurationVar(&f.params.ServerLatency, "server-latency", def.Params.ServerLatency, "io/tcp server delay per reply")
	fs.Float64Var(&f.params.IOFraction, "io-fraction", def.Params.IOFraction, "mixed: blocking share s/(c+s) of an op, 0 to 1")
	fs.DurationVar(&f.params.OpTime, "op-time", def.Params.OpTime, "mixed: op length c+s")
	fs.DurationVar(&f.lockOpts.SwitchInterval, "switch-interval", def.LockOpts.SwitchInterval, "GIL switch interval (sys.setswitchinterval)")
	fs.IntVar(&f.lockOpts.CheckInterval, "check-interval", def.LockOpts.CheckInterval, "gil-old: checks between releases (sys.setcheckinterval)")
	return fs, f
}

// config turns the flags into a validated bench.Config.
func (f *runFlags) config() (bench.Config, error) {
	c := bench.DefaultConfig()
	c.Workloads = nil
	seen := map[string]bool{}
	names, err := parseStrings("--workloads", f.workloads)
	if err != nil {
		return c, err
	}
	for _, name := range names {
		ws, err := workloads.Lookup(name)
		if err != nil {
			return c, usagef("--workloads: %v", err)
		}
		for _, w := range ws {
			if !seen[w.Name()] {
				seen[w.Name()] = true
				c.Workloads = append(c.Workloads, w)
			}
		}
	}
	if c.Procs, err = parseInts("--procs", f.procs, bench.MaxProcs); err != nil {
		return c, err
	}
	if c.Goroutines, err = parseInts("--goroutines", f.goroutines, bench.MaxGoroutines); err != nil {
		return c, err
	}
	if c.Locks, err = parseStrings("--lock", f.locks); err != nil {
		return c, err
	}
	c.Count, c.Benchtime, c.Scaling = f.count, f.benchtime, bench.Scaling(f.scaling)
	c.Params, c.LockOpts = f.params, f.lockOpts
	if err := c.Validate(); err != nil {
		return c, usageError{err}
	}
	return c, nil
}

func cmdRun(args []string, stdout, stderr io.Writer) error {
	fs, f := newRunFlags(stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usagef("run: unexpected argument %q (flags only)", fs.Arg(0))
	}
	c, err := f.config()
	if err != nil {
		return err
	}
	now := time.Now()
	out := f.out
	if out == "" {
		host, _ := os.Hostname()
		out = filepath.Join("results", fmt.Sprintf("%s-%s.txt", host, now.UTC().Format("20060102T150405Z")))
		if err := os.MkdirAll("results", 0o755); err != nil {
			return fmt.Errorf("--out: %w", err)
		}
	}
	file, err := results.Create(out, f.force)
	if err != nil {
		return usageError{err}
	}
	written := 0
	defer func() {
		file.Close()
		if written == 0 {
			os.Remove(out) // a run that measured nothing leaves no file
		}
	}()

	if !f.quiet {
		c.Progress = progressPrinter(stderr)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	w := benchfmt.NewWriter(file)
	if err := w.Write(&benchfmt.UnitMetadata{UnitMetadataKey: benchfmt.UnitMetadataKey{Unit: "parallelism", Key: "better"}, OrigUnit: "parallelism", Value: "higher"}); err != nil {
		return fmt.Errorf("--out %s: %w", out, err)
	}
	err = bench.Run(ctx, c, c.FileConfig(now), func(r *benchfmt.Result) error {
		if err := w.Write(r); err != nil {
			return fmt.Errorf("--out %s: %w", out, err)
		}
		written++
		return nil
	})
	if !f.quiet {
		fmt.Fprintln(stderr)
	}
	if err != nil {
		if written > 0 {
			return fmt.Errorf("%w (the %d samples measured are in %s)", err, written, out)
		}
		return err
	}
	fmt.Fprintln(stdout, out)
	return nil
}

// progressPrinter returns a Progress callback: a line rewritten in place
// on a terminal, a plain line every 10 seconds otherwise (CI logs).
func progressPrinter(w io.Writer) func(bench.Progress) {
	tty := isTerminal(w)
	var last time.Time
	return func(p bench.Progress) {
		if !tty && time.Since(last) < 10*time.Second && p.Done != p.Total {
			return
		}
		last = time.Now()
		line := fmt.Sprintf("[%d/%d] %s elapsed, ~%s left  %s",
			p.Done, p.Total, p.Elapsed.Round(time.Second), p.Left.Round(time.Second), p.Point)
		if tty {
			fmt.Fprintf(w, "\r\033[K%s", line)
		} else {
			fmt.Fprintln(w, line)
		}
	}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
