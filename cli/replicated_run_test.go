package cli

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parbench/parbench/results"
	"github.com/parbench/parbench/workloads"
)

// timedRepl is a registered workloads.Replicated whose instances are
// Timed: each sample lasts 10ms from its first Op, each Op a short
// sleep. It stands for cluster/* (not imported by these tests).
type timedRepl struct{}

const timedReplName = "testrepl/counter"

func init() { workloads.Register(timedRepl{}) }

func (timedRepl) Name() string            { return timedReplName }
func (timedRepl) Summary() string         { return "fake replicated workload" }
func (timedRepl) Consistencies() []string { return []string{"cp", "ap"} }
func (timedRepl) Params() []string {
	return []string{workloads.ParamReplicas, workloads.ParamPartition, workloads.ParamPhaseTime,
		workloads.ParamSyncInterval, workloads.ParamRequestTimeout}
}
func (timedRepl) Start(workloads.Params) (workloads.Instance, error) {
	return nil, errors.New("use a consistency")
}
func (timedRepl) CheckReplicated(workloads.Params, string) error { return nil }
func (timedRepl) StartReplicated(workloads.Params, string) (workloads.Instance, error) {
	return &timedInstance{}, nil
}

type timedInstance struct{ t0 atomic.Int64 }

func (*timedInstance) SampleTime() time.Duration                         { return 10 * time.Millisecond }
func (in *timedInstance) BeginSample()                                   { in.t0.Store(0) }
func (*timedInstance) EndSample(time.Duration, int64) []workloads.Metric { return nil }
func (in *timedInstance) NewWorker(workloads.Env) (workloads.Worker, error) {
	return timedWorker{in}, nil
}
func (*timedInstance) Close() error { return nil }

type timedWorker struct{ in *timedInstance }

func (w timedWorker) Op() error {
	now := time.Now().UnixNano()
	w.in.t0.CompareAndSwap(0, now)
	if time.Duration(now-w.in.t0.Load()) >= w.in.SampleTime() {
		return fmt.Errorf("client: %w", workloads.ErrSampleDone)
	}
	time.Sleep(100 * time.Microsecond)
	return nil
}
func (timedWorker) Close() error { return nil }

// TestResumeMixedReplicated resumes a sweep of a replicated workload
// beside another: the file records the replicated one's designs
// (consistency: cp,ap), which must not become --consistency, since
// that flag refuses the other workload.
func TestResumeMixedReplicated(t *testing.T) {
	out := filepath.Join(t.TempDir(), "r.txt")
	var stdout, stderr bytes.Buffer
	if code := Run([]string{"run", "--workloads", "cpu/sha256," + timedReplName, "--procs", "1", "--goroutines", "1",
		"--count", "2", "--benchtime", "2ms", "--quiet", "--out", out}, &stdout, &stderr); code != exitOK {
		t.Fatalf("run: exit %d; stderr: %s", code, stderr.String())
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "\nconsistency: cp,ap\n") {
		t.Fatalf("the file does not record the designs:\n%s", data)
	}
	// Drop the last result line: a sample for the resume to measure.
	lines := strings.SplitAfter(string(data), "\n")
	i := len(lines) - 1
	for ; i >= 0 && !strings.HasPrefix(lines[i], "Benchmark"); i-- {
	}
	if err := os.WriteFile(out, []byte(strings.Join(slices.Delete(lines, i, i+1), "")), 0o644); err != nil {
		t.Fatal(err)
	}
	stderr.Reset()
	if code := Run([]string{"run", "--resume", out, "--quiet"}, &stdout, &stderr); code != exitOK {
		t.Fatalf("resume: exit %d; stderr: %s", code, stderr.String())
	}
	counts, _ := countResults(t, out)
	if len(counts) != 3 {
		t.Errorf("%d points (%v), want cpu/sha256 and the two designs", len(counts), counts)
	}
	for name, n := range counts {
		if n != 2 {
			t.Errorf("%s: %d samples after resume, want 2", name, n)
		}
	}
}

// TestAllLeavesOutReplicated checks that --workloads all, the default,
// runs no replicated workload: a sweep under lock gil, which a
// replicated workload refuses, is valid, and a --consistency is
// refused for a workload without replicas, not for a design.
func TestAllLeavesOutReplicated(t *testing.T) {
	fs, f := newRunFlags(new(bytes.Buffer))
	if err := parseFlags(fs, []string{"--lock", "gil"}); err != nil {
		t.Fatal(err)
	}
	c, err := f.runConfig()
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range c.Workloads {
		if _, ok := w.(workloads.Replicated); ok {
			t.Errorf("--workloads all holds %s", w.Name())
		}
	}
	if err := c.Validate(); err != nil {
		t.Errorf("--lock gil over all: %v", err)
	}
	checkUsageErrors(t, []usageCase{
		// The replicated families: testrepl, and cluster where a test file imports it.
		{"consistency over all", []string{"--consistency", "xx"}, "--consistency xx: ", "testrepl): drop it from --workloads, or drop --consistency"},
		{"named", []string{"--workloads", "testrepl", "--consistency", "xx"}, `--consistency "xx": testrepl/counter has no such design (valid: cp, ap)`, ""},
	})
}

// TestReplicatedDefaultsRunOnly checks that the defaults of a sweep of
// replicated workloads are run's (runConfig), not config's, which
// profile uses with its own --procs and --goroutines.
func TestReplicatedDefaultsRunOnly(t *testing.T) {
	fs, f := newRunFlags(new(bytes.Buffer))
	if err := parseFlags(fs, []string{"--workloads", timedReplName}); err != nil {
		t.Fatal(err)
	}
	c, err := f.config()
	if err != nil {
		t.Fatal(err)
	}
	r, err := f.runConfig()
	if err != nil {
		t.Fatal(err)
	}
	if c.Count == replicatedCount || r.Count != replicatedCount || !slices.Equal(r.Procs, []int{results.AvailableCPUs()}) {
		t.Errorf("config: count %d; runConfig: count %d, procs %v; want the defaults in runConfig only", c.Count, r.Count, r.Procs)
	}
}

// TestProfileRefusesReplicated checks that parbench profile refuses a
// replicated workload, saying how to profile it, and leaves no folder.
func TestProfileRefusesReplicated(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "p")
	var stdout, stderr bytes.Buffer
	code := Run([]string{"profile", "--workload", timedReplName, "--procs", "1", "--goroutines", "2", "--out", dir}, &stdout, &stderr)
	want := "parbench: --workload " + timedReplName + ": a replicated workload is not profiled here"
	if code != exitUsage || !strings.HasPrefix(lastLine(stderr.String()), want) || !strings.Contains(stderr.String(), "parbench run --workloads "+timedReplName+" --consistency cp --profile all") {
		t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr.String(), exitUsage, want)
	}
	if _, err := os.Stat(dir); err == nil {
		t.Errorf("left %s behind", dir)
	}
	// The command it advises profiles.
	out := filepath.Join(t.TempDir(), "r.txt")
	stderr.Reset()
	if code := Run([]string{"run", "--workloads", timedReplName, "--consistency", "cp", "--profile", "all",
		"--count", "1", "--quiet", "--out", out}, &stdout, &stderr); code != exitOK || !strings.Contains(stderr.String(), "parbench: profiles: ") {
		t.Errorf("run --profile: exit %d, stderr %q; want 0 and the profiles", code, stderr.String())
	}
}

// TestRerunPinsConsistency checks that the command printed to rerun a
// failed point of a replicated workload runs that point's design only.
func TestRerunPinsConsistency(t *testing.T) {
	fs, _ := newRunFlags(new(bytes.Buffer))
	if err := fs.Parse([]string{"--workloads", timedReplName, "--consistency", "cp,ap", "--replicas", "5"}); err != nil {
		t.Fatal(err)
	}
	p := results.Point{Workload: timedReplName, Lock: "none", Goroutines: 10, Procs: 2,
		Extra: []results.KV{{Key: results.KeyConsistency, Value: "ap"}}}
	got := strings.Join(rerunArgs(fs, p), " ")
	want := "parbench run --workloads " + timedReplName + " --lock none --goroutines 10 --procs 2 --consistency ap --replicas 5"
	if got != want {
		t.Errorf("rerun command\n got: %s\nwant: %s", got, want)
	}
}
