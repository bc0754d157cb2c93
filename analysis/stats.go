package analysis

import (
	"cmp"
	"hash/fnv"
	"math"
	"math/bits"
	"slices"
	"sort"
	"strings"

	"github.com/montanaflynn/stats"
	"golang.org/x/perf/benchmath"
)

// newRand returns the bootstrap's generator for one named computation.
// Seeding by name, not by call order, keeps a group's numbers the same
// whatever else the files hold or the filter drops.
func newRand(seed uint64, name string) *stream {
	h := fnv.New64a()
	h.Write([]byte(name))
	return &stream{hi: seed, lo: h.Sum64()}
}

// stream is the bootstrap's generator: math/rand/v2's PCG (PCG-DXSM,
// rand.NewPCG(seed1, seed2) starts at hi, lo = seed1, seed2), copied
// here so that the resampler's draws, most of a report's time, inline
// it rather than call it through rand.Rand and the rand.Source
// interface. Its numbers are rand.New(rand.NewPCG(seed1, seed2))'s:
// TestStream holds it to that.
type stream struct{ hi, lo uint64 }

// Uint64 advances the PCG and returns its next output (rand.PCG.Uint64).
func (s *stream) Uint64() uint64 {
	const (
		mulHi = 2549297995355413924
		mulLo = 4865540595714422341
		incHi = 6364136223846793005
		incLo = 1442695040888963407
	)
	// state = state * mul + inc
	hi, lo := bits.Mul64(s.lo, mulLo)
	hi += s.hi*mulLo + s.lo*mulHi
	lo, c := bits.Add64(lo, incLo, 0)
	hi, _ = bits.Add64(hi, incHi, c)
	s.lo, s.hi = lo, hi
	// DXSM, "double xorshift multiply"
	const cheapMul = 0xda942042e4dd58b5
	hi ^= hi >> 32
	hi *= cheapMul
	hi ^= hi >> 48
	hi *= lo | 1
	return hi
}

// median returns the median of xs (NaN for none).
func median(xs []float64) float64 {
	m, err := stats.Median(xs)
	if err != nil {
		return math.NaN()
	}
	return m
}

// resampler draws bootstrap resamples of one sample and returns their
// medians. A resample's median depends only on how many draws fall on
// each element of the sample, so it counts the draws per element and
// walks the counts in sorted order to the middle: O(n) a resample where
// building and sorting one is O(n log n), which made the report's time
// grow faster than its input. The draws are rand.Rand.IntN(n)'s
// one per element, in order, as resampling element by
// element draws them, and the median is the same element (or mean of
// the same two) that sorting the resample with slices.Sort picks, so
// the numbers do not change. TestResamplerMatchesSort holds it to that.
type resampler struct {
	sorted []float64 // the sample, in slices.Sort's order
	order  []int32   // order[k] is the index in the sample of sorted[k]
	counts []int32   // draws of each index in the current resample
}

// newResampler prepares src for resampling (src is not kept or changed).
func newResampler(src []float64) *resampler {
	n := len(src)
	r := &resampler{sorted: make([]float64, n), order: make([]int32, n), counts: make([]int32, n)}
	for i := range r.order {
		r.order[i] = int32(i)
	}
	// Equal elements may take either order: it does not change a median.
	slices.SortFunc(r.order, func(a, b int32) int { return cmp.Compare(src[a], src[b]) })
	for k, i := range r.order {
		r.sorted[k] = src[i]
	}
	return r
}

// median draws one resample of the sample with replacement and returns
// its median (NaN for an empty sample).
func (r *resampler) median(rng *stream) float64 {
	n := len(r.order)
	if n == 0 {
		return math.NaN()
	}
	counts := r.counts[:n]
	clear(counts)
	// rand.Rand.IntN(n) n times: math/rand/v2's uint64n, a mask for a
	// power of two, else Lemire's multiply-and-reject reduction (which
	// gives the same numbers on 32-bit machines, where uint64n takes
	// another path). Its path for the bound is chosen once, and the
	// generator's state kept in a local (in registers: no call in the
	// loop). TestResamplerMatchesSort holds the mask and multiply
	// paths to rand.Rand.IntN; the reject branch runs only for bounds
	// near 2^64, which no sample has.
	s := *rng
	u := uint64(n)
	if u&(u-1) == 0 {
		for range n {
			counts[s.Uint64()&(u-1)]++
		}
	} else {
		for range n {
			hi, lo := bits.Mul64(s.Uint64(), u)
			if lo < u { // rare: u in 2^64
				thresh := -u % u
				for lo < thresh {
					hi, lo = bits.Mul64(s.Uint64(), u)
				}
			}
			counts[hi]++
		}
	}
	*rng = s
	return r.countedMedian()
}

// countedMedian returns the median of the resample that r.counts
// holds, len(r.order) draws in all.
func (r *resampler) countedMedian() float64 {
	n := len(r.order)
	// The median is element n/2 of the sorted resample (0-based), or
	// the mean of elements n/2-1 and n/2 when n is even.
	half := n / 2
	seen := 0
	for k, i := range r.order {
		c := int(r.counts[i])
		seen += c
		if seen <= half {
			continue
		}
		if n%2 == 1 {
			return r.sorted[k]
		}
		lo := k // element n/2-1's place: k too, or the last drawn below
		if seen-c >= half {
			lo = r.prev(k)
		}
		return (r.sorted[lo] + r.sorted[k]) / 2
	}
	panic("unreachable: the counts sum to n")
}

// prev returns the nearest place in sorted order below k that was drawn.
func (r *resampler) prev(k int) int {
	for k--; r.counts[r.order[k]] == 0; k-- {
	}
	return k
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
func ratio(rng *stream, base, pt []float64, n int, c float64) Estimate {
	value := median(base) / median(pt)
	reps := make([]float64, n)
	bb, pp := newResampler(base), newResampler(pt)
	for i := range reps {
		// bb's draws before pp's: the generator's stream is part of
		// the report's numbers.
		b := bb.median(rng)
		reps[i] = b / pp.median(rng)
	}
	return interval(value, reps, c)
}

// speedup estimates median(base)/median(pt), the speedup of pt over
// base, with a bootstrap interval: paired (pairedRatio) when the two
// points share a round, else with both samples resampled independently
// (ratio). The rule depends only on how the samples were taken, never
// on the intervals: choosing the narrower of two intervals after
// seeing both would cover the truth less often than it says. It also
// returns the count of rounds paired, 0 for none.
func speedup(rng *stream, base, pt *Point, n int, c float64) (Estimate, int) {
	rs := pairRounds(base.seq, pt.seq)
	if len(rs.pb) == 0 {
		return ratio(rng, base.secs, pt.secs, n, c), 0
	}
	value := median(base.secs) / median(pt.secs)
	return pairedRatio(rng, value, base.seq, pt.seq, rs, n, c), len(rs.pb)
}

// pairing is how a paired bootstrap resamples two points' samples
// (indices into their seq): the rounds both were sampled in, as the
// pairs pb[k], pp[k], and the rest of each, sb and sp.
type pairing struct{ pb, pp, sb, sp []int32 }

// pairRounds pairs the samples of base and pt that share a round (see
// round); a sample of no round, or of a round the other point has no
// sample of, is left single.
func pairRounds(base, pt []roundSample) pairing {
	var rs pairing
	bi, pi := byRound(base), byRound(pt)
	for _, i := range bi {
		if base[i].round == 0 {
			rs.sb = append(rs.sb, i)
		}
	}
	for _, i := range pi {
		if pt[i].round == 0 {
			rs.sp = append(rs.sp, i)
		}
	}
	// Both lists of rounds ascend (byRound): merge them.
	bi, pi = bi[len(rs.sb):], pi[len(rs.sp):]
	for len(bi) > 0 && len(pi) > 0 {
		switch rb, rp := base[bi[0]].round, pt[pi[0]].round; {
		case rb == rp:
			rs.pb, rs.pp = append(rs.pb, bi[0]), append(rs.pp, pi[0])
			bi, pi = bi[1:], pi[1:]
		case rb < rp:
			rs.sb, bi = append(rs.sb, bi[0]), bi[1:]
		default:
			rs.sp, pi = append(rs.sp, pi[0]), pi[1:]
		}
	}
	rs.sb, rs.sp = append(rs.sb, bi...), append(rs.sp, pi...)
	return rs
}

// byRound returns the indices of xs in the order of their rounds (those
// of no round first), stable: the order read, which it already is but
// for files read in another order than their segments.
func byRound(xs []roundSample) []int32 {
	idx := make([]int32, len(xs))
	for i := range idx {
		idx[i] = int32(i)
	}
	if !slices.IsSortedFunc(xs, func(a, b roundSample) int { return cmp.Compare(a.round, b.round) }) {
		slices.SortStableFunc(idx, func(a, b int32) int { return cmp.Compare(xs[a].round, xs[b].round) })
	}
	return idx
}

// pairedRatio is ratio's interval for samples taken in rounds: each
// resample draws, with replacement, as many rounds as rs pairs, each
// bringing both its samples, and then each point's single samples from
// its own, so every resample has each point's sample count; its
// replicate is the ratio of the two medians. A drift that slows both
// points of a round (another program, the clock) moves both medians of
// a resample together and cancels in the ratio, where resampling the
// two points independently counts it twice as spread. value is the
// estimate, median(base)/median(pt).
func pairedRatio(rng *stream, value float64, base, pt []roundSample, rs pairing, n int, c float64) Estimate {
	bb, pp := newResampler(secsOf(base)), newResampler(secsOf(pt))
	reps := make([]float64, n)
	s := *rng
	for i := range reps {
		clear(bb.counts)
		clear(pp.counts)
		for range rs.pb {
			k := s.intN(uint64(len(rs.pb)))
			bb.counts[rs.pb[k]]++
			pp.counts[rs.pp[k]]++
		}
		for range rs.sb {
			bb.counts[rs.sb[s.intN(uint64(len(rs.sb)))]]++
		}
		for range rs.sp {
			pp.counts[rs.sp[s.intN(uint64(len(rs.sp)))]]++
		}
		reps[i] = bb.countedMedian() / pp.countedMedian()
	}
	*rng = s
	return interval(value, reps, c)
}

// secsOf returns the times of xs, in their order.
func secsOf(xs []roundSample) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = x.secs
	}
	return out
}

// intN returns a uniform number in [0, u), u > 0, as rand.Rand.IntN
// does (see resampler.median).
func (s *stream) intN(u uint64) uint64 {
	if u&(u-1) == 0 {
		return s.Uint64() & (u - 1)
	}
	hi, lo := bits.Mul64(s.Uint64(), u)
	if lo < u {
		thresh := -u % u
		for lo < thresh {
			hi, lo = bits.Mul64(s.Uint64(), u)
		}
	}
	return hi
}

// bootKey names one bootstrap ratio: its generator's name and its two
// points.
type bootKey struct {
	name     string
	base, pt *Point
}

// bootRatio is speedup with the generator named name, remembered while
// Report judges: the judging runs twice (the second pass after the
// false discovery rate correction) and would otherwise redraw each
// ratio, with the same stream and so the same result.
func (b *Builder) bootRatio(name string, base, pt *Point) Estimate {
	k := bootKey{name, base, pt}
	if e, ok := b.boots[k]; ok {
		return e
	}
	e, _ := speedup(newRand(b.opt.Seed, name), base, pt, b.opt.Resamples, b.opt.Confidence)
	if b.boots != nil {
		b.boots[k] = e
	}
	return e
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
