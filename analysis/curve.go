package analysis

import (
	"sort"
)

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
