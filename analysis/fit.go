package analysis

import (
	"fmt"
	"math"
	"strings"

	"github.com/aclements/go-moremath/mathx"
)

// A model is a law's regression: a scalability model that is linear in
// its coefficients once written in the right variables, so a fit is a
// small weighted least squares problem with non-negative coefficients,
// solved exactly. Each Law fits its parameters through one.
type model struct {
	// y is the fitted quantity at N given throughput x (ops/s);
	// features are its regressors. Weights are 1/y^2: relative error.
	y        func(n, x float64) float64
	features func(n float64) []float64
	// throughput is the model's X(N) given the coefficients.
	throughput func(c []float64, n float64) float64
}

// fitLaw fits l to throughputs xs at levels ns: weighted least squares
// over every subset of free coefficients, keeping the best one whose
// coefficients are all non-negative (a negative serial fraction or
// contention is noise, not physics). It returns nil if none fits.
func fitLaw(l model, ns, xs []float64) []float64 {
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
func wls(l model, ns, xs []float64, cols []int) ([]float64, bool) {
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
func goodness(l model, c []float64, ns, xs []float64) (r2, rms float64) {
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

// throughputs returns the throughput (1/median time) of each level.
func (d curveData) throughputs() []float64 {
	xs := make([]float64, len(d.ns))
	for i, s := range d.secs {
		xs[i] = 1 / median(s)
	}
	return xs
}

// resampledThroughputs returns the throughput of each level after
// resampling its samples: rs holds a resampler of each level's samples,
// drawn in the order of the levels.
func resampledThroughputs(rng *stream, rs []*resampler) []float64 {
	xs := make([]float64, len(rs))
	for i, r := range rs {
		xs[i] = 1 / r.median(rng)
	}
	return xs
}

// bootFit fits l to d and to opt.Resamples bootstrap resamples of it
// (each level's samples resampled), passing each coefficient vector to
// params, which returns the reported parameters. It returns the
// estimates, the point fit's coefficients, and false if the fit failed.
func bootFit(l model, d curveData, opt Options, rng *stream, params func([]float64) []float64) ([]Estimate, []float64, bool) {
	xs := d.throughputs()
	c := fitLaw(l, d.ns, xs)
	if c == nil {
		return nil, nil, false
	}
	value := params(c)
	reps := make([][]float64, len(value))
	rs := make([]*resampler, len(d.secs))
	for i, s := range d.secs {
		rs[i] = newResampler(s)
	}
	for range opt.Resamples {
		bc := fitLaw(l, d.ns, resampledThroughputs(rng, rs))
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

// newFitInfo is the FitInfo of a fit to d before it is made.
func newFitInfo(d curveData) FitInfo {
	n := math.NaN()
	return FitInfo{Goroutines: d.goroutines, Levels: d.levels(), R2: n, RMSRelErr: n, LackOfFitF: n, LackOfFitP: n}
}

// judge sets the goodness of fit c of l to d, and the status: FitOK,
// or FitPoorFit when the lack-of-fit test rejects the law.
func (fi *FitInfo) judge(l model, c []float64, d curveData) {
	fi.R2, fi.RMSRelErr = goodness(l, c, d.ns, d.throughputs())
	fi.LackOfFitF, fi.LackOfFitP, fi.DF1, fi.DF2 = lackOfFit(l, c, d)
	fi.poorFit(fi.LackOfFitP < LackOfFitAlpha, fi.LackOfFitP)
}

// poorFit sets the status from the lack-of-fit test's decision: poor,
// with adj the p-value that decided (after the report's false discovery
// rate control where that is on), or ok.
func (fi *FitInfo) poorFit(poor bool, adj float64) {
	fi.Status, fi.Reason = FitOK, ""
	if !poor {
		return
	}
	fi.Status = FitPoorFit
	fi.Reason = fmt.Sprintf("lack of fit beyond the replicate noise: F = %.3g on %d and %d df, %s",
		fi.LackOfFitF, fi.DF1, fi.DF2, fmtP(fi.LackOfFitP))
	if adj != fi.LackOfFitP {
		fi.Reason += fmt.Sprintf(", %s after the false discovery rate control", fmtAdjusted(adj))
	}
}

// LackOfFitAlpha is the significance level of the lack-of-fit test: a
// fit whose p-value is below it is FitPoorFit (where the report controls
// the false discovery rate, its adjusted p-value must pass that too). A report tests two fits
// per group and may hold dozens of groups, so 0.01 keeps a false "poor
// fit" rare while any misfit several times the medians' noise is still
// found.
const LackOfFitAlpha = 0.01

// medianVar is the variance of the median of n normal samples over the
// variance of their mean, as n grows: pi/2. For the small n of a
// benchmark it is less (about 1.38 at n = 10), so using pi/2 overstates
// the medians' noise a little and the test errs toward "the law fits".
const medianVar = math.Pi / 2

// lackOfFit is the lack-of-fit F-test of fit c of l to d (Draper and
// Smith, Applied Regression Analysis, 3rd ed., 1998, sec. 2.1), on the
// relative scale the fit minimises and with the level medians the fit
// uses. The pure error is the replicates' spread: the pooled variance
// s² of log(sec/op) within levels, on DF2 = sum(n_i - 1) degrees of
// freedom. Each level's median then has relative variance about
// (pi/2) s²/n_i. The lack of fit is the fit's relative residuals r_i
// (what fitLaw minimises) against that: with L levels and k non-zero
// coefficients,
//
//	F = [sum_i n_i r_i² / (pi/2) / (L - k)] / s²,
//
// which follows F(L-k, DF2) when the law holds and the noise is the
// same, relative to the time, at every level. It returns F, its upper
// tail p-value and the degrees of freedom; F and p are NaN when there is
// nothing to test (a coefficient per level, or replicates that do not
// vary).
func lackOfFit(l model, c []float64, d curveData) (f, p float64, df1, df2 int) {
	xs := d.throughputs()
	df1 = len(d.ns)
	for _, v := range c {
		if v != 0 {
			df1--
		}
	}
	var ssPE, ssLF float64
	for i, s := range d.secs {
		if len(s) >= 2 {
			var m float64
			for _, v := range s {
				m += math.Log(v)
			}
			m /= float64(len(s))
			for _, v := range s {
				ssPE += (math.Log(v) - m) * (math.Log(v) - m)
			}
			df2 += len(s) - 1
		}
		y := l.y(d.ns[i], xs[i])
		r := (dot(c, l.features(d.ns[i])) - y) / y
		ssLF += float64(len(s)) * r * r / medianVar
	}
	// Replicates that never differ (a coarse timer, a hand-made file)
	// give no noise to test against.
	if df1 < 1 || df2 < 1 || !(ssPE > 0) || math.IsInf(ssPE, 0) || math.IsNaN(ssLF) {
		return math.NaN(), math.NaN(), df1, df2
	}
	f = (ssLF / float64(df1)) / (ssPE / float64(df2))
	return f, fSurvival(f, float64(df1), float64(df2)), df1, df2
}

// fSurvival returns P(X > f) for X ~ F(d1, d2): the regularized
// incomplete beta function I_x(d2/2, d1/2) at x = d2/(d2 + d1 f).
func fSurvival(f, d1, d2 float64) float64 {
	switch {
	case math.IsNaN(f):
		return math.NaN()
	case f <= 0:
		return 1
	case math.IsInf(f, 1):
		return 0
	}
	// mathx.BetaInc is the regularized incomplete beta function
	// I_x(a, b), the one x/perf's Mann-Whitney test builds on.
	return mathx.BetaInc(d2/(d2+d1*f), d2/2, d1/2)
}

func nanEstimate() Estimate {
	n := math.NaN()
	return Estimate{n, n, n, n}
}
