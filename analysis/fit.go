package analysis

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
)

// A law is a scalability model that is linear in its coefficients once
// written in the right variables, so a fit is a small weighted least
// squares problem with non-negative coefficients, solved exactly.
type law struct {
	name string
	// y is the fitted quantity at N given throughput x (ops/s);
	// features are its regressors. Weights are 1/y^2: relative error.
	y        func(n, x float64) float64
	features func(n float64) []float64
	// throughput is the model's X(N) given the coefficients.
	throughput func(c []float64, n float64) float64
}

// amdahl: T(N) = T1 (s + (1-s)/N), i.e. time = a + b/N with a = T1 s and
// b = T1 (1-s) (Amdahl, AFIPS 1967). Speedup T(1)/T(N) = 1/(s + (1-s)/N).
var amdahl = law{
	name:       "Amdahl",
	y:          func(_, x float64) float64 { return 1 / x },
	features:   func(n float64) []float64 { return []float64{1, 1 / n} },
	throughput: func(c []float64, n float64) float64 { return 1 / (c[0] + c[1]/n) },
}

// gustafson: scaled speedup S(N) = s + (1-s) N (Gustafson, CACM 31(5),
// 1988), i.e. throughput X(N) = a + b N with s = a/(a+b).
var gustafson = law{
	name:       "Gustafson",
	y:          func(_, x float64) float64 { return x },
	features:   func(n float64) []float64 { return []float64{1, n} },
	throughput: func(c []float64, n float64) float64 { return c[0] + c[1]*n },
}

// usl: X(N) = lambda N / (1 + sigma (N-1) + kappa N (N-1)) (Gunther), so
// N/X = c0 + c1 (N-1) + c2 N (N-1) with lambda = 1/c0, sigma = c1/c0,
// kappa = c2/c0: linear in c.
var usl = law{
	name:       "USL",
	y:          func(n, x float64) float64 { return n / x },
	features:   func(n float64) []float64 { return []float64{1, n - 1, n * (n - 1)} },
	throughput: func(c []float64, n float64) float64 { return n / (c[0] + c[1]*(n-1) + c[2]*n*(n-1)) },
}

// fitLaw fits l to throughputs xs at levels ns: weighted least squares
// over every subset of free coefficients, keeping the best one whose
// coefficients are all non-negative (a negative serial fraction or
// contention is noise, not physics). It returns nil if none fits.
func fitLaw(l law, ns, xs []float64) []float64 {
	k := len(l.features(1))
	var best []float64
	bestSSE := math.Inf(1)
	for mask := 1; mask < 1<<k; mask++ {
		var cols []int
		for j := range k {
			if mask&(1<<j) != 0 {
				cols = append(cols, j)
			}
		}
		c, ok := wls(l, ns, xs, cols)
		if !ok {
			continue
		}
		x1 := l.throughput(c, 1)
		feasible := x1 > 0 && !math.IsInf(x1, 0)
		for _, v := range c {
			feasible = feasible && v >= 0
		}
		if !feasible {
			continue
		}
		var sse float64
		for i, n := range ns {
			y := l.y(n, xs[i])
			r := (dot(c, l.features(n)) - y) / y
			sse += r * r
		}
		if sse < bestSSE*(1-1e-12) {
			best, bestSSE = c, sse
		}
	}
	return best
}

// wls solves the weighted normal equations for the coefficients in cols
// (the others are 0) by Gaussian elimination with partial pivoting.
func wls(l law, ns, xs []float64, cols []int) ([]float64, bool) {
	m := len(cols)
	a := make([][]float64, m)
	for i := range a {
		a[i] = make([]float64, m+1)
	}
	for i, n := range ns {
		y := l.y(n, xs[i])
		w := 1 / (y * y)
		f := l.features(n)
		for r, cr := range cols {
			for c, cc := range cols {
				a[r][c] += w * f[cr] * f[cc]
			}
			a[r][m] += w * f[cr] * y
		}
	}
	for col := range m {
		p := col
		for r := col + 1; r < m; r++ {
			if math.Abs(a[r][col]) > math.Abs(a[p][col]) {
				p = r
			}
		}
		if math.Abs(a[p][col]) < 1e-300 {
			return nil, false
		}
		a[col], a[p] = a[p], a[col]
		for r := range m {
			if r == col {
				continue
			}
			f := a[r][col] / a[col][col]
			for c := col; c <= m; c++ {
				a[r][c] -= f * a[col][c]
			}
		}
	}
	out := make([]float64, len(l.features(1)))
	for r, cr := range cols {
		out[cr] = a[r][m] / a[r][r]
		if math.IsNaN(out[cr]) || math.IsInf(out[cr], 0) {
			return nil, false
		}
	}
	return out, true
}

func dot(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// goodness returns R^2 and the RMS relative residual of the model's
// throughput against the observed throughputs.
func goodness(l law, c []float64, ns, xs []float64) (r2, rms float64) {
	mean := 0.0
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	var ssRes, ssTot, rel float64
	for i, n := range ns {
		fx := l.throughput(c, n)
		ssRes += (fx - xs[i]) * (fx - xs[i])
		ssTot += (xs[i] - mean) * (xs[i] - mean)
		rel += ((fx - xs[i]) / xs[i]) * ((fx - xs[i]) / xs[i])
	}
	r2 = math.NaN()
	if ssTot > 0 {
		r2 = 1 - ssRes/ssTot
	}
	return r2, math.Sqrt(rel / float64(len(xs)))
}

// curveData is the samples of one curve: levels and times per op.
type curveData struct {
	goroutines int
	ns         []float64
	secs       [][]float64
}

func (d curveData) levels() []int {
	out := make([]int, len(d.ns))
	for i, n := range d.ns {
		out[i] = int(n)
	}
	return out
}

func (d curveData) levelList() string {
	s := make([]string, len(d.ns))
	for i, n := range d.ns {
		s[i] = fmt.Sprint(n)
	}
	return strings.Join(s, ", ")
}

// medians returns the throughput (1/median time) of each level, after
// resampling each level's samples when rng is not nil.
func (d curveData) throughputs(rng *rand.Rand, buf []float64) []float64 {
	xs := make([]float64, len(d.ns))
	for i, s := range d.secs {
		if rng != nil {
			buf = resample(rng, buf, s)
			s = buf
		}
		xs[i] = 1 / median(s)
	}
	return xs
}

// bootFit fits l to d and to opt.Resamples bootstrap resamples of it
// (each level's samples resampled), passing each coefficient vector to
// params, which returns the reported parameters. It returns the
// estimates, the point fit's coefficients, and false if the fit failed.
func bootFit(l law, d curveData, opt Options, rng *rand.Rand, params func([]float64) []float64) ([]Estimate, []float64, bool) {
	xs := d.throughputs(nil, nil)
	c := fitLaw(l, d.ns, xs)
	if c == nil {
		return nil, nil, false
	}
	value := params(c)
	reps := make([][]float64, len(value))
	var buf []float64
	for range opt.Resamples {
		bc := fitLaw(l, d.ns, d.throughputs(rng, buf))
		for j := range value {
			v := math.NaN()
			if bc != nil {
				v = params(bc)[j]
			}
			reps[j] = append(reps[j], v)
		}
	}
	est := make([]Estimate, len(value))
	for j := range value {
		est[j] = interval(value[j], reps[j], opt.Confidence)
	}
	return est, c, true
}

// fitSerial fits Amdahl's or Gustafson's law to d.
func fitSerial(l law, d curveData, opt Options, rng *rand.Rand) LawFit {
	f := LawFit{FitInfo: FitInfo{Goroutines: d.goroutines, Levels: d.levels(), R2: math.NaN(), RMSRelErr: math.NaN()}, SerialFraction: nanEstimate()}
	if len(d.ns) < opt.MinLevels {
		f.Status = FitTooFewLevels
		f.Reason = fmt.Sprintf("%d GOMAXPROCS level(s) (%s); %s's law needs %d to fit one parameter and check it", len(d.ns), d.levelList(), l.name, opt.MinLevels)
		return f
	}
	est, c, ok := bootFit(l, d, opt, rng, func(c []float64) []float64 { return []float64{c[0] / (c[0] + c[1])} })
	if !ok {
		f.Status, f.Reason = FitFailed, "no non-negative least-squares solution"
		return f
	}
	f.Status = FitOK
	f.SerialFraction = est[0]
	f.R2, f.RMSRelErr = goodness(l, c, d.ns, d.throughputs(nil, nil))
	return f
}

// fitUSL fits the Universal Scalability Law to d.
func fitUSL(d curveData, opt Options, rng *rand.Rand) USLFit {
	n := nanEstimate()
	f := USLFit{FitInfo: FitInfo{Goroutines: d.goroutines, Levels: d.levels(), R2: math.NaN(), RMSRelErr: math.NaN()},
		Lambda: n, Sigma: n, Kappa: n, PeakN: n, PeakX: n}
	if len(d.ns) < opt.MinLevelsUSL {
		f.Status = FitTooFewLevels
		f.Reason = fmt.Sprintf("%d GOMAXPROCS level(s) (%s); the USL has 3 parameters and needs %d (measure 6 or more, N=1 included)", len(d.ns), d.levelList(), opt.MinLevelsUSL)
		return f
	}
	est, c, ok := bootFit(usl, d, opt, rng, func(c []float64) []float64 {
		lambda, sigma, kappa := 1/c[0], c[1]/c[0], c[2]/c[0]
		peak, peakX := math.Inf(1), math.Inf(1)
		if kappa > 0 && sigma < 1 {
			peak = math.Sqrt((1 - sigma) / kappa)
			peakX = lambda * peak / (1 + sigma*(peak-1) + kappa*peak*(peak-1))
		} else if sigma > 0 {
			peakX = lambda / sigma // the asymptote of a contention-only curve
		}
		return []float64{lambda, sigma, kappa, peak, peakX}
	})
	if !ok {
		f.Status, f.Reason = FitFailed, "no non-negative least-squares solution"
		return f
	}
	f.Status = FitOK
	f.Lambda, f.Sigma, f.Kappa, f.PeakN, f.PeakX = est[0], est[1], est[2], est[3], est[4]
	f.R2, f.RMSRelErr = goodness(usl, c, d.ns, d.throughputs(nil, nil))
	return f
}

func nanEstimate() Estimate {
	n := math.NaN()
	return Estimate{n, n, n, n}
}
