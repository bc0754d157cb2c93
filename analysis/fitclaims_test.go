package analysis

import (
	"bytes"
	"encoding/json"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The fit lines must never claim more than the fit supports: a USL peak
// where the coefficients put it, "kappa = 0" only when it is, and no
// ceiling or peak from a law the data reject.

// fitOptions are the default options with fewer resamples, for tests
// that run the whole analysis on many seeds: the lack-of-fit test does
// not use the bootstrap.
func fitOptions() Options {
	opt := DefaultOptions()
	opt.Resamples = 100
	return opt
}

// formats renders rep as text, Markdown and JSON.
func formats(tb testing.TB, rep *Report) (text, md string, doc map[string]any) {
	tb.Helper()
	var t, m, j bytes.Buffer
	if err := rep.WriteText(&t); err != nil {
		tb.Fatal(err)
	}
	if err := rep.WriteMarkdown(&m); err != nil {
		tb.Fatal(err)
	}
	if err := rep.WriteJSON(&j); err != nil {
		tb.Fatal(err)
	}
	if err := json.Unmarshal(j.Bytes(), &doc); err != nil {
		tb.Fatal(err)
	}
	return t.String(), m.String(), doc
}

// jsonFit returns the first group's fit of law ("amdahl", "usl") from a
// JSON report.
func jsonFit(tb testing.TB, doc map[string]any, law string) map[string]any {
	tb.Helper()
	gs, _ := doc["groups"].([]any)
	if len(gs) == 0 {
		tb.Fatal("JSON report without groups")
	}
	f, ok := gs[0].(map[string]any)["fits"].(map[string]any)[law].(map[string]any)
	if !ok {
		tb.Fatalf("JSON report without fits.%s", law)
	}
	return f
}

// fitLine returns the fit line of the text report that starts with law.
func fitLine(text, law string) string {
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, "fit: "+law+" ") || strings.HasPrefix(l, "fit: "+law+":") {
			return l
		}
	}
	return ""
}

func TestUSLPeakCases(t *testing.T) {
	inf := math.Inf(1)
	cases := []struct {
		sigma, kappa float64
		n, x         float64 // lambda = 100
		where        string
	}{
		{1.28, 0.032, 1, 100, PeakAtOne},
		{1, 0, 1, 100, PeakAtOne},
		{0.5, 0.6, 1, 100, PeakAtOne},                       // N* = 0.91
		{0.05, 0.02, math.Sqrt(0.95 / 0.02), 0, PeakInside}, // X below
		{0.3, 0, inf, 100 / 0.3, PeakNone},
		{0, 0, inf, inf, PeakNone},
	}
	ns := cases[3].n
	cases[3].x = 100 * ns / (1 + 0.05*(ns-1) + 0.02*ns*(ns-1))
	for _, c := range cases {
		n, x, where := uslPeak(100, c.sigma, c.kappa)
		if where != c.where || !closeOrInf(n, c.n) || !closeOrInf(x, c.x) {
			t.Errorf("sigma %g kappa %g: peak N %g X %g %s, want N %g X %g %s", c.sigma, c.kappa, n, x, where, c.n, c.x, c.where)
		}
		// Wherever the peak is said to be, no N >= 1 is higher.
		if where != PeakNone {
			for m := 1.0; m <= 64; m += 0.25 {
				if xm := 100 * m / (1 + c.sigma*(m-1) + c.kappa*m*(m-1)); xm > x*(1+1e-12) {
					t.Errorf("sigma %g kappa %g: X(%g) = %g above the peak %g", c.sigma, c.kappa, m, xm, x)
					break
				}
			}
		}
	}
}

func closeOrInf(a, b float64) bool {
	if math.IsInf(b, 1) {
		return math.IsInf(a, 1)
	}
	return math.Abs(a-b) <= 1e-9*math.Abs(b)
}

func TestPeakClause(t *testing.T) {
	est := func(v float64) Estimate { return Estimate{v, v, v, 0} }
	cases := []struct {
		sigma, kappa, peakN, peakX float64
		where                      string
		want, not                  []string
	}{
		{1.28, 0.032, 1, 100, PeakAtOne, []string{"peak at N = 1, 100 ops/s", "sigma = 1.28 >= 1: every added proc costs throughput"}, []string{"kappa = 0", "no peak"}},
		{1, 0, 1, 100, PeakAtOne, []string{"peak at N = 1", "added procs add no throughput"}, []string{"costs"}},
		{0.5, 0.6, 1, 100, PeakAtOne, []string{"peak at N = 1", "0.913 <= 1"}, []string{"kappa = 0"}},
		{0.3, 0, math.Inf(1), 333, PeakNone, []string{"no peak (kappa = 0): throughput levels off toward lambda/sigma = 333 ops/s"}, nil},
		{0, 0, math.Inf(1), math.Inf(1), PeakNone, []string{"no peak (sigma = 0, kappa = 0): throughput grows in proportion to N"}, []string{"levels off"}},
		{0.05, 0.02, 6.89, 327, PeakInside, []string{"peak at N* = 6.89"}, []string{"extrapolation", "kappa = 0"}},
		{0.05, 0.002, 21.8, 1000, PeakBeyond, []string{"peak at N* = 21.8", "an extrapolation"}, []string{"kappa = 0"}},
	}
	for _, c := range cases {
		u := &USLFit{Lambda: est(100), Sigma: est(c.sigma), Kappa: est(c.kappa), PeakN: est(c.peakN), PeakX: est(c.peakX), PeakWhere: c.where}
		s := peakClause(u, 0.95)
		for _, w := range c.want {
			if !strings.Contains(s, w) {
				t.Errorf("sigma %g kappa %g: %q lacks %q", c.sigma, c.kappa, s, w)
			}
		}
		for _, w := range c.not {
			if strings.Contains(s, w) {
				t.Errorf("sigma %g kappa %g: %q says %q", c.sigma, c.kappa, s, w)
			}
		}
	}
}

func TestFSurvival(t *testing.T) {
	// With d1 = 2 the tail has a closed form: (1 + 2f/d2)^(-d2/2).
	for _, d2 := range []float64{1, 5, 20, 54} {
		for _, f := range []float64{0.1, 1, 3, 10, 100} {
			want := math.Pow(1+2*f/d2, -d2/2)
			if got := fSurvival(f, 2, d2); math.Abs(got-want) > 1e-9 {
				t.Errorf("P(F(2,%g) > %g) = %g, want %g", d2, f, got, want)
			}
		}
	}
	// Tabled critical values: F(4, 54) at 0.01 is 3.68, at 0.05 2.54;
	// F(1, 1) has its median at 1.
	for _, c := range []struct{ f, d1, d2, p, tol float64 }{
		{3.68, 4, 54, 0.01, 0.0005}, {2.54, 4, 54, 0.05, 0.001}, {1, 1, 1, 0.5, 1e-9},
	} {
		if got := fSurvival(c.f, c.d1, c.d2); math.Abs(got-c.p) > c.tol {
			t.Errorf("P(F(%g,%g) > %g) = %g, want %g", c.d1, c.d2, c.f, got, c.p)
		}
	}
	if fSurvival(0, 3, 10) != 1 || fSurvival(math.Inf(1), 3, 10) != 0 || !math.IsNaN(fSurvival(math.NaN(), 3, 10)) {
		t.Error("fSurvival at 0, +Inf or NaN")
	}
}

// kappaZero matches a claim that kappa is 0 (not "kappa = 0.033").
var kappaZero = regexp.MustCompile(`kappa = 0[^.0-9]`)

// procs8 are the levels of the tests on an 8-CPU machine.
var procs8 = []int{1, 2, 3, 4, 6, 8}

// TestUSLPeakAtOne: data slower at every level (sigma = 1.28, kappa =
// 0.032) peak at N = 1, in every format; "kappa = 0" is not said.
func TestUSLPeakAtOne(t *testing.T) {
	data := oneCurve(8, procs8, 10, 0.03, uslSecs(1e5, 1.28, 0.032, 8)).write(t, 1)
	rep := report(t, data)
	u := group(t, rep, "cpu/x", "none").Fits.USL()
	if u.Status != FitOK {
		t.Fatalf("USL status %s (%s) on data from the USL", u.Status, u.Reason)
	}
	if u.PeakWhere != PeakAtOne || u.PeakN.Value != 1 || u.PeakX.Value != u.Lambda.Value {
		t.Errorf("sigma %v kappa %v: peak N %v X %v where %q, want N = 1, X = lambda %v, at-one",
			u.Sigma.Value, u.Kappa.Value, u.PeakN, u.PeakX.Value, u.PeakWhere, u.Lambda.Value)
	}
	if u.PeakN.Lo < 1 {
		t.Errorf("peak N interval %v reaches below 1", u.PeakN)
	}
	text, md, doc := formats(t, rep)
	for name, out := range map[string]string{"text": text, "markdown": md} {
		if !strings.Contains(out, "peak at N = 1") || !strings.Contains(out, "every added proc costs throughput") {
			t.Errorf("%s report lacks the peak at N = 1:\n%s", name, out)
		}
		if kappaZero.MatchString(out) {
			t.Errorf("%s report says kappa = 0 for kappa = %v:\n%s", name, u.Kappa.Value, out)
		}
	}
	j := jsonFit(t, doc, "usl")
	if pn, _ := j["peak_n"].(map[string]any)["value"].(float64); pn != 1 {
		t.Errorf("JSON peak_n %v, want 1", j["peak_n"])
	}
	if j["peak_where"] != PeakAtOne {
		t.Errorf("JSON peak_where %v, want %q", j["peak_where"], PeakAtOne)
	}
	px, _ := j["peak_throughput"].(map[string]any)["value"].(float64)
	lambda, _ := j["lambda"].(map[string]any)["value"].(float64)
	if px != lambda {
		t.Errorf("JSON peak_throughput %v, want lambda %v", px, lambda)
	}
}

// TestKappaZeroSaysNoPeak: on data with kappa = 0, the constrained fit
// puts kappa at exactly 0 on some seeds and a little above it on
// others; "no peak (kappa = 0)" must be said exactly when it is 0.
func TestKappaZeroSaysNoPeak(t *testing.T) {
	zeros := 0
	for seed := range uint64(20) {
		rep := reportWith(t, oneCurve(8, procs8, 10, 0.02, uslSecs(1e5, 0.3, 0, 8)).write(t, seed), fitOptions())
		u := group(t, rep, "cpu/x", "none").Fits.USL()
		if u.Status != FitOK {
			t.Logf("seed %d: USL %s (%s)", seed, u.Status, u.Reason)
			continue
		}
		text, _, doc := formats(t, rep)
		j := jsonFit(t, doc, "usl")
		says := strings.Contains(fitLine(text, "USL"), "no peak (kappa = 0)")
		if u.Kappa.Value == 0 {
			zeros++
			if !says || u.PeakWhere != PeakNone || j["peak_where"] != PeakNone || j["peak_n"].(map[string]any)["value"] != nil {
				t.Errorf("seed %d: kappa = 0 but %q, JSON peak_n %v peak_where %v", seed, fitLine(text, "USL"), j["peak_n"], j["peak_where"])
			}
		} else if says || u.PeakWhere == PeakNone {
			t.Errorf("seed %d: kappa = %g but %q (%s)", seed, u.Kappa.Value, fitLine(text, "USL"), u.PeakWhere)
		}
	}
	if zeros == 0 {
		t.Error("no seed fitted kappa = 0: the case is not tested")
	}
	t.Logf("kappa fitted as exactly 0 on %d of 20 seeds", zeros)
}

// TestPoorFitDetected: Amdahl's law cannot bend down, so fitted to a USL
// curve that peaks at N* = 6.9 within procs 1..16 it is a poor fit on
// every seed, says so in every format, and claims no ceiling.
func TestPoorFitDetected(t *testing.T) {
	procs := make([]int, 16)
	for i := range procs {
		procs[i] = i + 1
	}
	const seeds = 100
	poorAmdahl, poorUSL := 0, 0
	for seed := range uint64(seeds) {
		noise := []float64{0.02, 0.03, 0.05}[seed%3]
		rep := reportWith(t, oneCurve(16, procs, 10, noise, uslSecs(1e5, 0.05, 0.02, 16)).write(t, seed), fitOptions())
		f := group(t, rep, "cpu/x", "none").Fits
		if f.USL().Status == FitPoorFit {
			poorUSL++
		}
		if f.Amdahl().Status != FitPoorFit {
			t.Errorf("seed %d: Amdahl on a peaking curve is %s (F %.3g, p %.3g)", seed, f.Amdahl().Status, f.Amdahl().LackOfFitF, f.Amdahl().LackOfFitP)
			continue
		}
		poorAmdahl++
		if seed > 2 {
			continue // the formats are the same code on every seed
		}
		text, md, doc := formats(t, rep)
		line := fitLine(text, "Amdahl")
		if !strings.Contains(line, "poor fit") || strings.Contains(line, "however many procs") || strings.Contains(line, "ceiling") {
			t.Errorf("seed %d: text %q", seed, line)
		}
		if !strings.Contains(md, "- Fit: Amdahl (goroutines=16, procs 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16): poor fit") {
			t.Errorf("seed %d: markdown lacks the poor fit:\n%s", seed, md)
		}
		j := jsonFit(t, doc, "amdahl")
		lof, _ := j["lack_of_fit"].(map[string]any)
		if j["status"] != FitPoorFit || lof == nil || !(lof["p"].(float64) < LackOfFitAlpha) {
			t.Errorf("seed %d: JSON status %v lack_of_fit %v", seed, j["status"], j["lack_of_fit"])
		}
	}
	t.Logf("Amdahl on the peaking USL curve: poor fit on %d of %d seeds (detection rate %.0f%%); the USL itself: poor on %d",
		poorAmdahl, seeds, 100*float64(poorAmdahl)/seeds, poorUSL)
	if poorUSL > 5 {
		t.Errorf("the USL on its own data: poor fit on %d of %d seeds", poorUSL, seeds)
	}
}

// TestFalsePoorFitRate: data drawn from a law, fitted by that law (and
// Amdahl data by the USL, which contains it), are rarely called a poor
// fit. The test is at alpha 0.01 with a conservative noise estimate, so
// about 1 in 100 or fewer is expected; 5 in 100 is the margin.
func TestFalsePoorFitRate(t *testing.T) {
	const seeds = 100
	cases := []struct {
		name string
		secs func(p, g int) float64
		laws []string
	}{
		{"amdahl s=0.05", amdahlSecs(1e-5, 0.05, 8), []string{"Amdahl", "USL"}},
		{"amdahl s=0.3", amdahlSecs(1e-5, 0.3, 8), []string{"Amdahl", "USL"}},
		{"usl 0.05,0.02", uslSecs(1e5, 0.05, 0.02, 8), []string{"USL"}},
		{"usl 0.1,0.005", uslSecs(1e5, 0.1, 0.005, 8), []string{"USL"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			poor := map[string]int{}
			for seed := range uint64(seeds) {
				noise := []float64{0.02, 0.03, 0.05}[seed%3]
				f := group(t, reportWith(t, oneCurve(8, procs8, 10, noise, c.secs).write(t, seed), fitOptions()), "cpu/x", "none").Fits
				for _, law := range c.laws {
					fi := f.Amdahl().FitInfo
					if law == "USL" {
						fi = f.USL().FitInfo
					}
					switch fi.Status {
					case FitOK:
					case FitPoorFit:
						poor[law]++
						t.Logf("seed %d, noise %g: %s poor: %s", seed, noise, law, fi.Reason)
					default:
						t.Errorf("seed %d: %s %s: %s", seed, law, fi.Status, fi.Reason)
					}
				}
			}
			for _, law := range c.laws {
				t.Logf("%s: false poor fit on %d of %d seeds", law, poor[law], seeds)
				if poor[law] > 5 {
					t.Errorf("%s on its own law's data: poor fit on %d of %d seeds", law, poor[law], seeds)
				}
			}
		})
	}
}

var atMost = regexp.MustCompile(`so at most ([0-9.]+)x however many procs`)

// TestKneeNoCeilingBelowMeasured: a speedup ideal to 4.00x at 4 procs
// and flat to 8 fits neither law; whatever the statuses, no line claims
// a ceiling below a measured speedup, and a poor fit claims none.
func TestKneeNoCeilingBelowMeasured(t *testing.T) {
	statuses := map[string]int{}
	for seed := range uint64(20) {
		rep := reportWith(t, oneCurve(8, procs8, 10, 0.02, kneeSecs(1e-5, 4)).write(t, seed), fitOptions())
		g := group(t, rep, "cpu/x", "none")
		statuses["Amdahl "+g.Fits.Amdahl().Status]++
		statuses["USL "+g.Fits.USL().Status]++
		maxS := 0.0
		for _, p := range g.Points {
			if p.Parallel != nil {
				maxS = math.Max(maxS, p.Parallel.Speedup.Value)
			}
		}
		text, _, _ := formats(t, rep)
		for _, law := range []string{"Amdahl", "USL"} {
			line := fitLine(text, law)
			if m := atMost.FindStringSubmatch(line); m != nil {
				if c, _ := strconv.ParseFloat(m[1], 64); c < maxS {
					t.Errorf("seed %d: ceiling %sx below the measured %.2fx: %s", seed, m[1], maxS, line)
				}
			}
			if strings.Contains(line, "poor fit") && (atMost.MatchString(line) || strings.Contains(line, "peak at")) {
				t.Errorf("seed %d: a poor fit makes a claim: %s", seed, line)
			}
		}
	}
	t.Logf("knee at 4 of 8 procs, 20 seeds: %v", statuses)
	if statuses["Amdahl "+FitPoorFit] < 18 {
		t.Errorf("Amdahl on a knee: %v, want poor fit on nearly every seed", statuses)
	}
}

// TestCeilingCheck: a measured speedup whose interval lies above an
// Amdahl fit's ceiling 1/s makes the fit poor; one whose value alone
// reaches it withholds the ceiling claim; below it, the claim stands.
func TestCeilingCheck(t *testing.T) {
	fit := func() *LawFit {
		return &LawFit{FitInfo: FitInfo{Status: FitOK, Goroutines: 4, Levels: []int{1, 2, 4}}, SerialFraction: Estimate{0.3, 0.28, 0.32, 0.01}}
	}
	// secs are 10 samples around 1/s, 1% apart.
	secs := func(s float64) []float64 {
		out := make([]float64, 10)
		for i := range out {
			out[i] = (1 + 0.01*float64(i-5)) / s
		}
		return out
	}
	group := func(s, lo, hi float64) *Group {
		base := &Point{Procs: 1, Goroutines: 4, Parallel: &Ratio{Speedup: Estimate{1, 1, 1, 0}, P: math.NaN()}, secs: secs(1)}
		two := &Point{Procs: 2, Goroutines: 4, Parallel: &Ratio{Speedup: Estimate{1.8, 1.7, 1.9, 0.05}, P: 0.001}, secs: secs(1.8)}
		four := &Point{Procs: 4, Goroutines: 4, Parallel: &Ratio{Speedup: Estimate{s, lo, hi, 0.05}, P: 0.001}, secs: secs(s)}
		other := &Point{Procs: 4, Goroutines: 8, Parallel: &Ratio{Speedup: Estimate{9, 8, 10, 0.05}, P: 0.001}}
		return &Group{Points: []*Point{base, two, four, other}}
	}
	cases := []struct {
		s, lo, hi float64
		status    string
		clause    string
	}{
		{3.6, 3.45, 3.75, FitPoorFit, ""},
		{3.4, 3.2, 3.6, FitOK, "no ceiling claimed: the 3.40x measured at 4 procs already reaches the 1/s = 3.33x"},
		{3.0, 2.9, 3.1, FitOK, "so at most 3.33x however many procs"},
	}
	for _, c := range cases {
		g, f := group(c.s, c.lo, c.hi), fit()
		checkCeiling(f, g, DefaultOptions())
		if f.Status != c.status {
			t.Errorf("speedup %v at 4 procs, ceiling 3.33: status %s, want %s", c.s, f.Status, c.status)
		}
		if f.Status == FitPoorFit && !strings.Contains(f.Reason, "3.60x measured at 4 procs") {
			t.Errorf("reason %q", f.Reason)
		}
		if c.clause != "" && !strings.Contains(ceilingClause(g, f), c.clause) {
			t.Errorf("speedup %v: %q lacks %q", c.s, ceilingClause(g, f), c.clause)
		}
	}
}
