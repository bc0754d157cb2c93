package analysis

import (
	"fmt"
	"sort"
)

// cpuCap returns the most GOMAXPROCS the fits and the verdict judge:
// the CPUs the file or Options.NCPU gives (Machine.CPUs), else the level
// where the S(p) curve stops rising (Group.Saturation), else 0 (no cap).
// Beyond the CPUs the hardware is saturated and no law of speedup
// applies; without a CPU count, the curve's own flattening is the best
// evidence of where that is.
func (g *Group) cpuCap() int {
	if n := g.Machine.CPUs(); n > 0 {
		return n
	}
	return g.Saturation
}

// cpuCapInferred reports whether cpuCap is inferred from the curve
// (Saturation) rather than known from the file or Options.NCPU.
func (g *Group) cpuCapInferred() bool {
	return g.Machine.CPUs() == 0 && g.Saturation > 0
}

// machineLine is the group's machine in words, with where its curve
// was cut when the CPU count is unknown.
func (g *Group) machineLine() string {
	s := g.Machine.String()
	if !g.cpuCapInferred() {
		return s
	}
	top := 0
	for _, p := range g.Points {
		top = max(top, p.Procs)
	}
	if g.Saturation >= top {
		return s + fmt.Sprintf("; S(p) still rises at %d procs, the most measured", top)
	}
	return s + fmt.Sprintf("; S(p) stops rising significantly after %d procs, so the fits and the verdict stop there", g.Saturation)
}

// saturation infers, for a group whose CPU count is unknown, where its
// S(p) curve saturates. It walks up the GOMAXPROCS levels of the curve
// with the most levels (of those, the most goroutines, so that every P
// can have work) and returns the last level significantly faster than
// the fastest level below it, by the verdict's bar: a Mann-Whitney p below
// alpha, a bootstrap interval of the gain that excludes 1x, and a gain
// of at least MinEffect. Beyond it the curve is flat or falls, as on a
// machine with no more CPUs to give. When even the first step does not
// rise it returns the second level, so that the verdict still compares
// it with the first. It returns 0 when the CPU count is known or the
// curve has fewer than two levels.
//
// A curve that flattens for another reason (a lock, a serial fraction
// near 1) is cut too: with no CPU count, the report cannot tell the two
// apart, and says so (groupWarnings).
func (b *Builder) saturation(g *Group, name string) int {
	if g.Machine.CPUs() > 0 {
		return 0
	}
	levels := map[int]int{} // goroutines -> GOMAXPROCS levels
	for _, p := range g.Points {
		levels[p.Goroutines]++
	}
	gr, most := 0, 0
	for x, n := range levels {
		if n > most || n == most && x > gr {
			gr, most = x, n
		}
	}
	var pts []*Point
	for _, p := range sortedByProcs(g.Points) {
		if p.Goroutines == gr {
			pts = append(pts, p)
		}
	}
	if len(pts) < 2 {
		return 0
	}
	// Each level is compared with the fastest level so far, not with the
	// one before: a curve that rises slowly (2% a step) still rises
	// really over several steps.
	top := pts[0]
	for _, hi := range pts[1:] {
		rng := newRand(b.opt.Seed, fmt.Sprintf("%s|saturation|%d|%d", name, hi.Procs, gr))
		s, _ := speedup(rng, top, hi, b.opt.Resamples, b.opt.Confidence)
		if compare(top.secs, hi.secs, &b.opt.Thresholds) < b.opt.Thresholds.CompareAlpha && s.Lo > 1 && s.Value-1 >= b.opt.MinEffect {
			top = hi
		}
	}
	return max(top.Procs, pts[1].Procs)
}

// verdictCurve picks the goroutine count whose S(p) curve the verdict
// and the fits judge: the smallest one at least as large as the largest
// GOMAXPROCS within the machine's CPUs, or the inferred saturation
// (cpuCap), so every P can be busy; else the largest. It returns false
// if no goroutine count has GOMAXPROCS=1 and another level.
func verdictCurve(g *Group) (int, bool) {
	cpus := g.cpuCap()
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
// within the machine's CPUs or, when those are unknown, up to where the
// curve saturates (cpuCap): beyond them no law applies, the hardware is
// saturated.
func curve(g *Group, gr int, diagonal bool) curveData {
	cpus := g.cpuCap()
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
