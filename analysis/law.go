package analysis

import (
	"fmt"
	"math"
)

// A Law is a scalability model that the report fits to each group's
// S(p) curve: Amdahl, Gustafson and USL. Options.Laws lists the laws
// fitted, DefaultLaws when it is nil. Each law is a type in this package
// with the Fit type it returns (see "To add a fit law" in the package
// documentation); the report, its formats and the plots only iterate
// over the fits.
type Law interface {
	// Key names the law in the JSON "fits" object ("amdahl") and seeds
	// its bootstrap.
	Key() string
	// Name is the law's name in the text report and in legends:
	// "Amdahl".
	Name() string
	// Title is the law's name in a sentence: "Amdahl's law".
	Title() string
	// fit fits the law to a group's curve. A law that does not apply
	// to the group (Amdahl's to weak scaling) returns a fit with status
	// FitNotApplicable.
	fit(in fitInput) Fit
}

// A Fit is a Law fitted to one group's curve: *LawFit for Amdahl's and
// Gustafson's laws, *USLFit for the USL.
type Fit interface {
	// Law is the law fitted.
	Law() Law
	// Info is what every fit reports besides its parameters; the
	// pointer writes through to the fit.
	Info() *FitInfo
	// Speedup evaluates the fitted law, at its parameters' point
	// estimates, at N procs: the speedup S(N) = X(N)/X(1) it predicts
	// (the scaled speedup for weak scaling). It is what a plot draws; it
	// means something only when the status is FitOK or FitPoorFit.
	Speedup(n float64) float64
	// Brief is the fitted parameters in a few words, for a legend:
	// "s = 0.098 [0.09, 0.105]".
	Brief() string

	// summary is an ok fit's line in the text report, after
	// "Name (curve): " and before the goodness of fit.
	summary(g *Group, confidence float64) string
	// params is a poor fit's parameters in words, its best try.
	params(confidence float64) string
	// json is the fit's value in the JSON "fits" object: a struct that
	// embeds jsonFitInfo, then the law's own keys.
	json() any
}

// A PeakFit is a fit whose law predicts where throughput peaks
// (*USLFit). Plots mark the peak of an ok fit.
type PeakFit interface {
	Fit
	// Peak returns the point fit's N*, with its interval, and where it
	// lies: one of the Peak* constants ("" when not fitted).
	Peak() (n Estimate, where string)
	// PeakNote says in one sentence, for a caption, what an ok fit
	// predicts when its peak is at N = 1 or does not exist.
	PeakNote() string
}

// A checker is a fit with a test of its own beyond the lack of fit,
// run after the report's corrections (Amdahl's ceiling, checkCeiling).
type checker interface {
	check(g *Group, opt Options)
}

// A noter is a fit with lines to add after every law's line in the text
// report (what too few levels can say instead of Amdahl's law).
type noter interface {
	notes(g *Group, confidence float64) []string
}

// DefaultLaws returns the laws a report fits when Options.Laws is nil:
// Amdahl's law (strong scaling), Gustafson's law (weak scaling) and the
// Universal Scalability Law (both), in that order.
func DefaultLaws() []Law { return []Law{Amdahl, Gustafson, USL} }

// Fits are the laws fitted to a group, one per law of Options.Laws, in
// its order. A law that does not apply to the group's scaling is there
// too, with status FitNotApplicable.
type Fits []Fit

// Get returns the fit of the law whose Key is key, or nil.
func (fs Fits) Get(key string) Fit {
	for _, f := range fs {
		if f.Law().Key() == key {
			return f
		}
	}
	return nil
}

// infos returns the fits' common parts in order, for the report's
// corrections; the pointers write through to the fits.
func (fs Fits) infos() []*FitInfo {
	out := make([]*FitInfo, len(fs))
	for i, f := range fs {
		out[i] = f.Info()
	}
	return out
}

// check runs each fit's own test (see checker).
func (fs Fits) check(g *Group, opt Options) {
	for _, f := range fs {
		if c, ok := f.(checker); ok {
			c.check(g, opt)
		}
	}
}

// Fit statuses.
const (
	FitOK            = "ok"
	FitTooFewLevels  = "too-few-levels"
	FitNotApplicable = "not-applicable"
	FitFailed        = "failed"
	// FitPoorFit is a fit the data reject: its lack of fit is beyond
	// what the replicate samples' noise explains (the lack-of-fit F-test
	// of LackOfFitAlpha), or a measured speedup on the curve lies above
	// the ceiling the fit allows. Its parameters are the best the law can
	// do, and the report draws no ceiling or peak from them.
	FitPoorFit = "poor-fit"
)

// FitInfo is what every fit reports besides its parameters.
type FitInfo struct {
	// Status is FitOK, FitPoorFit, FitTooFewLevels, FitNotApplicable or
	// FitFailed; Reason says why in words when it is not FitOK.
	Status, Reason string
	// Goroutines is the goroutine count of the curve fitted (for
	// Gustafson on weak scaling: 0, the diagonal goroutines = procs).
	Goroutines int
	// Levels are the GOMAXPROCS values fitted.
	Levels []int
	// R2 is the coefficient of determination of the fit on the median
	// speedups (negative when the fit is worse than the mean),
	// RMSRelErr the root mean square relative residual.
	R2, RMSRelErr float64
	// LackOfFitF is the lack-of-fit F statistic on DF1 and DF2 degrees
	// of freedom, and LackOfFitP its p-value (see lackOfFit); NaN when
	// the levels have no replicate samples to test against.
	LackOfFitF, LackOfFitP float64
	DF1, DF2               int
}

// Info returns fi itself: a fit type that embeds FitInfo has Fit's Info
// method.
func (fi *FitInfo) Info() *FitInfo { return fi }

// fitInput is what a law is fitted to: a group's curve (for weak
// scaling, the goroutines = GOMAXPROCS diagonal), the options and the
// law's own seeded generator for the bootstrap.
type fitInput struct {
	curve curveData
	weak  bool
	opt   Options
	rng   *stream
}

// notApplicable is the FitInfo of a law that does not apply to a group.
func notApplicable(why string) FitInfo {
	n := math.NaN()
	return FitInfo{Status: FitNotApplicable, Reason: why, R2: n, RMSRelErr: n, LackOfFitF: n, LackOfFitP: n}
}

// fitModel fits m to in's curve with bootFit and returns the fit's
// FitInfo, its status and goodness set, and the parameters that params
// derives from the coefficients; nil parameters when no fit was made.
// need is the fewest levels the law fits; needs says so in words for
// the reason ("Amdahl's law needs 3 to fit one parameter and check
// it").
func (in fitInput) fitModel(m model, need int, needs string, params func(c []float64) []float64) (FitInfo, []Estimate) {
	d := in.curve
	fi := newFitInfo(d)
	if len(d.ns) < need {
		fi.Status = FitTooFewLevels
		fi.Reason = fmt.Sprintf("%d GOMAXPROCS level(s) (%s); %s", len(d.ns), d.levelList(), needs)
		return fi, nil
	}
	est, c, ok := bootFit(m, d, in.opt, in.rng, params)
	if !ok {
		fi.Status, fi.Reason = FitFailed, "no non-negative least-squares solution"
		return fi, nil
	}
	fi.judge(m, c, d)
	return fi, est
}

// nanEstimates returns n undefined estimates: a law's parameters before
// a fit.
func nanEstimates(n int) []Estimate {
	out := make([]Estimate, n)
	for i := range out {
		out[i] = nanEstimate()
	}
	return out
}
