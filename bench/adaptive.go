package bench

import (
	"math"

	"golang.org/x/perf/benchmath"
)

// MinAdaptive is the fewest samples a point takes under Config.TargetCI:
// with fewer, the 95% confidence interval of a median that assumes
// nothing about the distribution is unbounded.
const MinAdaptive = 6

// CIHalfWidth returns the half-width of the 95% confidence interval of
// the median of xs, relative to the median: the "± x%" that benchstat
// prints, as a fraction. It is the distribution-free interval of
// benchmath.AssumeNothing (order statistics, no normality assumed), so
// it agrees with benchstat. It is +Inf when the interval is unbounded
// (fewer than 6 values) and NaN for no values.
func CIHalfWidth(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := benchmath.AssumeNothing.Summary(benchmath.NewSample(xs, &benchmath.DefaultThresholds), 0.95)
	if math.IsInf(s.Lo, 0) || math.IsInf(s.Hi, 0) || math.IsNaN(s.Lo) || math.IsNaN(s.Hi) {
		return math.Inf(1)
	}
	if s.Center == 0 {
		return 0
	}
	return math.Max(s.Hi/s.Center-1, 1-s.Lo/s.Center)
}

// CV returns the coefficient of variation of xs: the sample standard
// deviation over the mean. It is 0 for fewer than two values.
func CV(xs []float64) float64 {
	if len(xs) < 2 {
		return 0
	}
	var sum float64
	for _, x := range xs {
		sum += x
	}
	mean := sum / float64(len(xs))
	var ss float64
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	if mean == 0 {
		return 0
	}
	return math.Sqrt(ss/float64(len(xs)-1)) / math.Abs(mean)
}
