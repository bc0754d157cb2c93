package results

import (
	"errors"
	"maps"
	"strings"
	"testing"
)

func TestClassesRoundTrip(t *testing.T) {
	ws := []WorkloadClass{{"cpu/sha256", ClassCPU}, {"cpu/stream", ClassMemory}, {"io/sleep", ClassIO},
		{"mixed", ClassMixed}, {"latency/convoy", ClassLatency}, {"webapp/read", ClassWebapp}, {"fake", ClassUnknown}}
	line := FormatClasses(ws)
	const want = "cpu/sha256=cpu,cpu/stream=memory,io/sleep=io,mixed=mixed,latency/convoy=latency,webapp/read=webapp,fake=unknown"
	if line != want {
		t.Fatalf("FormatClasses = %q, want %q", line, want)
	}
	m, err := ParseClasses(line)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range ws {
		if got := m.Of(w.Workload); got != w.Class {
			t.Errorf("Of(%s) = %v, want %v", w.Workload, got, w.Class)
		}
	}
	// A file with the line: a workload it does not list is unknown,
	// whatever its name says.
	if got := m.Of("cpu/other"); got != ClassUnknown {
		t.Errorf("Of(cpu/other) = %v, want unknown: the line, not the name, says", got)
	}
}

func TestParseClassesErrors(t *testing.T) {
	m, err := ParseClasses("cpu/x=cpu,bad,io/y=disk,=io,z=io")
	if !errors.Is(err, ErrBadClass) {
		t.Fatalf("err = %v, want ErrBadClass", err)
	}
	want := ClassMap{"cpu/x": ClassCPU, "z": ClassIO}
	if !maps.Equal(m, want) {
		t.Errorf("ParseClasses kept %v, want %v", m, want)
	}
	for _, s := range []string{`"bad"`, "io/y", `"=io"`} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not name %s", err, s)
		}
	}
}

// TestLegacyClass pins the one place a name means a class: files
// written before the classes line.
func TestLegacyClass(t *testing.T) {
	for w, want := range map[string]Class{
		"cpu/sha256": ClassCPU, "cpu/mandelbrot": ClassCPU, "cpu/alloc": ClassCPU, "cpu": ClassCPU,
		"cpu/stream": ClassMemory,
		"io/sleep":   ClassIO, "io/tcp": ClassIO, "io/fsync": ClassIO,
		"mixed":          ClassMixed,
		"latency/convoy": ClassLatency,
		"webapp/read":    ClassWebapp, "webapp/noisy": ClassWebapp,
		"hash": ClassUnknown, "zzz/stream": ClassUnknown, "io": ClassUnknown, "cpux/y": ClassUnknown, "latency/other": ClassUnknown,
	} {
		if got := LegacyClass(w); got != want {
			t.Errorf("LegacyClass(%q) = %v, want %v", w, got, want)
		}
		if got := ClassMap(nil).Of(w); got != want {
			t.Errorf("a file without the classes line: Of(%q) = %v, want %v", w, got, want)
		}
	}
}

func TestParseClass(t *testing.T) {
	for _, c := range append(Classes(), ClassUnknown) {
		got, err := ParseClass(c.String())
		if err != nil || got != c {
			t.Errorf("ParseClass(%q) = %v, %v", c.String(), got, err)
		}
	}
	if _, err := ParseClass("cpu-bound"); !errors.Is(err, ErrBadClass) {
		t.Errorf("ParseClass(cpu-bound): %v, want ErrBadClass", err)
	}
}

// FuzzParseClasses checks that any line parses without a panic, and
// that what parses writes back to a line that parses the same.
func FuzzParseClasses(f *testing.F) {
	f.Add("cpu/sha256=cpu,cpu/stream=memory,io/sleep=io")
	f.Add("a=unknown,,b=")
	f.Add("=,x")
	f.Fuzz(func(t *testing.T, s string) {
		m, _ := ParseClasses(s)
		var ws []WorkloadClass
		for w, c := range m {
			ws = append(ws, WorkloadClass{w, c})
		}
		m2, err := ParseClasses(FormatClasses(ws))
		if err != nil {
			// Names with ',' or '=' cannot be written back; parbench's
			// names have neither.
			return
		}
		for w, c := range m {
			if m2.Of(w) != c {
				t.Errorf("%q: %s is %v, written back %v", s, w, c, m2.Of(w))
			}
		}
	})
}

// TestClassOfRegisteredName: a workload registered with a capital inside
// its family (myCache/get) is written MyCache/get, which ParseName reads
// as written; the classes line's entry still gives its class, and an
// entry that is ambiguous but for case gives none.
func TestClassOfRegisteredName(t *testing.T) {
	w := "myCache/get"
	name := Point{Workload: w, Lock: "none", Goroutines: 2, Procs: 2}.Name()
	p, err := ParseName(name)
	if err != nil {
		t.Fatal(err)
	}
	m, err := ParseClasses(FormatClasses([]WorkloadClass{{w, ClassCPU}, {"cpu/sha256", ClassCPU}}))
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Of(p.Workload); got != ClassCPU {
		t.Errorf("%s read back as %q: class %v, want cpu", name, p.Workload, got)
	}
	m = ClassMap{"mycache/get": ClassIO, "MYCACHE/get": ClassCPU}
	if got := m.Of(p.Workload); got != ClassUnknown {
		t.Errorf("two entries equal but for case: class %v, want unknown", got)
	}
}
