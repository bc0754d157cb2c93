package selfbench

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/perf/benchfmt"

	"github.com/parbench/parbench/results"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// script writes an executable shell script that appends its name and
// arguments to log, then runs body.
func script(t *testing.T, dir, name, log, body string) string {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the fake tools are shell scripts")
	}
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	p := filepath.Join(dir, name)
	text := fmt.Sprintf("#!/bin/sh\necho %s \"$@\" >> %q\n%s\n", name, log, body)
	if err := os.WriteFile(p, []byte(text), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// fakeOptions returns Options whose tools are scripts: parbench copies
// the parbench fixture to --out, the test binary prints the go test
// fixture, benchstat does nothing; each logs its call to the returned
// file. The empty op costs 4ns in the runner and 0.5ns in testing.B.
func fakeOptions(t *testing.T) (Options, string) {
	t.Helper()
	dir := t.TempDir()
	log := filepath.Join(dir, "calls")
	abs := func(p string) string {
		a, err := filepath.Abs(p)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	o := DefaultOptions()
	// The goroutines measure has its own fixture and test
	// (TestGoroutinesMeasure).
	o.Measures = slices.DeleteFunc(o.Measures, func(m string) bool { return m == results.HarnessGoroutines })
	o.Rounds, o.Copies = 2, 3
	o.Dir = dir
	o.Reference = abs("testdata/go-test.txt")
	o.Out = filepath.Join(dir, "out", "harness.txt")
	o.Parbench = script(t, dir, "parbench", log, fmt.Sprintf(`if [ "$1" = run ]; then
  while [ $# -gt 0 ]; do [ "$1" = --out ] && cp %q "$2"; shift; done
fi`, abs("testdata/parbench-run.txt")))
	o.GoTest = script(t, dir, "gotest", log, fmt.Sprintf("cat %q", abs("testdata/go-test.txt")))
	o.Benchstat = script(t, dir, "benchstat", log, "")
	o.RunnerEmptyOp = func(context.Context, time.Duration) (float64, error) { return 4, nil }
	o.TestingBEmptyOp = func(time.Duration) (float64, error) { return 0.5, nil }
	return o, log
}

// figures reads a harness file back: its configuration and each
// figure's values by name, in file order.
func figures(t *testing.T, path string) (cfg map[string]string, names []string, vals map[string][]map[string]float64) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg, vals = map[string]string{}, map[string][]map[string]float64{}
	rd := benchfmt.NewReader(f, path)
	for rd.Scan() {
		res, ok := rd.Result().(*benchfmt.Result)
		if !ok {
			t.Fatalf("%v", rd.Result())
		}
		for _, c := range res.Config {
			cfg[c.Key] = string(c.Value)
		}
		name := string(res.Name)
		if _, ok, err := results.ParseHarnessFigure(name); !ok || err != nil {
			t.Fatalf("%s: not a harness figure (%v)", name, err)
		}
		m := map[string]float64{}
		for _, v := range res.Values {
			m[v.Unit] = v.Value
		}
		names = append(names, name)
		vals[name] = append(vals[name], m)
	}
	if err := rd.Err(); err != nil {
		t.Fatal(err)
	}
	return cfg, names, vals
}

// TestRunInterleavesAndWrites runs every measure with fake tools and
// checks the order of the calls (the tools alternate within each
// round, parbench first in odd rounds, Go's tool first in even ones),
// the file (every figure each round, each ratio the quotient of its
// round's two figures) and the summary.
func TestRunInterleavesAndWrites(t *testing.T) {
	o, log := fakeOptions(t)
	var empty []string
	o.RunnerEmptyOp = func(context.Context, time.Duration) (float64, error) {
		empty = append(empty, "runner")
		return 4, nil
	}
	o.TestingBEmptyOp = func(time.Duration) (float64, error) {
		empty = append(empty, "testing-b")
		return 0.5, nil
	}
	sum, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(empty, ", "), "runner, testing-b, testing-b, runner"; got != want {
		t.Errorf("empty-op calls: %s, want %s", got, want)
	}
	calls, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, l := range strings.Split(strings.TrimSpace(string(calls)), "\n") {
		f := strings.Fields(l)
		tool := f[0]
		if tool == "parbench" {
			tool += " " + f[1]
		}
		if len(f) > 1 && strings.Contains(f[len(f)-1], "3x") {
			tool += " 3x"
		}
		order = append(order, tool)
	}
	want := []string{
		"parbench run", "gotest", "gotest", "parbench run", // precision, 2 rounds
		"parbench report", "benchstat", // warm-up
		"parbench report", "benchstat", "parbench report 3x", "benchstat 3x", // round 1
		"benchstat", "parbench report", "benchstat 3x", "parbench report 3x", // round 2
	}
	if strings.Join(order, ", ") != strings.Join(want, ", ") {
		t.Errorf("calls:\n%s\nwant:\n%s", strings.Join(order, ", "), strings.Join(want, ", "))
	}

	cfg, names, vals := figures(t, o.Out)
	if cfg[results.KeyHarness] == "" || cfg[results.KeyGOOS] != runtime.GOOS {
		t.Errorf("configuration %v lacks the harness key or the machine", cfg)
	}
	count := map[string]int{}
	for _, n := range names {
		count[n]++
	}
	for name, n := range map[string]int{
		"Harness/empty-op/tool=runner":                           2,
		"Harness/empty-op/tool=runner/vs=testing-b":              2,
		"Harness/precision/cpu/sha256/tool=parbench-1":           2,
		"Harness/precision/cpu/mandelbrot/tool=go-test-2":        2,
		"Harness/precision/tool=parbench":                        2,
		"Harness/precision/tool=parbench/vs=go-test":             2,
		"Harness/report/reference-3x/tool=benchstat":             2,
		"Harness/report/reference/tool=parbench/vs=benchstat":    2,
		"Harness/report/reference-3x/tool=parbench/vs=benchstat": 2,
	} {
		if count[name] != n {
			t.Errorf("%s: %d lines, want %d", name, count[name], n)
		}
	}
	if got := len(names); got != 2*(3+(8+3)+2*3) {
		t.Errorf("%d figures, want %d", got, 2*(3+(8+3)+2*3))
	}
	for r := range 2 {
		if got := vals["Harness/empty-op/tool=runner/vs=testing-b"][r][results.UnitRatio]; got != 8 {
			t.Errorf("round %d: empty-op ratio %v, want 4/0.5", r, got)
		}
		a := vals["Harness/precision/tool=parbench"][r]
		b := vals["Harness/precision/tool=go-test"][r]
		if got, want := vals["Harness/precision/tool=parbench/vs=go-test"][r][results.UnitRatio], a[results.UnitPrecision]/b[results.UnitPrecision]; math.Abs(got/want-1) > 1e-9 {
			t.Errorf("round %d: precision ratio %v, want %v", r, got, want)
		}
		if got, want := a[results.UnitPrecision], a[results.UnitCIPct]*math.Sqrt(a[results.UnitWallSec]); math.Abs(got/want-1) > 1e-9 {
			t.Errorf("round %d: parbench's ±·√wall %v, want %v", r, got, want)
		}
		if a[results.UnitCIPct] <= 0 || a[results.UnitWallSec] <= 0 {
			t.Errorf("round %d: parbench's figures %v", r, a)
		}
	}

	if len(sum.Rows) != 1+3+2 || len(sum.Points) != 4 {
		t.Errorf("summary: %d rows and %d points, want 6 and 4", len(sum.Rows), len(sum.Points))
	}
	if r := sum.Rows[0].Ratio(); r.Median != 8 || r.N != 2 {
		t.Errorf("empty-op ratio %+v, want 8 over 2 rounds", r)
	}
	ref, _ := os.ReadFile(o.Reference)
	if n := bytes.Count(ref, []byte("\n")); sum.Lines["reference"] != n || sum.Lines["reference-3x"] != 3*n {
		t.Errorf("lines %v, want %d and 3x", sum.Lines, n)
	}
	var tab bytes.Buffer
	if err := sum.Table(&tab); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"empty op", "8x", "precision ±·√wall", "go test", "report reference-3x", "cpu/mandelbrot P2"} {
		if !strings.Contains(tab.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, tab.String())
		}
	}
}

// TestRunFailures checks that a tool's failure stops the run with its
// message, and that a point measured fewer times than asked is an
// error, not a figure.
func TestRunFailures(t *testing.T) {
	t.Run("parbench fails", func(t *testing.T) {
		o, log := fakeOptions(t)
		o.Measures = []string{results.HarnessPrecision}
		o.Parbench = script(t, o.Dir, "parbench", log, "echo 'parbench: boom' >&2; exit 3")
		_, err := Run(context.Background(), o)
		if err == nil || !strings.Contains(err.Error(), "parbench: boom") {
			t.Errorf("Run = %v, want parbench's message", err)
		}
	})
	t.Run("too few samples", func(t *testing.T) {
		o, _ := fakeOptions(t)
		o.Measures = []string{results.HarnessPrecision}
		o.Count = 12 // the fixtures have 10
		_, err := Run(context.Background(), o)
		if err == nil || !strings.Contains(err.Error(), "10 times, want 12") {
			t.Errorf("Run = %v, want the missing samples named", err)
		}
	})
	t.Run("empty op fails", func(t *testing.T) {
		o, _ := fakeOptions(t)
		o.Measures = []string{results.HarnessEmptyOp}
		o.TestingBEmptyOp = func(time.Duration) (float64, error) { return 0, errors.New("no benchtime") }
		_, err := Run(context.Background(), o)
		if err == nil || !strings.Contains(err.Error(), "testing.B's empty op: no benchtime") {
			t.Errorf("Run = %v", err)
		}
	})
	t.Run("test binary fails", func(t *testing.T) {
		o, log := fakeOptions(t)
		o.Measures = []string{results.HarnessPrecision}
		o.GoTest = script(t, o.Dir, "gotest", log, "echo '--- FAIL: BenchmarkCPU/sha256'; echo '    boom'; exit 1")
		_, err := Run(context.Background(), o)
		if err == nil || !strings.Contains(err.Error(), "--- FAIL: BenchmarkCPU/sha256") {
			t.Errorf("Run = %v, want the test binary's standard output", err)
		}
	})
	t.Run("no go", func(t *testing.T) {
		o, _ := fakeOptions(t)
		o.GoTest = ""
		t.Setenv("PATH", t.TempDir())
		if _, err := Run(context.Background(), o); !errors.Is(err, ErrNoGo) {
			t.Errorf("Run without go = %v, want ErrNoGo", err)
		}
		if _, err := os.Stat(o.Out); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("Run that measured nothing left %s (%v)", o.Out, err)
		}
	})
	// A bad --out or --reference fails before anything is built: here
	// building would fail (no go on PATH) with another error.
	t.Run("bad reference", func(t *testing.T) {
		o, _ := fakeOptions(t)
		o.GoTest, o.Benchstat = "", ""
		o.Reference = "no/such.txt"
		t.Setenv("PATH", t.TempDir())
		if _, err := Run(context.Background(), o); !errors.Is(err, ErrReference) || !errors.Is(err, os.ErrNotExist) {
			t.Errorf("Run with a missing reference = %v, want ErrReference and ErrNotExist", err)
		}
	})
	t.Run("exists", func(t *testing.T) {
		o, _ := fakeOptions(t)
		o.GoTest, o.Benchstat = "", ""
		if err := os.MkdirAll(filepath.Dir(o.Out), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(o.Out, []byte("mine\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		path := os.Getenv("PATH")
		t.Setenv("PATH", t.TempDir())
		if _, err := Run(context.Background(), o); !errors.Is(err, os.ErrExist) {
			t.Errorf("Run over a file = %v, want ErrExist", err)
		}
		if b, _ := os.ReadFile(o.Out); string(b) != "mine\n" {
			t.Errorf("Run over a file changed it: %q", b)
		}
		t.Setenv("PATH", path)
		o.Measures = []string{results.HarnessEmptyOp}
		o.Force = true
		if _, err := Run(context.Background(), o); err != nil {
			t.Errorf("Run --force = %v", err)
		}
	})
}

func TestFindModule(t *testing.T) {
	root, err := FindModule(".")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, ReferenceFile)); err != nil {
		t.Errorf("module root %s lacks the reference file: %v", root, err)
	}
	other := t.TempDir()
	if err := os.WriteFile(filepath.Join(other, "go.mod"), []byte("module example.com/x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(other, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := FindModule(filepath.Join(other, "sub")); err == nil || !strings.Contains(err.Error(), `"example.com/x"`) {
		t.Errorf("FindModule in another module = %v", err)
	}
}

// TestTable checks the table against testdata/table.golden (-update
// rewrites it) on a summary made by hand.
func TestTable(t *testing.T) {
	o := DefaultOptions()
	s := &Summary{Options: o, Lines: map[string]int{"reference": 4927, "reference-20x": 98540},
		Elapsed: 107 * time.Second, Builds: 2300 * time.Millisecond}
	s.Rows = []Row{
		{Measure: results.HarnessEmptyOp, Label: "empty op", Tool: results.ToolRunner, Vs: results.ToolTestingB, Unit: "ns",
			A: []float64{6.4, 6.1, 6.9}, B: []float64{0.55, 0.6, 0.5}},
		{Measure: results.HarnessPrecision, Label: "precision ±·√wall", Tool: results.ToolParbench, Vs: results.ToolGoTest, Unit: "%·√s",
			A: []float64{10.2, 9.5, 11}, B: []float64{6.5, 6, math.NaN()}},
		{Measure: results.HarnessPrecision, Label: "± (median of the points)", Detail: true, Tool: results.ToolParbench, Vs: results.ToolGoTest, Unit: "%",
			A: []float64{3.5, 3.2, 3.8}, B: []float64{2, 1.8, math.NaN()}},
		{Measure: results.HarnessReport, Label: "report reference-20x", Subject: "reference-20x", Tool: results.ToolParbench, Vs: results.ToolBenchstat, Unit: "s",
			A: []float64{9.1}, B: []float64{1.02}},
	}
	s.Points = []PointRow{{Key: Key{"cpu/sha256", 2}, SpreadA: []float64{3, 4}, SpreadB: []float64{1, 2},
		SecA: []float64{1.9e-6, 2e-6}, SecB: []float64{1.9e-6, 1.9e-6}}}
	var b bytes.Buffer
	if err := s.Table(&b); err != nil {
		t.Fatal(err)
	}
	golden := "testdata/table.golden"
	if *update {
		if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if b.String() != string(want) {
		t.Errorf("table:\n%s\nwant (%s; -update rewrites it):\n%s", b.String(), golden, want)
	}
}
