// Package htmlreport writes a parbench report (package analysis) as one
// self-contained HTML page to open, attach to a pull request or publish:
// the verdicts first, the machines and run configuration, then per
// workload its plots (package plot, inline SVG), tables and fits, and
// per family of server shapes (analysis.Served) its plot, table and
// findings, and per CAP family (analysis.Replicated: consistency designs
// under a partition) its table, verdict lines and plots. The page needs no network and no JavaScript: its styles are
// inline, its plots are SVG elements, and its fonts are the browser's
// own.
//
// The data flow:
//
//  1. Sources takes each results file's configuration (the machine,
//     the sweep's settings), as the report's Builder read it, for the
//     page's "run configuration" (ReadSource reads one file on its own).
//  2. plot.Sections draws the report, one section per workload and
//     machine, its groups differing in lock mode.
//  3. Write fills the page's template (html/template, so text from the
//     files is always escaped) with the report, the figures' SVG and
//     each group's tables and fit lines, each served family's table
//     and lines, and each CAP family's table and lines, as the text
//     report words them.
package htmlreport

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"image/color"
	"io"
	"strings"

	"github.com/parbench/parbench/analysis"
	"github.com/parbench/parbench/analysis/plot"
)

// Source is one results file's configuration, as its header lines state
// it ("cpu: ...", "procs: 1,2").
type Source struct {
	Name string
	// Config is the file configuration in order of first appearance; a
	// key whose value changed within the file has its values joined
	// with ", ".
	Config []KV
	// Results is the number of result lines.
	Results int
}

// KV is one configuration key and its value.
type KV struct{ Key, Value string }

// SourceOf returns the configuration of one results file as the
// Builder read it (analysis.Report.Files): no file is read again.
func SourceOf(f *analysis.File) Source {
	src := Source{Name: f.Name, Results: f.Results}
	for _, c := range f.Header {
		src.Config = append(src.Config, KV{c.Key, c.Value})
	}
	return src
}

// Sources returns the configuration of every results file of rep, in
// reading order: Options.Sources for a report read from files.
func Sources(rep *analysis.Report) []Source {
	var srcs []Source
	for _, f := range rep.Files {
		srcs = append(srcs, SourceOf(f))
	}
	return srcs
}

// ReadSource reads the configuration of one results file on its own,
// as a Builder reads it (see SourceOf). Malformed lines are skipped (the
// report warns about them); the error is only for a failure to read.
func ReadSource(r io.Reader, name string) (Source, error) {
	b, err := analysis.NewBuilder(analysis.DefaultOptions())
	if err != nil {
		return Source{Name: name}, err
	}
	if err := b.Read(r, name); err != nil {
		return Source{Name: name}, err
	}
	rep, _ := b.Report() // a file of no results still has its Files entry
	return SourceOf(rep.Files[0]), nil
}

// Options configures a page. Start from DefaultOptions.
type Options struct {
	// Title is the page's title and heading.
	Title string
	// Sources are the results files' configurations, shown as the run
	// configuration; none shows only the machines.
	Sources []Source
	// Profiles is what the run's profiles say (analysis.WriteProfiles),
	// shown as preformatted text; "" for none.
	Profiles string
	// Plot sizes the figures.
	Plot plot.Options
}

// DefaultOptions returns the title "parbench report" and the plots'
// default size.
func DefaultOptions() Options {
	return Options{Title: "parbench report", Plot: plot.DefaultOptions()}
}

//go:embed page.html
var pageHTML string

var page = template.Must(template.New("page").Funcs(template.FuncMap{
	"colour": func(lock string) template.CSS { return template.CSS(hex(plot.LockColor(lock))) },
	"lock":   plot.LockLabel,
}).Parse(pageHTML))

func hex(c color.RGBA) string { return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B) }

// Figure classes and ids are the page's structure, which tests and
// scripts may rely on: table#verdicts, section.workload, figure.plot
// (with data-kind), table.points, ul.fits; a calibration file's
// table is section.calibration > table.calibration; a served family's
// (analysis.Served) is section.served, with its figure.plot,
// table.served and ul.served-lines; a CAP family's
// (analysis.Replicated) is section.cap, with its figure.plot elements
// (data-kind availability and stale-reads), table.cap and ul.cap-lines.
type (
	pageData struct {
		Title      string
		Confidence int
		Report     *analysis.Report
		Verdicts   []verdictRow
		Machines   []analysis.Machine
		Sources    []Source
		Sections   []sectionData
		Warnings   []string
		MoreWarns  int
		Figures    int
		Locks      []string
		Profiles   string
		Varying    bool
		// Calibrations are the tables of the calibration files.
		Calibrations []calibrationData
		// Served are the server shapes sections, after the workloads'.
		Served []servedData
		// Replicated are the CAP sections, after the served ones.
		Replicated []replicatedData
	}
	replicatedData struct {
		ID         string
		Section    *plot.Section
		Replicated *analysis.Replicated
		Settings   string
		Figures    []figureData
		Head       []string
		Rows       [][]string
	}
	servedData struct {
		ID       string
		Section  *plot.Section
		Served   *analysis.Served
		Settings string
		Figures  []figureData
		Head     []string
		Rows     [][]string
	}
	calibrationData struct {
		ID          string
		Calibration *analysis.Calibration
		Head        []string
		Rows        [][]string
		Help        string
	}
	verdictRow struct {
		Group *analysis.Group
		// Settings are the group's settings that differ between
		// groups, so that rows of one workload can be told apart.
		Settings []string
		Section  int
		ID       string
	}
	sectionData struct {
		ID       string
		Section  *plot.Section
		Settings string
		Figures  []figureData
		Groups   []groupData
	}
	figureData struct {
		ID      string
		Kind    string
		Title   string
		Caption string
		SVG     template.HTML
	}
	groupData struct {
		ID       string
		Group    *analysis.Group
		Head     []string
		Rows     [][]string
		Fits     []string
		Settings string
	}
)

// Write writes rep as one HTML page.
func Write(w io.Writer, rep *analysis.Report, opt Options) error {
	secs, err := plot.Sections(rep, opt.Plot)
	if err != nil {
		return err
	}
	d := pageData{
		Title:      opt.Title,
		Confidence: int(100*rep.Confidence + 0.5),
		Report:     rep,
		Sources:    opt.Sources,
		Profiles:   opt.Profiles,
	}
	if d.Title == "" {
		d.Title = DefaultOptions().Title
	}
	for i, c := range rep.Calibrations {
		head, rows := c.Table()
		d.Calibrations = append(d.Calibrations, calibrationData{ID: fmt.Sprintf("calibration-%d", i+1),
			Calibration: c, Head: head, Rows: rows, Help: analysis.CalibrationHelp})
	}
	seenM := map[analysis.Machine]bool{}
	seenL := map[string]bool{}
	groupSection := map[*analysis.Group]int{}
	groupID := map[*analysis.Group]string{}
	for i, s := range secs {
		figs, err := figures(s)
		if err != nil {
			return err
		}
		d.Figures += len(figs)
		if sv := s.Served; sv != nil {
			t := sv.Table(rep.Confidence)
			d.Served = append(d.Served, servedData{ID: fmt.Sprintf("served-%d", len(d.Served)+1), Section: s, Served: sv,
				Settings: settings(s.Scaling, s.Settings), Figures: figs, Head: t[0], Rows: t[1:]})
			continue
		}
		if r := s.Replicated; r != nil {
			t := r.Table()
			d.Replicated = append(d.Replicated, replicatedData{ID: fmt.Sprintf("cap-%d", len(d.Replicated)+1), Section: s, Replicated: r,
				Settings: settings(s.Scaling, s.Settings), Figures: figs, Head: t[0], Rows: t[1:]})
			continue
		}
		sd := sectionData{ID: fmt.Sprintf("section-%d", i+1), Section: s, Settings: settings(s.Scaling, s.Settings), Figures: figs}
		for j, g := range s.Groups {
			id := fmt.Sprintf("group-%d-%d", i+1, j+1)
			groupSection[g], groupID[g] = i, id
			t := g.PointTable(rep.Confidence)
			gd := groupData{ID: id, Group: g, Head: t[0], Rows: t[1:], Fits: g.FitLines(rep.Confidence)}
			if s.Settings == "" {
				gd.Settings = settings("", g.Settings) // latency/convoy: settings differ per group
			}
			sd.Groups = append(sd.Groups, gd)
			if !seenL[g.Lock] {
				seenL[g.Lock] = true
				d.Locks = append(d.Locks, g.Lock)
			}
		}
		d.Sections = append(d.Sections, sd)
	}
	varying := varyingSettings(rep.Groups)
	d.Varying = len(varying) > 0
	for _, g := range rep.Groups {
		row := verdictRow{Group: g, Section: groupSection[g], ID: groupID[g]}
		for _, kv := range strings.Fields(g.Settings) {
			if k, _, _ := strings.Cut(kv, "="); varying[k] {
				row.Settings = append(row.Settings, kv)
			}
		}
		d.Verdicts = append(d.Verdicts, row)
		if !seenM[g.Machine] {
			seenM[g.Machine] = true
			d.Machines = append(d.Machines, g.Machine)
		}
	}
	const most = 50
	for i, w := range rep.Warnings {
		if i == most {
			d.MoreWarns = len(rep.Warnings) - most
			break
		}
		d.Warnings = append(d.Warnings, w.Error())
	}
	return page.Execute(w, d)
}

// figures renders a section's figures as inline SVG elements.
func figures(s *plot.Section) ([]figureData, error) {
	var out []figureData
	for _, f := range s.Figures {
		var buf bytes.Buffer
		if err := f.SVG(&buf); err != nil {
			return nil, fmt.Errorf("figure %s: %w", f.Name, err)
		}
		svg := buf.String()
		// Inline: drop the XML prolog; the figure is an element.
		if i := strings.Index(svg, "<svg"); i >= 0 {
			svg = svg[i:]
		}
		svg = strings.Replace(svg, "<svg ", fmt.Sprintf(`<svg role="img" aria-label="%s" `, template.HTMLEscapeString(f.Title)), 1)
		out = append(out, figureData{
			ID: "fig-" + f.Name, Kind: f.Kind, Title: f.Title, Caption: f.Caption,
			SVG: template.HTML(svg), // vgsvg escapes every text it writes
		})
	}
	return out, nil
}

func settings(scaling, s string) string {
	if scaling != "" {
		s = strings.TrimSpace("scaling=" + scaling + " " + s)
	}
	return s
}

// varyingSettings returns the settings keys whose values differ between
// groups of one workload.
func varyingSettings(gs []*analysis.Group) map[string]bool {
	values := map[string]map[string]bool{} // workload/key -> values
	out := map[string]bool{}
	for _, g := range gs {
		for _, kv := range strings.Fields(g.Settings) {
			k, v, _ := strings.Cut(kv, "=")
			wk := g.Workload + "\x00" + k
			if values[wk] == nil {
				values[wk] = map[string]bool{}
			}
			values[wk][v] = true
			if len(values[wk]) > 1 {
				out[k] = true
			}
		}
	}
	return out
}
