package analysis

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/parbench/parbench/results"
)

// rounds returns one figure's values for one side.
func rounds(behaviour, figure, impl, unit string, xs ...float64) []FigureValue {
	var out []FigureValue
	for _, x := range xs {
		out = append(out, FigureValue{Figure: results.Figure{Behaviour: behaviour, Figure: figure, Python: "3.11.7", Impl: impl}, Value: x, Unit: unit})
	}
	return out
}

func TestCalibrationMatch(t *testing.T) {
	for _, c := range []struct {
		name      string
		figure    string
		cpy, pb   []float64
		want      Match
		tolerance float64 // NaN: not judged
	}{
		// parbench 4% off, CPython's spread 2%: within the 10% floor.
		{"match", "speedup@2", []float64{0.86, 0.87, 0.88}, []float64{0.90, 0.91, 0.89}, Matches, 0.10},
		// parbench 15% off with CPython within 2%: a difference.
		{"mismatch", "speedup@2", []float64{0.86, 0.87, 0.88}, []float64{1.00, 0.99, 1.01}, Differs, 0.10},
		// 30% off, but CPython's own rounds spread 40%: a match within its noise.
		{"within spread", "tenure@5ms", []float64{4e-3, 5e-3, 6e-3}, []float64{6.5e-3, 6.5e-3, 6.5e-3}, Matches, 0.40},
		// CPython's rounds spread 100%: nothing can be told.
		{"noise", "tenure@5ms", []float64{2e-3, 5e-3, 7e-3}, []float64{5e-3, 5e-3, 5e-3}, Noisy, 1.0},
		// A p99 has a 25% floor: 20% off matches.
		{"p99 floor", "p99@cpu1", []float64{10e-3, 10e-3, 10e-3}, []float64{12e-3, 12e-3, 12e-3}, Matches, 0.25},
		// CPython's rounds spread 100%, but parbench is 20 times off: a
		// difference all the same, not noise.
		{"far past the noise", "p99@cpu1", []float64{2e-3, 4e-3, 6e-3}, []float64{80e-3, 80e-3, 80e-3}, Differs, 1.0},
		// One CPython round has no spread to judge by.
		{"one round", "speedup@2", []float64{0.86}, []float64{0.86, 0.87, 0.88}, MatchNone, math.NaN()},
		// Without parbench's rounds there is nothing to judge.
		{"one side", "p50-sleep0-only@cpu1", []float64{5e-3, 5e-3, 5e-3}, nil, MatchNone, math.NaN()},
	} {
		t.Run(c.name, func(t *testing.T) {
			vals := append(rounds("b", c.figure, results.ImplCPython, "x", c.cpy...), rounds("b", c.figure, results.ImplParbench, "x", c.pb...)...)
			cal := NewCalibration("f.txt", "", vals)
			if len(cal.Rows) != 1 {
				t.Fatalf("%d rows, want 1", len(cal.Rows))
			}
			r := cal.Rows[0]
			if r.Match != c.want {
				t.Errorf("match %v, want %v (diff %.3f, tolerance %.3f)", r.Match, c.want, r.Diff, r.Tolerance)
			}
			if math.IsNaN(c.tolerance) != math.IsNaN(r.Tolerance) || !math.IsNaN(c.tolerance) && math.Abs(r.Tolerance-c.tolerance) > 1e-9 {
				t.Errorf("tolerance %v, want %v", r.Tolerance, c.tolerance)
			}
		})
	}
}

func TestCalibrationTable(t *testing.T) {
	var vals []FigureValue
	vals = append(vals, rounds("cpu", "speedup@2", results.ImplCPython, "x", 0.86, 0.87, 0.88)...)
	vals = append(vals, rounds("cpu", "speedup@2", results.ImplParbench, "x", 0.98, 0.99, 0.97)...)
	vals = append(vals, rounds("cpu", "speedup@2", results.ImplModel, "x", 1, 1, 1)...)
	vals = append(vals, rounds("switch", "tenure@5ms", results.ImplCPython, "sec", 5.1e-3, 5.2e-3, 5.0e-3)...)
	vals = append(vals, rounds("switch", "tenure@5ms", results.ImplParbench, "sec", 5.2e-3, 5.2e-3, 5.3e-3)...)
	cal := NewCalibration("f.txt", "a machine", vals)
	if m, d, n, x := cal.Counts(); m != 1 || d != 1 || n != 0 || x != 0 {
		t.Errorf("counts %d %d %d %d, want 1 match and 1 difference", m, d, n, x)
	}
	var buf bytes.Buffer
	if err := cal.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"1 of 2 figures match CPython, 1 differ", "0.87x (0.86x to 0.88x)", "DIFFERS", "5.100ms (5.000ms to 5.200ms)", "1.00x  ", "±10% (floor)"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	// The rows keep the order the figures first appear in.
	if cal.Rows[0].Behaviour != "cpu" || cal.Rows[1].Behaviour != "switch" {
		t.Errorf("rows out of order: %s, %s", cal.Rows[0].Behaviour, cal.Rows[1].Behaviour)
	}
}

// A calibration file reads back into its table, its other lines are
// left alone (no groups), and a bad figure is a warning.
func TestReadCalibrationFile(t *testing.T) {
	const file = `calibrate: rounds=3
host: h
ncpu: 2
BenchmarkPython/cpu/threads=1-2 1000 2e-08 sec/op
BenchmarkCPU/sha256/lock=gil/goroutines=1-2 1000 2.4e-06 sec/op
BenchmarkCalibrate/cpu/figure=speedup@2/python=3.11.7/impl=cpython 1 0.87 x
BenchmarkCalibrate/cpu/figure=speedup@2/python=3.11.7/impl=parbench 1 0.98 x
BenchmarkCalibrate/cpu/figure=speedup@2/python=3.11.7/impl=pypy 1 0.98 x
`
	b, err := NewBuilder(DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Read(strings.NewReader(file), "cal.txt"); err != nil {
		t.Fatal(err)
	}
	rep, err := b.Report()
	if err != nil {
		t.Fatalf("Report: %v", err)
	}
	if len(rep.Groups) != 0 || len(rep.Calibrations) != 1 || len(rep.Calibrations[0].Rows) != 1 {
		t.Fatalf("%d groups, %d calibrations; want 0 and 1 of one row", len(rep.Groups), len(rep.Calibrations))
	}
	if len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0].Error(), "cal.txt:8") {
		t.Errorf("warnings %v, want one for the bad impl at cal.txt:8", rep.Warnings)
	}
}

// TestCalibrationNoise runs the table's rule on pure noise: many
// figures whose CPython and parbench rounds are drawn from one
// distribution, so every DIFFERS is false. With 3 rounds a side and
// rounds that spread 10-30%, about one figure in seven still differs
// (the package doc's "nine times in ten" within the range, less the
// floor's help); with 5 rounds, about one in forty. The README and
// `parbench calibrate -h` say so, and the bounds below hold the claim.
func TestCalibrationNoise(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	draw := func(cv float64, k int) []float64 {
		xs := make([]float64, k)
		for i := range xs {
			xs[i] = 1 + cv*rng.NormFloat64()
		}
		return xs
	}
	for _, c := range []struct {
		cv       float64
		rounds   int
		min, max float64 // the share of figures that read Differs
	}{
		{0.01, 3, 0, 0.005}, // under the 10% floor: no false difference
		{0.10, 3, 0.08, 0.18},
		{0.30, 3, 0.12, 0.22},
		{0.10, 5, 0, 0.05},
		{0.30, 5, 0, 0.05},
	} {
		const figures = 4000
		var vals []FigureValue
		for i := range figures {
			f := fmt.Sprintf("speedup@%d", i+1)
			vals = append(vals, rounds("noise", f, results.ImplCPython, "x", draw(c.cv, c.rounds)...)...)
			vals = append(vals, rounds("noise", f, results.ImplParbench, "x", draw(c.cv, c.rounds)...)...)
		}
		differs := 0
		for _, r := range NewCalibration("noise.txt", "", vals).Rows {
			if r.Match == Differs {
				differs++
			}
		}
		if share := float64(differs) / figures; share < c.min || share > c.max {
			t.Errorf("pure noise, rounds spread %.0f%%, %d rounds: %.1f%% of figures differ, want %.0f-%.0f%%",
				100*c.cv, c.rounds, 100*share, 100*c.min, 100*c.max)
		}
	}
}
