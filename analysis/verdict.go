package analysis

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/parbench/parbench/results"
)

// Every statement a verdict makes is a claim, and every claim meets one
// bar, the main verdict's: its p-value is below alpha after the
// corrections below, its confidence interval excludes "no effect", and
// the effect is at least Options.MinEffect. The claims:
//
//   - main: S(p) at the judged point against GOMAXPROCS=1 (parallel or
//     slower);
//   - peak: a speedup that peaks below the judged level and falls by
//     the judged one (retrograde);
//   - concurrency: C(G) at the fewest procs and most goroutines;
//   - oversubscription by goroutines (more goroutines than procs) and by
//     procs (more GOMAXPROCS than CPUs);
//   - beyond: a speedup beyond the procs (superlinear) or beyond the
//     CPUs, tested against the bound, not against 1x.
//
// A claim that scans several points (the oversubscription scans, the
// beyond scan) is one family: its p-values are adjusted with Holm's
// step-down method, and the peak, picked as the largest of several
// levels, is adjusted by the number of levels it was picked from. Each
// group then contributes one p-value per claim it tested, and across all
// groups of the report the false discovery rate is controlled with the
// Benjamini-Hochberg procedure at Options.FDR (0: off, each claim at
// alpha on its own).

// tester records the p-values of one report's claims in a first pass
// and hands back their adjusted values in the second.
type tester struct {
	adjusted map[string]float64 // nil in the first pass
	keys     []string
	raw      []float64
}

// p registers claim key's p-value (first pass) or returns its adjusted
// value (second pass). A NaN p-value is no test and is not registered.
func (t *tester) p(key string, p float64) float64 {
	if math.IsNaN(p) {
		return p
	}
	if t.adjusted != nil {
		if a, ok := t.adjusted[key]; ok {
			return a
		}
		return p
	}
	t.keys = append(t.keys, key)
	t.raw = append(t.raw, p)
	return p
}

// benjaminiHochberg returns the BH-adjusted p-values of ps (Benjamini
// and Hochberg, JRSS B 57(1), 1995): p(i) m / i, made monotone from the
// largest down and capped at 1. A claim is a discovery at false
// discovery rate q when its adjusted p-value is below q.
func benjaminiHochberg(ps []float64) []float64 {
	m, idx := len(ps), ascending(ps)
	out := make([]float64, m)
	run := 1.0
	for r := m - 1; r >= 0; r-- {
		i := idx[r]
		run = math.Min(run, ps[i]*float64(m)/float64(r+1))
		out[i] = math.Min(1, run)
	}
	return out
}

// ascending returns the indices of ps in ascending order of p.
func ascending(ps []float64) []int {
	idx := make([]int, len(ps))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return ps[idx[a]] < ps[idx[b]] })
	return idx
}

// holm returns Holm's step-down adjusted p-values of one family (Holm,
// Scand. J. Statist. 6(2), 1979): (m-i+1) p(i), made monotone from the
// smallest up and capped at 1.
func holm(ps []float64) []float64 {
	m := len(ps)
	out := make([]float64, m)
	run := 0.0
	for r, i := range ascending(ps) {
		run = math.Max(run, math.Min(1, float64(m-r)*ps[i]))
		out[i] = run
	}
	return out
}

// judgement is what one pass over a group needs.
type judgement struct {
	b       *Builder
	g       *Group
	byLevel map[level]*Point
	t       *tester
	name    string // the group's seed name, also the prefix of claim keys
	claims  []Claim
}

// claim records one tested claim and returns it: p is its p-value after
// any family correction, effect whether the effect and interval part of
// the bar holds; Made says whether the claim is made.
func (j *judgement) claim(kind, text string, p float64, effect bool) Claim {
	adj := j.t.p(j.name+"|"+kind, p)
	c := Claim{Kind: kind, Text: text, P: p, PAdjusted: adj, Effect: effect, Made: effect && j.b.significant(adj)}
	j.claims = append(j.claims, c)
	return c
}

// significant reports whether an adjusted p-value passes: below the
// false discovery rate when it is controlled, else below alpha.
func (b *Builder) significant(p float64) bool {
	if b.opt.FDR > 0 {
		return p < b.opt.FDR
	}
	return p < b.opt.Thresholds.CompareAlpha
}

// effect reports whether a ratio's effect part of the bar holds: its
// interval excludes 1x and it is at least MinEffect away from 1x.
func (b *Builder) effect(s Estimate) bool {
	return (s.Lo > 1 || s.Hi < 1) && math.Abs(s.Value-1) >= b.opt.MinEffect
}

// verdict judges g in one line. t records the claims' p-values (first
// pass) or supplies their adjusted values (second pass).
func (b *Builder) verdict(g *Group, byLevel map[level]*Point, t *tester, name string) Verdict {
	j := &judgement{b: b, g: g, byLevel: byLevel, t: t, name: name}
	v := j.verdict()
	v.Claims = j.claims
	for _, f := range g.Failed {
		v.Failed = append(v.Failed, f.String())
	}
	return v
}

func (j *judgement) verdict() Verdict {
	b, g := j.b, j.g
	if rate := g.rate(); rate != "" {
		return openLoop(g, rate, b.opt.MinEffect)
	}
	alpha := b.opt.Thresholds.CompareAlpha
	cpus := g.cpuCap() // the known CPUs, or where the curve stops rising
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
		v.Head = v.Text
		j.concurrency(&v)
		j.limits(&v, judged, nil)
		return v
	}
	v.Procs, v.Goroutines = judged.Procs, judged.Goroutines
	r := judged.Parallel
	s := r.Speedup
	at := "at " + fmtAt(judged.Procs, judged.Goroutines)
	if minP(r.BaseN, judged.N) >= alpha {
		need := 1
		for minP(need, need) >= alpha {
			need++
		}
		v.Class = VerdictNotEnoughSamples
		v.Head = fmt.Sprintf("not enough samples: %d and %d at 1 and %d procs", r.BaseN, judged.N, judged.Procs)
		v.Text = fmt.Sprintf("%s; a Mann-Whitney test needs %d a side to reach p<%g (run with --count 10)", v.Head, need, alpha)
		j.concurrency(&v)
		j.limits(&v, judged, nil)
		return v
	}
	kind := "parallel"
	if s.Value < 1 {
		kind = "slower"
	}
	main := len(j.claims)
	mc := j.claim(kind, fmt.Sprintf("%s %s", fmtX(s.Value), at), r.P, b.effect(s))
	real, adj := mc.Made, mc.PAdjusted
	pText := j.fmtClaimP(mc)
	ci := fmt.Sprintf("%d%% CI %s", pct(b.opt.Confidence), fmtCI(s))
	head := func(what string) string { return fmt.Sprintf("%s: %s %s (%s)", what, fmtX(s.Value), at, ci) }
	// headWhy is a head with its reason in a few words, which the
	// summary shows, and the text, which goes on from it with detail.
	headWhy := func(what, why, detail string) (head, text string) {
		head = fmt.Sprintf("%s: %s %s (%s; %s", what, fmtX(s.Value), at, ci, why)
		return head + ")", head + detail + ")"
	}
	// ideal is the most that parallel execution can give the judged
	// point: one CPU per proc, per goroutine, per CPU of the machine.
	ideal := min(judged.Procs, cpuOr(cpus, judged.Procs))
	if judged.Goroutines > 0 {
		ideal = min(ideal, judged.Goroutines)
	}
	switch {
	case real && s.Value > 1:
		v.Class = VerdictParallel
		v.Head = head("parallel")
		v.Text = fmt.Sprintf("parallel: %s %s (%s, %s), efficiency %.0f%%",
			fmtX(s.Value), at, ci, pText, 100*r.Efficiency)
	case real && s.Value < 1:
		v.Class = VerdictSlower
		v.Head = head("slower in parallel")
		v.Text = fmt.Sprintf("slower in parallel: %s %s (%s, %s)", fmtX(s.Value), at, ci, pText)
	default:
		what := "not parallel"
		v.Class = VerdictNotParallel
		// Concurrent only where the name says so: go test's -cpu alone
		// (no goroutines key) may have run one goroutine or, through
		// RunParallel, one per proc, and the file does not say which.
		if judged.Goroutines > 1 {
			v.Class = VerdictConcurrentNotParallel
			what = "concurrent, not parallel"
		}
		// The head's reason is short: the first part of the bar that
		// fails. The text goes on with its p-value. Past the interval
		// and the noise floor, the claim tested was "faster", or
		// "slower" when the whole interval lies below 1x.
		gain := "gain"
		if s.Hi < 1 {
			gain = "slowdown"
		}
		var reason, detail string
		switch {
		case s.Lo <= 1 && 1 <= s.Hi:
			reason, detail = "no significant gain", ", "+pText
			if b.significant(adj) {
				detail = fmt.Sprintf(": %s, but the %d%% CI includes 1x", pText, pct(b.opt.Confidence))
			}
		case !mc.Effect:
			reason, detail = fmt.Sprintf("within the %.0f%% noise floor", 100*b.opt.MinEffect), ", "+pText
			if b.significant(adj) {
				detail = fmt.Sprintf(": %s, but too small to be a real gain", pText)
			}
		case b.opt.FDR > 0 && mc.P < b.opt.Thresholds.CompareAlpha:
			reason = "no significant " + gain + " after the false discovery rate control"
			detail = fmt.Sprintf(": %s, %s adjusted", fmtP(mc.P), fmtAdjusted(adj))
		default:
			// The bootstrap interval excludes 1x but the rank test finds
			// no difference: the p-value belongs in the head.
			reason = "no significant " + gain + ", " + pText
		}
		v.Head, v.Text = headWhy(what, reason, detail)
		// "Not parallel" is a claim of absence: the interval must rule
		// out at least half the ideal gain, or the data are too noisy to
		// tell either way.
		if bound := 1 + 0.5*float64(ideal-1); ideal > 1 && !(s.Hi < bound) {
			v.Class = VerdictInconclusive
			v.Head, v.Text = headWhy("inconclusive", "too noisy to tell",
				fmt.Sprintf(": the interval reaches %s, half the ideal gain of %s, %s", fmtX(bound), fmtX(float64(ideal)), pText))
		}
	}
	if peak := j.peak(judged, at); peak != "" {
		v.Class = VerdictRetrograde
		v.Head = head("retrograde")
		v.Text = peak
	}
	// A busy machine hides a speedup, so only a clear one (90%
	// efficiency or more) survives it. It can also make one: the
	// baseline's one thread gets a smaller share of the CPUs the other
	// programs hold, and its wake-ups wait behind them. A speedup whose
	// whole interval lies beyond what parallel execution can give
	// (webapp/noisy-neighbor under gil beside two busy programs: 3.53x
	// at 2 procs, 1.25x on the quiet machine) is that, not parallelism,
	// and so is one that the CPU share the run won from them explains
	// (shareGain: cpu/stream beside two yes on 2 CPUs, 1.90x at 2 procs
	// with 95% efficiency, got 0.50 CPUs at 1 proc and 1.00 at 2). The
	// efficiency that survives a busy machine is the one net of that
	// share.
	busy := j.busy(judged)
	beyond := v.Class == VerdictParallel && s.Lo > float64(ideal)
	gain, share := j.shareGain(judged)
	net := Estimate{Value: s.Value / gain, Lo: s.Lo / gain, Hi: s.Hi / gain}
	won := v.Class == VerdictParallel && gain > 1 && !(net.Value > 1 && b.effect(net))
	if v.Class == VerdictParallel && gain > 1 {
		share += fmt.Sprintf(": the CPU time it won from the other programs explains %s of the %s, which leaves %s to parallelism (%d%% CI %s, %.0f%% efficiency)",
			fmtX(gain), fmtX(s.Value), fmtX(net.Value), pct(b.opt.Confidence), fmtCI(net), 100*r.Efficiency/gain)
	}
	switch {
	case busy != "" && (v.Class != VerdictParallel || r.Efficiency/gain < 0.9 || beyond):
		why := busy
		switch {
		case beyond:
			why += fmt.Sprintf(", and a speedup beyond the %s that parallel execution can give %s comes from the load (the baseline's share of the CPUs, its wake-ups behind other programs), not from parallelism",
				fmtX(float64(ideal)), at)
		case v.Class == VerdictParallel && gain > 1:
			why = share
		}
		v.Class = VerdictInconclusive
		v.Head, v.Text = headWhy("inconclusive", "the machine was busy", ": "+why)
	case won:
		busy = share
		v.Class = VerdictInconclusive
		v.Head, v.Text = headWhy("inconclusive", "the machine was busy", ": "+share)
	}
	// The main claim is made only where the verdict makes it; where the
	// share explains the gain, its effect part fails too.
	if v.Class == VerdictInconclusive {
		j.claims[main].Made = false
		if won {
			j.claims[main].Effect = false
		}
	}
	j.concurrency(&v)
	j.limits(&v, judged, &busy)
	return v
}

// openLoop is the verdict of an open-loop group (its file's
// results.KeyRate setting, `parbench run --rate`): its clients send rate
// ops a second whatever the procs and goroutines, so while the service
// keeps up each point's sec/op is 1/rate by construction and a flat
// S(p) says nothing of what the procs could serve. No claim is tested:
// the latencies from each op's due time (p50-sec, p99-sec) and how far
// the clients fell behind (behind-sec), in the group's table, are what
// such a run measures.
//
// Where a point served less than the rate (its median ops/s below the
// rate by more than minEffect), the service fell behind: the verdict
// names the point that served least, not "the offered rate".
func openLoop(g *Group, rate string, minEffect float64) Verdict {
	r, _ := strconv.ParseFloat(rate, 64)
	var short *Point
	for _, p := range g.Points {
		x := 1 / p.SecPerOp.Value
		if r > 0 && x < r/(1+minEffect) && (short == nil || p.SecPerOp.Value > short.SecPerOp.Value) {
			short = p
		}
	}
	head := fmt.Sprintf("open loop at %s ops/s: the service kept up, so the throughput is the offered rate", rate)
	if short != nil {
		head = fmt.Sprintf("open loop at %s ops/s: the service fell behind, serving %s ops/s at %d procs, %d goroutines", rate,
			strconv.FormatFloat(1/short.SecPerOp.Value, 'f', 0, 64), short.Procs, short.Goroutines)
	}
	return Verdict{
		Class: VerdictOpenLoop,
		Head:  head,
		Text: fmt.Sprintf("%s (%s=%s); while the service keeps up an open loop's sec/op is 1/rate by construction, not what the procs or goroutines could serve, so nothing is judged from sec/op; %s, %s and %s, from each op's due time, measure the service",
			head, results.KeyRate, rate, "p50-sec", "p99-sec", results.UnitBehind),
	}
}

// fmtClaimP formats a claim's p-value: the raw one, and the adjusted one
// beside it when the report controls the false discovery rate and the
// adjustment matters: for a claim made, when it is near the line; for a
// claim not made, when the raw p-value alone would have passed.
func (j *judgement) fmtClaimP(c Claim) string {
	b, raw, adj := j.b, c.P, c.PAdjusted
	if b.opt.FDR <= 0 || math.IsNaN(adj) || fmtP(adj) == fmtP(raw) {
		return fmtP(raw)
	}
	made := b.significant(adj)
	if made && adj >= 0.005 || !made && raw < b.opt.Thresholds.CompareAlpha {
		return fmt.Sprintf("%s, %s after the false discovery rate control", fmtP(raw), fmtAdjusted(adj))
	}
	return fmtP(raw)
}

// peak returns the retrograde verdict when the S(p) curve at the judged
// goroutines peaks at a level below the judged one and falls from it:
// the peak's gain over GOMAXPROCS=1 and the drop from the peak to the
// judged level must both meet the bar. The peak is the largest of m
// candidate levels, so its p-value is m times the larger of the two
// tests' (Bonferroni over the candidates; both tests must hold).
func (j *judgement) peak(judged *Point, at string) string {
	b := j.b
	var cands []*Point
	for _, p := range sortedByProcs(j.g.Points) {
		if p.Goroutines == judged.Goroutines && p.Parallel != nil && p.Procs > 1 && p.Procs < judged.Procs {
			cands = append(cands, p)
		}
	}
	if len(cands) == 0 {
		return ""
	}
	pk := cands[0]
	for _, p := range cands {
		if p.Parallel.Speedup.Value > pk.Parallel.Speedup.Value {
			pk = p
		}
	}
	if pk.Parallel.Speedup.Value <= judged.Parallel.Speedup.Value {
		return ""
	}
	drop := b.bootRatio(j.name+"|drop", judged, pk)
	gain := pk.Parallel.Speedup
	pGain := oneSided(pk.Parallel.P, gain.Value > 1)
	pDrop := oneSided(compare(pk.secs, judged.secs, &b.opt.Thresholds), drop.Value > 1)
	p := math.Min(1, float64(len(cands))*math.Max(pGain, pDrop))
	ok := gain.Value > 1 && b.effect(gain) && drop.Value > 1 && b.effect(drop)
	text := fmt.Sprintf("%s %s, down from a peak of %s at %d procs", fmtX(judged.Parallel.Speedup.Value), at, fmtX(gain.Value), pk.Procs)
	c := j.claim("peak", text, p, ok)
	if !c.Made {
		return ""
	}
	return fmt.Sprintf("retrograde: %s %s (%d%% CI %s), down from a peak of %s at %d procs: %s slower than the peak (%d%% CI %s, %s)",
		fmtX(judged.Parallel.Speedup.Value), at, pct(b.opt.Confidence), fmtCI(judged.Parallel.Speedup), fmtX(gain.Value), pk.Procs,
		fmtX(drop.Value), pct(b.opt.Confidence), fmtCI(drop), j.fmtClaimP(c))
}

// load is what one point's samples say the machine left the run: each
// sample records the runnable threads besides the run's
// (other-runnable), the share of the CPU time the hypervisor stole
// (steal-frac) and the CPU time per wall time the run got (parallelism).
// The figures are the medians over the point's samples.
type load struct {
	others, steal float64
	// need is the CPUs the point could use: min(procs, goroutines, CPUs).
	need int
	// cpus is the machine's CPUs less the stolen share.
	cpus float64
	// got is the CPUs the run got, its parallelism; NaN where the file
	// does not say.
	got float64
}

// load returns p's load, and false where the file records neither other
// runnable threads nor steal, or the machine's CPUs are unknown.
func (j *judgement) load(p *Point) (load, bool) {
	cpus := j.g.Machine.CPUs()
	others, okO := p.samples["other-runnable"]
	steal := p.samples["steal-frac"]
	if cpus == 0 || !okO && len(steal) == 0 {
		return load{}, false
	}
	l := load{need: min(p.Procs, cpus), got: math.NaN()}
	if p.Goroutines > 0 {
		l.need = min(l.need, p.Goroutines)
	}
	if okO {
		l.others = median(others)
	}
	if len(steal) > 0 {
		l.steal = median(steal)
	}
	if par, ok := p.samples["parallelism"]; ok && len(par) > 0 {
		l.got = median(par)
	}
	l.cpus = float64(cpus) * (1 - l.steal)
	return l, true
}

// free is the CPUs the other programs left the run.
func (l load) free() float64 { return l.cpus - l.others }

// share is the CPUs the kernel's fair scheduler gives the run's need
// runnable threads beside the others: a CPU each while they all fit,
// else the CPUs split evenly among every runnable thread, cpus x need /
// (need + others).
func (l load) share() float64 {
	n := float64(l.need)
	if n+l.others <= l.cpus {
		return n
	}
	return l.cpus * n / (n + l.others)
}

// why says what the others and the steal left the run at p, in the
// words of a busy verdict.
func (l load) why(p *Point, cpus int) string {
	why := fmt.Sprintf("%.1f threads besides the run's were runnable", l.others)
	if l.steal > 0.005 {
		why += fmt.Sprintf(" and the hypervisor stole %.0f%% of the CPU time", 100*l.steal)
	}
	return why + fmt.Sprintf(" on its %d CPUs, leaving %.1f of the %d the run needed at %d proc%s",
		cpus, math.Max(0, l.free()), l.need, p.Procs, plural(p.Procs))
}

// busy returns why the machine's CPUs were not available to the judged
// point and its baseline, from the file's own figures (load), or "". A
// point that needed n CPUs and was left fewer than n/2 could not show
// its speedup. Both points must be starved: other programs load the
// machine through the whole interleaved run, while a workload's own
// kernel work (an fsync's flusher threads) counts as "others" mostly
// where the workload itself runs wide.
func (j *judgement) busy(judged *Point) string {
	cpus := j.g.Machine.CPUs()
	base := j.byLevel[level{1, judged.Goroutines}]
	if cpus == 0 || base == nil {
		return ""
	}
	why := ""
	for _, p := range []*Point{base, judged} {
		l, ok := j.load(p)
		if !ok || l.free() >= float64(l.need)/2 {
			return ""
		}
		why = l.why(p, cpus)
	}
	return why
}

// shareGain returns the gain in speed that the CPU share the run won
// from other programs explains at the judged point, 1 where it explains
// none, and the figures that show it, in the words of a busy verdict.
//
// Beside o other runnable threads on c CPUs, the kernel's fair
// scheduler gives a run of n runnable threads about c x n / (n + o) CPUs
// once n + o > c (load.share). The baseline's one thread then gets less
// than the CPU of its own it would have on a quiet machine, and the
// judged point's n threads win a larger share: 2 CPUs beside two busy
// programs give one thread 0.67 and two threads 1.00. A run that never
// runs on two CPUs at once would gain that much from the share alone:
// its time per op goes with the CPU it gets, up to one CPU. So where
// the load held the baseline below a CPU, the gain the share alone
// explains is
//
//	min(1, CPUs at the judged point) / CPUs at the baseline
//
// taken both from the fair share and from the parallelism the file
// records, what the run actually got (the scheduler is not exactly fair:
// cpu/stream beside two yes got 0.50 at 1 proc, not 0.67), whichever is
// larger. A speedup divided by that gain is what is left to
// parallelism; the gain is a ratio of medians, so its own spread is not
// in that interval. Work that waits gets little CPU even alone, but
// beside others its wake-ups wait behind them too, so where the load
// held its baseline below a CPU its gain is judged the same way. On a
// quiet machine the baseline has its CPU and the share explains nothing.
func (j *judgement) shareGain(judged *Point) (float64, string) {
	cpus := j.g.Machine.CPUs()
	base := j.byLevel[level{1, judged.Goroutines}]
	if base == nil || base == judged {
		return 1, ""
	}
	lb, okB := j.load(base)
	lp, okP := j.load(judged)
	if !okB || !okP || lb.share() >= 1 {
		return 1, ""
	}
	gain := math.Min(1, lp.share()) / lb.share()
	measured := lb.got > 0 && lp.got > 0
	if measured {
		gain = math.Max(gain, math.Min(1, lp.got)/math.Min(1, lb.got))
	}
	if gain <= 1 {
		return 1, ""
	}
	why := fmt.Sprintf("%.1f threads besides the run's were runnable on its %d CPUs at 1 proc and %.1f at %d procs",
		lb.others, cpus, lp.others, judged.Procs)
	if lb.steal > 0.005 || lp.steal > 0.005 {
		why += fmt.Sprintf(" and the hypervisor stole %.0f%% and %.0f%% of the CPU time", 100*lb.steal, 100*lp.steal)
	}
	why += fmt.Sprintf(", leaving %.1f of the 1 CPU the run needed and %.1f of the %d; the fair scheduler's share was %.2f and %.2f CPUs",
		math.Max(0, lb.free()), math.Max(0, lp.free()), lp.need, lb.share(), lp.share())
	if measured {
		why += fmt.Sprintf(" and the run got %.2f and %.2f (parallelism)", lb.got, lp.got)
	}
	return gain, why
}

// concurrency adds the note on C(G) to v: the gain from more goroutines
// at the fewest GOMAXPROCS, when it meets the bar. The point is chosen
// before looking at its result (fewest procs, then most goroutines), so
// it is one test.
func (j *judgement) concurrency(v *Verdict) {
	b := j.b
	var best *Point
	for _, p := range j.g.Points {
		if p.Concurrent == nil || p.Goroutines <= 1 {
			continue
		}
		if best == nil || p.Procs < best.Procs || p.Procs == best.Procs && p.Goroutines > best.Goroutines {
			best = p
		}
	}
	if best == nil {
		return
	}
	c := best.Concurrent.Speedup
	what := "concurrency gain"
	if c.Value < 1 {
		what = "more goroutines are slower"
	}
	text := fmt.Sprintf("%s: %s from %d goroutines at %d proc%s", what, fmtX(c.Value), best.Goroutines, best.Procs, plural(best.Procs))
	cl := j.claim("concurrency", text, best.Concurrent.P, b.effect(c))
	if !cl.Made {
		return
	}
	v.Notes = append(v.Notes, fmt.Sprintf("%s (%d%% CI %s, %s)", text, pct(b.opt.Confidence), fmtCI(c), j.fmtClaimP(cl)))
}

// scanMember is one point of a scanning claim's family.
type scanMember struct {
	p      float64 // raw p-value
	effect bool    // the effect part of the bar
	size   float64 // the effect's size, to pick the member reported
	text   func() string
}

// scan makes a family's claim: Holm-adjusts its members' p-values and
// reports the member with the smallest adjusted p-value among those
// whose effect meets the bar (the largest effect on a tie), as one
// claim. It returns the member's text, or "".
func (j *judgement) scan(kind string, family []scanMember) string {
	if len(family) == 0 {
		return ""
	}
	ps := make([]float64, len(family))
	for i, m := range family {
		ps[i] = m.p
	}
	adj := holm(ps)
	best := -1
	for i, m := range family {
		if !m.effect {
			continue
		}
		if best < 0 || adj[i] < adj[best] || adj[i] == adj[best] && m.size > family[best].size {
			best = i
		}
	}
	if best < 0 {
		// No member has a real effect: the family was still tested.
		minAdj := 1.0
		for _, a := range adj {
			minAdj = math.Min(minAdj, a)
		}
		j.claim(kind, "", minAdj, false)
		return ""
	}
	text := family[best].text()
	if !j.claim(kind, text, adj[best], true).Made {
		return ""
	}
	return text
}

// limits names what limits the speedup and flags what should not be
// believed. busy, when not nil, is why the machine was busy ("" if it
// was not): a busy machine explains a lack of speedup, so only the
// limits measured directly (the lock's wait share) are named then.
func (j *judgement) limits(v *Verdict, judged *Point, busy *string) {
	b, g, byLevel := j.b, j.g, j.byLevel
	cpus := g.Machine.CPUs()
	isBusy := busy != nil && *busy != ""
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
		// A lock of the code itself (a sync.Mutex), from the runtime's
		// own count of the time goroutines spent blocked on one: named
		// where the lock mode's figure has not already named the lock,
		// the machine was not busy (a busy machine deschedules a lock's
		// holder and so lengthens every wait for it, the runtime's own
		// locks' included), the speedup falls short and the work does
		// not wait (the waiting limit below explains it then).
		if !lockLimited && !isBusy && !gained && !waits(g, judged) {
			if s := j.mutexWait(judged); s != "" {
				v.Limits = append(v.Limits, s)
				lockLimited = true
			}
		}
		// Memory bandwidth: a memory-bound workload (cpu/stream), unless
		// the lock already explains the lack of speedup.
		if !isBusy && g.Class == results.ClassMemory && judged.Parallel != nil && judged.Procs > 1 && !gained && !lockLimited {
			if ref := j.b.computeBound(g, judged); ref != "" {
				v.Limits = append(v.Limits, fmt.Sprintf("limited by memory bandwidth: the cores share it (efficiency %.0f%% at %d procs, %s)", 100*judged.Parallel.Efficiency, judged.Procs, ref))
			}
		}
		// Waiting, not computing.
		if !isBusy && v.Class != VerdictParallel && waits(g, judged) {
			v.Limits = append(v.Limits, fmt.Sprintf("the work waits rather than computes (parallelism %.2f: the CPUs are mostly idle, so more procs cannot help)", judged.Metrics["parallelism"]))
		}
	}
	// Waiting work's throughput: G/latency or the CPUs.
	if s := j.throughputBound(judged); s != "" {
		v.Limits = append(v.Limits, s)
	}
	// Oversubscription of CPU work: goroutines beyond procs, or procs
	// beyond CPUs, really slower (each scan one family).
	if !isBusy && g.Class.Computes() {
		var family []scanMember
		for _, p := range g.Points {
			eq := byLevel[level{p.Procs, p.Procs}]
			if p.Goroutines <= p.Procs || eq == nil || p.Procs != judgedProcs(judged) {
				continue
			}
			family = append(family, j.slowdown(eq, p, fmt.Sprintf("oversubscription|%d|%d", p.Procs, p.Goroutines), func(sd Estimate) string {
				return fmt.Sprintf("oversubscription: %d goroutines on %d procs are %.0f%% slower than %d (%d%% CI %s)",
					p.Goroutines, p.Procs, 100*(sd.Value-1), p.Procs, pct(b.opt.Confidence), fmtPctCI(sd))
			}))
		}
		if s := j.scan("oversubscription-goroutines", family); s != "" {
			v.Limits = append(v.Limits, s)
		}
	}
	if !isBusy && cpus > 0 && judged != nil {
		if atCPUs := byLevel[level{cpus, judged.Goroutines}]; atCPUs != nil {
			var family []scanMember
			for _, p := range sortedByProcs(g.Points) {
				if p.Goroutines != judged.Goroutines || p.Procs <= cpus {
					continue
				}
				family = append(family, j.slowdown(atCPUs, p, fmt.Sprintf("oversubscription-procs|%d", p.Procs), func(sd Estimate) string {
					return fmt.Sprintf("oversubscription: GOMAXPROCS %d on %d CPUs is %.0f%% slower than %d (%d%% CI %s)",
						p.Procs, cpus, 100*(sd.Value-1), cpus, pct(b.opt.Confidence), fmtPctCI(sd))
				}))
			}
			if s := j.scan("oversubscription-procs", family); s != "" {
				v.Limits = append(v.Limits, s)
			}
		}
	}
	// Flags: a noisy machine. The verdict compares the judged point with
	// its baseline, so either one being spread out or starved of CPU by
	// steal makes it unreliable.
	// One flag for each cause, naming every point that has it.
	if judged != nil {
		var spread, steal []string
		pts := []*Point{judged}
		// A one-level group's judged point is its own baseline.
		if base := byLevel[level{1, judged.Goroutines}]; base != nil && base != judged {
			pts = []*Point{base, judged}
		}
		for _, p := range pts {
			if cv := coefVar(p.secs); cv > b.opt.MaxCV {
				spread = append(spread, fmt.Sprintf("%.0f%% at %s", 100*cv, fmtAt(p.Procs, p.Goroutines)))
			}
			if st, ok := p.Metrics["steal-frac"]; ok && st > b.opt.MaxSteal {
				steal = append(steal, fmt.Sprintf("%.0f%% at %s", 100*st, fmtAt(p.Procs, p.Goroutines)))
			}
		}
		if len(spread) > 0 {
			v.Flags = append(v.Flags, fmt.Sprintf("unreliable: samples spread %s (robust coefficient of variation above %.0f%%: a noisy machine)", strings.Join(spread, " and "), 100*b.opt.MaxCV))
		}
		if len(steal) > 0 {
			v.Flags = append(v.Flags, fmt.Sprintf("unreliable: CPU steal %s (the hypervisor took the CPUs)", strings.Join(steal, " and ")))
		}
	}
	// Flags: speedup beyond the CPUs, or beyond the procs. If the
	// baseline kept its CPU busy a share par1 of the time (parallelism at
	// one P), an op costs par1 x T(1) of CPU, and with n CPUs or Ps it
	// cannot take less than that over n: S(p) <= n / par1. So CPU-bound
	// work (par1 = 1) is bound by the CPU count, while work that mostly
	// waits (an fsync, a sleep) may gain beyond it. The test is against
	// the bound, not against 1x: the baseline's times scaled down by the
	// bound against the point's, and the interval's lower end must lie
	// above the bound by the noise floor.
	var family []scanMember
	for _, p := range sortedByProcs(g.Points) {
		base := byLevel[level{1, p.Goroutines}]
		if p.Parallel == nil || p.Procs == 1 || base == nil {
			continue
		}
		busy := 1.0
		if par, ok := base.Metrics["parallelism"]; ok && par > 0 && par < 1 {
			busy = par
		}
		s := p.Parallel.Speedup
		bound, beyondCPUs := float64(p.Procs)/busy, false
		if cpus > 0 && cpus < p.Procs {
			bound, beyondCPUs = float64(cpus)/busy, true
		}
		family = append(family, scanMember{
			p:      pBeyond(base.secs, p.secs, bound, s.Value, &b.opt.Thresholds),
			effect: s.Lo > bound*(1+b.opt.MinEffect),
			size:   s.Value / bound,
			text: func() string {
				if beyondCPUs {
					return fmt.Sprintf("%s at %s exceeds what %d CPUs allow (%d%% CI %s): check the measurement (a slow baseline, a changed machine)",
						fmtX(s.Value), fmtAt(p.Procs, p.Goroutines), cpus, pct(b.opt.Confidence), fmtCI(s))
				}
				return fmt.Sprintf("superlinear: %s at %s (%d%% CI %s; caches, or a slow baseline)",
					fmtX(s.Value), fmtAt(p.Procs, p.Goroutines), pct(b.opt.Confidence), fmtCI(s))
			},
		})
	}
	if s := j.scan("beyond", family); s != "" {
		v.Flags = append(v.Flags, s)
	}
}

// waits reports whether the work at p waits rather than computes: its
// class is not computation and its CPUs were busy less than half the
// time (parallelism below 0.5).
func waits(g *Group, p *Point) bool {
	par, ok := p.Metrics["parallelism"]
	return ok && par < 0.5 && !g.Class.Computes()
}

// mutexWait names the lock from the runtime's count of the time
// blocked on locks at the judged procs: at the judged point, or else at
// the goroutine count where the share's interval reaches highest. A
// sync.Mutex under contention on several procs first spins, and a
// waiter it wakes waits as runnable, neither of which the runtime
// counts: a mutex that two goroutines share may show no blocking at
// all while one of 8 goroutines shows it plainly. Every point named is
// one where the share's interval lies at or above Options.WaitShare.
//
// The figure counts the runtime's own locks with sync.Mutex, so a point
// is not named where they, or a lock already named, account for it:
// where the lock mode's own wait share reaches Options.WaitShare (its
// lock is the one contended there, and the GIL's waits go through
// channels, whose locks the runtime counts in the figure), where the GC's
// share of the CPU (results.UnitGCShare) reaches it (allocation and GC
// contend on the heap's locks: cpu/alloc, which holds no lock, blocks
// 15% of its time at 16 procs with the GC at 13%), and where the work
// waits (the timer and network poller locks of thousands of sleeping
// goroutines). A sync.Mutex in code that allocates that fast is then
// not named either: the figure cannot tell the two apart.
func (j *judgement) mutexWait(judged *Point) string {
	b := j.b
	best, bestW := (*Point)(nil), Estimate{}
	for _, p := range sortedByProcs(j.g.Points) {
		if p.Procs != judged.Procs || p.Goroutines < 2 && p != judged {
			continue
		}
		if lockWaitShare(p) >= b.opt.WaitShare || p.Metrics[results.UnitGCShare] >= b.opt.WaitShare || waits(j.g, p) {
			continue
		}
		w, ok := b.mutexWaitShare(p)
		if !ok || !(w.Lo >= b.opt.WaitShare) || w.Value > 1 {
			continue
		}
		if best == nil || p == judged || best != judged && w.Lo > bestW.Lo {
			best, bestW = p, w
		}
	}
	if best == nil {
		return ""
	}
	return fmt.Sprintf("limited by a lock: time blocked on locks adds up to %.0f%% of the goroutines' time at %s (%s: sync.Mutex and sync.RWMutex, and the Go runtime's own locks, which the runtime counts with them)",
		100*bestW.Value, fmtAt(best.Procs, best.Goroutines), results.UnitMutexWait)
}

// lockWaitShare returns the lock mode's own wait share at p: the
// largest of its wait-share units (isShareOfWait) at or below 1, or 0
// without one.
func lockWaitShare(p *Point) float64 {
	w := 0.0
	for u, v := range p.Metrics {
		if isShareOfWait(u) && v <= 1 {
			w = max(w, v)
		}
	}
	return w
}

// mutexWaitShare returns the share of p's goroutine time spent blocked
// on a lock, from the runtime's count of it (results.UnitMutexWait),
// and whether p has one. Each sample's ops take G goroutines sec/op x
// ops seconds of wall time, so they have G x sec/op of goroutine time
// per op, of which mutex-wait-sec/op was spent blocked:
//
//	share = mutex-wait-sec/op / (G x sec/op)
//
// The same law holds under weak scaling, where sec/op is also the wall
// time over all the goroutines' ops. The share is the median wait over
// G x the median sec/op, with the median wait's interval (benchmath's,
// from order statistics: none below 6 samples) so scaled. The limit is
// named only where that interval's lower end reaches the threshold: the
// runtime times one blocking wait in 8 and counts it 8 times, so a few
// long waits make single samples' shares jump far above the truth. A
// goroutine that finishes before the others lives less than the
// sample's wall time, so the share is, if anything, low; the runtime's
// own locks, which its threads wait on with or without a goroutine, are
// the one way it can be high. Without a goroutine count (go test's -cpu
// alone) there is no share.
func (b *Builder) mutexWaitShare(p *Point) (Estimate, bool) {
	if p == nil || p.Goroutines <= 0 || !(p.SecPerOp.Value > 0) {
		return Estimate{}, false
	}
	ws, ok := p.samples[results.UnitMutexWait]
	if !ok || len(ws) == 0 {
		return Estimate{}, false
	}
	w := summarize(ws, b.opt.Confidence, &b.opt.Thresholds)
	per := float64(p.Goroutines) * p.SecPerOp.Value
	return Estimate{Value: w.Value / per, Lo: w.Lo / per, Hi: w.Hi / per, SE: math.NaN()}, true
}

// slowdown is a scan member: how much slower p is than ref, T(p)/T(ref),
// with its bootstrap interval and Mann-Whitney p-value.
func (j *judgement) slowdown(ref, p *Point, seed string, text func(Estimate) string) scanMember {
	b := j.b
	sd := b.bootRatio(j.name+"|"+seed, p, ref)
	return scanMember{
		p:      oneSided(compare(ref.secs, p.secs, &b.opt.Thresholds), sd.Value > 1),
		effect: sd.Value > 1 && b.effect(sd),
		size:   sd.Value,
		text:   func() string { return text(sd) },
	}
}

// fmtPctCI formats the interval of a slowdown ratio in percent: 3-9%.
func fmtPctCI(e Estimate) string {
	if math.IsNaN(e.Lo) || math.IsNaN(e.Hi) {
		return "-"
	}
	return fmt.Sprintf("%.0f-%.0f%%", 100*(e.Lo-1), 100*(e.Hi-1))
}

// cpuOr returns cpus, or or when the CPU count is unknown (0).
func cpuOr(cpus, or int) int {
	if cpus > 0 {
		return cpus
	}
	return or
}

func judgedProcs(p *Point) int {
	if p == nil {
		return 1
	}
	return p.Procs
}

// computeBound returns a comparison naming a compute-bound group on g's
// machine that scales significantly better than g at the judged point,
// or "": memory bandwidth is named as g's limit only when the data
// single it out, not because every speedup on a busy or small machine
// is short of ideal. A group is compute-bound when its baseline kept a
// CPU busy (parallelism at one proc of 0.9 or more, where the file says)
// and no lock held it back (wait share below Options.WaitShare). Its
// speedup at the same procs and goroutines must lie above g's, the two
// intervals apart and the gap at least the noise floor.
func (b *Builder) computeBound(g *Group, judged *Point) string {
	s := judged.Parallel.Speedup
	var best *Group
	var bestS Estimate
	for _, h := range b.groups {
		if h == g || h.Machine != g.Machine || h.Scaling != g.Scaling {
			continue
		}
		var at, base *Point
		for _, p := range h.Points {
			if p.Procs == judged.Procs && p.Goroutines == judged.Goroutines {
				at = p
			}
			if p.Procs == 1 && p.Goroutines == judged.Goroutines {
				base = p
			}
		}
		if at == nil || base == nil || at.Parallel == nil {
			continue
		}
		if par, ok := base.Metrics["parallelism"]; ok && par < 0.9 {
			continue
		}
		locked := false
		for u, w := range at.Metrics {
			locked = locked || isShareOfWait(u) && w >= b.opt.WaitShare
		}
		hs := at.Parallel.Speedup
		if locked || !(hs.Lo > s.Hi) || hs.Value/s.Value-1 < b.opt.MinEffect {
			continue
		}
		if best == nil || hs.Value > bestS.Value {
			best, bestS = h, hs
		}
	}
	if best == nil {
		return ""
	}
	return fmt.Sprintf("against %s for %s", fmtX(bestS.Value), best.Label())
}
