package analysis

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

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
