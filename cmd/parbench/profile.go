package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
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

// profilesDir is where a results file's profiles go.
func profilesDir(out string) string { return out + ".profiles" }

// startProfiles starts the Session of a run writing to out, and adds the
// folder, relative to out's folder, to the file configuration.
func startProfiles(opt *prof.Options, out string, fileCfg []results.Config) (*prof.Session, []results.Config, error) {
	if opt == nil {
		return nil, fileCfg, nil
	}
	opt.Dir = profilesDir(out)
	s, err := prof.Start(*opt)
	if err != nil {
		return nil, fileCfg, err
	}
	cfg := append(fileCfg[:len(fileCfg):len(fileCfg)], results.Config{Key: analysis.ProfilesKey, Value: filepath.Base(opt.Dir)})
	return s, cfg, nil
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

Examples:

	parbench profile --workload cpu/sha256 --lock gil --procs 2 --goroutines 4
	parbench profile --workload mixed --lock gil-old --procs 2 --goroutines 8 --duration 10s
	go tool pprof -top -tagfocus=gomaxprocs=2 DIR/cpu.pprof

Flags:
`

// cmdProfile is `parbench profile`.
func cmdProfile(args []string, stdout, stderr io.Writer) error {
	def := bench.DefaultConfig()
	fs := flag.NewFlagSet("profile", flag.ContinueOnError)
	fs.SetOutput(stderr)
	workload := fs.String("workload", "", "the `workload` (see parbench list)")
	lock := fs.String("lock", "gil", "the lock `mode`")
	procs := fs.Int("procs", 2, "GOMAXPROCS")
	goroutines := fs.Int("goroutines", 4, "goroutines")
	duration := fs.Duration("duration", 4*time.Second, "measured time in all (samples of 500ms), calibration aside")
	out := fs.String("out", "", "profiles `folder` (default profiles/<workload>-<lock>-g<G>-p<P>-<UTC time>; never overwritten)")
	lockOpts, params := def.LockOpts, def.Params
	fs.DurationVar(&lockOpts.SwitchInterval, "switch-interval", lockOpts.SwitchInterval, "GIL switch interval")
	fs.IntVar(&lockOpts.CheckInterval, "check-interval", lockOpts.CheckInterval, "gil-old: checks between releases")
	fs.DurationVar(&params.IOLatency, "io-latency", params.IOLatency, "io/sleep wait per op")
	fs.Float64Var(&params.IOFraction, "io-fraction", params.IOFraction, "mixed: blocking share of an op")
	fs.DurationVar(&params.OpTime, "op-time", params.OpTime, "mixed: op length")
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
	const sampleTime = 500 * time.Millisecond
	if *duration < sampleTime || *duration > time.Hour {
		return usagef("--duration %v: want 500ms to 1h", *duration)
	}
	c := def
	c.Workloads, c.Locks = ws, []string{*lock}
	c.Procs, c.Goroutines = []int{*procs}, []int{*goroutines}
	c.Benchtime = sampleTime
	c.Count = int(*duration / sampleTime)
	c.LockOpts, c.Params = lockOpts, params
	if err := c.Validate(); err != nil {
		return usageError{err}
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
		return err
	}
	defer file.Close()

	opt := prof.DefaultOptions()
	opt.Dir, opt.Kinds = dir, append(prof.Kinds(), prof.Trace)
	sess, err := prof.Start(opt)
	if err != nil {
		return err
	}
	c.Profile = sess
	fileCfg := append(c.FileConfig(time.Now()), results.Config{Key: analysis.ProfilesKey, Value: "."})
	fmt.Fprintf(stderr, "parbench: profiling %s for %v...\n", c.Points()[0].Name(), *duration)
	w := benchfmt.NewWriter(file)
	runErr := bench.Run(context.Background(), c, fileCfg, func(r *benchfmt.Result) error { return w.Write(r) })
	_, stopErr := stopProfiles(sess, stderr)
	if err := errors.Join(runErr, stopErr); err != nil {
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

// writeReportProfiles adds to a text report, for each group whose
// results file names a profiles folder (parbench run --profile), what
// its profiles say: the lock-wait share and the top cost centres. Other
// formats are left as they are.
func writeReportProfiles(rep *analysis.Report, names []string, format string, stdout, stderr io.Writer) error {
	if format != "text" {
		return nil
	}
	cfgs, err := fileConfigs(names)
	if err != nil {
		return err
	}
	// Unreadable folders were already reported by attachProfiles.
	_, err = analysis.WriteProfiles(stdout, rep, cfgs, 5)
	return err
}

// attachProfiles adds the profiles' account of each group to its
// verdict, for every format.
func attachProfiles(rep *analysis.Report, names []string, stderr io.Writer) error {
	cfgs, err := fileConfigs(names)
	if err != nil {
		return err
	}
	for _, w := range rep.AttachProfiles(cfgs) {
		fmt.Fprintf(stderr, "parbench: warning: %v\n", w)
	}
	return nil
}

// fileConfigs returns the file configuration of each results file.
func fileConfigs(names []string) (map[string][]benchfmt.Config, error) {
	cfgs := map[string][]benchfmt.Config{}
	for _, name := range names {
		cfg, err := fileConfig(name)
		if err != nil {
			return nil, err
		}
		cfgs[name] = cfg
	}
	return cfgs, nil
}

// fileConfig returns the file configuration of a results file's first
// result, or nil if it has none.
func fileConfig(name string) ([]benchfmt.Config, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rd := benchfmt.NewReader(f, name)
	for rd.Scan() {
		if res, ok := rd.Result().(*benchfmt.Result); ok {
			var cfg []benchfmt.Config
			for _, c := range res.Config {
				if c.File {
					cfg = append(cfg, benchfmt.Config{Key: c.Key, Value: append([]byte(nil), c.Value...), File: true})
				}
			}
			return cfg, nil
		}
	}
	return nil, rd.Err()
}
