package plot

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/parbench/parbench/analysis"
	gonum "gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// scalingFigures draws speedup vs GOMAXPROCS, throughput vs goroutines
// and each group's fits.
func (s *Section) scalingFigures(opt Options, confidence float64) error {
	ci := fmt.Sprintf("%.0f%%", 100*confidence)
	if err := s.speedupFigure(opt, ci); err != nil {
		return err
	}
	if err := s.throughputFigure(opt, ci); err != nil {
		return err
	}
	for _, g := range s.Groups {
		if err := s.fitFigure(opt, g, ci); err != nil {
			return err
		}
	}
	return nil
}

// speedupCurve returns the goroutine count whose S(p) curve to draw for
// g: the verdict's, else the one with the most GOMAXPROCS levels; false
// when no curve has two levels.
func speedupCurve(g *analysis.Group) (int, bool) {
	levels := map[int]int{}
	for _, p := range g.Points {
		if p.Parallel != nil {
			levels[p.Goroutines]++
		}
	}
	if levels[g.Verdict.Goroutines] >= 2 {
		return g.Verdict.Goroutines, true
	}
	best, n := 0, 0
	for gr, c := range levels {
		if c > n || c == n && gr < best {
			best, n = gr, c
		}
	}
	return best, n >= 2
}

func goroutinesLabel(gr int) string {
	if gr == 0 {
		return ""
	}
	return fmt.Sprintf(", %d goroutine%s", gr, pluralS(gr))
}

func (s *Section) speedupFigure(opt Options, ci string) error {
	f := newFigure(opt, figName(s, KindSpeedup), KindSpeedup, s.Workload+": parallel speedup vs GOMAXPROCS", s.Machine,
		"GOMAXPROCS (procs)", "speedup S(p) = T(1 proc) / T(p procs)  (x)")
	maxP := 0
	drawn := 0
	for _, g := range s.Groups {
		gr, ok := speedupCurve(g)
		if !ok {
			continue
		}
		sr := series{label: LockLabel(g.Lock) + goroutinesLabel(gr), color: LockColor(g.Lock), glyph: draw.CircleGlyph{}}
		for _, p := range g.Points {
			if p.Goroutines != gr || p.Parallel == nil {
				continue
			}
			e := p.Parallel.Speedup
			sr.add(float64(p.Procs), e.Value, e.Lo, e.Hi)
			maxP = max(maxP, p.Procs)
		}
		ok, err := f.draw(sr)
		if err != nil {
			return err
		}
		if ok {
			drawn++
		}
	}
	if drawn == 0 {
		s.Notes = append(s.Notes, "No speedup plot: no lock mode has two GOMAXPROCS levels (1 and more) at one goroutine count.")
		return nil
	}
	if _, err := f.draw(series{label: "ideal S = p", color: idealColor, dashes: idealDash,
		xs: []float64{1, float64(maxP)}, ys: []float64{1, float64(maxP)}, lo: nan2(), hi: nan2()}); err != nil {
		return err
	}
	f.p.X.Min, f.p.Y.Min = 0, 0
	f.p.X.Tick.Marker, f.p.Y.Tick.Marker = siTicks{}, siTicks{}
	f.p.X.Max, f.p.Y.Max = 1.04*f.p.X.Max, 1.04*f.p.Y.Max // no glyph cut in half by the frame
	cpus := s.Machine.CPUs()
	f.Caption = fmt.Sprintf("S(p) for each lock mode at the goroutine count its verdict judges; bars are the %s bootstrap intervals. "+
		"The dashed grey line is ideal speedup S = p.", ci)
	if cpus > 0 && cpus <= maxP {
		if err := f.cpuLine(cpus); err != nil {
			return err
		}
		f.Caption += fmt.Sprintf(" The dotted vertical line marks the %d CPU%s the results file reports: beyond it no speedup can be real parallelism.", cpus, pluralS(cpus))
	} else if cpus > 0 {
		f.Caption += fmt.Sprintf(" The machine has %d CPUs, more than the %d GOMAXPROCS measured.", cpus, maxP)
	}
	s.Figures = append(s.Figures, f)
	return nil
}

// cpuLine marks x = cpus across the figure's current y range.
func (f *Figure) cpuLine(cpus int) error {
	x := float64(cpus)
	_, err := f.draw(series{label: fmt.Sprintf("%d CPU%s (ncpu)", cpus, pluralS(cpus)), color: cpuColor, dashes: cpuDash,
		xs: []float64{x, x}, ys: []float64{math.Max(f.p.Y.Min, 0), f.p.Y.Max}, lo: nan2(), hi: nan2(), width: 1})
	return err
}

func nan2() []float64 { return []float64{math.NaN(), math.NaN()} }

// throughputProcs returns the GOMAXPROCS levels of g's throughput lines:
// the most within the CPUs, and 1, each with two goroutine levels.
func throughputProcs(g *analysis.Group, cpus int) []int {
	levels := map[int]int{}
	for _, p := range g.Points {
		if p.Goroutines > 0 {
			levels[p.Procs]++
		}
	}
	best := 0
	for pr, n := range levels {
		if n >= 2 && (cpus == 0 || pr <= cpus) && pr > best {
			best = pr
		}
	}
	if best == 0 {
		for pr, n := range levels {
			if n >= 2 && (best == 0 || pr < best) {
				best = pr
			}
		}
	}
	if best == 0 {
		return nil
	}
	out := []int{best}
	if best != 1 && levels[1] >= 2 {
		out = append(out, 1)
	}
	return out
}

func (s *Section) throughputFigure(opt Options, ci string) error {
	f := newFigure(opt, figName(s, KindThroughput), KindThroughput, s.Workload+": throughput vs goroutines", s.Machine,
		"goroutines (log scale)", "throughput (ops/s)")
	cpus := s.Machine.CPUs()
	var xs, ys []float64
	var idealBase *analysis.Point
	var lines []series
	for _, g := range s.Groups {
		for i, pr := range throughputProcs(g, cpus) {
			sr := series{label: fmt.Sprintf("%s, %d proc%s", LockLabel(g.Lock), pr, pluralS(pr)), color: LockColor(g.Lock), glyph: draw.CircleGlyph{}, logX: true}
			if i > 0 {
				sr.dashes, sr.glyph = altDash, draw.RingGlyph{}
			}
			for _, p := range g.Points {
				if p.Procs != pr || p.Goroutines == 0 {
					continue
				}
				e := p.SecPerOp
				sr.add(float64(p.Goroutines), 1/e.Value, 1/e.Hi, 1/e.Lo)
				xs = append(xs, float64(p.Goroutines))
				ys = append(ys, 1/e.Lo, 1/e.Hi, 1/e.Value)
				if p.Goroutines == 1 && i == 0 && idealBase == nil {
					idealBase = p
				}
			}
			lines = append(lines, sr)
		}
	}
	xlo, xhi := dataRange(xs)
	ideal := s.waits() && idealBase != nil
	if ideal {
		x1 := 1 / idealBase.SecPerOp.Value
		sr := series{label: "ideal for IO-bound: G x X(1)", color: idealColor, dashes: idealDash, logX: true}
		for _, x := range []float64{xlo, xhi} {
			sr.add(x, x*x1, math.NaN(), math.NaN())
			ys = append(ys, x*x1)
		}
		lines = append(lines, sr)
	}
	ylo, yhi := dataRange(ys)
	logY := yhi/ylo > 20
	drawn := 0
	for _, sr := range lines {
		sr.logY = logY
		ok, err := f.draw(sr)
		if err != nil {
			return err
		}
		if ok && sr.glyph != nil {
			drawn++
		}
	}
	if drawn == 0 {
		s.Notes = append(s.Notes, "No throughput plot: no lock mode has two goroutine counts at one GOMAXPROCS.")
		return nil
	}
	f.Caption = fmt.Sprintf("Throughput (1 / median time per op) for each lock mode, at the most GOMAXPROCS within the CPUs (solid) and at GOMAXPROCS=1 (dashed, where measured); bars are the medians' %s intervals.", ci)
	if ideal {
		f.Caption += " The dashed grey line is ideal for IO-bound work: every goroutine waits in parallel, so throughput grows with goroutines, G times that of one."
	}
	logAxis(&f.p.X, xlo, xhi, trimFloat)
	var ticks gonum.ConstantTicks
	for _, x := range uniq(xs) {
		ticks = append(ticks, gonum.Tick{Value: math.Log10(x), Label: strconv.FormatFloat(x, 'g', -1, 64)})
	}
	f.p.X.Tick.Marker = ticks
	if logY {
		logAxis(&f.p.Y, ylo, yhi, si)
		f.p.Y.Label.Text = "throughput (ops/s, log scale)"
		f.YLabel = f.p.Y.Label.Text
	} else {
		f.p.Y.Tick.Marker = siTicks{}
		f.p.Y.Min = 0
	}
	f.legendRoom()
	s.Figures = append(s.Figures, f)
	return nil
}

// drawn reports whether a fit is drawn: an ok one, or a poor one, whose
// curve shows how the law misses the data.
func drawn(fi *analysis.FitInfo) bool {
	return fi.Status == analysis.FitOK || fi.Status == analysis.FitPoorFit
}

// lawLines are the fitted laws' line styles, taken in turn by the laws
// that apply to a group (by default Amdahl's or Gustafson's law, then
// the USL), with their names in the caption.
var lawLines = []struct {
	dashes []vg.Length
	name   string
}{{amdahlDash, "dash-dot"}, {uslDash, "dotted"}, {altDash, "dashed"}}

// markedPeak returns N* of an ok fit whose law predicts a peak beyond
// N = 1 (a poor fit claims none), whether it lies beyond the levels
// fitted, and ok when there is such a peak: the plot widens to show it
// and marks it.
func markedPeak(ft analysis.Fit) (n analysis.Estimate, beyond, ok bool) {
	pf, ok := ft.(analysis.PeakFit)
	if !ok || ft.Info().Status != analysis.FitOK {
		return n, false, false
	}
	n, where := pf.Peak()
	return n, where == analysis.PeakBeyond, (where == analysis.PeakInside || where == analysis.PeakBeyond) && finite(n.Value)
}

// fitFigure draws g's fitted S(p) curve with its fits, if any fit is ok
// or poor: each fitted law's curve is its Fit.Speedup.
func (s *Section) fitFigure(opt Options, g *analysis.Group, ci string) error {
	var fits []analysis.Fit
	for _, ft := range g.Fits {
		if drawn(ft.Info()) {
			fits = append(fits, ft)
		}
	}
	if len(fits) == 0 {
		return nil
	}
	gr := fits[0].Info().Goroutines
	weak := g.Scaling == "weak"
	fitted := map[int]bool{}
	for _, l := range fits[0].Info().Levels {
		fitted[l] = true
	}
	on := goroutinesLabel(gr)
	if weak && gr == 0 {
		on = ", goroutines = GOMAXPROCS"
	}
	what := s.Workload
	if g.Lock != "" {
		what += " lock=" + g.Lock
	}
	f := newFigure(opt, figName(s, KindFit, g.Lock), KindFit, what+": scalability fits"+on, s.Machine,
		"GOMAXPROCS (procs)", "speedup vs 1 proc  (x)")
	if weak {
		f.p.Y.Label.Text = "scaled speedup X(p) / X(1)  (x)"
		f.YLabel = f.p.Y.Label.Text
	}
	in := series{label: "measured (fitted)", color: LockColor(g.Lock), glyph: draw.CircleGlyph{}, noLine: true}
	out := series{label: "measured (not fitted: beyond the CPUs)", color: LockColor(g.Lock), glyph: draw.RingGlyph{}, noLine: true}
	var base *analysis.Point
	for _, p := range g.Points {
		if p.Procs == 1 && (weak && gr == 0 && p.Goroutines == 1 || !(weak && gr == 0) && p.Goroutines == gr) {
			base = p
		}
	}
	maxN := 1.0
	for _, p := range g.Points {
		var y, lo, hi float64
		switch {
		case weak && gr == 0:
			if p.Goroutines != p.Procs || base == nil {
				continue
			}
			b, e := base.SecPerOp, p.SecPerOp
			y, lo, hi = b.Value/e.Value, b.Lo/e.Hi, b.Hi/e.Lo
		case p.Goroutines == gr && p.Parallel != nil:
			e := p.Parallel.Speedup
			y, lo, hi = e.Value, e.Lo, e.Hi
		default:
			continue
		}
		if fitted[p.Procs] {
			in.add(float64(p.Procs), y, lo, hi)
		} else {
			out.add(float64(p.Procs), y, lo, hi)
		}
		maxN = math.Max(maxN, float64(p.Procs))
	}
	xr := maxN
	for _, ft := range fits {
		if n, _, ok := markedPeak(ft); ok {
			xr = math.Max(xr, math.Min(1.15*n.Value, 4*maxN))
		}
	}
	curve := func(label string, dashes []vg.Length, fn func(n float64) float64) error {
		sr := series{label: label, color: fitColor, dashes: dashes, width: 1.2}
		for i := 0; i <= 200; i++ {
			n := 1 + (xr-1)*float64(i)/200
			sr.add(n, fn(n), math.NaN(), math.NaN())
		}
		_, err := f.draw(sr)
		return err
	}
	if _, err := f.draw(series{label: "ideal S = p", color: idealColor, dashes: idealDash,
		xs: []float64{1, xr}, ys: []float64{1, xr}, lo: nan2(), hi: nan2()}); err != nil {
		return err
	}
	for _, sr := range []series{in, out} {
		if _, err := f.draw(sr); err != nil {
			return err
		}
	}
	var words, poor []string
	slot := 0
	for _, ft := range g.Fits {
		fi, law := ft.Info(), ft.Law()
		if fi.Status == analysis.FitNotApplicable {
			continue
		}
		line := lawLines[slot%len(lawLines)]
		slot++
		if !drawn(fi) {
			continue
		}
		// The label names the law's curve, saying when the data reject it.
		label := law.Name() + ": " + ft.Brief()
		if fi.Status == analysis.FitPoorFit {
			poor = append(poor, law.Name())
			label = law.Name() + " (poor fit): " + ft.Brief()
		}
		if err := curve(strings.TrimSpace(label), line.dashes, ft.Speedup); err != nil {
			return err
		}
		words = append(words, law.Title()+" ("+line.name+")")
		pf, ok := ft.(analysis.PeakFit)
		if !ok || fi.Status != analysis.FitOK {
			continue
		}
		switch n, beyond, marked := markedPeak(ft); {
		case marked && n.Value <= xr:
			if _, err := f.draw(series{label: strings.TrimSpace(fmt.Sprintf("%s peak: N* = %s %s", law.Name(), trimFloat(n.Value), ciText(n))), color: fitColor,
				glyph: draw.PyramidGlyph{}, noLine: true, xs: []float64{n.Value}, ys: []float64{ft.Speedup(n.Value)}, lo: []float64{math.NaN()}, hi: []float64{math.NaN()}}); err != nil {
				return err
			}
			extra := ""
			if beyond {
				extra = " (beyond the levels fitted: an extrapolation)"
			}
			f.Caption += fmt.Sprintf(" The triangle is the %s's predicted peak, at N* = %s procs%s; past it more procs are slower.", law.Name(), trimFloat(n.Value), extra)
		case marked:
			f.Caption += fmt.Sprintf(" The %s's predicted peak, N* = %s procs, lies beyond the plot (an extrapolation).", law.Name(), trimFloat(n.Value))
		default:
			f.Caption += " " + pf.PeakNote()
		}
	}
	switch len(poor) {
	case 0:
	case 1:
		f.Caption += fmt.Sprintf(" %s fits poorly, beyond the replicate noise: it does not describe these data, and no ceiling or peak is read from it.", poor[0])
	default:
		f.Caption += fmt.Sprintf(" %s fit poorly, beyond the replicate noise: they do not describe these data, and no ceiling or peak is read from them.", joinWords(poor))
	}
	f.Caption = fmt.Sprintf("Speedup of lock mode %s on the curve fitted (filled points, bars the %s intervals), with %s drawn over it. Grey dashes: ideal S = p.",
		LockLabel(g.Lock), ci, joinWords(words)) + f.Caption
	f.p.X.Min, f.p.Y.Min = 0, 0
	f.p.X.Tick.Marker, f.p.Y.Tick.Marker = siTicks{}, siTicks{}
	f.p.X.Max, f.p.Y.Max = 1.04*f.p.X.Max, 1.04*f.p.Y.Max
	if cpus := s.Machine.CPUs(); cpus > 0 && float64(cpus) <= xr {
		if err := f.cpuLine(cpus); err != nil {
			return err
		}
	}
	s.Figures = append(s.Figures, f)
	return nil
}

// ciText writes an estimate's interval: [0.09, 0.11].
func ciText(e analysis.Estimate) string {
	if !finite(e.Lo, e.Hi) {
		return ""
	}
	return "[" + trimFloat(e.Lo) + ", " + trimFloat(e.Hi) + "]"
}

// Latency percentiles, as latency/convoy names its units.
var percentiles = []struct{ unit, name string }{{"p50-sec", "p50"}, {"p99-sec", "p99"}}

// settingOf returns the value of key in a group's settings string.
func settingOf(settings, key string) (string, bool) {
	for _, kv := range strings.Fields(settings) {
		if k, v, ok := strings.Cut(kv, "="); ok && k == key {
			return v, true
		}
	}
	return "", false
}

// latencyPoint returns the point whose latencies stand for g: the
// fewest goroutines, then the most GOMAXPROCS within the CPUs.
func latencyPoint(g *analysis.Group, unit string) *analysis.Point {
	cpus := g.Machine.CPUs()
	var best *analysis.Point
	for _, p := range g.Points {
		if _, ok := p.Metrics[unit]; !ok || cpus > 0 && p.Procs > cpus && best != nil {
			continue
		}
		if best == nil || p.Goroutines < best.Goroutines ||
			p.Goroutines == best.Goroutines && p.Procs > best.Procs && (cpus == 0 || p.Procs <= cpus) {
			best = p
		}
	}
	return best
}

// latencyFigures draws latency/convoy: IO latency vs switch interval,
// one line per lock mode with CPU goroutines (solid) and without
// (dashed).
func (s *Section) latencyFigures(opt Options) error {
	type skey struct {
		lock string
		cpu  string // "" when the file does not say
	}
	for _, pc := range percentiles {
		f := newFigure(opt, figName(s, KindLatency, pc.name), KindLatency,
			fmt.Sprintf("%s: %s IO latency vs switch interval", s.Workload, pc.name), s.Machine,
			"GIL switch interval (log scale)", pc.name+" latency of an IO round trip (log scale)")
		lines := map[skey]*series{}
		var order []skey
		var xs, ys []float64
		noInterval := 0
		for _, g := range s.Groups {
			p := latencyPoint(g, pc.unit)
			if p == nil {
				continue
			}
			v, _ := settingOf(g.Settings, "switch-interval")
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				noInterval++
				continue
			}
			cpu, _ := settingOf(g.Settings, "cpu-goroutines")
			k := skey{g.Lock, cpu}
			sr := lines[k]
			if sr == nil {
				sr = &series{label: LockLabel(g.Lock) + ", " + cpuLabel(cpu), color: LockColor(g.Lock), glyph: draw.CircleGlyph{}, logX: true, logY: true}
				if cpu == "0" {
					sr.dashes, sr.glyph = altDash, draw.RingGlyph{}
				}
				lines[k] = sr
				order = append(order, k)
			}
			y := p.Metrics[pc.unit]
			sr.add(d.Seconds(), y, math.NaN(), math.NaN())
			xs = append(xs, d.Seconds())
			ys = append(ys, y)
		}
		sort.SliceStable(order, func(i, j int) bool {
			if order[i].lock != order[j].lock {
				return order[i].lock < order[j].lock
			}
			return order[i].cpu > order[j].cpu
		})
		drawn := 0
		for _, k := range order {
			ok, err := f.draw(*lines[k])
			if err != nil {
				return err
			}
			if ok {
				drawn++
			}
		}
		if drawn == 0 {
			why := fmt.Sprintf("No %s latency plot: the results have no %s figures", pc.name, pc.unit)
			if noInterval > 0 {
				why = fmt.Sprintf("No %s latency plot: the results do not record a positive switch-interval", pc.name)
			}
			s.Notes = append(s.Notes, why+".")
			continue
		}
		xlo, xhi := dataRange(xs)
		ylo, yhi := dataRange(ys)
		logAxis(&f.p.X, xlo, xhi, seconds)
		logAxis(&f.p.Y, ylo, yhi, seconds)
		f.Caption = fmt.Sprintf("The %s latency of the IO goroutine's round trips (median over samples, at the fewest goroutines) against the GIL switch interval: "+
			"solid with CPU-bound goroutines under the same lock, dashed without. A lock that makes IO wait behind CPU work shows as a line that rises with the interval.", pc.name)
		f.legendRoom()
		if len(uniq(xs)) < 2 {
			s.Notes = append(s.Notes, "One switch interval only: run latency/convoy at several --switch-interval values to see the trend.")
		}
		s.Figures = append(s.Figures, f)
	}
	return nil
}

func cpuLabel(cpu string) string {
	switch cpu {
	case "":
		return "CPU goroutines not recorded"
	case "0":
		return "no CPU goroutines"
	case "1":
		return "1 CPU goroutine"
	}
	return cpu + " CPU goroutines"
}

func uniq(xs []float64) []float64 {
	seen := map[float64]bool{}
	var out []float64
	for _, x := range xs {
		if !seen[x] && finite(x) {
			seen[x] = true
			out = append(out, x)
		}
	}
	sort.Float64s(out)
	return out
}
