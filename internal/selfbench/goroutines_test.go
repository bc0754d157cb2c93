package selfbench

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/parbench/parbench/results"
	"github.com/parbench/parbench/workloads"
)

// TestGoroutinesMeasure runs the goroutines measure with a fake
// parbench (its file: 10,000 goroutines at 0.8µs an op, 100,000 at
// 0.5µs) and checks the call (the points, no lock, the sample timeout
// that lets 100,000 goroutines do their 100 ops), each round's figures
// and ratio in the file, and the summary read back.
func TestGoroutinesMeasure(t *testing.T) {
	o, log := fakeOptions(t)
	o.Measures = []string{results.HarnessGoroutines}
	o.ManyProcs = []int{2} // the fixture's
	fixture, err := os.ReadFile("testdata/parbench-goroutines.txt")
	if err != nil {
		t.Fatal(err)
	}
	fix := o.Dir + "/goroutines.txt"
	if err := os.WriteFile(fix, fixture, 0o644); err != nil {
		t.Fatal(err)
	}
	o.Parbench = script(t, o.Dir, "parbench", log, fmt.Sprintf(`while [ $# -gt 0 ]; do [ "$1" = --out ] && cp %q "$2"; shift; done`, fix))
	sum, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	calls, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(calls)), "\n")
	if len(lines) != o.Rounds {
		t.Errorf("%d parbench runs, want one a round (%d): %q", len(lines), o.Rounds, lines)
	}
	for _, want := range []string{"run ", "--workloads io/sleep", "--lock none", "--procs 2", "--goroutines 10000,100000", "--count 1"} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("call %q lacks %q", lines[0], want)
		}
	}
	_, _, vals := figures(t, o.Out)
	for name, want := range map[string]map[string]float64{
		"Harness/goroutines/10000-goroutines/tool=parbench-2":             {workloads.UnitRate: 1.25e6, results.UnitBytesPerGoroutine: 2150, "parallelism": 1.88},
		"Harness/goroutines/100000-goroutines/tool=parbench-2":            {workloads.UnitRate: 2e6, results.UnitBytesPerGoroutine: 2280},
		"Harness/goroutines/100000-over-10000-goroutines/tool=parbench-2": {results.UnitRatio: 1.6},
	} {
		if len(vals[name]) != o.Rounds {
			t.Errorf("%s: %d lines, want %d", name, len(vals[name]), o.Rounds)
			continue
		}
		for u, v := range want {
			if got := vals[name][0][u]; math.Abs(got/v-1) > 1e-9 {
				t.Errorf("%s: %v %s, want %v", name, got, u, v)
			}
		}
	}
	if len(sum.Goroutines) != 1 {
		t.Fatalf("summary: %d goroutines rows, want 1", len(sum.Goroutines))
	}
	r := sum.Goroutines[0]
	if r.Procs != 2 || fmt.Sprint(r.Goroutines) != "[10000 100000]" || Summarize(r.Ratio).Median != 1.6 || Summarize(r.Ops[1]).Median != 2e6 || Summarize(r.Bytes[0]).Median != 2150 {
		t.Errorf("summary row %+v", r)
	}
	var tab bytes.Buffer
	if err := sum.Table(&tab); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"GOMAXPROCS 2", "100000 goroutines: 2e+06 ops/s, 2280 B/goroutine", "100000 over 10000 goroutines, round by round: 1.6x"} {
		if !strings.Contains(tab.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, tab.String())
		}
	}

	// A run whose file lacks a point is an error, not a figure.
	o.Force = true
	o.ManyGoroutines = []int{10_000, 1_000_000}
	if _, err := Run(context.Background(), o); err == nil || !strings.Contains(err.Error(), "no io/sleep at 1000000 goroutines") {
		t.Errorf("a missing point: %v, want an error naming it", err)
	}
}

// TestGoroutinesOptions: fewer than two goroutine counts, or none of
// the procs, is refused before anything runs.
func TestGoroutinesOptions(t *testing.T) {
	for _, c := range []struct{ gs, ps []int }{{[]int{10_000}, []int{2}}, {[]int{0, 10}, []int{2}}, {[]int{10, 100}, nil}} {
		o, _ := fakeOptions(t)
		o.Measures = []string{results.HarnessGoroutines}
		o.ManyGoroutines, o.ManyProcs = c.gs, c.ps
		if _, err := Run(context.Background(), o); err == nil || !strings.Contains(err.Error(), "want at least two goroutine counts") {
			t.Errorf("goroutines %v, procs %v: %v", c.gs, c.ps, err)
		}
	}
}
