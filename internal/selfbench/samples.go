package selfbench

import (
	"fmt"
	"io"
	"math"
	"slices"

	"golang.org/x/perf/benchfmt"

	"github.com/parbench/parbench/bench"
	"github.com/parbench/parbench/results"
)

// Key is one point of the precision measure: a workload at one
// GOMAXPROCS. parbench names it CPU/sha256/lock=none/goroutines=2-2,
// go test CPU/sha256-2; both read as Key{"cpu/sha256", 2}.
type Key struct {
	Workload string
	Procs    int
}

func (k Key) String() string { return fmt.Sprintf("%s P%d", k.Workload, k.Procs) }

// ReadSamples reads Go benchmark results, a `parbench run` file or `go
// test -bench` output, and returns each point's sec/op values (go
// test's ns/op read as sec/op) in the order they were written. A name
// without a -N suffix is GOMAXPROCS 1, as go test writes it. Results
// without sec/op are skipped; a malformed line or name is an error
// naming file and line.
func ReadSamples(r io.Reader, file string) (map[Key][]float64, error) {
	out := map[Key][]float64{}
	err := scanResults(r, file, func(p results.Point, rec *benchfmt.Result) {
		if v, ok := rec.Value("sec/op"); ok {
			k := Key{Workload: p.Workload, Procs: max(p.Procs, 1)}
			out[k] = append(out[k], v)
		}
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// scanResults calls fn with each result of a results file and its
// point; a line that is not a result, or a name that is not a point's,
// is an error naming file and line.
func scanResults(r io.Reader, file string, fn func(results.Point, *benchfmt.Result)) error {
	rd := benchfmt.NewReader(results.NewLineReader(r), file)
	for rd.Scan() {
		switch rec := rd.Result().(type) {
		case *benchfmt.SyntaxError:
			return rec
		case *benchfmt.Result:
			p, err := results.ParseName(string(rec.Name))
			if err != nil {
				f, line := rec.Pos()
				return fmt.Errorf("%s:%d: %w", f, line, err)
			}
			fn(p, rec)
		}
	}
	if err := rd.Err(); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	return nil
}

// Spread is benchstat's ± of xs in percent, unrounded:
// 100*bench.CIHalfWidth, the 95% interval of the median that assumes
// nothing about the distribution, its larger side over the median. It
// is +Inf when xs has too few values for that interval (fewer than
// MinCount) and NaN when xs is empty.
func Spread(xs []float64) float64 { return 100 * bench.CIHalfWidth(xs) }

// Precision is ±·√wall: the median over the points of their Spread,
// times the square root of the wall time in seconds the tool took to
// measure all of them. Since an interval narrows as the square root of
// the samples, this is the ± the tool would reach in one second; the
// square of two tools' ratio is how much more wall time one needs for
// the same interval.
func Precision(spreads []float64, wallSec float64) float64 {
	return Median(spreads) * math.Sqrt(wallSec)
}

// Median is the median of xs (the mean of the middle two for an even
// count); NaN for none. NaN values sort first (slices.Sort's order), so
// a caller should leave them out.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// Range is a figure over the rounds: the median and the extremes.
type Range struct {
	Median, Min, Max float64
	N                int // the finite values it is of
}

// Summarize returns the Range of the finite values of xs; N 0 (and NaN
// figures) for none.
func Summarize(xs []float64) Range {
	fin := slices.DeleteFunc(slices.Clone(xs), func(x float64) bool { return !finite(x) })
	if len(fin) == 0 {
		return Range{Median: math.NaN(), Min: math.NaN(), Max: math.NaN()}
	}
	return Range{Median: Median(fin), Min: slices.Min(fin), Max: slices.Max(fin), N: len(fin)}
}

// Ratios returns a[i]/b[i] for each round i where both are finite and
// b[i] is not zero; NaN where not. a and b must be of one length.
func Ratios(a, b []float64) []float64 {
	out := make([]float64, len(a))
	for i := range a {
		out[i] = math.NaN()
		if i < len(b) && finite(a[i]) && finite(b[i]) && b[i] != 0 {
			out[i] = a[i] / b[i]
		}
	}
	return out
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
