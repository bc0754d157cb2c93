package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/parbench/parbench/analysis"
	"github.com/parbench/parbench/bench"
	"github.com/parbench/parbench/bench/prof"
	"github.com/parbench/parbench/results"
	"github.com/parbench/parbench/workloads"
	"golang.org/x/perf/benchfmt"
)

// profFlags are run's profiling flags: --profile, --trace, --trace-point.
type profFlags struct {
	kinds      string
	trace      bool
	tracePoint string
}

func (p *profFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&p.kinds, "profile", "", "write profiles to <out>.profiles/: comma-separated `kinds` of cpu, mutex, block, gil, or all")
	fs.BoolVar(&p.trace, "trace", false, "write a runtime/trace (<out>.profiles/trace.out) of the first sample of the --trace-point point, at most 100ms")
	fs.StringVar(&p.tracePoint, "trace-point", "", "the point --trace traces, a benchstat -filter `query` on result names, e.g. '/lock:gil /goroutines:4 /gomaxprocs:2' (default: the first point)")
}

// options checks the flags against the sweep c and returns the Session
// options without a folder, or nil when profiling is off.
func (p *profFlags) options(c *bench.Config, resuming bool) (*prof.Options, error) {
	if p.kinds == "" && !p.trace {
		if p.tracePoint != "" {
			return nil, usagef("--trace-point: needs --trace")
		}
		return nil, nil
	}
	if resuming {
		return nil, usagef("--profile, --trace: not with --resume (a resumed run is not profiled; profile a new run)")
	}
	opt := prof.DefaultOptions()
	if p.kinds != "" {
		ks, err := prof.ParseKinds(p.kinds)
		if err != nil {
			return nil, usagef("--profile: %v", err)
		}
		opt.Kinds = ks
	}
	if p.trace {
		opt.Kinds = append(opt.Kinds, prof.Trace)
		if p.tracePoint != "" {
			match, err := prof.PointFilter(p.tracePoint)
			if err != nil {
				return nil, usagef("--trace-point %q: %v", p.tracePoint, err)
			}
			var names []string
			found := false
			for _, pt := range c.Points() {
				names = append(names, pt.Name())
				found = found || match(pt.Name())
			}
			if !found {
				return nil, usagef("--trace-point %q matches none of the %d points (the first is %s)", p.tracePoint, len(names), names[0])
			}
			opt.TracePoint = match
		}
	}
	return &opt, nil
}

// stopProfiles writes the profiles and says where they are on log.
func stopProfiles(s *prof.Session, log io.Writer) ([]string, error) {
	if s == nil {
		return nil, nil
	}
	files, err := s.Stop()
	if len(files) > 0 {
		fmt.Fprintf(log, "parbench: profiles: %s\n", strings.Join(files, " "))
	}
	if err != nil {
		return files, fmt.Errorf("profiles: %w", err)
	}
	return files, nil
}

const profileUsage = `usage: parbench profile --workload W [--lock L] [--procs P] [--goroutines G] [--duration D] [--out DIR]

Profile runs one point of the sweep long enough for a useful profile and
writes, into DIR, its results (results.txt, one line per sample, with the
runtime metrics), a CPU, mutex, block and gil profile and a 100ms
execution trace. Then it reads the profiles back and prints where the
time went: the top functions by CPU, the CPU shares of the scheduler, the
GC, the lock and the workload, and the call sites that waited longest
for the lock. It ends with the go tool commands to go further.

A replicated workload (cluster/*) is not profiled here: its samples last
3 x --phase-time under each design. Profile its clients (this process;
the replicas are processes of their own) with parbench run --workloads
cluster/counter --consistency cp --profile all.

Examples:

	parbench profile --workload cpu/sha256 --lock gil --procs 2 --goroutines 4
	parbench profile --workload mixed --lock gil-old --procs 2 --goroutines 8 --duration 10s
	go tool pprof -top -tagfocus=gomaxprocs=2 DIR/cpu.pprof

Flags:
`

// profileRunFlags are the run flags that `parbench profile` takes as
// they are: the lock options and the workload parameters.
var profileRunFlags = []string{"switch-interval", "check-interval", "io-latency", "server-latency", "io-fraction", "op-time", "db", "faults", "cpu-goroutines"}

// cmdProfile is `parbench profile`.
func cmdProfile(args []string, stdout, stderr io.Writer) error {
	runFS, rf := newRunFlags(stderr)
	fs := flag.NewFlagSet("profile", flag.ContinueOnError)
	fs.SetOutput(stderr)
	workload := fs.String("workload", "", "the `workload` (see parbench list)")
	lock := fs.String("lock", "gil", "the lock `mode`")
	procs := fs.Int("procs", 2, "GOMAXPROCS")
	goroutines := fs.Int("goroutines", 4, "goroutines")
	duration := fs.Duration("duration", 4*time.Second, "measured time in all (samples of 500ms), calibration aside")
	out := fs.String("out", "", "profiles `folder` (default profiles/<workload>-<lock>-g<G>-p<P>-<UTC time>; never overwritten)")
	for _, name := range profileRunFlags {
		fl := runFS.Lookup(name)
		fs.Var(fl.Value, fl.Name, fl.Usage)
	}
	fs.Usage = func() {
		fmt.Fprint(stderr, profileUsage)
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("profile: unexpected argument %q (flags only)", fs.Arg(0))
	}
	if *workload == "" {
		return usagef("profile: --workload is required (see parbench list)")
	}
	ws, err := workloads.Lookup(*workload)
	if err != nil {
		return usagef("--workload: %v", err)
	}
	if len(ws) != 1 {
		return usagef("--workload %q: names %d workloads, want one", *workload, len(ws))
	}
	// A replicated workload's samples last 3 x --phase-time, not
	// --duration's 500ms, under its designs, and its replicas are
	// processes of their own: run profiles its clients.
	if _, ok := ws[0].(workloads.Replicated); ok {
		return usagef("--workload %s: a replicated workload is not profiled here (its samples last 3 x --phase-time, under each design): profile its clients with parbench run --workloads %s --consistency cp --profile all", ws[0].Name(), ws[0].Name())
	}
	const sampleTime = 500 * time.Millisecond
	if *duration < sampleTime || *duration > time.Hour {
		return usagef("--duration %v: want 500ms to 1h", *duration)
	}
	rf.workloads, rf.locks = ws[0].Name(), *lock
	rf.procs, rf.goroutines = strconv.Itoa(*procs), strconv.Itoa(*goroutines)
	rf.benchtime, rf.count = sampleTime, int(*duration/sampleTime)
	c, err := rf.config()
	if err != nil {
		return err
	}
	if len(c.Locks) != 1 {
		return usagef("--lock %q: names %d lock modes, want one", *lock, len(c.Locks))
	}
	// Validated here, before the folder is made; bench.Run checks again.
	if err := c.Validate(); err != nil {
		return cliError(err, nil)
	}
	dir := *out
	if dir == "" {
		name := fmt.Sprintf("%s-%s-g%d-p%d-%s", strings.ReplaceAll(ws[0].Name(), "/", "-"), *lock,
			*goroutines, *procs, time.Now().UTC().Format("20060102T150405Z"))
		dir = filepath.Join("profiles", name)
	}
	if _, err := os.Stat(dir); err == nil {
		return usagef("--out %s: exists (profiles are never overwritten)", dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	resultsPath := filepath.Join(dir, "results.txt")
	file, err := results.Create(resultsPath, false)
	if err != nil {
		return fmt.Errorf("--out %s: %w", resultsPath, err)
	}

	opt := prof.DefaultOptions()
	opt.Dir, opt.Kinds = dir, append(prof.Kinds(), prof.Trace)
	sess, err := prof.Start(opt)
	if err != nil {
		file.Close() // the error that matters is prof.Start's
		return err
	}
	c.Profile = sess
	fileCfg := append(c.FileConfig(time.Now()), results.Config{Key: results.KeyProfiles, Value: "."})
	fmt.Fprintf(stderr, "parbench: profiling %s for %v...\n", c.Points()[0].Name(), *duration)
	w := benchfmt.NewWriter(file)
	runErr := bench.Run(context.Background(), c, fileCfg, func(r *benchfmt.Result) error { return w.Write(r) })
	_, stopErr := stopProfiles(sess, stderr)
	closeErr := file.Close()
	if closeErr != nil {
		closeErr = fmt.Errorf("--out %s: %w", resultsPath, closeErr)
	}
	if err := errors.Join(runErr, stopErr, closeErr); err != nil {
		return err
	}

	ps, err := analysis.ReadProfiles(dir)
	if err != nil {
		return err
	}
	s := ps.Summary(nil, 10)
	fmt.Fprintf(stdout, "%s  (%s)\n", c.Points()[0].Name(), dir)
	if cause := s.Cause(); cause != "" {
		fmt.Fprintf(stdout, "  %s\n", cause)
	}
	if err := analysis.WriteProfileSummary(stdout, s, "  "); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nGo further:\n")
	for _, k := range prof.Kinds() {
		fmt.Fprintf(stdout, "  go tool pprof -top %s\n", filepath.Join(dir, k.File()))
	}
	fmt.Fprintf(stdout, "  go tool pprof -tags %s\n", filepath.Join(dir, prof.CPU.File()))
	fmt.Fprintf(stdout, "  go tool trace %s\n", filepath.Join(dir, prof.Trace.File()))
	fmt.Fprintf(stdout, "  go tool benchstat %s\n", resultsPath)
	return nil
}
