package selfbench

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"golang.org/x/perf/benchmath"

	"github.com/parbench/parbench/workloads"
)

// keys are the precision points, as both tools' output names them.
func keys() []Key {
	var ks []Key
	o := DefaultOptions()
	for _, w := range o.Workloads {
		for _, p := range o.Procs {
			ks = append(ks, Key{w, p})
		}
	}
	return ks
}

// TestReadSamplesBothTools reads a real `parbench run` file and real go
// test output of the precision points: the same four points, ten
// samples each, in seconds (go test's ns/op scaled), a name without
// -N read as GOMAXPROCS 1.
func TestReadSamplesBothTools(t *testing.T) {
	for _, file := range []string{"testdata/parbench-run.txt", "testdata/go-test.txt"} {
		t.Run(file, func(t *testing.T) {
			f, err := os.Open(file)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			got, err := ReadSamples(f, file)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(keys()) {
				t.Errorf("%d points %v, want %d", len(got), got, len(keys()))
			}
			for _, k := range keys() {
				xs := got[k]
				if len(xs) != 10 {
					t.Errorf("%s: %d samples, want 10", k, len(xs))
				}
				// sha256 takes microseconds, mandelbrot a fifth of a
				// millisecond: seconds, not nanoseconds.
				for _, x := range xs {
					if x < 1e-7 || x > 1e-2 {
						t.Errorf("%s: %g sec/op, not in seconds", k, x)
						break
					}
				}
			}
		})
	}
}

func TestReadSamplesLines(t *testing.T) {
	in := `pkg: x
BenchmarkCPU/sha256 100 2000 ns/op
BenchmarkCPU/sha256-2 100 1000 ns/op 5 B/op
BenchmarkCPU/sha256/lock=none/goroutines=2-2 100 1e-06 sec/op
BenchmarkOther 10 5 B/op
PASS
`
	got, err := ReadSamples(strings.NewReader(in), "in")
	if err != nil {
		t.Fatal(err)
	}
	want := map[Key][]float64{{"cpu/sha256", 1}: {2e-6}, {"cpu/sha256", 2}: {1e-6, 1e-6}}
	same := len(got) == len(want)
	for k, xs := range want {
		same = same && len(got[k]) == len(xs)
		for i := range xs {
			same = same && i < len(got[k]) && math.Abs(got[k][i]/xs[i]-1) < 1e-9
		}
	}
	if !same {
		t.Errorf("ReadSamples = %v, want %v", got, want)
	}
	for _, bad := range []string{
		"BenchmarkCPU/sha256 100 x ns/op\n",
		"BenchmarkCPU//sha256 100 1 ns/op\n",
	} {
		_, err := ReadSamples(strings.NewReader("pkg: x\n"+bad), "bad.txt")
		if err == nil || !strings.Contains(err.Error(), "bad.txt:2") {
			t.Errorf("ReadSamples(%q) = %v, want an error at bad.txt:2", bad, err)
		}
	}
}

// FuzzReadSamples checks that ReadSamples never panics, and that what
// it returns is one value per sec/op result of a point it names.
func FuzzReadSamples(f *testing.F) {
	for _, file := range []string{"testdata/parbench-run.txt", "testdata/go-test.txt"} {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Add("BenchmarkA-0 1 1 ns/op\nBenchmarkA/b=c/d 1 1 ns/op\nBenchmark 1 1 sec/op\n")
	f.Fuzz(func(t *testing.T, in string) {
		got, err := ReadSamples(strings.NewReader(in), "in")
		if err != nil {
			return
		}
		n := 0
		for k, xs := range got {
			if k.Procs < 1 || k.Workload == "" || len(xs) == 0 {
				t.Fatalf("point %+v with %d values", k, len(xs))
			}
			n += len(xs)
		}
		if lines := strings.Count(in, "Benchmark"); n > lines {
			t.Fatalf("%d values from %d result lines at most", n, lines)
		}
	})
}

// TestSpreadIsBenchstats checks Spread against benchstat's own
// rendering of its ± on random samples of many shapes.
func TestSpreadIsBenchstats(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 500 {
		n := 6 + r.IntN(30)
		xs := make([]float64, n)
		for j := range xs {
			xs[j] = 1 + r.ExpFloat64()*float64(i%7)/10
		}
		want := benchmath.AssumeNothing.Summary(benchmath.NewSample(xs, &benchmath.DefaultThresholds), 0.95).PctRangeString()
		if got := fmt.Sprintf("%.0f%%", Spread(xs)); got != want {
			t.Fatalf("Spread(%v) = %s, benchstat %s", xs, got, want)
		}
	}
	if got := Spread(make([]float64, MinCount-1)); !math.IsInf(got, 1) {
		t.Errorf("Spread of %d values = %v, want +Inf (benchstat's ± ∞)", MinCount-1, got)
	}
}

// TestPrecisionPerSecond checks what ±·√wall is for: a tool that
// halves its ± by taking four times the wall time scores the same, and
// a tool twice as precise in the same time scores half.
func TestPrecisionPerSecond(t *testing.T) {
	a := Precision([]float64{4, 2, 9}, 10)
	if b := Precision([]float64{2, 1, 4.5}, 40); math.Abs(a/b-1) > 1e-12 {
		t.Errorf("4x the wall for half the ±: %v, want %v", b, a)
	}
	if b := Precision([]float64{2, 1, 4.5}, 10); math.Abs(a/b-2) > 1e-12 {
		t.Errorf("half the ± in the same time: %v, want %v", b, a/2)
	}
	if got := Precision([]float64{3, 1, 100, 4}, 4); got != 7 { // median 3.5, √4
		t.Errorf("Precision = %v, want 7", got)
	}
}

func TestSummarizeAndRatios(t *testing.T) {
	r := Ratios([]float64{2, 3, math.NaN(), 4, 1}, []float64{1, 0, 1, math.Inf(1), 4})
	if fmt.Sprint(r) != "[2 NaN NaN NaN 0.25]" {
		t.Errorf("Ratios = %v", r)
	}
	if got := Summarize(r); got != (Range{Median: (2 + 0.25) / 2, Min: 0.25, Max: 2, N: 2}) {
		t.Errorf("Summarize = %+v", got)
	}
	if got := Summarize([]float64{math.NaN()}); got.N != 0 || !math.IsNaN(got.Median) {
		t.Errorf("Summarize(NaN) = %+v, want none", got)
	}
	if got := Summarize([]float64{3, 1, 2}); got != (Range{2, 1, 3, 3}) {
		t.Errorf("Summarize = %+v", got)
	}
}

// TestBenchRegexp checks that the pattern selects the precision points'
// benchmarks and nothing else, level by level as go test matches it,
// and that each point is a registered workload (so a rename breaks this
// test, not make bench-harness).
func TestBenchRegexp(t *testing.T) {
	ws := DefaultOptions().Workloads
	re, err := BenchRegexp(ws)
	if err != nil {
		t.Fatal(err)
	}
	if want := `^BenchmarkCPU$/^(sha256|mandelbrot)$`; re != want {
		t.Errorf("BenchRegexp = %q, want %q", re, want)
	}
	for _, w := range ws {
		if _, err := workloads.Lookup(w); err != nil {
			t.Errorf("precision workload %s: %v", w, err)
		}
	}
	for _, bad := range [][]string{nil, {"cpu/sha256", "io/sleep"}, {"mixed"}} {
		if _, err := BenchRegexp(bad); err == nil {
			t.Errorf("BenchRegexp(%q) = nil error", bad)
		}
	}
}

func TestLookMeasures(t *testing.T) {
	if got, err := LookMeasures("report, empty-op,report"); err != nil || fmt.Sprint(got) != "[report empty-op]" {
		t.Errorf("LookMeasures = %v, %v", got, err)
	}
	if got, err := LookMeasures("all"); err != nil || len(got) != 4 {
		t.Errorf("LookMeasures(all) = %v, %v", got, err)
	}
	if _, err := LookMeasures("speed"); err == nil || !strings.Contains(err.Error(), "valid: empty-op, precision, report, goroutines") {
		t.Errorf("LookMeasures(speed) = %v, want the valid ones named", err)
	}
}
