package results

import (
	"errors"
	"testing"
)

func TestHarnessFigureName(t *testing.T) {
	for _, c := range []struct {
		h    HarnessFigure
		want string
	}{
		{HarnessFigure{Measure: HarnessPrecision, Subject: "cpu/sha256", Tool: ToolGoTest, Procs: 2},
			"Harness/precision/cpu/sha256/tool=go-test-2"},
		{HarnessFigure{Measure: HarnessPrecision, Tool: ToolParbench, Vs: ToolGoTest},
			"Harness/precision/tool=parbench/vs=go-test"},
		{HarnessFigure{Measure: HarnessReport, Subject: "reference-20x", Tool: ToolBenchstat},
			"Harness/report/reference-20x/tool=benchstat"},
		{HarnessFigure{Measure: HarnessEmptyOp, Tool: ToolRunner},
			"Harness/empty-op/tool=runner"},
	} {
		if err := c.h.Check(); err != nil {
			t.Fatalf("%+v: %v", c.h, err)
		}
		name := c.h.Name()
		if name != c.want {
			t.Errorf("Name = %q, want %q", name, c.want)
		}
		for _, n := range []string{name, "Benchmark" + name} {
			got, ok, err := ParseHarnessFigure(n)
			if err != nil || !ok || got != c.h {
				t.Errorf("ParseHarnessFigure(%q) = %+v, %v, %v; want %+v", n, got, ok, err, c.h)
			}
		}
	}
}

func TestHarnessFigureCheck(t *testing.T) {
	for _, h := range []HarnessFigure{
		{Measure: "", Tool: ToolParbench},
		{Measure: HarnessReport, Tool: ""},
		{Measure: HarnessReport, Subject: "a//b", Tool: ToolParbench},
		{Measure: HarnessReport, Subject: "x-20", Tool: ToolParbench},
		{Measure: HarnessReport, Subject: "a=b", Tool: ToolParbench},
		{Measure: HarnessReport, Tool: "par bench"},
		{Measure: HarnessReport, Tool: ToolParbench, Vs: "a/b"},
		{Measure: HarnessPrecision, Tool: ToolParbench, Procs: -1},
	} {
		if err := h.Check(); !errors.Is(err, ErrBadName) {
			t.Errorf("Check(%+v) = %v, want ErrBadName", h, err)
		}
	}
}

func TestParseHarnessFigureRejects(t *testing.T) {
	for _, c := range []struct {
		name string
		ok   bool // a Harness name, malformed
	}{
		{"CPU/sha256/lock=none/goroutines=2-2", false},
		{"Calibrate/cpu/figure=x/python=3/impl=cpython", false},
		{"Harness", true},
		{"Harness/report", true},
		{"Harness/report/vs=go-test/tool=parbench", true},
		{"Harness/report/tool=parbench/tool=benchstat", true},
		{"Harness/report/tool=parbench/impl=x", true},
		{"Harness/report/lock=gil/tool=parbench", true},
		{"Harness/report/tool=parbench/goroutines=2", true},
		{"Harness/report/tool=", true},
		{"Harness//tool=parbench", true},
	} {
		_, ok, err := ParseHarnessFigure(c.name)
		if ok != c.ok || (ok && err == nil) {
			t.Errorf("ParseHarnessFigure(%q): ok %v, err %v; want ok %v and an error", c.name, ok, err, c.ok)
		}
		if err != nil && !errors.Is(err, ErrBadName) {
			t.Errorf("ParseHarnessFigure(%q) error %v does not wrap ErrBadName", c.name, err)
		}
	}
}

// FuzzParseHarnessFigure checks that ParseHarnessFigure never panics,
// that its errors wrap ErrBadName, and that a figure it accepts
// round-trips through Name.
func FuzzParseHarnessFigure(f *testing.F) {
	for _, s := range []string{
		"Harness/precision/cpu/sha256/tool=go-test-2",
		"BenchmarkHarness/precision/tool=parbench/vs=go-test",
		"Harness/report/reference-20x/tool=benchstat",
		"Harness", "Harness/", "Harness/x/tool=a-1", "CPU/sha256-2", "Harness/x/tool=a/vs=b-0",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		h, ok, err := ParseHarnessFigure(name)
		if err != nil {
			if !ok || !errors.Is(err, ErrBadName) {
				t.Fatalf("ParseHarnessFigure(%q): ok %v, error %v (want ok and ErrBadName)", name, ok, err)
			}
			return
		}
		if !ok {
			return
		}
		if err := h.Check(); err != nil {
			t.Fatalf("ParseHarnessFigure(%q) = %+v, which fails Check: %v", name, h, err)
		}
		again, ok, err := ParseHarnessFigure(h.Name())
		if err != nil || !ok || again != h {
			t.Fatalf("round trip of %q: %+v, then %q gives %+v, %v, %v", name, h, h.Name(), again, ok, err)
		}
	})
}
