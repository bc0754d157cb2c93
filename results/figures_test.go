package results

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"

	"golang.org/x/perf/benchfmt"
)

// TestFigureWriter checks that every result carries the base
// configuration, that a result's own and the extra keys come in their
// place with later values winning and empty ones left out, and that
// Figure leaves out values that are not finite.
func TestFigureWriter(t *testing.T) {
	var b bytes.Buffer
	w := NewFigureWriter(&b, time.Date(2026, 11, 28, 9, 0, 0, 0, time.FixedZone("x", 3600)), KeyHarness, "rounds=1")
	r := &benchfmt.Result{Name: benchfmt.Name("Harness/x/tool=a"), Iters: 1, Values: []benchfmt.Value{{Value: 1, Unit: "sec/op"}},
		Config: []benchfmt.Config{{Key: "own", Value: []byte("o"), File: true}, {Key: "inner", Value: []byte("i")}}}
	if err := w.Write(r, Config{KeyPython, "p"}, Config{"own", "later"}); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(r, Config{KeyPython, ""}); err != nil {
		t.Fatal(err)
	}
	if err := w.Figure("Harness/y/tool=b", benchfmt.Value{Value: math.NaN(), Unit: "x"}, benchfmt.Value{Value: 2, Unit: "y"}); err != nil {
		t.Fatal(err)
	}
	if err := w.Figure("Harness/z/tool=c", benchfmt.Value{Value: math.Inf(1), Unit: "x"}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"own: later\n", "date: 2026-11-28T08:00:00Z\n", "harness: rounds=1\n", "goos: ", "python: p\n",
		"BenchmarkHarness/x/tool=a 1 1 sec/op\n", "BenchmarkHarness/y/tool=b 1 2 y\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	for _, bad := range []string{"inner", "tool=c", "NaN"} {
		if strings.Contains(out, bad) {
			t.Errorf("output has %q:\n%s", bad, out)
		}
	}
	if !strings.HasPrefix(out, "own: later\n") {
		t.Errorf("the result's own key is not first, in its place:\n%s", out)
	}
	// The second result: its own value again, and python emptied (which
	// benchfmt writes as a key without a value, clearing it).
	if !strings.Contains(out, "sec/op\n\nown: o\npython:\n\nBenchmarkHarness/x/tool=a") {
		t.Errorf("the second result's configuration is not own: o without python:\n%s", out)
	}
}
