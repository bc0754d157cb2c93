package plot

import (
	"fmt"
	"hash/fnv"
	"image/color"
	"math"
	"strings"

	"github.com/parbench/parbench/analysis"
	"github.com/parbench/parbench/results"
	gonum "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// designColors are the consistency designs' colours (Okabe-Ito, as
// lockColors); a design not named here takes one of otherColors by a
// hash of its name, as a lock mode does.
var designColors = map[string]color.RGBA{
	"cp": {0x00, 0x72, 0xB2, 0xff}, // blue
	"ap": {0xD5, 0x5E, 0x00, 0xff}, // vermillion
}

// DesignColor returns the colour of a consistency design
// (results.KeyConsistency's value) in every CAP figure.
func DesignColor(design string) color.RGBA {
	if c, ok := designColors[design]; ok {
		return c
	}
	h := fnv.New32a()
	h.Write([]byte(design))
	return otherColors[h.Sum32()%uint32(len(otherColors))]
}

// category is one group of bars of a CAP figure: its axis label and
// each design's span.
type category struct {
	label string
	span  func(d *analysis.Design) analysis.Span
}

// phaseLabel is a phase's name on the category axis.
func phaseLabel(i int) string { return results.Phases[i] }

// capPoint names the point the designs were read at, ", 2 procs, 6
// clients", or "" where the designs were read at different points.
func capPoint(r *analysis.Replicated) string {
	procs, g, ok := r.At()
	if !ok {
		return ""
	}
	return fmt.Sprintf(", %d procs, %d clients", procs, g)
}

// samplesText says how many samples the designs' medians are over: "5
// samples", or "3 to 5 samples".
func samplesText(r *analysis.Replicated) string {
	lo, hi := math.MaxInt, 0
	for _, d := range r.Designs {
		lo, hi = min(lo, d.Samples), max(hi, d.Samples)
	}
	if lo == hi {
		return fmt.Sprintf("%d sample%s", lo, pluralS(lo))
	}
	return fmt.Sprintf("%d to %d samples", lo, hi)
}

// replicatedFigures draws a CAP section: the designs' availability by
// phase, the partitioned phase also by side of the cut, and their stale
// reads by phase; bars side by side per phase, one colour per design.
func (s *Section) replicatedFigures(opt Options) error {
	r := s.Replicated
	if len(r.Designs) == 0 {
		s.Notes = append(s.Notes, "No CAP plot: no design has phase figures.")
		return nil
	}
	if err := s.availabilityFigure(opt); err != nil {
		return err
	}
	return s.staleFigure(opt)
}

func (s *Section) availabilityFigure(opt Options) error {
	r := s.Replicated
	label := strings.Join(strings.Fields(r.Label()), " ")
	cats := []category{
		{phaseLabel(0), func(d *analysis.Design) analysis.Span { return d.Avail[0] }},
		{phaseLabel(1), func(d *analysis.Design) analysis.Span { return d.Avail[1] }},
		{"partitioned:\ncut-off side", func(d *analysis.Design) analysis.Span { return d.Minority }},
		{"partitioned:\nthe rest", func(d *analysis.Design) analysis.Span { return d.Majority }},
		{phaseLabel(2), func(d *analysis.Design) analysis.Span { return d.Avail[2] }},
	}
	f := newFigure(opt, figName(s, KindAvailability, r.Lock), KindAvailability,
		fmt.Sprintf("%s: availability by phase%s", label, capPoint(r)), s.Machine,
		"phase of the sample (partition and heal)", "requests answered (%)")
	n, err := f.designBars(r, cats, func(x float64) string { return fmt.Sprintf("%.0f%%", 100*x) })
	if err != nil {
		return err
	}
	if n == 0 {
		s.Notes = append(s.Notes, "No availability plot: no design has a phase's availability.")
		return nil
	}
	f.p.Y.Min, f.p.Y.Max = 0, 1.08 // room for the labels over 100%
	f.p.Y.Tick.Marker = percentTicks{}
	f.legendRoom()
	f.Caption = fmt.Sprintf("The share of requests answered in each phase of a sample (healthy, partitioned, healed), the partitioned phase also by the side of the cut its clients were attached to, for each consistency design side by side: "+
		"bars are medians over %s, whiskers the range from the smallest to the largest sample, and the number over a bar its median. "+
		"A design that stays consistent under a partition refuses the cut-off side (its bar falls to 0%%); one that stays available answers both sides.", samplesText(r))
	s.Figures = append(s.Figures, f)
	return nil
}

func (s *Section) staleFigure(opt Options) error {
	r := s.Replicated
	label := strings.Join(strings.Fields(r.Label()), " ")
	byPhase := false
	for _, d := range r.Designs {
		for _, sp := range d.StaleIn {
			byPhase = byPhase || sp.N > 0
		}
	}
	var cats []category
	if byPhase {
		for i := range results.Phases {
			cats = append(cats, category{phaseLabel(i), func(d *analysis.Design) analysis.Span { return d.StaleIn[i] }})
		}
	} else {
		cats = []category{{"whole sample", func(d *analysis.Design) analysis.Span { return d.StaleReads }}}
	}
	what, xl := "stale reads by phase", "phase of the sample (partition and heal)"
	if !byPhase {
		what, xl = "stale reads", "the whole sample (the results do not split it by phase)"
	}
	f := newFigure(opt, figName(s, KindStaleReads, r.Lock), KindStaleReads,
		fmt.Sprintf("%s: %s%s", label, what, capPoint(r)), s.Machine, xl, "stale reads a sample (count)")
	n, err := f.designBars(r, cats, func(x float64) string { return si(math.Round(x)) })
	if err != nil {
		return err
	}
	if n == 0 {
		s.Notes = append(s.Notes, "No stale reads plot: the results have no stale-reads figures.")
		return nil
	}
	hi := 0.0
	for _, d := range r.Designs {
		for _, c := range cats {
			if sp := c.span(d); sp.N > 0 && finite(sp.Max) {
				hi = math.Max(hi, sp.Max)
			}
		}
	}
	if hi == 0 {
		hi = 1
	}
	f.p.Y.Min, f.p.Y.Max = 0, 1.1*hi
	f.p.Y.Tick.Marker = siTicks{}
	f.legendRoom()
	where := "a sample in each phase (by the reads' invocation)"
	if !byPhase {
		where = "a sample"
	}
	f.Caption = fmt.Sprintf("Stale reads, reads that returned less than the increments acknowledged before they were sent (a linearizable design serves none), %s, for each consistency design side by side: "+
		"bars are medians over %s, whiskers the range from the smallest to the largest sample. The legend says in how many samples porcupine found the history linearizable.", where, samplesText(r))
	if !byPhase {
		f.Caption += fmt.Sprintf(" The results have no stale reads by phase (%s), only the sample's total.", results.UnitStaleReadsIn("PHASE"))
	}
	if allZero(r, cats) {
		f.Caption += " No design served a stale read."
	}
	s.Figures = append(s.Figures, f)
	return nil
}

func allZero(r *analysis.Replicated, cats []category) bool {
	for _, d := range r.Designs {
		for _, c := range cats {
			if sp := c.span(d); sp.N > 0 && sp.Max != 0 {
				return false
			}
		}
	}
	return true
}

// designBars draws one bar per design in each category, side by side,
// with the samples' range as whiskers and the median written over each
// bar, and the categories as the x axis's ticks; it returns the bars
// drawn. A design's span with no samples has no bar.
func (f *Figure) designBars(r *analysis.Replicated, cats []category, format func(float64) string) (int, error) {
	nd := len(r.Designs)
	width := 0.8 / float64(nd) // a category is 1 wide
	drawn := 0
	var ticks gonum.ConstantTicks
	for i, c := range cats {
		ticks = append(ticks, gonum.Tick{Value: float64(i), Label: c.label})
	}
	for j, d := range r.Designs {
		col := DesignColor(d.Name)
		var centres plotter.XYs
		var errs plotter.YErrors
		var labels plotter.XYLabels
		var legend gonum.Thumbnailer
		bars := false
		for i, c := range cats {
			sp := c.span(d)
			if sp.N == 0 || !finite(sp.Median, sp.Min, sp.Max) {
				continue
			}
			x := float64(i) + (float64(j)-float64(nd-1)/2)*width
			x0, x1 := x-0.45*width, x+0.45*width
			bar, err := plotter.NewPolygon(plotter.XYs{{X: x0, Y: 0}, {X: x1, Y: 0}, {X: x1, Y: sp.Median}, {X: x0, Y: sp.Median}})
			if err != nil {
				return drawn, err
			}
			bar.Color = col
			bar.LineStyle.Color, bar.LineStyle.Width = col, vg.Points(0.5)
			f.p.Add(bar)
			legend = bar
			drawn++
			centres = append(centres, plotter.XY{X: x, Y: sp.Median})
			errs = append(errs, struct{ Low, High float64 }{sp.Median - math.Min(sp.Min, sp.Median), math.Max(sp.Max, sp.Median) - sp.Median})
			bars = bars || sp.Min < sp.Median || sp.Max > sp.Median
			labels.XYs = append(labels.XYs, plotter.XY{X: x, Y: math.Max(sp.Max, sp.Median)})
			labels.Labels = append(labels.Labels, format(sp.Median))
		}
		if legend == nil {
			continue
		}
		if bars {
			eb, err := plotter.NewYErrorBars(struct {
				plotter.XYs
				plotter.YErrors
			}{centres, errs})
			if err != nil {
				return drawn, err
			}
			eb.Color, eb.Width, eb.CapWidth = fitColor, vg.Points(1), vg.Points(4)
			f.p.Add(eb)
			f.barred = append(f.barred, d.Name)
		}
		lb, err := plotter.NewLabels(labels)
		if err != nil {
			return drawn, err
		}
		for k := range lb.TextStyle {
			lb.TextStyle[k].Font.Size = vg.Points(7)
			lb.TextStyle[k].XAlign, lb.TextStyle[k].YAlign = draw.XCenter, draw.YBottom
		}
		lb.Offset = vg.Point{Y: vg.Points(2)}
		f.p.Add(lb)
		name := d.Name
		if f.Kind == KindStaleReads {
			name += " " + linearizableText(d)
		}
		f.p.Legend.Add(name, legend)
		f.Series = append(f.Series, name)
	}
	f.p.X.Min, f.p.X.Max = -0.5, float64(len(cats))-0.5
	f.p.X.Tick.Marker = ticks
	return drawn, nil
}

// linearizableText says in how many samples porcupine found a design's
// history linearizable.
func linearizableText(d *analysis.Design) string {
	switch {
	case d.Checked == 0:
		return "(linearizability not checked)"
	case d.Checked < d.Samples:
		return fmt.Sprintf("(linearizable in %d of the %d samples decided, of %d)", d.Linearizable, d.Checked, d.Samples)
	}
	return fmt.Sprintf("(linearizable in %d of %d samples)", d.Linearizable, d.Samples)
}

// percentTicks labels a share axis 0% to 100% by 20%, and no tick
// beyond 100% (the room above is for the legend and the labels).
type percentTicks struct{}

func (percentTicks) Ticks(lo, hi float64) []gonum.Tick {
	var ts []gonum.Tick
	for i := 0; i <= 10; i++ {
		v := float64(i) / 10
		if v < lo || v > hi {
			continue
		}
		t := gonum.Tick{Value: v}
		if i%2 == 0 {
			t.Label = fmt.Sprintf("%d%%", 10*i)
		}
		ts = append(ts, t)
	}
	return ts
}
