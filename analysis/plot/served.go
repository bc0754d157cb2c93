package plot

import (
	"fmt"
	"image/color"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/parbench/parbench/analysis"
	gonum "gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// workerColors are the worker counts' colours in a served figure, taken
// in order of the family's worker counts (Okabe-Ito, as lockColors):
// one lock mode per family, so the lock's colour says nothing there.
var workerColors = []color.RGBA{
	{0x00, 0x72, 0xB2, 0xff}, // blue
	{0xD5, 0x5E, 0x00, 0xff}, // vermillion
	{0x00, 0x9E, 0x73, 0xff}, // bluish green
	{0xCC, 0x79, 0xA7, 0xff}, // reddish purple
	{0xE6, 0x9F, 0x00, 0xff}, // orange
	{0x56, 0xB4, 0xE9, 0xff}, // sky blue
}

// workerGlyphs tell the worker counts apart without colour.
var workerGlyphs = []draw.GlyphDrawer{draw.CircleGlyph{}, draw.SquareGlyph{}, draw.TriangleGlyph{}, draw.PyramidGlyph{}}

// shapeName names a server shape as the served section does.
func shapeName(sh *analysis.Shape) string {
	return fmt.Sprintf("W = %d, T = %d", sh.Workers, sh.Threads)
}

// hasCI reports whether a throughput has an interval: the served section
// writes Lo 0 and Hi +Inf where the median has none.
func hasCI(e analysis.Estimate) bool { return e.Lo > 0 && finite(e.Hi) }

// servedFigure draws a served family: throughput against threads per
// worker T (log scale), one line per worker count W with the medians'
// intervals as error bars, the thread law at W = 1 where f is known,
// and the best shape ringed where the section names one.
func (s *Section) servedFigure(opt Options, confidence float64) error {
	sv := s.Served
	ci := fmt.Sprintf("%.0f%%", 100*confidence)
	label := strings.Join(strings.Fields(sv.Label()), " ")
	f := newFigure(opt, figName(s, KindServed, sv.Lock), KindServed,
		fmt.Sprintf("%s: throughput by server shape, %d procs, %d goroutines", label, sv.Procs, sv.Goroutines), s.Machine,
		"threads per worker T (log scale)", "throughput (ops/s)")
	var ws []int
	rows := map[int][]*analysis.Shape{}
	var ts, ys []float64
	for _, sh := range sv.Shapes {
		if rows[sh.Workers] == nil {
			ws = append(ws, sh.Workers)
		}
		rows[sh.Workers] = append(rows[sh.Workers], sh)
		ts = append(ts, float64(sh.Threads))
		ys = append(ys, sh.Throughput.Value)
		if hasCI(sh.Throughput) {
			ys = append(ys, sh.Throughput.Hi)
		}
	}
	sort.Ints(ws)
	// Each line is set a little to the side of T, so that the bars of
	// shapes of one T and several W do not hide each other.
	dodge := map[int]float64{}
	for i, w := range ws {
		dodge[w] = math.Pow(2, 0.04*(float64(i)-float64(len(ws)-1)/2))
	}
	bars := 0
	for i, w := range ws {
		sr := series{label: fmt.Sprintf("W = %d worker%s", w, pluralS(w)), color: workerColors[i%len(workerColors)],
			glyph: workerGlyphs[i%len(workerGlyphs)], logX: true}
		for _, sh := range rows[w] {
			lo, hi := math.NaN(), math.NaN()
			if hasCI(sh.Throughput) {
				lo, hi = sh.Throughput.Lo, sh.Throughput.Hi
				bars++
			}
			sr.add(float64(sh.Threads)*dodge[w], sh.Throughput.Value, lo, hi)
		}
		if _, err := f.draw(sr); err != nil {
			return err
		}
	}
	if len(f.Series) == 0 {
		s.Notes = append(s.Notes, "No server shapes plot: no shape has a finite throughput.")
		return nil
	}
	f.Caption = fmt.Sprintf("Throughput (1 / median time per op) of each server shape, W worker processes of T threads, at %d procs and %d goroutines, the point every shape has: one line per worker count, each set a little to the side of its T so that the bars stay apart", sv.Procs, sv.Goroutines)
	if bars > 0 {
		f.Caption += fmt.Sprintf("; bars are the medians' %s intervals", ci)
	}
	switch {
	case bars == 0:
		f.Caption += "; no shape has samples enough for an interval, so there are no bars"
	case bars < len(sv.Shapes):
		f.Caption += fmt.Sprintf("; %d of the %d shapes have too few samples for an interval and no bar", len(sv.Shapes)-bars, len(sv.Shapes))
	}
	f.Caption += "."
	law, err := f.threadLaw(sv, workerColors[0], &ys)
	if err != nil {
		return err
	}
	f.Caption += law
	best, err := f.bestShape(sv, dodge)
	if err != nil {
		return err
	}
	f.Caption += best
	tlo, thi := dataRange(ts)
	for _, d := range dodge {
		tlo, thi = math.Min(tlo, tlo*d), math.Max(thi, thi*d)
	}
	logAxis(&f.p.X, tlo, thi, trimFloat)
	var ticks gonum.ConstantTicks
	for _, t := range uniq(ts) {
		ticks = append(ticks, gonum.Tick{Value: math.Log10(t), Label: strconv.FormatFloat(t, 'g', -1, 64)})
	}
	f.p.X.Tick.Marker = ticks
	f.p.Y.Tick.Marker = siTicks{}
	_, yhi := dataRange(ys)
	f.p.Y.Min, f.p.Y.Max = 0, math.Max(f.p.Y.Max, 1.04*yhi)
	f.legendRoom()
	s.Figures = append(s.Figures, f)
	return nil
}

// threadLaw draws X(1) x min(T, 1/(1-f)) across the threads measured at
// W = 1, where the section has f and the law, and returns the caption's
// sentence on it ("" where it is not drawn); the law's values join ys.
func (f *Figure) threadLaw(sv *analysis.Served, c color.Color, ys *[]float64) (string, error) {
	base := sv.Shape(1, 1)
	if base == nil || !finite(base.Law, sv.F.Value) || sv.Rate != "" {
		return "", nil
	}
	tlo, thi := math.Inf(1), math.Inf(-1)
	for _, sh := range sv.Shapes {
		if sh.Workers == 1 && finite(sh.Law) {
			tlo, thi = math.Min(tlo, float64(sh.Threads)), math.Max(thi, float64(sh.Threads))
		}
	}
	if !(thi > tlo) {
		return "", nil
	}
	x1, fv, ceil := base.Law, sv.F.Value, sv.Ceiling()
	sr := series{label: fmt.Sprintf("thread law at W = 1, f = %.2f", fv), color: c, dashes: idealDash, width: 1.2, logX: true}
	const n = 64
	for i := 0; i <= n; i++ {
		t := tlo * math.Pow(thi/tlo, float64(i)/n)
		sr.add(t, x1*math.Min(t, ceil), math.NaN(), math.NaN())
	}
	if ceil > tlo && ceil < thi {
		sr.add(ceil, x1*ceil, math.NaN(), math.NaN())
	}
	*ys = append(*ys, sr.ys...)
	if _, err := f.draw(sr); err != nil {
		return "", err
	}
	text := fmt.Sprintf(" The dashed line is the thread law at W = 1, X(T) = X(1) x min(T, 1/(1-f)), with f = %.2f the share of a request's service time not spent computing at W = 1, T = 1", fv)
	switch {
	case ceil <= 1:
		text += ": no wait to overlap, so threads can add nothing."
	case math.IsInf(ceil, 1):
		text += ": threads overlap every wait, so the law allows T times the throughput."
	case ceil < thi:
		text += fmt.Sprintf(": threads help until the lock is busy all the time, at T = 1/(1-f) = %s, and the law is flat beyond.", trimFloat(ceil))
	default:
		text += fmt.Sprintf(": threads help until the lock is busy all the time, at T = 1/(1-f) = %s, beyond the threads measured.", trimFloat(ceil))
	}
	return text, nil
}

// bestShape rings the section's best shape, and returns the caption's
// sentence on it: which it is, or why none is marked.
func (f *Figure) bestShape(sv *analysis.Served, dodge map[int]float64) (string, error) {
	switch {
	case sv.Rate != "":
		return fmt.Sprintf(" Open loop at %s ops/s: the throughput is the rate offered while the service keeps up, not what a shape can serve, so no shape is marked best.", sv.Rate), nil
	case sv.Best == nil:
		text := " No shape is marked best: a shape without an interval cannot be told from the others"
		if sv.Top != nil {
			text += fmt.Sprintf(" (the highest measured is %s)", shapeName(sv.Top))
		}
		return text + ".", nil
	}
	b := sv.Best
	_, err := f.draw(series{label: fmt.Sprintf("best: %s, %s ops/s", shapeName(b), si(b.Throughput.Value)), color: fitColor,
		glyph: draw.RingGlyph{}, radius: vg.Points(7), noLine: true, logX: true,
		xs: []float64{float64(b.Threads) * dodge[b.Workers]}, ys: []float64{b.Throughput.Value}, lo: []float64{math.NaN()}, hi: []float64{math.NaN()}})
	if err != nil {
		return "", err
	}
	text := fmt.Sprintf(" The ring marks the best shape, %s", shapeName(b))
	switch {
	case len(sv.Tied) <= 1:
		text += ": its interval is above every other shape's."
	case b == sv.Top:
		text += ": the highest, and the cheapest (fewer workers, then fewer threads) of the shapes its interval cannot tell apart."
	default:
		text += fmt.Sprintf(": the cheapest (fewer workers, then fewer threads) of the shapes the intervals cannot tell from the highest, %s.", shapeName(sv.Top))
	}
	return text, nil
}
