package selfbench

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/parbench/parbench/results"
	"github.com/parbench/parbench/workloads"
)

// TestGoroutinesMeasure runs the goroutines measure with a fake
// parbench (its file: 10,000 goroutines at 0.8µs an op, 100,000 at
// 0.5µs, 100 ops a goroutine each) and a fake plain program (1 and 1.5
// million ops/s), and checks the calls (the points, no lock; the plain
// program's op counts those of parbench's samples), each round's
// figures and ratios in the file, and the summary read back.
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
	// The plain program: 1 million ops/s at 10,000 goroutines, 1.5
	// million at 100,000.
	o.Plain = script(t, o.Dir, "plainsleep", log, `case "$2" in
10000) echo "BenchmarkIO/sleep/lock=none/goroutines=10000-$6 $2 1e-06 sec/op";;
*) echo "BenchmarkIO/sleep/lock=none/goroutines=$2-$6 $2 6.666666666666667e-07 sec/op";;
esac`)
	sum, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	calls, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	var lines, plainCalls []string
	for _, l := range strings.Split(strings.TrimSpace(string(calls)), "\n") {
		if strings.HasPrefix(l, "plainsleep ") {
			plainCalls = append(plainCalls, l)
		} else {
			lines = append(lines, l)
		}
	}
	if len(lines) != o.Rounds {
		t.Errorf("%d parbench runs, want one a round (%d): %q", len(lines), o.Rounds, lines)
	}
	// Each round, each point: the ops of parbench's sample, 100 a
	// goroutine, with io/sleep's default wait.
	if want := o.Rounds * 2; len(plainCalls) != want {
		t.Errorf("%d plain runs, want %d: %q", len(plainCalls), want, plainCalls)
	}
	for _, c := range plainCalls {
		if !strings.Contains(c, "-ops 100 -procs 2 -latency 1ms") {
			t.Errorf("plain run %q: want 100 ops each at GOMAXPROCS 2, 1ms", c)
		}
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
		"Harness/goroutines/10000-goroutines/tool=plain-go-2":             {workloads.UnitRate: 1e6, "sec/op": 1e-6},
		"Harness/goroutines/100000-over-10000-goroutines/tool=plain-go-2": {results.UnitRatio: 1.5},
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
	for _, want := range []string{"GOMAXPROCS 2", "100000 goroutines: 2e+06 ops/s, 2280 B/goroutine; plain Go 1.5e+06 ops/s, parbench over plain Go 1.33x",
		"100000 over 10000 goroutines, round by round: 1.6x (plain Go 1.5x; goal: at least 0.9x)"} {
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

// TestPlainSleep runs the plain program small: every op done, a rate
// no higher than the goroutines can sleep (each op waits at least its
// latency), and GOMAXPROCS as it was.
func TestPlainSleep(t *testing.T) {
	before := runtime.GOMAXPROCS(0)
	const g, each, latency = 50, 3, time.Millisecond
	rate := PlainSleep(g, each, 1, latency)
	if most := float64(g) / latency.Seconds(); !(rate > 0 && rate <= most) {
		t.Errorf("%d goroutines sleeping %v %d times: %v ops/s, want above 0 and at most %v", g, latency, each, rate, most)
	}
	if got := runtime.GOMAXPROCS(0); got != before {
		t.Errorf("GOMAXPROCS %d after, want %d", got, before)
	}
}

// TestPlainResult: the plainsleep command's line reads back as the
// point parbench names, with every op counted.
func TestPlainResult(t *testing.T) {
	line := PlainResult(40, 2, 1, time.Millisecond)
	pts, err := readPoints(strings.NewReader(line+"\n"), "plainsleep")
	if err != nil {
		t.Fatal(err)
	}
	name := results.Point{Workload: GoroutinesWorkload, Lock: "none", Goroutines: 40, Procs: 1}.Name()
	v, ok := pts[name]
	if !ok || v.iters != 80 || !(v.vals["sec/op"] > 0) {
		t.Errorf("%q read back as %v, want %s with 80 ops and a time per op", line, pts, name)
	}
}
