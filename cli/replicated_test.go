package cli

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parbench/parbench/bench"
	"github.com/parbench/parbench/results"
	"github.com/parbench/parbench/workloads"
)

// TestReplicatedUsageErrors checks the bad values of the replicated
// workloads' flags: exit 2, a message naming the flag and what would
// be valid, and no file.
func TestReplicatedUsageErrors(t *testing.T) {
	cpu := []string{"--workloads", "cpu/sha256"}
	with := func(args ...string) []string { return append(slices.Clip(cpu), args...) }
	checkUsageErrors(t, []usageCase{
		{"no replicas", with("--replicas", "0"), "--replicas 0: want 1 to 15", ""},
		{"too many replicas", with("--replicas", "16"), "--replicas 16: want 1 to 15", ""},
		{"bad partition", with("--partition", "everyone"), `--partition "everyone": want one of minority, halves, isolate-leader`, ""},
		{"short phase", with("--phase-time", "10ms"), "--phase-time 10ms: want a duration from 100ms to 1m", ""},
		{"no sync interval", with("--sync-interval", "0s"), "--sync-interval 0s: want a duration from 1ms to 10s", ""},
		{"long request timeout", with("--request-timeout", "1m"), "--request-timeout 1m0s: want a duration from 1ms to 10s", ""},
		{"replicas for cpu", with("--replicas", "5"), "--replicas 5: no workload in --workloads reads it (it is for ", "): drop it, or add one of those to --workloads"},
		{"consistency for cpu", with("--consistency", "cp"), "--consistency cp: cpu/sha256 has no replicas to choose a design for (replicated workloads: ", "): drop it from --workloads, or drop --consistency"},
		{"consistency twice", with("--consistency", "cp,cp"), `--consistency: "cp" given twice`, ""},
		{"empty consistency", with("--consistency", ""), `--consistency: empty name in list ""`, ""},
	})
}

// replicatedFake is a workloads.Replicated that is never started: what
// the command's defaults look for.
type replicatedFake struct{}

func (replicatedFake) Name() string            { return "test/replicated" }
func (replicatedFake) Summary() string         { return "fake" }
func (replicatedFake) Consistencies() []string { return []string{"cp", "ap"} }
func (replicatedFake) Start(workloads.Params) (workloads.Instance, error) {
	return nil, errors.New("use a consistency")
}
func (replicatedFake) CheckReplicated(workloads.Params, string) error { return nil }
func (replicatedFake) StartReplicated(workloads.Params, string) (workloads.Instance, error) {
	return nil, errors.New("never started")
}

// TestReplicatedDefaults checks the defaults of a sweep of replicated
// workloads only: the CPUs available, two clients per replica and 6
// samples where the command line left --procs, --goroutines and
// --count alone, the flags given where it set them, and the usual
// defaults for a sweep with any other workload.
func TestReplicatedDefaults(t *testing.T) {
	def := bench.DefaultConfig()
	cpu, err := workloads.Lookup("cpu/sha256")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		ws       []workloads.Workload
		replicas int
		set      map[string]bool
		procs    []int
		gs       []int
		count    int
	}{
		{"replicated", []workloads.Workload{replicatedFake{}}, 3, nil, []int{results.AvailableCPUs()}, []int{6}, replicatedCount},
		{"5 replicas", []workloads.Workload{replicatedFake{}}, 5, nil, []int{results.AvailableCPUs()}, []int{10}, replicatedCount},
		{"flags given", []workloads.Workload{replicatedFake{}}, 3, map[string]bool{"procs": true, "goroutines": true, "count": true}, def.Procs, def.Goroutines, def.Count},
		{"replicas out of range", []workloads.Workload{replicatedFake{}}, 0, nil, []int{results.AvailableCPUs()}, def.Goroutines, replicatedCount},
		{"mixed", []workloads.Workload{replicatedFake{}, cpu[0]}, 3, nil, def.Procs, def.Goroutines, def.Count},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := bench.DefaultConfig()
			c.Workloads, c.Params.Replicas = tc.ws, tc.replicas
			replicatedDefaults(&c, tc.set)
			if !slices.Equal(c.Procs, tc.procs) || !slices.Equal(c.Goroutines, tc.gs) || c.Count != tc.count {
				t.Errorf("procs %v, goroutines %v, count %d; want %v, %v, %d", c.Procs, c.Goroutines, c.Count, tc.procs, tc.gs, tc.count)
			}
		})
	}
}

// TestReplicatedFlags checks that the flags reach the Config, and that
// a resumed file's replicated keys set them back: each key is its
// flag's name.
func TestReplicatedFlags(t *testing.T) {
	fs, f := newRunFlags(new(bytes.Buffer))
	args := []string{"--workloads", "cpu/sha256", "--consistency", "ap,cp", "--replicas", "5", "--partition", "halves",
		"--phase-time", "2s", "--sync-interval", "10ms", "--request-timeout", "1s"}
	if err := parseFlags(fs, args); err != nil {
		t.Fatal(err)
	}
	c, err := f.config()
	if err != nil {
		t.Fatal(err)
	}
	want := workloads.DefaultParams()
	want.Replicas, want.Partition, want.PhaseTime, want.SyncInterval, want.RequestTimeout = 5, "halves", 2*time.Second, 10*time.Millisecond, time.Second
	if !slices.Equal(c.Consistency, []string{"ap", "cp"}) || c.Params != want {
		t.Errorf("Consistency %v, Params %+v; want [ap cp], %+v", c.Consistency, c.Params, want)
	}
	for _, k := range []string{results.KeyConsistency, results.KeyReplicas, results.KeyPartition,
		results.KeyPhaseTime, results.KeySyncInterval, results.KeyRequestTimeout} {
		if fs.Lookup(flagOf(k)) == nil {
			t.Errorf("file key %s: no flag %s for a resumed run to set", k, flagOf(k))
		}
	}
	// Not given: no list, each workload's designs.
	fs, f = newRunFlags(new(bytes.Buffer))
	if err := parseFlags(fs, []string{"--workloads", "cpu/sha256"}); err != nil {
		t.Fatal(err)
	}
	if c, err := f.config(); err != nil || c.Consistency != nil {
		t.Errorf("no --consistency: Consistency %v (err %v), want nil", c.Consistency, err)
	}
}

// TestListReplicated checks that parbench list shows a replicated
// workload's designs (checked on the unregistered fake) and says that
// all leaves the replicated workloads out.
func TestListReplicated(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := Run([]string{"list"}, &stdout, &stderr); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if want := "--workloads all leaves out the replicated workloads"; !strings.Contains(stdout.String(), want) {
		t.Errorf("list lacks %q:\n%s", want, stdout.String())
	}
	if got := listSummary(replicatedFake{}); !strings.HasSuffix(got, "(--consistency cp, ap)") {
		t.Errorf("list line %q does not show the designs", got)
	}
	if got := listSummary(replicatedFake{}); !strings.HasPrefix(got, "fake") {
		t.Errorf("list line %q lost the summary", got)
	}
}
