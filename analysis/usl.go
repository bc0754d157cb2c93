package analysis

import (
	"fmt"
	"math"
)

// USL is the Universal Scalability Law, fitted to strong and weak
// scaling: X(N) = lambda N / (1 + sigma (N-1) + kappa N (N-1)) (Gunther,
// Guerrilla Capacity Planning, 2007, ch. 4), so N/X = c0 + c1 (N-1) +
// c2 N (N-1) with lambda = 1/c0, sigma = c1/c0, kappa = c2/c0: linear
// in c.
var USL Law = uslLaw{}

type uslLaw struct{}

func (uslLaw) Key() string   { return "usl" }
func (uslLaw) Name() string  { return "USL" }
func (uslLaw) Title() string { return "the Universal Scalability Law" }

var uslModel = model{
	y:          func(n, x float64) float64 { return n / x },
	features:   func(n float64) []float64 { return []float64{1, n - 1, n * (n - 1)} },
	throughput: func(c []float64, n float64) float64 { return n / (c[0] + c[1]*(n-1) + c[2]*n*(n-1)) },
}

func (uslLaw) fit(in fitInput) Fit {
	e := nanEstimates(5)
	f := &USLFit{Lambda: e[0], Sigma: e[1], Kappa: e[2], PeakN: e[3], PeakX: e[4]}
	needs := fmt.Sprintf("the USL has 3 parameters and needs %d (measure 6 or more, N=1 included)", in.opt.MinLevelsUSL)
	f.FitInfo, e = in.fitModel(uslModel, in.opt.MinLevelsUSL, needs, func(c []float64) []float64 {
		lambda, sigma, kappa := 1/c[0], c[1]/c[0], c[2]/c[0]
		peak, peakX, _ := uslPeak(lambda, sigma, kappa)
		return []float64{lambda, sigma, kappa, peak, peakX}
	})
	if e == nil {
		return f
	}
	f.Lambda, f.Sigma, f.Kappa, f.PeakN, f.PeakX = e[0], e[1], e[2], e[3], e[4]
	_, _, f.PeakWhere = uslPeak(f.Lambda.Value, f.Sigma.Value, f.Kappa.Value)
	if f.PeakWhere == PeakInside && f.PeakN.Value > in.curve.ns[len(in.curve.ns)-1] {
		f.PeakWhere = PeakBeyond
	}
	return f
}

// USLFit is a fit of the Universal Scalability Law,
// X(N) = lambda N / (1 + sigma (N-1) + kappa N (N-1)) (Gunther, Guerrilla
// Capacity Planning, 2007, ch. 4).
type USLFit struct {
	FitInfo
	// Lambda is throughput at N=1 (ops per second), Sigma contention,
	// Kappa coherency (crosstalk).
	Lambda, Sigma, Kappa Estimate
	// PeakN is the N >= 1 where the fitted throughput is highest:
	// N* = sqrt((1-sigma)/kappa) when that is at least 1; 1 when
	// sigma >= 1 or N* < 1 (every added proc costs throughput); +Inf when
	// there is no peak (kappa = 0, sigma < 1). PeakX is the throughput at
	// the peak (lambda at N = 1), or without a peak the asymptote
	// lambda/sigma it levels off toward (+Inf when sigma = 0).
	PeakN, PeakX Estimate
	// PeakWhere says where the point fit's peak lies: one of the Peak*
	// constants.
	PeakWhere string
}

// Where a USL fit's throughput peaks (USLFit.PeakWhere).
const (
	// PeakNone: kappa = 0 and sigma < 1, so throughput rises for ever,
	// levelling off toward lambda/sigma (without bound if sigma = 0).
	PeakNone = "none"
	// PeakAtOne: sigma >= 1 or N* < 1, so throughput is highest at
	// N = 1.
	PeakAtOne = "at-one"
	// PeakInside: 1 < N* <= the largest level fitted.
	PeakInside = "inside"
	// PeakBeyond: N* beyond the largest level fitted (an extrapolation).
	PeakBeyond = "beyond"
)

// USL returns the fit of the USL, or nil when it was not fitted (not in
// Options.Laws).
func (fs Fits) USL() *USLFit {
	f, _ := fs.Get("usl").(*USLFit)
	return f
}

// Law returns USL.
func (f *USLFit) Law() Law { return USL }

// Speedup is the fitted X(N)/X(1) = N / (1 + sigma (N-1) + kappa N (N-1)).
func (f *USLFit) Speedup(n float64) float64 {
	sg, kp := f.Sigma.Value, f.Kappa.Value
	return n / (1 + sg*(n-1) + kp*n*(n-1))
}

// Brief is "sigma = 0.05, kappa = 0.0001".
func (f *USLFit) Brief() string {
	return fmt.Sprintf("sigma = %s, kappa = %s", fmtNum(f.Sigma.Value), fmtNum(f.Kappa.Value))
}

// Peak returns PeakN and PeakWhere.
func (f *USLFit) Peak() (Estimate, string) { return f.PeakN, f.PeakWhere }

// PeakNote says why there is no peak beyond N = 1.
func (f *USLFit) PeakNote() string {
	sg, kp := f.Sigma.Value, f.Kappa.Value
	switch {
	case f.PeakWhere == PeakAtOne && sg == 1 && kp == 0:
		return "The USL's throughput is flat (sigma = 1, kappa = 0): added procs add no throughput."
	case f.PeakWhere == PeakAtOne && sg >= 1:
		return fmt.Sprintf("The USL's throughput is highest at N = 1 (sigma = %s >= 1): every added proc costs throughput.", fmtNum(sg))
	case f.PeakWhere == PeakAtOne:
		return "The USL's throughput is highest at N = 1 (N* = sqrt((1-sigma)/kappa) <= 1): every added proc costs throughput."
	case sg > 0:
		return "The USL predicts no peak (kappa = 0): throughput levels off toward lambda/sigma."
	}
	return "The USL predicts no peak (sigma = kappa = 0): throughput grows in proportion to N."
}

func (f *USLFit) summary(_ *Group, confidence float64) string {
	return f.params(confidence) + "; " + peakClause(f, confidence)
}

func (f *USLFit) params(confidence float64) string {
	return fmt.Sprintf("sigma = %s, kappa = %s, lambda = %s ops/s",
		fmtEst(f.Sigma, confidence), fmtEst(f.Kappa, confidence), fmtEst(f.Lambda, confidence))
}

func (f *USLFit) json() any {
	return struct {
		jsonFitInfo
		Lambda    jsonEst `json:"lambda"`
		Sigma     jsonEst `json:"sigma"`
		Kappa     jsonEst `json:"kappa"`
		PeakN     jsonEst `json:"peak_n"`
		PeakX     jsonEst `json:"peak_throughput"`
		PeakWhere string  `json:"peak_where"`
	}{info(f.FitInfo), est(f.Lambda), est(f.Sigma), est(f.Kappa), est(f.PeakN), est(f.PeakX), f.PeakWhere}
}

// uslPeak returns where the USL's X(N) = lambda N / (1 + sigma (N-1) +
// kappa N (N-1)) is highest for N >= 1, the throughput there, and which
// Peak* case that is (PeakInside standing for both inside and beyond).
// dX/dN has the sign of 1 - sigma - kappa N^2 (Gunther 2007, ch. 4), so
// X rises up to N* = sqrt((1-sigma)/kappa) and falls after it. With
// sigma >= 1, or N* <= 1, it never rises: the peak is N = 1, X = lambda.
// With kappa = 0 and sigma < 1 it rises for ever: no peak, and the
// throughput returned is the asymptote lambda/sigma (+Inf if sigma = 0).
func uslPeak(lambda, sigma, kappa float64) (n, x float64, where string) {
	switch {
	case sigma >= 1:
		return 1, lambda, PeakAtOne
	case kappa > 0:
		n = math.Sqrt((1 - sigma) / kappa)
		if n <= 1 {
			return 1, lambda, PeakAtOne
		}
		return n, lambda * n / (1 + sigma*(n-1) + kappa*n*(n-1)), PeakInside
	case sigma > 0:
		return math.Inf(1), lambda / sigma, PeakNone
	}
	return math.Inf(1), math.Inf(1), PeakNone
}

// peakClause says where an ok USL fit's throughput peaks, in the words
// that are true of its coefficients (see uslPeak).
func peakClause(u *USLFit, confidence float64) string {
	sigma, kappa := u.Sigma.Value, u.Kappa.Value
	switch u.PeakWhere {
	case PeakAtOne:
		why := fmt.Sprintf("sigma = %s >= 1: every added proc costs throughput", fmtNum(sigma))
		switch {
		case sigma == 1 && kappa == 0:
			why = "sigma = 1, kappa = 0: added procs add no throughput"
		case sigma < 1:
			why = fmt.Sprintf("N* = sqrt((1-sigma)/kappa) = %s <= 1: every added proc costs throughput", fmtNum(math.Sqrt((1-sigma)/kappa)))
		}
		return fmt.Sprintf("peak at N = 1, %s ops/s (%s)", fmtNum(u.PeakX.Value), why)
	case PeakNone:
		if sigma == 0 {
			return "no peak (sigma = 0, kappa = 0): throughput grows in proportion to N"
		}
		return fmt.Sprintf("no peak (kappa = 0): throughput levels off toward lambda/sigma = %s ops/s", fmtNum(u.PeakX.Value))
	}
	s := fmt.Sprintf("peak at N* = %s procs, %s ops/s", fmtEst(u.PeakN, confidence), fmtNum(u.PeakX.Value))
	if u.PeakWhere == PeakBeyond {
		s += " (beyond the levels measured: an extrapolation)"
	}
	return s
}
