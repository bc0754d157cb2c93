package analysis

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/parbench/parbench/results"
)

// analyse turns one group's samples into points, fits and a verdict.
func (b *Builder) analyse(k groupKey, cells map[level]*cell) (*Group, map[level]*Point) {
	opt := b.opt
	g := &Group{
		Workload: k.workload, Lock: k.lock, Extra: k.extra,
		Machine: k.machine, Scaling: k.scaling, Settings: k.settings,
		setting: k.setting,
	}
	name := groupName(k)
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
			seq:      c.seq,
			samples:  c.metrics,
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
	if rate := g.rate(); rate != "" {
		// An open loop's sec/op is the rate's (see openLoop): no
		// curve to cut or fit.
		g.Fits = b.openLoopFits(g, name, rate)
		return g, byLevel
	}
	g.Saturation = b.saturation(g, name) // curve.go: the cap the fits and verdict use when the CPUs are unknown
	g.Fits = b.fit(g, name)
	return g, byLevel
}

// groupName is a group's seed name: the bootstrap's generators and the
// claims' keys derive from it.
func groupName(k groupKey) string {
	return fmt.Sprintf("%s|%s|%s|%v|%s|%s", k.workload, k.lock, k.extra, k.machine, k.scaling, k.settings)
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
	r.Speedup, r.Pairs = speedup(newRand(b.opt.Seed, name), base, p, b.opt.Resamples, b.opt.Confidence)
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

// fit fits each law of the options to g's curve: for weak scaling the
// goroutines = GOMAXPROCS diagonal, else the curve the verdict judges.
// Each law's bootstrap has its own generator, seeded by the group and
// the law's key.
func (b *Builder) fit(g *Group, name string) Fits {
	in := fitInput{weak: g.Scaling == "weak", opt: b.opt}
	switch gr, ok := verdictCurve(g); {
	case in.weak:
		in.curve = curve(g, 0, true)
	case ok:
		in.curve = curve(g, gr, false)
	}
	laws := b.opt.Laws
	if laws == nil {
		laws = DefaultLaws()
	}
	fits := make(Fits, len(laws))
	for i, l := range laws {
		in.rng = newRand(b.opt.Seed, name+"|"+l.Key())
		fits[i] = l.fit(in)
	}
	return fits
}

// openLoopFits are the laws of Options.Laws, none fitted to an open
// loop's group: each is not applicable, and says why.
func (b *Builder) openLoopFits(g *Group, name, rate string) Fits {
	fits := b.fit(&Group{Scaling: g.Scaling}, name) // no points: nothing is fitted
	why := fmt.Sprintf("open loop at %s ops/s (%s): the throughput is the offered rate, not what the procs could serve", rate, results.KeyRate)
	for _, f := range fits {
		*f.Info() = notApplicable(why)
	}
	return fits
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

// isShareOfWait reports whether unit is a share of the goroutines' time
// spent waiting for a lock ("wait-share", or another "...wait-share"
// unit), as opposed to a wait time such as "mutex-wait-sec/op", which is
// not a fraction, or the share of write transactions' time their threads
// waited for the service's lock (unitTxLockWait), which the served
// section reads and no verdict names a lock from.
func isShareOfWait(unit string) bool {
	u := strings.ToLower(unit)
	return strings.HasSuffix(u, "wait-share") && u != unitTxLockWait
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
