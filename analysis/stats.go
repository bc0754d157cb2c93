package analysis

import (
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"

	"github.com/montanaflynn/stats"
	"golang.org/x/perf/benchmath"
)

// newRand returns the bootstrap's generator for one named computation.
// Seeding by name, not by call order, keeps a group's numbers the same
// whatever else the files hold or the filter drops.
func newRand(seed uint64, name string) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(name))
	return rand.New(rand.NewPCG(seed, h.Sum64()))
}

// median returns the median of xs (NaN for none).
func median(xs []float64) float64 {
	m, err := stats.Median(xs)
	if err != nil {
		return math.NaN()
	}
	return m
}

// medianInPlace returns the median of xs, sorting xs: for the
// bootstrap's own resample buffers, where stats.Median's copy and NaN
// scan would cost more than the sort (NaN for none).
func medianInPlace(xs []float64) float64 {
	n := len(xs)
	if n == 0 {
		return math.NaN()
	}
	slices.Sort(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

// resample fills dst with len(src) draws from src with replacement.
// (stats.Sample draws from the global source, which would make the
// report differ from run to run.)
func resample(rng *rand.Rand, dst, src []float64) []float64 {
	dst = dst[:0]
	for range src {
		dst = append(dst, src[rng.IntN(len(src))])
	}
	return dst
}

// interval turns bootstrap replicates into an Estimate of value: the
// percentile interval at confidence c and the replicates' standard
// deviation as standard error.
func interval(value float64, reps []float64, c float64) Estimate {
	e := Estimate{Value: value, Lo: math.NaN(), Hi: math.NaN(), SE: math.NaN()}
	var ok []float64
	for _, r := range reps {
		if !math.IsNaN(r) {
			ok = append(ok, r)
		}
	}
	if len(ok) < 2 {
		return e
	}
	sort.Float64s(ok)
	e.Lo, _ = stats.Percentile(ok, 100*(1-c)/2)
	e.Hi, _ = stats.Percentile(ok, 100*(1+c)/2)
	if sd, err := stats.StandardDeviationSample(ok); err == nil && !math.IsInf(sd, 0) {
		e.SE = sd
	}
	return e
}

// summarize returns the median of xs with benchmath's order-statistic
// confidence interval.
func summarize(xs []float64, c float64, t *benchmath.Thresholds) Estimate {
	s := benchmath.AssumeNothing.Summary(benchmath.NewSample(xs, t), c)
	return Estimate{Value: s.Center, Lo: s.Lo, Hi: s.Hi, SE: math.NaN()}
}

// ratio estimates median(base)/median(pt), the speedup of pt over base,
// with a bootstrap interval (both samples resampled independently).
func ratio(rng *rand.Rand, base, pt []float64, n int, c float64) Estimate {
	value := median(base) / median(pt)
	reps := make([]float64, n)
	var bb, pp []float64
	for i := range reps {
		bb = resample(rng, bb, base)
		pp = resample(rng, pp, pt)
		reps[i] = medianInPlace(bb) / medianInPlace(pp)
	}
	return interval(value, reps, c)
}

// compare returns the Mann-Whitney U p-value of base against pt.
func compare(base, pt []float64, t *benchmath.Thresholds) float64 {
	c := benchmath.AssumeNothing.Compare(benchmath.NewSample(base, t), benchmath.NewSample(pt, t))
	return c.P
}

// pBeyond is the one-sided Mann-Whitney p-value that pt is more than
// bound times faster than base: base's times scaled down by bound against
// pt's. speedup is pt's measured speedup over base, which gives the
// direction (see oneSided).
func pBeyond(base, pt []float64, bound, speedup float64, t *benchmath.Thresholds) float64 {
	scaled := make([]float64, len(base))
	for i, x := range base {
		scaled[i] = x / bound
	}
	return oneSided(compare(scaled, pt, t), speedup > bound)
}

// oneSided turns a two-sided p-value into the one-sided p-value of the
// direction a claim states: half of it when the data lie in that
// direction, else 1 minus half. A claim of one direction (a slowdown, a
// speedup beyond a bound) must not gain from data in the other.
func oneSided(p float64, rightWay bool) float64 {
	if math.IsNaN(p) {
		return p
	}
	if rightWay {
		return p / 2
	}
	return 1 - p/2
}

// fmtAdjusted formats an adjusted p-value after its raw one:
// "0.014" or "<0.001".
func fmtAdjusted(p float64) string {
	return strings.TrimPrefix(strings.TrimPrefix(fmtP(p), "p="), "p")
}

// minP is the smallest two-sided p-value a Mann-Whitney U test of n1
// against n2 samples can give: 2 / C(n1+n2, n1). Below alpha's reach
// no difference, however large, is significant.
func minP(n1, n2 int) float64 {
	if n1 == 0 || n2 == 0 {
		return 1
	}
	lg := func(x int) float64 { v, _ := math.Lgamma(float64(x) + 1); return v }
	return math.Min(1, 2*math.Exp(lg(n1)+lg(n2)-lg(n1+n2)))
}
