package plot

import (
	"bytes"
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/parbench/parbench/analysis"
	"github.com/parbench/parbench/results"
	gonum "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Options sets the figures' size. Start from DefaultOptions.
type Options struct {
	// Width and Height are each figure's size.
	Width, Height vg.Length
	// DPI is the PNG resolution.
	DPI int
}

// DefaultOptions returns 6 x 4 inch figures and 144 DPI PNGs
// (864 x 576 pixels).
func DefaultOptions() Options {
	return Options{Width: 6 * vg.Inch, Height: 4 * vg.Inch, DPI: 144}
}

// Figure kinds.
const (
	KindSpeedup    = "speedup"
	KindThroughput = "throughput"
	KindFit        = "fit"
	KindLatency    = "latency"
	KindServed     = "served"
	// KindAvailability and KindStaleReads are a CAP section's figures
	// (Section.Replicated).
	KindAvailability = "availability"
	KindStaleReads   = "stale-reads"
)

// Figure is one plot.
type Figure struct {
	// Name is a file name stem, unique within one call of Sections:
	// "vm-cpu-sha256-speedup".
	Name string
	// Kind is one of the Kind* constants.
	Kind string
	// Title is the plot's title: what, for which workload, on which
	// machine.
	Title string
	// Caption says in a sentence or two what is drawn and how to read it.
	Caption string
	// Series are the legend's entries, in order.
	Series []string
	// XLabel and YLabel are the axes' labels, units included.
	XLabel, YLabel string

	opt Options
	p   *gonum.Plot
	// barred are the labels of the series drawn with error bars, for
	// the tests.
	barred []string
}

// SVG writes the figure as an SVG document. Its fonts are named, not
// embedded.
func (f *Figure) SVG(w io.Writer) error {
	c := vgsvg.New(f.opt.Width, f.opt.Height)
	f.p.Draw(draw.New(c))
	_, err := c.WriteTo(w)
	return err
}

// PNG writes the figure as a PNG image at Options.DPI.
func (f *Figure) PNG(w io.Writer) error {
	c := vgimg.NewWith(vgimg.UseWH(f.opt.Width, f.opt.Height), vgimg.UseDPI(f.opt.DPI))
	f.p.Draw(draw.New(c))
	_, err := vgimg.PngCanvas{Canvas: c}.WriteTo(w)
	return err
}

// Section is the figures of one workload on one machine with one set of
// settings: its groups differ only in lock mode.
type Section struct {
	Workload string
	// Class is the groups' workload class (analysis.Group.Class): an
	// io workload's throughput plot has the ideal G x X(1), a latency
	// workload has latency plots instead of scaling ones.
	Class results.Class
	// Extra, Scaling and Settings are the groups' (see analysis.Group);
	// Settings is "" for a latency/convoy section, whose groups differ
	// in it.
	Extra, Scaling, Settings string
	Machine                  analysis.Machine
	// Groups are the report's groups of this section, in report order.
	Groups []*analysis.Group
	// Figures are the section's plots, in the order to show them.
	Figures []*Figure
	// Notes say what could not be drawn and why.
	Notes []string
	// Served is the served family (analysis.Report.Served) a server
	// shapes section draws, nil for every other section. Such a section
	// has no Groups: each shape's group has a section of its own.
	Served *analysis.Served
	// Replicated is the CAP family (analysis.Report.Replicated) a CAP
	// section draws, nil for every other section. Such a section has
	// no Groups, as a served one.
	Replicated *analysis.Replicated
}

// waits reports whether the section's work waits (class io), so that
// its throughput could grow G times with no parallelism: its
// throughput plot draws that ideal.
func (s *Section) waits() bool { return s.Class == results.ClassIO }

// Title names the section in one line.
func (s *Section) Title() string {
	if s.Served != nil {
		return "Server shapes: " + s.Served.Label() + " on " + s.Machine.String()
	}
	if s.Replicated != nil {
		return s.Replicated.Title() + ": " + s.Replicated.Label() + " on " + s.Machine.String()
	}
	t := s.Workload
	if s.Extra != "" {
		t += "  " + s.Extra
	}
	return t + " on " + s.Machine.String()
}

// Convoy is parbench's latency workload, whose latency is plotted
// against the switch interval: its class is results.ClassLatency, which
// is what Sections goes by.
const Convoy = "latency/convoy"

// Sections draws rep: one Section per workload, machine, other name
// keys, scaling and settings (settings aside for a latency workload,
// such as latency/convoy), in the report's order; then one per served
// family (analysis.Report.Served), in its order, with its figure of
// throughput by server shape; then one per CAP family
// (analysis.Report.Replicated), in its order, with its figures of
// availability and stale reads by phase.
func Sections(rep *analysis.Report, opt Options) ([]*Section, error) {
	type key struct {
		workload, extra, scaling, settings string
		machine                            analysis.Machine
	}
	var secs []*Section
	byKey := map[key]*Section{}
	for _, g := range rep.Groups {
		k := key{g.Workload, g.Extra, g.Scaling, g.Settings, g.Machine}
		if g.Class == results.ClassLatency {
			k.settings = ""
		}
		s := byKey[k]
		if s == nil {
			s = &Section{Workload: g.Workload, Class: g.Class, Extra: g.Extra, Scaling: g.Scaling, Settings: k.settings, Machine: g.Machine}
			byKey[k] = s
			secs = append(secs, s)
		}
		s.Groups = append(s.Groups, g)
	}
	for _, sv := range rep.Served {
		s := &Section{Workload: sv.Workload, Extra: sv.Extra, Scaling: sv.Scaling, Settings: sv.Settings, Machine: sv.Machine, Served: sv}
		if len(sv.Shapes) > 0 {
			s.Class = sv.Shapes[0].Group.Class
		}
		secs = append(secs, s)
	}
	for _, r := range rep.Replicated {
		s := &Section{Workload: r.Workload, Extra: r.Extra, Scaling: r.Scaling, Settings: r.Settings, Machine: r.Machine, Replicated: r}
		if len(r.Designs) > 0 {
			s.Class = r.Designs[0].Group.Class
		}
		secs = append(secs, s)
	}
	names := map[string]int{}
	for _, s := range secs {
		var err error
		switch {
		case s.Served != nil:
			err = s.servedFigure(opt, rep.Confidence)
		case s.Replicated != nil:
			err = s.replicatedFigures(opt)
		case s.Class == results.ClassLatency:
			err = s.latencyFigures(opt)
		default:
			err = s.scalingFigures(opt, rep.Confidence)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.Title(), err)
		}
		for _, f := range s.Figures {
			// Unique names: the same workload may have several
			// sections (settings), and two hosts may share a name.
			n := names[f.Name]
			names[f.Name]++
			if n > 0 {
				f.Name = fmt.Sprintf("%s-%d", f.Name, n+1)
			}
		}
	}
	return secs, nil
}

// WriteFiles writes every figure of secs into dir (created if needed)
// as NAME.png or NAME.svg, for format "png" or "svg", and returns the
// paths written.
func WriteFiles(dir, format string, secs []*Section) ([]string, error) {
	if format != "png" && format != "svg" {
		return nil, fmt.Errorf("format %q: want png or svg", format)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var paths []string
	for _, s := range secs {
		for _, f := range s.Figures {
			var buf bytes.Buffer
			var err error
			if format == "png" {
				err = f.PNG(&buf)
			} else {
				err = f.SVG(&buf)
			}
			if err != nil {
				return paths, fmt.Errorf("figure %s: %w", f.Name, err)
			}
			p := filepath.Join(dir, f.Name+"."+format)
			if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
				return paths, err
			}
			paths = append(paths, p)
		}
	}
	return paths, nil
}

// newFigure returns a figure with the common style: a two-line title
// (what, then the machine) and the legend at the top left.
func newFigure(opt Options, name, kind, what string, m analysis.Machine, xl, yl string) *Figure {
	p := gonum.New()
	mach := m.String()
	if len(mach) > 90 {
		mach = mach[:87] + "..."
	}
	p.Title.Text = what + "\n" + mach
	p.Title.TextStyle.Font.Size = vg.Points(11)
	p.X.Label.Text, p.Y.Label.Text = xl, yl
	p.Legend.Top, p.Legend.Left = true, true
	p.Legend.XOffs = vg.Points(6)
	p.Legend.TextStyle.Font.Size = vg.Points(9)
	p.Legend.ThumbnailWidth = vg.Points(24)
	p.Add(plotter.NewGrid())
	return &Figure{Name: name, Kind: kind, Title: what + " (" + mach + ")", XLabel: xl, YLabel: yl, opt: opt, p: p}
}

// series is one line of points with optional error bars (absolute
// bounds; NaN for none).
type series struct {
	label  string
	color  color.Color
	dashes []vg.Length
	glyph  draw.GlyphDrawer
	// radius is the glyphs' size, 3 points when 0.
	radius vg.Length
	// noLine draws the points only.
	noLine             bool
	xs, ys, lo, hi     []float64
	logX, logY         bool
	width              vg.Length
	legendWithoutGlyph bool
}

func (s *series) add(x, y, lo, hi float64) {
	s.xs = append(s.xs, x)
	s.ys = append(s.ys, y)
	s.lo = append(s.lo, lo)
	s.hi = append(s.hi, hi)
}

// draw adds s to f, leaving out every point that is not finite (or not
// positive on a log axis); it adds nothing, and returns false, when no
// point is left.
func (f *Figure) draw(s series) (bool, error) {
	type pt struct{ x, y, lo, hi float64 }
	var pts []pt
	for i := range s.xs {
		x, y := s.xs[i], s.ys[i]
		if !finite(x, y) || s.logX && x <= 0 || s.logY && y <= 0 {
			continue
		}
		lo, hi := s.lo[i], s.hi[i]
		if !finite(lo) || lo > y || s.logY && lo <= 0 {
			lo = y
		}
		if !finite(hi) || hi < y {
			hi = y
		}
		// Log axes are linear axes over log10 of the values: gonum's
		// LogScale places a vertical axis's label by the arithmetic
		// mean of the range, off the plot.
		if s.logX {
			x = math.Log10(x)
		}
		if s.logY {
			y, lo, hi = math.Log10(y), math.Log10(lo), math.Log10(hi)
		}
		pts = append(pts, pt{x, y, lo, hi})
	}
	if len(pts) == 0 {
		return false, nil
	}
	sort.SliceStable(pts, func(i, j int) bool { return pts[i].x < pts[j].x })
	xys := make(plotter.XYs, len(pts))
	var errs plotter.YErrors
	bars := false
	for i, p := range pts {
		xys[i] = plotter.XY{X: p.x, Y: p.y}
		errs = append(errs, struct{ Low, High float64 }{p.y - p.lo, p.hi - p.y})
		bars = bars || p.lo < p.y || p.hi > p.y
	}
	width := s.width
	if width == 0 {
		width = vg.Points(1.5)
	}
	var thumbs []gonum.Thumbnailer
	if !s.noLine {
		l, err := plotter.NewLine(xys)
		if err != nil {
			return false, err
		}
		l.Color, l.Width, l.Dashes = s.color, width, s.dashes
		f.p.Add(l)
		thumbs = append(thumbs, l)
	}
	if s.glyph != nil {
		sc, err := plotter.NewScatter(xys)
		if err != nil {
			return false, err
		}
		r := s.radius
		if r == 0 {
			r = vg.Points(3)
		}
		sc.GlyphStyle = draw.GlyphStyle{Color: s.color, Radius: r, Shape: s.glyph}
		f.p.Add(sc)
		if !s.legendWithoutGlyph {
			thumbs = append(thumbs, sc)
		}
	}
	if bars {
		eb, err := plotter.NewYErrorBars(struct {
			plotter.XYs
			plotter.YErrors
		}{xys, errs})
		if err != nil {
			return false, err
		}
		eb.Color, eb.Width, eb.CapWidth = s.color, vg.Points(1), vg.Points(5)
		f.p.Add(eb)
		f.barred = append(f.barred, s.label)
	}
	if s.label != "" {
		f.p.Legend.Add(s.label, thumbs...)
		f.Series = append(f.Series, s.label)
	}
	return true, nil
}

// logAxis makes a a log axis over the data range [lo, hi], padded so
// that no point sits on the frame. The axis is linear over log10 of the
// values (series.logX, logY), its ticks labelled with the values.
func logAxis(a *gonum.Axis, lo, hi float64, format func(float64) string) {
	if !(lo > 0) || !(hi >= lo) || math.IsInf(hi, 0) {
		lo, hi = 1, 10
	}
	if hi/lo < 2 {
		mid := math.Sqrt(lo * hi)
		lo, hi = mid/1.5, mid*1.5
	}
	pad := math.Pow(hi/lo, 0.05)
	a.Min, a.Max = math.Log10(lo/pad), math.Log10(hi*pad)
	a.Tick.Marker = logTicks{format: format}
}

// dataRange returns the range of the finite, positive values of xs.
func dataRange(xs []float64) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, x := range xs {
		if finite(x) && x > 0 {
			lo, hi = math.Min(lo, x), math.Max(hi, x)
		}
	}
	return lo, hi
}

func machineSlug(m analysis.Machine) string {
	if m.Host != "" {
		return slug(m.Host)
	}
	if m.CPU != "" {
		return slug(m.CPU)
	}
	return "results"
}

func figName(s *Section, kind string, more ...string) string {
	parts := append([]string{machineSlug(s.Machine), s.Workload}, more...)
	if s.Extra != "" {
		parts = append(parts, s.Extra)
	}
	return slug(append(parts, kind)...)
}

func pluralS(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func joinWords(xs []string) string {
	switch len(xs) {
	case 0:
		return ""
	case 1:
		return xs[0]
	}
	return strings.Join(xs[:len(xs)-1], ", ") + " and " + xs[len(xs)-1]
}

// legendRoom raises the top of the y axis so that the legend, at the
// top left, has a band of its own above the data.
func (f *Figure) legendRoom() {
	const entry, margins = 11.0, 100.0 // points: a legend line; title and x axis
	h := f.opt.Height.Points() - margins
	l := math.Min(0.6, (entry*float64(len(f.Series))+6)/h)
	f.p.Y.Max = f.p.Y.Min + (f.p.Y.Max-f.p.Y.Min)/(1-l)
}
