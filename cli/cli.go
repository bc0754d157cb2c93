package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/parbench/parbench/bench"
	"github.com/parbench/parbench/bench/gil"
	"github.com/parbench/parbench/internal/procs"
	"github.com/parbench/parbench/results"
	"github.com/parbench/parbench/workloads"
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
  run        sweep workloads over GOMAXPROCS, goroutines and lock modes
  list       list the workloads and lock modes
  report     analyse results files: speedup, scalability fits, verdicts
  profile    profile one point: cpu, mutex, block and gil profiles, a trace, a summary
  calibrate  measure real CPython beside the simulated GIL: where they match, where not
  selfbench  measure parbench's own harness beside go test, testing.B and benchstat

Run 'parbench <command> -h' for a command's flags.
`

// Main is the whole parbench command as a program's main: a worker
// process of --exec processes (this binary re-executed by its parent)
// serves its pipe and exits; any other process runs the command line
// os.Args[1:] and exits with Run's status. Call it from main, and do
// nothing there before it that a worker process should not do too: a
// worker runs the program's init functions and main up to Main.
func Main() {
	procs.MaybeServe() // a worker process of --exec processes: serve its pipe, exit
	os.Exit(Run(os.Args[1:], os.Stdout, os.Stderr))
}

// Run is the whole command for the command line args (without the
// program's name: "run", "--procs", "1,2", ...), writing to stdout and
// stderr, and returns the exit status: 0 for success (and -h), 1 for a
// failed run, 2 for a usage error, whose message on stderr names the
// flag and what would be valid. Run does not serve worker processes,
// Main does: the workers of --exec processes re-execute the program
// (os.Executable), and in a program that calls Run without Main they
// reach its main instead of their pipe, so their points fail.
func Run(args []string, stdout, stderr io.Writer) int {
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
	case "report":
		err = cmdReport(args[1:], stdout, stderr)
	case "profile":
		err = cmdProfile(args[1:], stdout, stderr)
	case "calibrate":
		err = cmdCalibrate(args[1:], stdout, stderr)
	case "selfbench":
		err = cmdSelfbench(args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, topUsage)
		return exitOK
	default:
		err = usagef("unknown command %q (valid: run, list, report, profile, calibrate, selfbench)", args[0])
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
	replicated := false
	for _, w := range workloads.All() {
		fmt.Fprintf(tw, "%s\t%s\n", w.Name(), listSummary(w))
		_, ok := w.(workloads.Replicated)
		replicated = replicated || ok
	}
	if replicated {
		fmt.Fprintln(tw, "\t(--workloads all leaves out the replicated workloads, cluster/*: name them, e.g. --workloads cluster)")
	}
	fmt.Fprintln(tw, "\nLOCK MODE (--lock)\t")
	for _, m := range gil.Modes() {
		fmt.Fprintf(tw, "%s\t%s\n", m, gil.Summary(m))
	}
	return tw.Flush()
}

// listSummary is w's line in parbench list: its summary, and a
// replicated workload's designs, the values of --consistency.
func listSummary(w workloads.Workload) string {
	if r, ok := w.(workloads.Replicated); ok {
		return w.Summary() + " (--consistency " + strings.Join(r.Consistencies(), ", ") + ")"
	}
	return w.Summary()
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
	resume                              string
	targetCI                            string
	sampleTimeout                       time.Duration
	prof                                profFlags // profile.go
	exec                                execFlags // exec.go
	// The server shape (--server-workers, --server-threads): a list
	// given or not, since a sweep without one is not a shape of 1x1.
	serverWorkers, serverThreads optionalList
	// serverCmd is --server-cmd, an external service command line.
	serverCmd string
	// consistency is --consistency, a replicated workload's designs: a
	// list given or not, since by default each workload sweeps all.
	consistency optionalList
	// fs is the flag set the flags are parsed with: config asks it
	// which flags the command line (or a resumed file) set.
	fs *flag.FlagSet
}

func newRunFlags(stderr io.Writer) (*flag.FlagSet, *runFlags) {
	def := bench.DefaultConfig()
	f := &runFlags{params: def.Params, lockOpts: def.LockOpts}
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	f.fs = fs
	fs.SetOutput(stderr)
	fs.StringVar(&f.workloads, "workloads", "all", "comma-separated `list` of workloads or families (see parbench list); all is every workload but the replicated cluster/*, which run only where named (e.g. cluster or cluster/counter)")
	fs.StringVar(&f.procs, "procs", joinInts(def.Procs), "GOMAXPROCS `list`: 1,2,4 or a range 1-16 (default the CPUs available when every workload is replicated)")
	fs.StringVar(&f.goroutines, "goroutines", joinInts(def.Goroutines), "goroutine counts `list` (default 2 x --replicas, two clients per node, when every workload is replicated)")
	fs.StringVar(&f.locks, "lock", "none", "lock modes `list`: "+strings.Join(gil.Modes(), ", ")+" (with --server-workers or --server-threads, the service's)")
	fs.IntVar(&f.count, "count", def.Count, fmt.Sprintf("samples per point (default %d when every workload is replicated)", replicatedCount))
	fs.DurationVar(&f.benchtime, "benchtime", def.Benchtime, "target wall time per sample (a cluster workload's samples last 3 x --phase-time instead)")
	fs.StringVar(&f.scaling, "scaling", string(def.Scaling), "strong (fixed total work) or weak (fixed work per goroutine)")
	fs.StringVar(&f.out, "out", "", "results `file` (default results/local/<host>-<UTC time>.txt, a folder git ignores; never overwritten)")
	fs.BoolVar(&f.force, "force", false, "overwrite --out if it exists")
	fs.BoolVar(&f.quiet, "quiet", false, "no progress on stderr")
	fs.StringVar(&f.resume, "resume", "", "continue the interrupted or partial sweep in `file`: same settings, only the missing samples, appended")
	fs.StringVar(&f.targetCI, "target-ci", "off", "stop sampling a point once the 95% CI of its median is within ±`pct` (e.g. 2%; at least 6 samples, at most --count)")
	fs.DurationVar(&f.sampleTimeout, "sample-timeout", 0, "watchdog per sample: a longer one fails its point (0: 20x --benchtime, at least 10s; a cluster point's: at least 3 x --phase-time + 1m, overriding a smaller value)")
	fs.DurationVar(&f.params.IOLatency, "io-latency", def.Params.IOLatency, "io/sleep wait per op")
	fs.DurationVar(&f.params.ServerLatency, "server-latency", def.Params.ServerLatency, "io/tcp server delay per reply")
	fs.Float64Var(&f.params.IOFraction, "io-fraction", def.Params.IOFraction, "mixed: blocking share s/(c+s) of an op, 0 to 1")
	fs.DurationVar(&f.params.OpTime, "op-time", def.Params.OpTime, "mixed: op length c+s")
	fs.StringVar(&f.params.DB, "db", def.Params.DB, "webapp: database, empty for embedded SQLite or a postgres://user:pass@host/db `URL`")
	fs.StringVar(&f.params.Faults, "faults", def.Params.Faults, "faults: webapp's `spec`, on or latency=1ms,jitter=1ms,drop=0.005,reset=0.005,bad=0.02,busy=5ms; cluster's crash (the --partition side's nodes killed for the partitioned phase, restarted at the heal; isolate-leader kills the cp leader)")
	fs.IntVar(&f.params.CPUGoroutines, "cpu-goroutines", def.Params.CPUGoroutines, "latency/convoy: CPU-bound goroutines beside the IO goroutine, under the same lock")
	fs.Var(&f.serverWorkers, "server-workers", fmt.Sprintf("webapp: the service's worker processes, a `list` (1 to %d), as a pre-fork server's --workers; with it or --server-threads, --lock is the service's (one lock per worker process) and the clients run under none", workloads.MaxServiceWorkers))
	fs.Var(&f.serverThreads, "server-threads", fmt.Sprintf("webapp: threads per service worker process, a `list` (1 to %d) sharing that process's lock, as a pre-fork server's --threads", workloads.MaxServiceThreads))
	fs.DurationVar(&f.params.HandlerCPU, "handler-cpu", def.Params.HandlerCPU, "webapp with --server-workers/--server-threads: CPU work of a request's handler, under the service's lock")
	fs.StringVar(&f.serverCmd, "server-cmd", "", "webapp: an external `command` line (words, 'single' and \"double\" quotes) that each service worker process runs instead of parbench's own service, told its address, database and settings by PARBENCH_* variables (see package webapp); --lock must be none (the command's interpreter has its own)")
	fs.DurationVar(&f.params.DBLatency, "db-latency", def.Params.DBLatency, "webapp with --server-workers/--server-threads: added to each database statement's round trip, the service's lock released (a database on another host)")
	fs.Float64Var(&f.params.Rate, "rate", def.Params.Rate, fmt.Sprintf("webapp: open loop, `ops` per second over a sample on one schedule the clients share, latency from each op's due time (0: closed loop; at most %d)", workloads.MaxRate))
	fs.Var(&f.consistency, "consistency", "cluster: consistency designs, a `list`: cp (Raft), ap (CRDTs, anti-entropy), quorum (--write-quorum, --read-quorum); default each workload's all")
	fs.IntVar(&f.params.Replicas, "replicas", def.Params.Replicas, fmt.Sprintf("cluster: replica processes, 1 to %d (cp wants an odd count)", workloads.MaxReplicas))
	fs.StringVar(&f.params.Partition, "partition", def.Params.Partition, "cluster: the nodes the partitioned phase cuts off: "+strings.Join(workloads.Partitions(), ", ")+" (minority: the last (N-1)/2 nodes, never the cp leader; halves: the first half from the rest; isolate-leader: the leader alone, node 0 under ap)")
	fs.DurationVar(&f.params.PhaseTime, "phase-time", def.Params.PhaseTime, "cluster: each phase of a sample, healthy, partitioned and healed (a sample lasts three; 100ms to 1m)")
	fs.DurationVar(&f.params.SyncInterval, "sync-interval", def.Params.SyncInterval, "cluster, ap: how often a replica pushes its state to each peer (anti-entropy; 1ms to 10s)")
	fs.DurationVar(&f.params.RequestTimeout, "request-timeout", def.Params.RequestTimeout, "cluster: a client's timeout per request, and a node's when it forwards one; an increment not answered by then has an unknown outcome (1ms to 10s)")
	fs.IntVar(&f.params.WriteQuorum, "write-quorum", def.Params.WriteQuorum, "cluster, consistency quorum: replicas that must acknowledge a write (`W`; 0: a majority)")
	fs.IntVar(&f.params.ReadQuorum, "read-quorum", def.Params.ReadQuorum, "cluster, consistency quorum: replicas that must answer a read (`R`; 0: a majority)")
	fs.DurationVar(&f.lockOpts.SwitchInterval, "switch-interval", def.LockOpts.SwitchInterval, "GIL switch interval (sys.setswitchinterval)")
	fs.IntVar(&f.lockOpts.CheckInterval, "check-interval", def.LockOpts.CheckInterval, "gil-old: ticks (bytecodes' worth of work, ~12ns each) between releases (sys.setcheckinterval)")
	f.prof.register(fs)
	f.exec.register(fs)
	return fs, f
}

// config turns the flags into a bench.Config. It parses the syntax of
// each flag; bench.Config.Validate checks the values.
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
	if c.TargetCI, err = parsePercent("--target-ci", f.targetCI); err != nil {
		return c, err
	}
	c.SampleTimeout = f.sampleTimeout
	if c.Exec, err = f.exec.config(); err != nil {
		return c, err
	}
	if c.Service.Workers, err = f.serverWorkers.ints("--server-workers", workloads.MaxServiceWorkers); err != nil {
		return c, err
	}
	if c.Service.Threads, err = f.serverThreads.ints("--server-threads", workloads.MaxServiceThreads); err != nil {
		return c, err
	}
	if f.serverCmd != "" {
		words, err := bench.ParseCommand(f.serverCmd)
		if err != nil {
			return c, usagef("--server-cmd %q: %v", f.serverCmd, err)
		}
		c.Service.Command = append([]string{}, words...) // not nil: given
	}
	if f.consistency.set {
		if c.Consistency, err = parseStrings("--consistency", f.consistency.s); err != nil {
			return c, err
		}
	}
	return c, nil
}

// runConfig is config for `parbench run`, with the defaults of a
// sweep of replicated workloads only (replicatedDefaults) where the
// command line and a resumed file (loadResume, first) left --procs,
// --goroutines and --count alone. `parbench profile`, whose flags set
// them, takes config.
func (f *runFlags) runConfig() (bench.Config, error) {
	c, err := f.config()
	if err != nil {
		return c, err
	}
	replicatedDefaults(&c, givenFlags(f.fs))
	return c, nil
}

// replicatedCount is --count's default for a sweep of replicated
// workloads: each sample lasts three phase times, not a --benchtime;
// 6 is the fewest for which benchstat gives a median an interval.
const replicatedCount = 6

// replicatedDefaults sets a sweep of replicated workloads only
// (workloads.Replicated: cluster/*) to its own defaults where set (the
// flags the command line or a resumed file set) leaves --procs,
// --goroutines and --count alone: the CPUs available, two clients
// per replica, and replicatedCount samples. Its samples last a set
// time, and a sweep over GOMAXPROCS and goroutines measures the
// clients, not the design.
func replicatedDefaults(c *bench.Config, set map[string]bool) {
	if len(c.Workloads) == 0 {
		return
	}
	for _, w := range c.Workloads {
		if _, ok := w.(workloads.Replicated); !ok {
			return
		}
	}
	if !set["procs"] {
		c.Procs = []int{results.AvailableCPUs()}
	}
	// A replica count out of range is Validate's to name (--replicas):
	// no goroutine count from it.
	if n := c.Params.Replicas; !set["goroutines"] && n >= 1 && n <= workloads.MaxReplicas {
		c.Goroutines = []int{2 * n}
	}
	if !set["count"] {
		c.Count = replicatedCount
	}
}

// parseFlags parses a command's flags: -h comes back as flag.ErrHelp
// (exit 0, after the usage text), a bad flag as a usage error (exit 2).
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err}
	}
	return nil
}

// cmdRun is `parbench run`: the flags, then bench.RunFile.
func cmdRun(args []string, stdout, stderr io.Writer) error {
	fs, f := newRunFlags(stderr)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("run: unexpected argument %q (flags only)", fs.Arg(0))
	}
	given := givenFlags(fs)
	out := bench.Output{Path: f.out, Force: f.force, Calibrate: calibrationNote}
	if f.resume != "" {
		var err error
		if out.Resume, err = loadResume(fs, f, given); err != nil {
			return err
		}
	}
	c, err := f.runConfig()
	if err != nil {
		return err
	}
	if out.Profile, err = f.prof.options(&c, out.Resume != nil); err != nil {
		return err
	}
	log := &lockedWriter{w: stderr}
	live := io.Writer(log) // messages during the run: above the bar, if there is one
	if !f.quiet {
		bar := newProgress(stderr, log, isTerminal(stderr))
		live, c.Progress = bar.writer(), bar.update
		out.Ended = func(err error) { bar.finish(err == nil) }
	}
	c.Failed = func(fl bench.Failure) { showFailure(live, fl) }
	c.Warn = func(w bench.Warning) { fmt.Fprintf(live, "parbench: warning: %s\n", w.Message(flagName)) }
	ctx, stop, release := interrupts(live, "parbench: interrupted: stopping after the sample in flight (interrupt again to stop at once)")
	defer release()
	c.Stop = stop

	began := time.Now()
	res, err := bench.RunFile(ctx, c, out)
	if len(res.Profiles) > 0 {
		fmt.Fprintf(log, "parbench: profiles: %s\n", strings.Join(res.Profiles, " "))
	}
	if res.Path != "" {
		// What the workloads wrote beside the numbers (Params.HistoryDir):
		// porcupine's pictures of histories that are not linearizable.
		// Those of this run only: an earlier run to the same file may
		// have left its own.
		var pics []string
		all, _ := filepath.Glob(filepath.Join(results.HistoriesDir(res.Path), "*.html"))
		for _, pic := range all {
			if fi, err := os.Stat(pic); err == nil && !fi.ModTime().Before(began) {
				pics = append(pics, pic)
			}
		}
		if len(pics) > 0 {
			fmt.Fprintf(log, "parbench: histories that are not linearizable, drawn by porcupine: %s\n", strings.Join(pics, " "))
		}
	}
	if err != nil {
		return runError(err, res, out.Resume != nil, log, fs, given)
	}
	fmt.Fprintln(stdout, res.Path)
	return nil
}

// runError is how a run that did not complete is reported: each failed
// point on log (with its stack, for a panic, and the command that reruns
// it alone: fs holds the run's flags), then the error, saying where the
// samples measured are and how to continue an interrupted run.
func runError(err error, res bench.Outcome, resumed bool, log io.Writer, fs *flag.FlagSet, given map[string]bool) error {
	var failed *bench.FailedError
	if errors.As(err, &failed) {
		printFailures(log, failed.Failures, fs)
	}
	noteFailed := errors.As(err, new(*bench.FileError)) // the interruption's note, when interrupted
	err = cliError(err, given)
	interrupted := errors.Is(err, bench.ErrInterrupted)
	switch {
	case interrupted && res.Written == 0 && !resumed:
		return fmt.Errorf("%w before the first sample: no file written", bench.ErrInterrupted)
	case interrupted && noteFailed:
		return err
	case interrupted:
		return fmt.Errorf("%w; the %d samples measured are in %s; continue with: parbench run --resume %s", err, res.Written, res.Path, res.Path)
	case res.Written > 0:
		return fmt.Errorf("%w (the %d samples measured are in %s)", err, res.Written, res.Path)
	}
	return err
}

// interrupts makes SIGINT and SIGTERM stop a run: the first closes
// stop, so the run ends after the sample in flight, and says msg on live;
// the second cancels ctx, so it ends at once. release ends the watch.
func interrupts(live io.Writer, msg string) (ctx context.Context, stop <-chan struct{}, release func()) {
	sigs := make(chan os.Signal, 2)
	stopSignals := notifySignals(sigs)
	stopCh := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	runDone := make(chan struct{})
	go func() {
		select {
		case <-sigs:
		case <-runDone:
			return
		}
		fmt.Fprintln(live, msg)
		close(stopCh)
		select {
		case <-sigs:
			cancel()
		case <-runDone:
		}
	}()
	return ctx, stopCh, func() {
		close(runDone)
		cancel()
		stopSignals()
	}
}

// measuring is the context of a command that measures into one file
// as it goes (calibrate, selfbench): the first ^C or SIGTERM cancels
// it at once, since such a command has no sample to finish, and says
// "parbench: interrupted: <command> stops now" on stderr.
func measuring(stderr io.Writer, command string) (context.Context, func()) {
	ctx, stop, release := interrupts(stderr, "parbench: interrupted: "+command+" stops now")
	ctx, cancel := context.WithCancel(ctx)
	go func() {
		select {
		case <-stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, func() { cancel(); release() }
}

// measureError is the error of a measuring command whose run into out
// under ctx (measuring's) failed with err: a usage error for an out
// that exists, what is left in out when interrupted (then more, when
// not empty, follows the file's name), else err.
func measureError(ctx context.Context, command, out, more string, err error) error {
	switch {
	case errors.Is(err, os.ErrExist):
		return usagef("--out %s: %v (use --force to overwrite)", out, err)
	case ctx.Err() != nil:
		if _, serr := os.Stat(out); serr == nil {
			return fmt.Errorf("%s: interrupted: the rounds measured so far are in %s%s", command, out, more)
		}
		return fmt.Errorf("%s: interrupted: nothing measured", command)
	}
	return fmt.Errorf("%s: %w", command, err)
}

// notifySignals relays SIGINT and SIGTERM to c until the returned
// function is called. Tests replace it to interrupt a run.
var notifySignals = func(c chan<- os.Signal) (stop func()) {
	signal.Notify(c, os.Interrupt, syscall.SIGTERM)
	return func() { signal.Stop(c) }
}

// lockedWriter serialises writes from the runner and the signal watcher.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// parsePercent parses --target-ci: "off", "0", or a percentage such as
// "2%" or "0.5%", returned as a fraction.
func parsePercent(flag, s string) (float64, error) {
	s = strings.TrimSpace(s)
	if s == "off" || s == "0" || s == "0%" {
		return 0, nil
	}
	num, ok := strings.CutSuffix(s, "%")
	x, err := strconv.ParseFloat(num, 64)
	if !ok || err != nil {
		return 0, usagef("%s %q: want a percentage such as 2%%, or off", flag, s)
	}
	if !(x > 0 && x < 100) {
		return 0, usagef("%s %s: want a percentage above 0%% and below 100%%, e.g. 2%%", flag, s)
	}
	return x / 100, nil
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
