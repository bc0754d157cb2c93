package bench_test

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parbench/parbench/bench"
	"github.com/parbench/parbench/results"
	"github.com/parbench/parbench/workloads"

	_ "github.com/parbench/parbench/workloads/webapp" // registers the webapp/ workloads
)

// replicatedStub is a workloads.Replicated that is never run: what
// makes a sweep write the replicated keys.
type replicatedStub struct{}

func (replicatedStub) Name() string            { return "test/replicated" }
func (replicatedStub) Summary() string         { return "stub" }
func (replicatedStub) Consistencies() []string { return []string{"cp", "ap"} }
func (replicatedStub) Start(workloads.Params) (workloads.Instance, error) {
	return nil, errors.New("use a consistency")
}
func (replicatedStub) CheckReplicated(workloads.Params, string) error { return nil }
func (replicatedStub) StartReplicated(workloads.Params, string) (workloads.Instance, error) {
	return nil, errors.New("never run")
}

// TestFileConfigKeys checks that the runner writes only keys package
// results names, each with a role, each once, and every one of them
// (with processes on, a server shape, a replicated workload, and the
// profiles folder, which the command adds).
func TestFileConfigKeys(t *testing.T) {
	c := bench.DefaultConfig()
	c.Workloads = append(c.Workloads, replicatedStub{})
	c.Exec.Modes = []string{bench.ExecGoroutines, bench.ExecProcesses}
	c.Service.Threads = []int{1, 2}
	// An external service command: the server-cmd line.
	c.Service.Command = []string{"python3", "app.py"}
	c.Params.Rate = 100                      // open loop: the rate's line
	c.Consistency = []string{"cp", "quorum"} // the quorum design: its W and R lines
	seen := map[string]bool{results.KeyProfiles: true}
	for _, kv := range c.FileConfig(time.Unix(0, 0)) {
		if results.KeyRole(kv.Key) == results.RoleUnknown {
			t.Errorf("FileConfig writes %q, a key package results does not name", kv.Key)
		}
		if seen[kv.Key] {
			t.Errorf("FileConfig writes %q twice", kv.Key)
		}
		seen[kv.Key] = true
	}
	for _, k := range results.Keys() {
		if !seen[k] {
			t.Errorf("results names %q, which FileConfig does not write", k)
		}
	}
}

// TestFileConfigClasses checks the classes line: every workload of the
// sweep, in order, with the class it states itself.
func TestFileConfigClasses(t *testing.T) {
	c := bench.DefaultConfig()
	var line string
	for _, kv := range c.FileConfig(time.Unix(0, 0)) {
		if kv.Key == results.KeyClasses {
			line = kv.Value
		}
	}
	m, err := results.ParseClasses(line)
	if err != nil {
		t.Fatalf("classes line %q: %v", line, err)
	}
	var order []string
	for part := range strings.SplitSeq(line, ",") {
		w, _, _ := strings.Cut(part, "=")
		order = append(order, w)
	}
	var names []string
	for _, w := range c.Workloads {
		names = append(names, w.Name())
		if got, want := m.Of(w.Name()), workloads.ClassOf(w); got != want {
			t.Errorf("%s: classes line says %v, the workload %v", w.Name(), got, want)
		}
	}
	if !slices.Equal(order, names) {
		t.Errorf("classes line lists %v, the sweep %v", order, names)
	}
}

// TestEveryWorkloadClassed checks that every workload parbench ships states
// a class that package results reads back, and that it is the class that
// files written before the classes line get by name (results.LegacyClass),
// so old and new files of one workload read alike.
func TestEveryWorkloadClassed(t *testing.T) {
	for _, w := range workloads.All() {
		if !strings.HasPrefix(reflect.TypeOf(w).PkgPath(), "github.com/parbench/parbench/workloads") {
			continue // this package's test workloads
		}
		c := workloads.ClassOf(w)
		if c == results.ClassUnknown {
			t.Errorf("%s states no class (implement workloads.Classed)", w.Name())
			continue
		}
		rc, err := results.ParseClass(c.String())
		if err != nil {
			t.Errorf("%s: %v", w.Name(), err)
		}
		if legacy := results.LegacyClass(w.Name()); legacy != rc {
			t.Errorf("%s: class %v, but files without a classes line read it as %v", w.Name(), rc, legacy)
		}
	}
}

// TestFileConfigReplicated checks the replicated keys: written with a
// replicated workload in the sweep (its designs, or the ones chosen,
// and its settings), and not at all without one, so that other files
// read and resume as before.
func TestFileConfigReplicated(t *testing.T) {
	keys := []string{results.KeyConsistency, results.KeyReplicas, results.KeyPartition,
		results.KeyPhaseTime, results.KeySyncInterval, results.KeyRequestTimeout}
	get := func(c bench.Config) map[string]string {
		m := map[string]string{}
		for _, kv := range c.FileConfig(time.Unix(0, 0)) {
			if slices.Contains(keys, kv.Key) {
				m[kv.Key] = kv.Value
			}
		}
		return m
	}
	c := bench.DefaultConfig()
	if got := get(c); len(got) != 0 {
		t.Errorf("a sweep without a replicated workload writes %v", got)
	}
	c.Workloads = []workloads.Workload{replicatedStub{}}
	c.Params.Replicas, c.Params.Partition = 5, workloads.PartitionHalves
	want := map[string]string{
		results.KeyConsistency: "cp,ap", results.KeyReplicas: "5", results.KeyPartition: "halves",
		results.KeyPhaseTime: "1s", results.KeySyncInterval: "100ms", results.KeyRequestTimeout: "250ms",
	}
	if got := get(c); !reflect.DeepEqual(got, want) {
		t.Errorf("replicated sweep writes %v, want %v", got, want)
	}
	c.Consistency = []string{"ap"}
	if got := get(c)[results.KeyConsistency]; got != "ap" {
		t.Errorf("--consistency ap: the file says %q", got)
	}
}
