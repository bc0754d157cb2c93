package analysis

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// analyse turns one group's samples into points, fits and a verdict.
func (b *Builder) analyse(k groupKey, cells map[level]*cell) *Group {
	opt := b.opt
	g := &Group{
		Workload: k.workload, Lock: k.lock, Extra: k.extra,
		Machine: k.machine, Scaling: k.scaling, Settings: k.settings,
	}
	name := fmt.Sprintf("%s|%s|%s|%v|%s|%s", k.workload, k.lock, k.extra, k.machine, k.scaling, k.settings)
	lvs := make([]level, 0, len(cells))
	for lv := range cells {
		lvs = append(lvs, lv)
	}
	sort.Slice(lvs, func(i, j int) bool {
		if lvs[i].goroutines != lvs[j].goroutines {
			return lvs[i].goroutines < lvs[j].goroutines
		}
		return lvs[i].procs < lvs[j].procs
	})
	byLevel := map[level]*Point{}
	for _, lv := range lvs {
		c := cells[lv]
		p := &Point{
			Procs: lv.procs, Goroutines: lv.goroutines, N: len(c.secs),
			SecPerOp: summarize(c.secs, opt.Confidence, &opt.Thresholds),
			Metrics:  map[string]float64{},
			secs:     c.secs,
		}
		for unit, vs := range c.metrics {
			p.Metrics[unit] = median(vs)
		}
		g.Points = append(g.Points, p)
		byLevel[lv] = p
	}
	for _, p := range g.Points {
		if base := byLevel[level{1, p.Goroutines}]; base != nil {
			p.Parallel = b.ratio(fmt.Sprintf("%s|par|%d|%d", name, p.Procs, p.Goroutines), base, p, 1, p.Procs, true)
		}
		if p.Goroutines > 0 {
			if base := byLevel[level{p.Procs, 1}]; base != nil {
				p.Concurrent = b.ratio(fmt.Sprintf("%s|conc|%d|%d", name, p.Procs, p.Goroutines), base, p, 1, p.Goroutines, false)
			}
		}
	}
	g.Fits = b.fit(g, byLevel, name)
	g.Verdict = b.verdict(g, byLevel)
	return g
}

// ratio compares p with its baseline base; lv is p's level on the
// curve (procs or goroutines), baseLv the baseline's.
func (b *Builder) ratio(name string, base, p *Point, baseLv, lv int, parallel bool) *Ratio {
	r := &Ratio{Base: baseLv, BaseN: base.N, KarpFlatt: nanEstimate(), P: math.NaN()}
	if base == p {
		r.Speedup = Estimate{Value: 1, Lo: 1, Hi: 1, SE: 0}
		r.Efficiency = 1
		return r
	}
	r.Speedup = ratio(newRand(b.opt.Seed, name), base.secs, p.secs, b.opt.Resamples, b.opt.Confidence)
	r.Efficiency = r.Speedup.Value / float64(lv) * float64(baseLv)
	r.P = compare(base.secs, p.secs, &b.opt.Thresholds)
	if parallel && lv > 1 {
		kf := func(s float64) float64 {
			n := float64(lv)
			return (1/s - 1/n) / (1 - 1/n)
		}
		// e falls as S grows, so the interval's ends swap.
		r.KarpFlatt = Estimate{Value: kf(r.Speedup.Value), Lo: kf(r.Speedup.Hi), Hi: kf(r.Speedup.Lo), SE: math.NaN()}
	}
	return r
}

// verdictCurve picks the goroutine count whose S(p) curve the verdict
// and the fits judge: the smallest one at least as large as the largest
// GOMAXPROCS within the machine's CPUs (so every P can be busy), else
// the largest. It returns false if no goroutine count has GOMAXPROCS=1
// and another level.
func verdictCurve(g *Group) (int, bool) {
	cpus := g.Machine.CPUs()
	levels := map[int]int{} // goroutines -> levels with a baseline
	maxP := 0
	for _, p := range g.Points {
		if p.Parallel != nil {
			levels[p.Goroutines]++
		}
		if cpus == 0 || p.Procs <= cpus {
			maxP = max(maxP, p.Procs)
		}
	}
	var gs []int
	for gr, n := range levels {
		if n >= 2 {
			gs = append(gs, gr)
		}
	}
	if len(gs) == 0 {
		for gr := range levels {
			gs = append(gs, gr)
		}
	}
	if len(gs) == 0 {
		return 0, false
	}
	sort.Ints(gs)
	for _, gr := range gs {
		if gr >= maxP {
			return gr, true
		}
	}
	return gs[len(gs)-1], true
}

// curve returns the samples of the S(p) curve at goroutines gr, levels
// within the machine's CPUs (beyond them no law applies: the hardware
// is saturated).
func curve(g *Group, gr int, diagonal bool) curveData {
	cpus := g.Machine.CPUs()
	d := curveData{goroutines: gr}
	for _, p := range sortedByProcs(g.Points) {
		if diagonal && p.Goroutines != p.Procs || !diagonal && p.Goroutines != gr {
			continue
		}
		if cpus > 0 && p.Procs > cpus {
			continue
		}
		d.ns = append(d.ns, float64(p.Procs))
		d.secs = append(d.secs, p.secs)
	}
	return d
}

func sortedByProcs(ps []*Point) []*Point {
	out := append([]*Point(nil), ps...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Procs < out[j].Procs })
	return out
}

// fit fits the laws that apply to g.
func (b *Builder) fit(g *Group, byLevel map[level]*Point, name string) Fits {
	var f Fits
	gr, ok := verdictCurve(g)
	d := curve(g, gr, false)
	if !ok {
		d = curveData{}
	}
	weak := g.Scaling == "weak"
	na := func(why string) LawFit {
		return LawFit{FitInfo: FitInfo{Status: FitNotApplicable, Reason: why, R2: math.NaN(), RMSRelErr: math.NaN()}, SerialFraction: nanEstimate()}
	}
	if weak {
		f.Amdahl = na("a weak-scaling file (work grows with goroutines): Amdahl's law is for a fixed total")
		dd := curve(g, 0, true)
		f.Gustafson = fitSerial(gustafson, dd, b.opt, newRand(b.opt.Seed, name+"|gustafson"))
		if f.Gustafson.Status == FitTooFewLevels {
			f.Gustafson.Reason += " with goroutines = GOMAXPROCS"
		}
		f.USL = fitUSL(dd, b.opt, newRand(b.opt.Seed, name+"|usl"))
	} else {
		f.Amdahl = fitSerial(amdahl, d, b.opt, newRand(b.opt.Seed, name+"|amdahl"))
		f.Gustafson = na("a strong-scaling file (fixed total work): Gustafson's law needs parbench run --scaling weak")
		f.USL = fitUSL(d, b.opt, newRand(b.opt.Seed, name+"|usl"))
	}
	return f
}

// verdict judges g in one line.
func (b *Builder) verdict(g *Group, byLevel map[level]*Point) Verdict {
	alpha := b.opt.Thresholds.CompareAlpha
	cpus := g.Machine.CPUs()
	var v Verdict
	gr, ok := verdictCurve(g)
	var judged *Point
	if ok {
		for _, p := range sortedByProcs(g.Points) {
			if p.Goroutines == gr && p.Parallel != nil && (cpus == 0 || p.Procs <= cpus) {
				judged = p
			}
		}
	}
	if judged == nil || judged.Procs == 1 {
		v.Class = VerdictOneLevel
		v.Text = "one GOMAXPROCS level only: no parallel speedup to judge"
		if !ok {
			v.Text = "no GOMAXPROCS=1 baseline: no parallel speedup to judge"
		}
		if judged != nil {
			v.Procs, v.Goroutines = judged.Procs, judged.Goroutines
		}
		v.Text += b.concurrency(g, byLevel)
		b.limits(g, byLevel, &v, judged)
		return v
	}
	v.Procs, v.Goroutines = judged.Procs, judged.Goroutines
	r := judged.Parallel
	s := r.Speedup
	at := fmt.Sprintf("at %d procs", judged.Procs)
	if judged.Goroutines > 0 {
		at += fmt.Sprintf(", %d goroutine%s", judged.Goroutines, plural(judged.Goroutines))
	}
	switch {
	case minP(r.BaseN, judged.N) >= alpha:
		need := 1
		for minP(need, need) >= alpha {
			need++
		}
		v.Class = VerdictNotEnoughSamples
		v.Text = fmt.Sprintf("not enough samples: %d and %d at 1 and %d procs; a Mann-Whitney test needs %d a side to reach p<%g (run with --count 10)",
			r.BaseN, judged.N, judged.Procs, need, alpha)
	case b.real(r) && s.Value > 1:
		v.Class = VerdictParallel
		v.Text = fmt.Sprintf("parallel: %s %s (%d%% CI %s, %s), efficiency %.0f%%",
			fmtX(s.Value), at, pct(b.opt.Confidence), fmtCI(s), fmtP(r.P), 100*r.Efficiency)
	case b.real(r) && s.Value < 1:
		v.Class = VerdictSlower
		v.Text = fmt.Sprintf("slower in parallel: %s %s (%d%% CI %s, %s)",
			fmtX(s.Value), at, pct(b.opt.Confidence), fmtCI(s), fmtP(r.P))
	default:
		v.Class = VerdictNotParallel
		v.Text = "not parallel"
		if judged.Goroutines > 1 || judged.Goroutines == 0 {
			v.Class = VerdictConcurrentNotParallel
			v.Text = "concurrent, not parallel"
		}
		why := "no significant gain, " + fmtP(r.P)
		switch {
		case !(r.P < alpha):
		case s.Lo <= 1 && 1 <= s.Hi:
			why = fmt.Sprintf("no significant gain: %s, but the %d%% CI includes 1x", fmtP(r.P), pct(b.opt.Confidence))
		default:
			why = fmt.Sprintf("no real gain: %s, but within the %.0f%% noise floor", fmtP(r.P), 100*b.opt.MinEffect)
		}
		v.Text += fmt.Sprintf(": %s %s (%s)", fmtX(s.Value), at, why)
	}
	v.Text += b.concurrency(g, byLevel)
	b.limits(g, byLevel, &v, judged)
	return v
}

// real reports whether a ratio is a real change: significant by the
// Mann-Whitney test, its interval excluding 1x, and at least MinEffect
// away from 1x.
func (b *Builder) real(r *Ratio) bool {
	s := r.Speedup
	return r.P < b.opt.Thresholds.CompareAlpha && (s.Lo > 1 || s.Hi < 1) && math.Abs(s.Value-1) >= b.opt.MinEffect
}

// concurrency returns the clause on C(G): the gain from more goroutines
// at the fewest GOMAXPROCS, when it is significant.
func (b *Builder) concurrency(g *Group, byLevel map[level]*Point) string {
	var best *Point
	for _, p := range g.Points {
		if p.Concurrent == nil || p.Goroutines <= 1 {
			continue
		}
		if best == nil || p.Procs < best.Procs || p.Procs == best.Procs && p.Goroutines > best.Goroutines {
			best = p
		}
	}
	if best == nil || !b.real(best.Concurrent) {
		return ""
	}
	c := best.Concurrent.Speedup
	what := "concurrency gain"
	if c.Value < 1 {
		what = "more goroutines are slower"
	}
	return fmt.Sprintf("; %s: %s from %d goroutines at %d proc%s (%d%% CI %s, %s)",
		what, fmtX(c.Value), best.Goroutines, best.Procs, plural(best.Procs), pct(b.opt.Confidence), fmtCI(c), fmtP(best.Concurrent.P))
}

// limits names what limits the speedup and flags what should not be
// believed.
func (b *Builder) limits(g *Group, byLevel map[level]*Point, v *Verdict, judged *Point) {
	alpha := b.opt.Thresholds.CompareAlpha
	cpus := g.Machine.CPUs()
	gained := v.Class == VerdictParallel && judged != nil && judged.Parallel.Efficiency >= 0.9
	if judged != nil {
		// The lock: a wait share on the result lines.
		units := make([]string, 0, len(judged.Metrics))
		for u := range judged.Metrics {
			units = append(units, u)
		}
		sort.Strings(units)
		lockLimited := false
		for _, u := range units {
			w := judged.Metrics[u]
			if isShareOfWait(u) && w >= b.opt.WaitShare && w <= 1 {
				v.Limits = append(v.Limits, fmt.Sprintf("limited by the lock: goroutines wait %.0f%% of the time for it (%s)", 100*w, u))
				lockLimited = true
			}
		}
		// Memory bandwidth: cpu/stream, unless the lock already explains
		// the lack of speedup.
		if strings.Contains(g.Workload, "stream") && judged.Parallel != nil && judged.Procs > 1 && !gained && !lockLimited {
			v.Limits = append(v.Limits, fmt.Sprintf("limited by memory bandwidth: the cores share it (efficiency %.0f%% at %d procs)", 100*judged.Parallel.Efficiency, judged.Procs))
		}
		// Waiting, not computing.
		if par, ok := judged.Metrics["parallelism"]; ok && v.Class != VerdictParallel && par < 0.5 && !strings.HasPrefix(g.Workload, "cpu/") {
			v.Limits = append(v.Limits, fmt.Sprintf("the work waits rather than computes (parallelism %.2f: the CPUs are mostly idle, so more procs cannot help)", par))
		}
	}
	// Oversubscription of CPU work: goroutines beyond procs, or procs
	// beyond CPUs, significantly slower.
	if strings.HasPrefix(g.Workload, "cpu/") || g.Workload == "cpu" {
		var worst string
		for _, p := range g.Points {
			eq := byLevel[level{p.Procs, p.Procs}]
			if p.Goroutines <= p.Procs || eq == nil || p.Procs != judgedProcs(judged) {
				continue
			}
			if compare(eq.secs, p.secs, &b.opt.Thresholds) < alpha && median(p.secs) > median(eq.secs) {
				worst = fmt.Sprintf("oversubscription: %d goroutines on %d procs are %.0f%% slower than %d", p.Goroutines, p.Procs, 100*(median(p.secs)/median(eq.secs)-1), p.Procs)
			}
		}
		if worst != "" {
			v.Limits = append(v.Limits, worst)
		}
	}
	if cpus > 0 && judged != nil {
		atCPUs := byLevel[level{cpus, judged.Goroutines}]
		for _, p := range sortedByProcs(g.Points) {
			if p.Goroutines != judged.Goroutines || p.Procs <= cpus || atCPUs == nil {
				continue
			}
			if compare(atCPUs.secs, p.secs, &b.opt.Thresholds) < alpha && median(p.secs) > median(atCPUs.secs) {
				v.Limits = append(v.Limits, fmt.Sprintf("oversubscription: GOMAXPROCS %d on %d CPUs is %.0f%% slower than %d", p.Procs, cpus, 100*(median(p.secs)/median(atCPUs.secs)-1), cpus))
				break
			}
		}
	}
	// Flags: a noisy machine. The verdict compares the judged point with
	// its baseline, so either one being spread out or starved of CPU by
	// steal makes it unreliable.
	if judged != nil {
		for _, p := range []*Point{byLevel[level{1, judged.Goroutines}], judged} {
			if p == nil {
				continue
			}
			if cv := coefVar(p.secs); cv > b.opt.MaxCV {
				v.Flags = append(v.Flags, fmt.Sprintf("unreliable: samples at %d procs, %d goroutines spread %.0f%% (robust coefficient of variation above %.0f%%: a noisy machine)", p.Procs, p.Goroutines, 100*cv, 100*b.opt.MaxCV))
			}
			if st, ok := p.Metrics["steal-frac"]; ok && st > b.opt.MaxSteal {
				v.Flags = append(v.Flags, fmt.Sprintf("unreliable: %.0f%% CPU steal at %d procs, %d goroutines (the hypervisor took the CPUs)", 100*st, p.Procs, p.Goroutines))
			}
		}
	}
	// Flags: speedup beyond the CPUs, or beyond the procs. If the
	// baseline kept its CPU busy a share par1 of the time (parallelism at
	// one P), an op costs par1 x T(1) of CPU, and with n CPUs or Ps it
	// cannot take less than that over n: S(p) <= n / par1. So CPU-bound
	// work (par1 = 1) is bound by the CPU count, while work that mostly
	// waits (an fsync, a sleep) may gain beyond it.
	for _, p := range g.Points {
		if p.Parallel == nil || p.Procs == 1 || !b.real(p.Parallel) {
			continue
		}
		busy := 1.0
		if base := byLevel[level{1, p.Goroutines}]; base != nil {
			if par, ok := base.Metrics["parallelism"]; ok && par > 0 && par < 1 {
				busy = par
			}
		}
		s := p.Parallel.Speedup
		switch {
		case cpus > 0 && s.Lo > float64(cpus)/busy:
			v.Flags = append(v.Flags, fmt.Sprintf("%s at %d procs, %d goroutines exceeds what %d CPUs allow: check the measurement (a slow baseline, a changed machine)", fmtX(s.Value), p.Procs, p.Goroutines, cpus))
		case s.Lo > float64(p.Procs)/busy:
			v.Flags = append(v.Flags, fmt.Sprintf("superlinear: %s at %d procs, %d goroutines (caches, or a slow baseline)", fmtX(s.Value), p.Procs, p.Goroutines))
		}
	}
}

func judgedProcs(p *Point) int {
	if p == nil {
		return 1
	}
	return p.Procs
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func pct(c float64) int { return int(math.Round(100 * c)) }

// fmtX formats a speedup: 1.93x.
func fmtX(x float64) string {
	switch {
	case math.IsNaN(x):
		return "-"
	case x >= 100:
		return fmt.Sprintf("%.0fx", x)
	case x >= 10:
		return fmt.Sprintf("%.1fx", x)
	}
	return fmt.Sprintf("%.2fx", x)
}

// fmtCI formats an interval of speedups: 1.90-1.96.
func fmtCI(e Estimate) string {
	if math.IsNaN(e.Lo) || math.IsNaN(e.Hi) {
		return "-"
	}
	return strings.TrimSuffix(fmtX(e.Lo), "x") + "-" + strings.TrimSuffix(fmtX(e.Hi), "x")
}

// fmtP formats a p-value the way papers do.
func fmtP(p float64) string {
	switch {
	case math.IsNaN(p):
		return "-"
	case p < 0.001:
		return "p<0.001"
	}
	return fmt.Sprintf("p=%.3f", p)
}

// isShareOfWait reports whether unit is a share of time spent waiting for
// a lock ("wait-share", or another "...wait-share" unit), as opposed to a
// wait time such as "mutex-wait-sec/op", which is not a fraction.
func isShareOfWait(unit string) bool {
	return strings.HasSuffix(strings.ToLower(unit), "wait-share")
}

// coefVar is a robust coefficient of variation: the median absolute
// deviation scaled to a normal standard deviation (x 1.4826), over the
// median. One outlier sample, which the median and its interval shrug
// off, does not make a point look noisy; a wide spread does. 0 for fewer
// than two samples.
func coefVar(xs []float64) float64 {
	if len(xs) < 2 {
		return 0
	}
	m := median(xs)
	if m == 0 {
		return 0
	}
	dev := make([]float64, len(xs))
	for i, x := range xs {
		dev[i] = math.Abs(x - m)
	}
	return 1.4826 * median(dev) / m
}
