package analysis

import (
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/pprof/profile"
	"github.com/parbench/parbench/results"
)

// profBuilder makes small profiles: each sample a stack of function
// names (leaf first), a value and labels.
type profBuilder struct {
	p     *profile.Profile
	funcs map[string]*profile.Function
}

func newProfBuilder(typ, unit string) *profBuilder {
	return &profBuilder{
		p:     &profile.Profile{SampleType: []*profile.ValueType{{Type: typ, Unit: unit}}},
		funcs: map[string]*profile.Function{},
	}
}

func (b *profBuilder) add(tb testing.TB, v int64, labels map[string][]string, stack ...string) {
	tb.Helper()
	s := &profile.Sample{Value: []int64{v}, Label: labels}
	for _, name := range stack {
		fn := b.funcs[name]
		if fn == nil {
			fn = &profile.Function{ID: uint64(len(b.p.Function) + 1), Name: name}
			b.funcs[name] = fn
			b.p.Function = append(b.p.Function, fn)
		}
		loc := &profile.Location{ID: uint64(len(b.p.Location) + 1), Line: []profile.Line{{Function: fn}}}
		b.p.Location = append(b.p.Location, loc)
		s.Location = append(s.Location, loc)
	}
	b.p.Sample = append(b.p.Sample, s)
}

func (b *profBuilder) write(tb testing.TB, path string) {
	tb.Helper()
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	if err := b.p.Write(f); err != nil {
		tb.Fatal(err)
	}
}

func lbl(workload, lock string) map[string][]string {
	return map[string][]string{"workload": {workload}, "lock": {lock}}
}

// testProfiles writes a cpu.pprof and a gil.pprof: under gil, 60ms of
// workload CPU, 20ms of scheduler, 20ms of GC, and 300ms waited at two
// sites; under none, 100ms of workload CPU.
func testProfiles(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	const w = "github.com/parbench/parbench/workloads.(*sha256Worker).Op"
	cpu := newProfBuilder("cpu", "nanoseconds")
	cpu.add(t, 60e6, lbl("cpu/sha256", "gil"), "sha256.block", w)
	cpu.add(t, 20e6, lbl("cpu/sha256", "gil"), "runtime.futex", "runtime.findRunnable", "runtime.schedule", "runtime.park_m")
	cpu.add(t, 20e6, lbl("cpu/sha256", "gil"), "runtime.scanobject", "runtime.gcDrain", "runtime.gcBgMarkWorker")
	cpu.add(t, 100e6, lbl("cpu/sha256", "none"), "sha256.block", w)
	cpu.add(t, 5e6, nil, "runtime.nanotime") // the runner, unlabelled
	cpu.write(t, filepath.Join(dir, "cpu.pprof"))
	gil := newProfBuilder("gil-wait", "nanoseconds")
	gil.add(t, 200e6, lbl("cpu/sha256", "gil"), "github.com/parbench/parbench/bench/gil.(*GIL).take", "github.com/parbench/parbench/bench/gil.(*newThread).Check", w)
	gil.add(t, 100e6, lbl("cpu/sha256", "gil"), "github.com/parbench/parbench/bench/gil.(*GIL).take", "github.com/parbench/parbench/bench/gil.(*newThread).Start", "bench.start")
	gil.write(t, filepath.Join(dir, "gil.pprof"))
	return dir
}

func TestProfileSummary(t *testing.T) {
	p, err := ReadProfiles(testProfiles(t))
	if err != nil {
		t.Fatal(err)
	}
	s := p.Summary(map[string]string{"workload": "cpu/sha256", "lock": "gil"}, 2)
	if s.CPU != 100e6 || s.Wait != 300e6 {
		t.Errorf("CPU %d, wait %d; want 100ms and 300ms", s.CPU, s.Wait)
	}
	if math.Abs(s.WaitShare-0.75) > 1e-9 {
		t.Errorf("wait share %v, want 0.75", s.WaitShare)
	}
	classes := map[string]float64{}
	for _, c := range s.Classes {
		classes[c.Name] = c.Share
	}
	for name, want := range map[string]float64{ClassWorkload: 0.6, ClassScheduler: 0.2, ClassGC: 0.2} {
		if math.Abs(classes[name]-want) > 1e-9 {
			t.Errorf("class %s share %v, want %v (all: %v)", name, classes[name], want, s.Classes)
		}
	}
	if len(s.Top) != 2 || s.Top[0].Name != "sha256.block" {
		t.Errorf("top %v, want sha256.block first, 2 entries", s.Top)
	}
	if len(s.WaitSites) != 2 || !strings.HasSuffix(s.WaitSites[0].Name, "(*sha256Worker).Op (Check)") || s.WaitSites[1].Name != "bench.start (Start)" {
		t.Errorf("wait sites %v, want the workload's Op, then bench.start", s.WaitSites)
	}
	cause := s.Cause()
	for _, want := range []string{"75% of goroutine time waiting for the lock at workloads.(*sha256Worker).Op (Check)", "60% workload"} {
		if !strings.Contains(cause, want) {
			t.Errorf("Cause() = %q, want it to contain %q", cause, want)
		}
	}

	none := p.Summary(map[string]string{"lock": "none"}, 5)
	if none.CPU != 100e6 || none.Wait != 0 || none.WaitShare != 0 {
		t.Errorf("lock=none: CPU %d wait %d share %v", none.CPU, none.Wait, none.WaitShare)
	}
	if all := p.Summary(nil, 5); all.CPU != 205e6 {
		t.Errorf("everything: CPU %d, want 205ms", all.CPU)
	}
}

func TestProfilesDir(t *testing.T) {
	cfg := func(v string) []results.Config {
		return []results.Config{{Key: results.KeyDate, Value: "x"}, {Key: results.KeyProfiles, Value: v}}
	}
	for _, tc := range []struct {
		file string
		cfg  []results.Config
		want string
	}{
		{"results/a.txt", cfg("a.txt.profiles"), filepath.Join("results", "a.txt.profiles")},
		{"a.txt", cfg("."), "."},
		{"results/a.txt", cfg("/abs/p"), "/abs/p"},
		{"results/a.txt", nil, ""},
	} {
		f := &File{Name: tc.file, Config: tc.cfg}
		if got := f.ProfilesDir(); got != tc.want {
			t.Errorf("ProfilesDir(%s) = %q, want %q", tc.file, got, tc.want)
		}
	}
}

// profilesFile is a results file of the report that names the profiles
// folder dir as the runner does, "." beside its results.
func profilesFile(dir string) *File {
	return &File{Name: filepath.Join(dir, "r.txt"), Config: []results.Config{{Key: results.KeyProfiles, Value: "."}}}
}

func TestReadProfilesErrors(t *testing.T) {
	if _, err := ReadProfiles(t.TempDir()); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("empty folder: %v, want fs.ErrNotExist", err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "cpu.pprof"), []byte("not a profile"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadProfiles(dir); err == nil || !strings.Contains(err.Error(), "cpu.pprof") {
		t.Errorf("bad file: %v, want an error naming cpu.pprof", err)
	}
}

// TestWriteProfiles checks the report's section: a group with profiles
// gets its cause line; a results file without a profiles key adds none.
func TestWriteProfiles(t *testing.T) {
	dir := testProfiles(t)
	rep := &Report{Groups: []*Group{{Workload: "cpu/sha256", Lock: "gil"}, {Workload: "cpu/sha256", Lock: "none"}}}
	rep.Files = []*File{profilesFile(dir)}
	var b strings.Builder
	if err := WriteProfiles(&b, rep, 3); err != nil {
		t.Fatalf("WriteProfiles: %v", err)
	}
	out := b.String()
	for _, want := range []string{"Profiles\n", "cpu/sha256  lock=gil", "lock wait 75%", "cpu/sha256  lock=none", "no lock wait recorded"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	b.Reset()
	rep.Files = []*File{{Name: "x.txt"}}
	if err := WriteProfiles(&b, rep, 3); err != nil || b.Len() != 0 {
		t.Errorf("no profiles key: wrote %q, %v", b.String(), err)
	}
}

// TestAttachProfiles checks that the verdict of a group covered by a
// profile names the lock wait with the profile's number, and that a
// group of another lock, or a file without profiles, gets nothing.
func TestAttachProfiles(t *testing.T) {
	dir := testProfiles(t)
	rep := &Report{Groups: []*Group{{Workload: "cpu/sha256", Lock: "gil"}, {Workload: "cpu/other", Lock: "gil"}}}
	rep.Files = []*File{profilesFile(dir)}
	if warns := rep.AttachProfiles(); len(warns) > 0 {
		t.Fatalf("AttachProfiles: %v", warns)
	}
	if got := rep.Groups[0].Verdict.String(); !strings.Contains(got, "profile: 75% of goroutine time waiting for the lock") {
		t.Errorf("verdict %q does not name the lock wait from the profile", got)
	}
	if got := rep.Groups[1].Verdict.String(); got != "" {
		t.Errorf("a group the profile does not cover got %q", got)
	}
	rep.Groups[0].Verdict.Limits = nil
	rep.Files = []*File{{Name: "x.txt"}}
	if warns := rep.AttachProfiles(); len(warns) > 0 || len(rep.Groups[0].Verdict.Limits) > 0 {
		t.Errorf("no profiles key: limits %v, warnings %v", rep.Groups[0].Verdict.Limits, warns)
	}
}
