package analysis

import (
	"fmt"
	"math"
	"slices"
)

// Amdahl's and Gustafson's laws: one parameter, the serial fraction s,
// fitted by the same model code with different variables.
var (
	// Amdahl is Amdahl's law for strong scaling (a fixed total of
	// work): T(N) = T1 (s + (1-s)/N), speedup S(N) = 1/(s + (1-s)/N),
	// at most 1/s however many procs (Amdahl, AFIPS 1967). Time is
	// linear in 1/N: T(N) = a + b/N with s = a/(a+b).
	Amdahl Law = &serialLaw{
		key: "amdahl", name: "Amdahl", strong: true,
		model: model{
			y:          func(_, x float64) float64 { return 1 / x },
			features:   func(n float64) []float64 { return []float64{1, 1 / n} },
			throughput: func(c []float64, n float64) float64 { return 1 / (c[0] + c[1]/n) },
		},
		speedup: func(s, n float64) float64 { return 1 / (s + (1-s)/n) },
		na:      "a weak-scaling file (work grows with goroutines): Amdahl's law is for a fixed total",
	}
	// Gustafson is Gustafson's law for weak scaling (work grows with
	// the procs): scaled speedup S(N) = s + (1-s) N (Gustafson, CACM
	// 31(5), 1988), i.e. throughput X(N) = a + b N with s = a/(a+b),
	// fitted on the goroutines = GOMAXPROCS diagonal.
	Gustafson Law = &serialLaw{
		key: "gustafson", name: "Gustafson",
		model: model{
			y:          func(_, x float64) float64 { return x },
			features:   func(n float64) []float64 { return []float64{1, n} },
			throughput: func(c []float64, n float64) float64 { return c[0] + c[1]*n },
		},
		speedup: func(s, n float64) float64 { return s + (1-s)*n },
		na:      "a strong-scaling file (fixed total work): Gustafson's law needs parbench run --scaling weak",
		suffix:  " with goroutines = GOMAXPROCS",
	}
)

// serialLaw is a law of one parameter, the serial fraction s = c0/(c0+c1)
// of a two-coefficient model, fitted to one kind of scaling.
type serialLaw struct {
	key, name string
	// strong: the law is for strong scaling (else weak), and its
	// ceiling 1/s is a claim (checkCeiling).
	strong  bool
	model   model
	speedup func(s, n float64) float64
	// na is why the law does not apply to the other scaling; suffix
	// ends the too-few-levels reason (the curve it needs).
	na, suffix string
}

func (l *serialLaw) Key() string   { return l.key }
func (l *serialLaw) Name() string  { return l.name }
func (l *serialLaw) Title() string { return l.name + "'s law" }

func (l *serialLaw) fit(in fitInput) Fit {
	f := &LawFit{law: l, SerialFraction: nanEstimate()}
	if in.weak == l.strong {
		f.FitInfo = notApplicable(l.na)
		return f
	}
	needs := fmt.Sprintf("%s's law needs %d to fit one parameter and check it%s", l.name, in.opt.MinLevels, l.suffix)
	var est []Estimate
	f.FitInfo, est = in.fitModel(l.model, in.opt.MinLevels, needs, func(c []float64) []float64 { return []float64{c[0] / (c[0] + c[1])} })
	if est != nil {
		f.SerialFraction = est[0]
	}
	return f
}

// LawFit is a fit of Amdahl's or Gustafson's law.
type LawFit struct {
	FitInfo
	// SerialFraction is the law's s.
	SerialFraction Estimate

	law *serialLaw
}

// Amdahl returns the fit of Amdahl's law, or nil when it was not fitted
// (not in Options.Laws).
func (fs Fits) Amdahl() *LawFit {
	f, _ := fs.Get("amdahl").(*LawFit)
	return f
}

// Gustafson returns the fit of Gustafson's law, or nil when it was not
// fitted.
func (fs Fits) Gustafson() *LawFit {
	f, _ := fs.Get("gustafson").(*LawFit)
	return f
}

// Law returns Amdahl or Gustafson.
func (f *LawFit) Law() Law { return f.law }

// Speedup is the fitted law's S(N) at s = SerialFraction.Value.
func (f *LawFit) Speedup(n float64) float64 { return f.law.speedup(f.SerialFraction.Value, n) }

// Brief is "s = 0.098 [0.09, 0.105]".
func (f *LawFit) Brief() string {
	return "s = " + fmtNum(f.SerialFraction.Value) + " " + fmtBracket(f.SerialFraction)
}

func (f *LawFit) summary(g *Group, confidence float64) string {
	s := "serial fraction " + f.params(confidence)
	if f.law.strong && f.SerialFraction.Value > 0 {
		s += ceilingClause(g, f)
	}
	return s
}

func (f *LawFit) params(confidence float64) string {
	return "s = " + fmtEst(f.SerialFraction, confidence)
}

func (f *LawFit) json() any {
	return struct {
		jsonFitInfo
		SerialFraction jsonEst `json:"serial_fraction"`
	}{info(f.FitInfo), est(f.SerialFraction)}
}

// check makes an ok Amdahl fit poor when its ceiling is already passed.
func (f *LawFit) check(g *Group, opt Options) {
	if f.law.strong {
		checkCeiling(f, g, opt)
	}
}

// notes says, when Amdahl's law has too few levels, what the levels
// there are can: the Karp-Flatt serial fraction at the judged point.
func (f *LawFit) notes(g *Group, confidence float64) []string {
	if !f.law.strong || f.Status != FitTooFewLevels {
		return nil
	}
	var lines []string
	for _, p := range g.Points {
		if p.Goroutines == g.Verdict.Goroutines && p.Procs == g.Verdict.Procs && p.Parallel != nil && p.Procs > 1 {
			lines = append(lines, fmt.Sprintf("what %d levels can say: at %d procs the Karp-Flatt serial fraction is e = %s",
				len(f.Levels), p.Procs, fmtEst(p.Parallel.KarpFlatt, confidence)))
		}
	}
	return lines
}

// checkCeiling makes an ok Amdahl fit poor when a speedup measured on
// its curve lies above the ceiling 1/s the fit allows: a law whose limit
// the data already pass does not describe them. The claim meets the bar
// of every claim: the point's whole interval beyond the ceiling plus the
// noise floor, and its one-sided Mann-Whitney test against the
// baseline's times scaled down by the ceiling significant after Holm's
// correction over the levels scanned (a scan of 16 levels must not fire
// on noise).
func checkCeiling(f *LawFit, g *Group, opt Options) {
	if f.Status != FitOK || !(f.SerialFraction.Value > 0) {
		return
	}
	ceil := 1 / f.SerialFraction.Value
	var cands []*Point
	var ps []float64
	for _, p := range g.Points {
		if p.Goroutines != f.Goroutines || p.Parallel == nil || math.IsNaN(p.Parallel.P) || !slices.Contains(f.Levels, p.Procs) {
			continue
		}
		var base *Point
		for _, q := range g.Points {
			if q.Procs == 1 && q.Goroutines == p.Goroutines {
				base = q
			}
		}
		if base == nil {
			continue
		}
		cands = append(cands, p)
		ps = append(ps, pBeyond(base.secs, p.secs, ceil, p.Parallel.Speedup.Value, &opt.Thresholds))
	}
	adj := holm(ps)
	var worst *Point
	for i, p := range cands {
		if adj[i] < opt.Thresholds.CompareAlpha && p.Parallel.Speedup.Lo > ceil*(1+opt.MinEffect) &&
			(worst == nil || p.Parallel.Speedup.Value > worst.Parallel.Speedup.Value) {
			worst = p
		}
	}
	if worst != nil {
		f.Status = FitPoorFit
		f.Reason = fmt.Sprintf("the %s measured at %d procs (CI %s) is above the 1/s = %s this fit allows",
			fmtX(worst.Parallel.Speedup.Value), worst.Procs, fmtCI(worst.Parallel.Speedup), fmtX(ceil))
	}
}

// ceilingClause is what an ok Amdahl fit says of its ceiling 1/s: "so
// at most 1/s however many procs", unless a speedup measured on its
// curve already reaches it (checkCeiling has made a fit whose ceiling a
// measured interval passes a poor one).
func ceilingClause(g *Group, f *LawFit) string {
	ceil := 1 / f.SerialFraction.Value
	if p := aboveCeiling(g, f.FitInfo, ceil); p != nil {
		return fmt.Sprintf("; no ceiling claimed: the %s measured at %d procs already reaches the 1/s = %s this fit allows",
			fmtX(p.Parallel.Speedup.Value), p.Procs, fmtX(ceil))
	}
	return fmt.Sprintf(", so at most %s however many procs", fmtX(ceil))
}

// aboveCeiling returns the point of fi's curve with the largest
// speedup at or above ceil, or nil: where the format withholds a ceiling
// claim that a measurement already reaches.
func aboveCeiling(g *Group, fi FitInfo, ceil float64) *Point {
	var best *Point
	for _, p := range g.Points {
		if p.Goroutines != fi.Goroutines || p.Parallel == nil || math.IsNaN(p.Parallel.P) || !slices.Contains(fi.Levels, p.Procs) {
			continue
		}
		if p.Parallel.Speedup.Value > ceil && (best == nil || p.Parallel.Speedup.Value > best.Parallel.Speedup.Value) {
			best = p
		}
	}
	return best
}
