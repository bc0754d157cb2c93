package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/parbench/parbench/analysis"
	"github.com/parbench/parbench/results"
)

// TestFormatRoundTrip writes a profiled run as `parbench run` does and
// reads every key of package results back through the analysis: the
// machine, the sweep, the settings, the classes, the profiles folder,
// its files, sample types and labels. Writer and reader agree only
// through package results.
func TestFormatRoundTrip(t *testing.T) {
	out := filepath.Join(t.TempDir(), "r.txt")
	var stdout, stderr bytes.Buffer
	code := Run([]string{"run", "--workloads", "cpu/sha256,io/sleep", "--lock", "none,gil", "--procs", "1,2",
		"--goroutines", "2", "--count", "2", "--benchtime", "10ms", "--io-latency", "100us", "--quiet", "--out", out,
		"--profile", "cpu,gil"}, &stdout, &stderr)
	if code != exitOK {
		t.Fatalf("run: exit %d, stderr: %s", code, stderr.String())
	}

	rep := readReport(t, out)
	if warns := rep.AttachProfiles(); len(warns) > 0 {
		t.Fatalf("AttachProfiles: %v", warns)
	}
	file := rep.Files[0]

	// Every key, with its value where the run's flags set it. The exec
	// keys are written by sweeps with worker processes only, the
	// service's by served sweeps only (TestFormatRoundTripServed).
	want := map[string]string{
		results.KeyWorkloads: "cpu/sha256,io/sleep", results.KeyLocks: "none,gil", results.KeyProcs: "1,2",
		results.KeyGoroutines: "2", results.KeyCount: "2", results.KeyBenchtime: "10ms",
		results.KeyIOLatency: "100µs", results.KeyScaling: "strong",
		results.KeyClasses:  "cpu/sha256=cpu,io/sleep=io",
		results.KeyProfiles: "r.txt.profiles",
	}
	for _, c := range results.Machine() { // the run ran in this process
		want[c.Key] = c.Value
	}
	for _, k := range results.Keys() {
		switch k {
		case results.KeyExec, results.KeyPayload, results.KeyIncludeStartup:
			if v := file.Get(k); v != "" {
				t.Errorf("a goroutines-only run wrote %s: %q", k, v)
			}
			continue
		case servedKeys[0], servedKeys[1], servedKeys[2], results.KeyDBLatency, results.KeyServerCmd:
			if v := file.Get(k); v != "" {
				t.Errorf("a run without a server shape wrote %s: %q", k, v)
			}
			continue
		case results.KeyRate: // open-loop sweeps only (TestFormatRoundTripOpen)
			if v := file.Get(k); v != "" {
				t.Errorf("a closed-loop run wrote %s: %q", k, v)
			}
			continue
		case results.KeyConsistency, results.KeyReplicas, results.KeyPartition, results.KeyPhaseTime,
			results.KeySyncInterval, results.KeyRequestTimeout, results.KeyWriteQuorum, results.KeyReadQuorum: // replicated workloads only (TestReplicatedFileKeys)
			if v := file.Get(k); v != "" {
				t.Errorf("a run without a replicated workload wrote %s: %q", k, v)
			}
			continue
		}
		v := file.Get(k)
		if v == "" {
			t.Errorf("key %s: not read back", k)
		}
		if w, ok := want[k]; ok && v != w {
			t.Errorf("key %s: read back %q, want %q", k, v, w)
		}
	}

	// The analysis's view of the same keys.
	classes := map[string]results.Class{"cpu/sha256": results.ClassCPU, "io/sleep": results.ClassIO}
	for _, g := range rep.Groups {
		if g.Class != classes[g.Workload] {
			t.Errorf("%s: class %v, want %v", g.Label(), g.Class, classes[g.Workload])
		}
		for _, k := range results.SettingKeys() {
			if !slices.Contains(notAlwaysSet, k) && !strings.Contains(g.Settings, k+"=") {
				t.Errorf("%s: settings %q lack %s", g.Label(), g.Settings, k)
			}
		}
		m := g.Machine
		if m.CPU != want[results.KeyCPU] || m.Host != want[results.KeyHost] || m.GOOS != want[results.KeyGOOS] ||
			m.GOARCH != want[results.KeyGOARCH] || m.Quota != want[results.KeyCPUQuota] || m.NCPU == 0 {
			t.Errorf("%s: machine %+v, want the file's", g.Label(), m)
		}
		if g.Scaling != "strong" {
			t.Errorf("%s: scaling %q", g.Label(), g.Scaling)
		}
	}

	// The profiles: read once, with the sample types and labels package
	// results names.
	p := file.Profiles
	if p == nil || p.CPU == nil || p.Waits == nil {
		t.Fatalf("profiles of %s not read back: %+v", file.ProfilesDir(), p)
	}
	if p.Dir != out+".profiles" {
		t.Errorf("profiles folder %s, want %s", p.Dir, out+".profiles")
	}
	types := map[string]bool{}
	for _, st := range p.Waits.SampleType {
		types[st.Type+"/"+st.Unit] = true
	}
	for _, ty := range []string{results.SampleWaits + "/" + results.UnitCount, results.SampleWait + "/" + results.UnitNanoseconds} {
		if !types[ty] {
			t.Errorf("gil profile lacks sample type %s: %v", ty, types)
		}
	}
	labels := map[string]bool{}
	for _, s := range append(p.CPU.Sample, p.Waits.Sample...) {
		for k := range s.Label {
			labels[k] = true
		}
	}
	for _, k := range []string{results.LabelWorkload, results.LabelLock, results.LabelGoroutines, results.LabelProcs} {
		if !labels[k] {
			t.Errorf("no sample carries the label %s: %v", k, labels)
		}
	}
	s := p.Summary(map[string]string{results.LabelWorkload: "cpu/sha256", results.LabelLock: "gil"}, 3)
	if s.CPU == 0 || s.Wait == 0 {
		t.Errorf("cpu/sha256 under the gil: CPU %d ns, waits %d ns; want both recorded", s.CPU, s.Wait)
	}
	for _, name := range []string{results.ProfileCPU, results.ProfileGIL} {
		if _, err := os.Stat(filepath.Join(p.Dir, name)); err != nil {
			t.Error(err)
		}
	}
}

// readReport reads the results file at path through the analysis, as
// `parbench report` does, and checks that it is the report's one file.
func readReport(t *testing.T, path string) *analysis.Report {
	t.Helper()
	b, err := analysis.NewBuilder(analysis.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	err = b.Read(f, path)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	rep, err := b.Report()
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Files) != 1 {
		t.Fatalf("%d files in the report, want 1", len(rep.Files))
	}
	return rep
}

// notAlwaysSet are the setting keys only some sweeps write: a served
// sweep's, an open-loop one's, a replicated workload's.
var notAlwaysSet = []string{results.KeyHandlerCPU, results.KeyDBLatency, results.KeyServerCmd, results.KeyRate,
	results.KeyReplicas, results.KeyPartition, results.KeyPhaseTime, results.KeySyncInterval, results.KeyRequestTimeout,
	results.KeyWriteQuorum, results.KeyReadQuorum}
