package prof

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/pprof/profile"
	"github.com/parbench/parbench/results"
)

func TestParseKinds(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []Kind
		err  bool
	}{
		{"cpu", []Kind{CPU}, false},
		{"cpu,gil", []Kind{CPU, GIL}, false},
		{" mutex , block ", []Kind{Mutex, Block}, false},
		{"all", Kinds(), false},
		{"gil,all", []Kind{GIL, CPU, Mutex, Block}, false},
		{"cpu,cpu", []Kind{CPU}, false},
		{"trace", nil, true}, // --trace asks for it
		{"heap", nil, true},
		{"", nil, true},
		{"cpu,", nil, true},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseKinds(tc.in)
			if tc.err {
				if !errors.Is(err, ErrUnknownKind) {
					t.Errorf("ParseKinds(%q) = %v, %v; want ErrUnknownKind", tc.in, got, err)
				}
				return
			}
			if err != nil || !slices.Equal(got, tc.want) {
				t.Errorf("ParseKinds(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
			}
		})
	}
}

func FuzzParseKinds(f *testing.F) {
	for _, s := range []string{"cpu", "all", "cpu,gil", ",", "mutex,block,all"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ks, err := ParseKinds(s)
		if err != nil {
			return
		}
		seen := map[Kind]bool{}
		for _, k := range ks {
			if seen[k] || !slices.Contains(Kinds(), k) {
				t.Fatalf("ParseKinds(%q) = %v: a duplicate or unknown kind", s, ks)
			}
			seen[k] = true
		}
	})
}

func TestPointFilter(t *testing.T) {
	match, err := PointFilter("/lock:gil /gomaxprocs:2")
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]bool{
		"BenchmarkCPU/sha256/lock=gil/goroutines=4-2":  true,
		"BenchmarkCPU/sha256/lock=gil/goroutines=4-1":  false,
		"BenchmarkCPU/sha256/lock=none/goroutines=4-2": false,
	} {
		if got := match(name); got != want {
			t.Errorf("match(%s) = %v, want %v", name, got, want)
		}
	}
	if _, err := PointFilter("/lock:(gil"); err == nil {
		t.Error("a bad query parsed")
	}
}

// TestWaitProfile records waits from two points and two call sites and
// reads the written file back: values, labels and stacks survive.
func TestWaitProfile(t *testing.T) {
	w := NewWaitProfile()
	a := w.Point(Labels{Workload: "cpu/sha256", Lock: "gil", Goroutines: 4, Procs: 2})
	b := w.Point(Labels{Workload: "mixed", Lock: "gil-old", Goroutines: 8, Procs: 1})
	siteA := func() { a.RecordWait(3 * time.Millisecond) }
	siteB := func() { b.RecordWait(time.Millisecond) }
	for range 3 {
		siteA()
	}
	siteB()
	w.Accounted(10 * time.Millisecond)
	if got := w.Total(); got != 10*time.Millisecond {
		t.Errorf("Total = %v, want 10ms", got)
	}
	path := filepath.Join(t.TempDir(), "gil.pprof")
	if err := w.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := profile.Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Sample) != 2 {
		t.Fatalf("%d samples, want 2 (one per point and site)", len(p.Sample))
	}
	got := map[string][]int64{}
	for _, s := range p.Sample {
		got[s.Label[results.LabelWorkload][0]+" "+s.Label[results.LabelLock][0]+" "+s.Label[results.LabelGoroutines][0]+" "+s.Label[results.LabelProcs][0]] = s.Value
	}
	want := map[string][]int64{
		"cpu/sha256 gil 4 2": {3, int64(9 * time.Millisecond)},
		"mixed gil-old 8 1":  {1, int64(time.Millisecond)},
	}
	for k, v := range want {
		if !slices.Equal(got[k], v) {
			t.Errorf("sample %s = %v, want %v", k, got[k], v)
		}
	}
	if p.DefaultSampleType != results.SampleWait {
		t.Errorf("default sample type %q, want %q", p.DefaultSampleType, results.SampleWait)
	}
}

// TestNilSession checks that profiling off is a nil *Session whose
// methods do nothing.
func TestNilSession(t *testing.T) {
	var s *Session
	ran := false
	s.Do(Labels{}, func() { ran = true })
	if !ran || s.Waits(Labels{}) != nil || s.TraceSample("x") != nil || s.Has(CPU) || s.Traced() {
		t.Error("a nil Session did something")
	}
	s.Accounted(time.Second)
	if files, err := s.Stop(); files != nil || err != nil {
		t.Errorf("Stop = %v, %v", files, err)
	}
}
