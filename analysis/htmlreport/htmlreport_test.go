package htmlreport_test

import (
	"bytes"
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/parbench/parbench/analysis"
	"github.com/parbench/parbench/analysis/htmlreport"
	"github.com/parbench/parbench/analysis/plot"
)

// inputs are committed results files: a real 2-CPU run, results drawn
// from known laws on 16 CPUs (two lock modes), a synthetic
// latency/convoy sweep and synthetic server shapes (two families).
var inputs = []string{
	"../../cli/testdata/report-vm.txt",
	"../testdata/laws.txt",
	"../plot/testdata/convoy.txt",
	"../plot/testdata/served.txt",
}

// page writes the HTML report of files and returns it with the report
// and its plot sections.
func page(tb testing.TB, files ...string) (string, *analysis.Report, []*plot.Section) {
	tb.Helper()
	b, err := analysis.NewBuilder(analysis.DefaultOptions())
	if err != nil {
		tb.Fatal(err)
	}
	opt := htmlreport.DefaultOptions()
	for _, name := range files {
		for _, read := range []func(*os.File) error{
			func(f *os.File) error { return b.Read(f, name) },
			func(f *os.File) error {
				src, err := htmlreport.ReadSource(f, name)
				opt.Sources = append(opt.Sources, src)
				return err
			},
		} {
			f, err := os.Open(name)
			if err != nil {
				tb.Fatal(err)
			}
			err = read(f)
			f.Close()
			if err != nil {
				tb.Fatal(err)
			}
		}
	}
	rep, err := b.Report()
	if err != nil {
		tb.Fatal(err)
	}
	var buf bytes.Buffer
	if err := htmlreport.Write(&buf, rep, opt); err != nil {
		tb.Fatal(err)
	}
	secs, err := plot.Sections(rep, plot.DefaultOptions())
	if err != nil {
		tb.Fatal(err)
	}
	return buf.String(), rep, secs
}

var (
	rowRE     = regexp.MustCompile(`(?s)<table id="verdicts">.*?</table>`)
	networkRE = regexp.MustCompile(`(?i)(src|href)\s*=\s*["']?\s*(https?:|//)|url\(\s*["']?(https?:|//)|@import|<script|<link|<iframe|<img`)
)

// checkStructure checks what the page must hold: the verdict table with
// a row per group, a figure per plot with its SVG, a section per plot
// section, a points table per group, and nothing fetched from anywhere.
func checkStructure(t *testing.T, html string, rep *analysis.Report, secs []*plot.Section) {
	t.Helper()
	table := rowRE.FindString(html)
	if table == "" {
		t.Fatal("no verdict table")
	}
	if n := strings.Count(table, "<tr>") - 1; n != len(rep.Groups) {
		t.Errorf("verdict table has %d rows, want %d (one per group)", n, len(rep.Groups))
	}
	if i, j := strings.Index(html, `id="verdicts"`), strings.Index(html, `class="plot"`); i < 0 || j >= 0 && j < i {
		t.Error("the verdict table is not before the plots")
	}
	figs := 0
	for _, s := range secs {
		for _, f := range s.Figures {
			figs++
			i := strings.Index(html, `<figure class="plot" id="fig-`+f.Name+`"`)
			if i < 0 {
				t.Errorf("figure %s missing", f.Name)
				continue
			}
			end := strings.Index(html[i:], "</figure>")
			if !strings.Contains(html[i:i+end], "<svg ") {
				t.Errorf("figure %s has no inline SVG", f.Name)
			}
		}
	}
	if figs == 0 {
		t.Error("no figures")
	}
	if n := strings.Count(html, "<svg "); n != figs {
		t.Errorf("%d SVG elements, want %d", n, figs)
	}
	workloads, served, caps := 0, 0, 0
	for _, s := range secs {
		if s.Replicated != nil {
			caps++
			checkCAP(t, html, caps, s)
			continue
		}
		if s.Served == nil {
			workloads++
			continue
		}
		served++
		// Its section: the figure, the table of shapes (a row each),
		// the lines.
		i := strings.Index(html, fmt.Sprintf(`<section class="served" id="served-%d">`, served))
		if i < 0 {
			t.Errorf("no section for %s", s.Title())
			continue
		}
		sec := html[i:]
		sec = sec[:strings.Index(sec, "</section>")]
		if n := strings.Count(sec, `<figure class="plot"`); n != len(s.Figures) {
			t.Errorf("%s: %d figures, want %d", s.Title(), n, len(s.Figures))
		}
		table := sec[strings.Index(sec, `<table class="served">`):]
		if n := strings.Count(table[:strings.Index(table, "</table>")], "<tr>") - 1; n != len(s.Served.Shapes) {
			t.Errorf("%s: %d rows, want %d (one per shape)", s.Title(), n, len(s.Served.Shapes))
		}
		if n := strings.Count(sec, "<li>"); n != len(s.Served.Lines) {
			t.Errorf("%s: %d lines, want %d", s.Title(), n, len(s.Served.Lines))
		}
	}
	if n := strings.Count(html, `<section class="workload"`); n != workloads {
		t.Errorf("%d workload sections, want %d", n, workloads)
	}
	if n := strings.Count(html, `<section class="served"`); n != served || served != len(rep.Served) {
		t.Errorf("%d served sections, want %d (one per family, %d)", n, served, len(rep.Served))
	}
	if n := strings.Count(html, `<section class="cap"`); n != caps || caps != len(rep.Replicated) {
		t.Errorf("%d CAP sections, want %d (one per family, %d)", n, caps, len(rep.Replicated))
	}
	if n := strings.Count(html, `<table class="points">`); n != len(rep.Groups) {
		t.Errorf("%d points tables, want %d", n, len(rep.Groups))
	}
	for _, want := range []string{"How to read this", "Machines and run configuration", "<?xml"} {
		if strings.Contains(html, want) != (want != "<?xml") {
			t.Errorf("page contains %q: %v", want, strings.Contains(html, want))
		}
	}
	if m := networkRE.FindString(html); m != "" {
		t.Errorf("the page would fetch or run something: %q", m)
	}
	if strings.Contains(html, "NaN") {
		t.Error("NaN in the page")
	}
}

// checkCAP checks the k-th CAP section of a page: its heading, its
// table (a row per design), its lines as the text report words them and
// its figures, inline.
func checkCAP(t *testing.T, html string, k int, s *plot.Section) {
	t.Helper()
	r := s.Replicated
	i := strings.Index(html, fmt.Sprintf(`<section class="cap" id="cap-%d">`, k))
	if i < 0 {
		t.Errorf("no section for %s", s.Title())
		return
	}
	sec := html[i:]
	sec = sec[:strings.Index(sec, "</section>")]
	if !strings.Contains(sec, "<h2>"+template.HTMLEscapeString(s.Title())+"</h2>") {
		t.Errorf("%s: no heading", s.Title())
	}
	if n := strings.Count(sec, `<figure class="plot"`); n != len(s.Figures) {
		t.Errorf("%s: %d figures, want %d", s.Title(), n, len(s.Figures))
	}
	table := sec[strings.Index(sec, `<table class="cap">`):]
	table = table[:strings.Index(table, "</table>")]
	if n := strings.Count(table, "<tr>") - 1; n != len(r.Designs) {
		t.Errorf("%s: %d rows, want %d (one per design)", s.Title(), n, len(r.Designs))
	}
	for _, d := range r.Designs {
		if !strings.Contains(table, "<tr><td>"+d.Name+"</td>") {
			t.Errorf("%s: no row for design %s", s.Title(), d.Name)
		}
	}
	if n := strings.Count(sec, "<li>"); n != len(r.Lines) {
		t.Errorf("%s: %d lines, want %d", s.Title(), n, len(r.Lines))
	}
	for _, l := range r.Lines {
		if !strings.Contains(sec, "<li>"+template.HTMLEscapeString(l)+"</li>") {
			t.Errorf("%s: no line %q", s.Title(), l)
		}
	}
}

func TestStructure(t *testing.T) {
	html, rep, secs := page(t, inputs...)
	checkStructure(t, html, rep, secs)
	for _, want := range []string{
		`<ul class="fits">`, "serial fraction s = ", // laws.txt has fits, with intervals
		"<td>cpu</td><td>AMD EPYC</td>",    // the run configuration of report-vm.txt
		`<code>switch-interval=1ms</code>`, // convoy rows told apart by their settings
	} {
		if !strings.Contains(html, want) {
			t.Errorf("no %q in the page", want)
		}
	}
}

// TestEscaping: text from a results file is text on the page, never
// markup.
func TestEscaping(t *testing.T) {
	p := filepath.Join(t.TempDir(), "evil.txt")
	data := "cpu: <script>alert(1)</script>\nncpu: 2\nnote: </table><img src=x>\n" +
		"BenchmarkCPU/x/lock=<b>/goroutines=1-1 10 2e-3 sec/op\nBenchmarkCPU/x/lock=<b>/goroutines=1-2 10 1e-3 sec/op\n"
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	html, _, _ := page(t, p)
	for _, bad := range []string{"<script>alert", "<b>", "<img src=x>"} {
		if strings.Contains(html, bad) {
			t.Errorf("%q reached the page unescaped", bad)
		}
	}
}

func TestReadSource(t *testing.T) {
	data := "cpu: A\nncpu: 2\n\nBenchmarkX-1 1 1 sec/op\ndate: 1\nBenchmarkX-2 1 1 sec/op\ndate: 2\nBenchmarkX-2 1 1 sec/op\n"
	src, err := htmlreport.ReadSource(strings.NewReader(data), "f.txt")
	if err != nil {
		t.Fatal(err)
	}
	want := []htmlreport.KV{{"cpu", "A"}, {"ncpu", "2"}, {"date", "1, 2"}}
	if src.Results != 3 || len(src.Config) != len(want) {
		t.Fatalf("got %+v", src)
	}
	for i, kv := range want {
		if src.Config[i] != kv {
			t.Errorf("config[%d] = %v, want %v", i, src.Config[i], kv)
		}
	}
}

// TestFailedPoint: a point with a parbench-failed note is named in the
// verdict table and in its group's section, not drawn as a measurement.
func TestFailedPoint(t *testing.T) {
	data, err := os.ReadFile("../../cli/testdata/report-vm.txt")
	if err != nil {
		t.Fatal(err)
	}
	data = append(data, "BenchmarkCPU/sha256/lock=none/goroutines=4-4 3 2e-06 sec/op\n"+
		"parbench-failed: CPU/sha256/lock=none/goroutines=4-4 sample did not finish within --sample-timeout 10s\nparbench-failed:\n"...)
	name := filepath.Join(t.TempDir(), "failed.txt")
	if err := os.WriteFile(name, data, 0o644); err != nil {
		t.Fatal(err)
	}
	html, rep, secs := page(t, name)
	checkStructure(t, html, rep, secs)
	if table := rowRE.FindString(html); !strings.Contains(table, "1 point failed") {
		t.Errorf("the verdict table does not say a point failed:\n%s", table)
	}
	if !strings.Contains(html, `<li class="flag failed">FAILED: 4 procs, 4 goroutines: sample did not finish within --sample-timeout 10s`) {
		t.Error("the group's section does not name the failed point")
	}
}

// A calibration file's page shows its table; an ordinary file's has
// none.
func TestCalibrationTable(t *testing.T) {
	html, rep, _ := page(t, "../../cli/testdata/report-calibrate.txt")
	if len(rep.Calibrations) != 1 {
		t.Fatalf("%d calibrations, want 1", len(rep.Calibrations))
	}
	for _, want := range []string{`<section class="calibration" id="calibration-1">`, `<table class="calibration">`, "<th>CPython</th><th>parbench</th>", rep.Calibrations[0].Summary()} {
		if !strings.Contains(html, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	rows := strings.Count(html[strings.Index(html, `<table class="calibration">`):], "<tr>") - 1
	if rows < len(rep.Calibrations[0].Rows) {
		t.Errorf("%d table rows, want %d", rows, len(rep.Calibrations[0].Rows))
	}
	plain, _, _ := page(t, inputs[0])
	if strings.Contains(plain, "calibration") {
		t.Error("an ordinary file's page mentions a calibration")
	}
}

// TestServed: a served family's section holds its figure inline, its
// table with the best shape marked, and its lines as the text report
// words them, after the workloads' sections.
func TestServed(t *testing.T) {
	html, rep, secs := page(t, "../plot/testdata/served.txt")
	checkStructure(t, html, rep, secs)
	if len(rep.Served) != 2 {
		t.Fatalf("%d served families, want 2", len(rep.Served))
	}
	if i, j := strings.LastIndex(html, `<section class="workload"`), strings.Index(html, `<section class="served"`); j < i {
		t.Error("a served section before the workloads' sections")
	}
	for i, sv := range rep.Served {
		sec := html[strings.Index(html, fmt.Sprintf(`<section class="served" id="served-%d">`, i+1)):]
		sec = sec[:strings.Index(sec, "</section>")]
		for _, want := range append([]string{`data-kind="served"`, "<td>best</td>", template.HTMLEscapeString(sv.Label())}, sv.Lines...) {
			if !strings.Contains(sec, template.HTMLEscapeString(want)) && !strings.Contains(sec, want) {
				t.Errorf("%s: no %q in its section", sv.Label(), want)
			}
		}
	}
}

// TestCAP: a file with consistency= groups has a CAP section per family
// after the workloads' sections, with its availability and stale reads
// plots; a file without has none (TestStructure's inputs, checked by
// checkStructure).
func TestCAP(t *testing.T) {
	for _, in := range []struct {
		path     string
		families int
	}{{"../plot/testdata/cap.txt", 1}, {"../plot/testdata/cap-vm.txt", 2}} {
		t.Run(filepath.Base(in.path), func(t *testing.T) {
			html, rep, secs := page(t, in.path)
			checkStructure(t, html, rep, secs)
			if len(rep.Replicated) != in.families {
				t.Fatalf("%d CAP families, want %d", len(rep.Replicated), in.families)
			}
			if i, j := strings.LastIndex(html, `<section class="workload"`), strings.Index(html, `<section class="cap"`); j < i {
				t.Error("a CAP section before the workloads' sections")
			}
			for k := range rep.Replicated {
				sec := html[strings.Index(html, fmt.Sprintf(`<section class="cap" id="cap-%d">`, k+1)):]
				sec = sec[:strings.Index(sec, "</section>")]
				for _, want := range []string{`data-kind="availability"`, `data-kind="stale-reads"`, "<th>cut-off side</th>", "<td>0%"} {
					if !strings.Contains(sec, want) {
						t.Errorf("CAP section %d: no %q", k+1, want)
					}
				}
			}
		})
	}
	html, _, _ := page(t, inputs...)
	if strings.Contains(html, `class="cap"`) || strings.Contains(html, `data-kind="availability"`) {
		t.Error("a CAP section in a page of no consistency designs")
	}
}
