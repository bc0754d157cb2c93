package analysis

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/parbench/parbench/results"
)

// Waiting work (class io) has two bounds on its throughput. While each
// goroutine only waits, G goroutines do G ops in the time one does one:
// throughput is G/L, L the one-goroutine time per op at the same procs,
// so C(G) = G. Each op still costs some CPU (a timer, a wake-up), so past
// some G the CPUs are busy all the time: throughput stops growing and
// the parallelism (CPU-seconds per wall second) reaches the CPUs it may
// use, min(procs, CPUs). The report names the bound that holds at each
// goroutine level, and only where the interval shows it, not the
// median: the lower end of C(G)'s interval at least boundLatencyShare of
// G, or of the parallelism median's interval at least boundCPUShare of
// min(procs, CPUs). A level where neither holds (the scheduler, a lock,
// a noisy machine) is named under neither.
const (
	boundLatencyShare = 0.8
	boundCPUShare     = 0.9
)

// throughputBound returns the limit naming, for waiting work, which
// bound its throughput meets at each goroutine level at the judged
// procs (the fewest procs measured when there is no judged point), or
// "" when the group is not waiting work or no level meets either.
func (j *judgement) throughputBound(judged *Point) string {
	b, g := j.b, j.g
	if g.Class != results.ClassIO || len(g.Points) == 0 {
		return ""
	}
	procs := 0
	if judged != nil {
		procs = judged.Procs
	} else {
		for _, p := range g.Points {
			if procs == 0 || p.Procs < procs {
				procs = p.Procs
			}
		}
	}
	need := min(procs, cpuOr(g.Machine.CPUs(), procs))
	var at []*Point
	for _, p := range g.Points {
		if p.Procs == procs && p.Goroutines > 0 {
			at = append(at, p)
		}
	}
	sort.Slice(at, func(a, c int) bool { return at[a].Goroutines < at[c].Goroutines })
	base := j.byLevel[level{procs, 1}]
	var lat, cpu []int
	latShare, cpuLo := math.Inf(1), math.Inf(1)
	for _, p := range at {
		// G/latency: C(G)'s interval, where both points have enough
		// samples for an interval of their medians at the confidence.
		if c := p.Concurrent; c != nil && base != nil && p.Goroutines > 1 && hasInterval(p.SecPerOp) && hasInterval(base.SecPerOp) {
			gr := float64(p.Goroutines)
			if c.Speedup.Lo >= boundLatencyShare*gr {
				lat = append(lat, p.Goroutines)
				latShare = math.Min(latShare, c.Speedup.Lo/gr)
			}
		}
		// The CPUs: the parallelism median's interval.
		if xs, ok := p.samples["parallelism"]; ok {
			e := summarize(xs, b.opt.Confidence, &b.opt.Thresholds)
			if hasInterval(e) && e.Lo >= boundCPUShare*float64(need) {
				cpu = append(cpu, p.Goroutines)
				cpuLo = math.Min(cpuLo, e.Lo)
			}
		}
	}
	var parts []string
	ci := pct(b.opt.Confidence)
	if len(lat) > 0 {
		parts = append(parts, fmt.Sprintf("by G/latency at %s goroutine%s (at least %.0f%% of G/L by the lower end of the %d%% CI, L = %s, one goroutine's time per op)",
			fmtLevels(lat), plural(lat[len(lat)-1]), math.Floor(100*latShare), ci, fmtSecs(Estimate{Value: base.SecPerOp.Value, Lo: math.NaN(), Hi: math.NaN()})))
	}
	if len(cpu) > 0 {
		parts = append(parts, fmt.Sprintf("by the CPUs at %s goroutine%s (parallelism at least %.2f of %d by the lower end of the %d%% CI)",
			fmtLevels(cpu), plural(cpu[len(cpu)-1]), math.Floor(100*cpuLo)/100, need, ci))
	}
	if len(parts) == 0 {
		return ""
	}
	return fmt.Sprintf("throughput at %d proc%s is bound %s", procs, plural(procs), strings.Join(parts, " and "))
}

// hasInterval reports whether e has a finite interval: a median's
// order-statistic interval is infinite below the samples it needs.
func hasInterval(e Estimate) bool {
	return !math.IsNaN(e.Lo) && !math.IsNaN(e.Hi) && !math.IsInf(e.Lo, 0) && !math.IsInf(e.Hi, 0)
}

// fmtLevels lists the goroutine levels one by one ("10, 100 and
// 1000"): a range would claim the levels between, which were not
// measured. The shares beside them are floored, so "at least" holds.
func fmtLevels(levels []int) string {
	strs := make([]string, len(levels))
	for i, l := range levels {
		strs[i] = strconv.Itoa(l)
	}
	if len(strs) == 1 {
		return strs[0]
	}
	return strings.Join(strs[:len(strs)-1], ", ") + " and " + strs[len(strs)-1]
}
