package plot_test

import (
	"bytes"
	"flag"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/parbench/parbench/analysis"
	"github.com/parbench/parbench/analysis/plot"
)

var (
	update  = flag.Bool("update", false, "rewrite the golden files")
	plotDir = flag.String("plotdir", "", "also write every figure as SVG and PNG into this `directory`, to look at")
)

// inputs are committed results files: a real 2-CPU run, the synthetic
// files of package analysis (known laws on 16 CPUs, weak scaling, plain
// go test output), a synthetic latency/convoy sweep, synthetic server
// shapes (two families of W x T, 10 samples a point, and a lone shape)
// and a real 2-CPU sweep of server shapes at 2 samples a point.
var inputs = []struct{ name, path string }{
	{"vm", "../../cli/testdata/report-vm.txt"},
	{"laws", "../testdata/laws.txt"},
	{"weak", "../testdata/weak.txt"},
	{"gotest", "../testdata/gotest.txt"},
	{"convoy", "testdata/convoy.txt"},
	{"served", "testdata/served.txt"},
	{"served-vm", "testdata/served-vm.txt"},
	{"cap", "testdata/cap.txt"},
	{"cap-vm", "testdata/cap-vm.txt"},
}

func report(tb testing.TB, paths ...string) *analysis.Report {
	tb.Helper()
	b, err := analysis.NewBuilder(analysis.DefaultOptions())
	if err != nil {
		tb.Fatal(err)
	}
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			tb.Fatal(err)
		}
		err = b.Read(f, p)
		f.Close()
		if err != nil {
			tb.Fatal(err)
		}
	}
	rep, err := b.Report()
	if err != nil {
		tb.Fatal(err)
	}
	return rep
}

func sections(tb testing.TB, paths ...string) []*plot.Section {
	tb.Helper()
	secs, err := plot.Sections(report(tb, paths...), plot.DefaultOptions())
	if err != nil {
		tb.Fatal(err)
	}
	return secs
}

var (
	textRE    = regexp.MustCompile(`(?s)<text[^>]*>(.*?)</text>`)
	nonFinite = regexp.MustCompile(`NaN|[+-]?Inf`)
	pathRE    = regexp.MustCompile(`<path `)
)

func unescape(s string) string {
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&#34;", `"`, "&#39;", "'", "&amp;", "&").Replace(s)
}

// svgTexts returns the texts an SVG shows.
func svgTexts(svg string) []string {
	var out []string
	for _, m := range textRE.FindAllStringSubmatch(svg, -1) {
		out = append(out, unescape(m[1]))
	}
	return out
}

// checkSVG checks the structure of one figure's SVG: no non-finite
// coordinate, the title, both axis labels and every series in the
// legend, and some drawing.
func checkSVG(t *testing.T, f *plot.Figure, svg string) {
	t.Helper()
	if m := nonFinite.FindString(svg); m != "" {
		i := strings.Index(svg, m)
		t.Errorf("%s: non-finite number %q in SVG near %q", f.Name, m, svg[max(0, i-80):min(len(svg), i+20)])
	}
	texts := map[string]bool{}
	for _, s := range svgTexts(svg) {
		texts[s] = true
	}
	want := append([]string{f.XLabel, f.YLabel}, f.Series...)
	want = append(want, strings.Split(strings.TrimSuffix(f.Title[:strings.LastIndex(f.Title, " (")], ")"), "\n")...)
	for _, w := range want {
		if !texts[w] {
			t.Errorf("%s: no text %q in the SVG", f.Name, w)
		}
	}
	if len(f.Series) == 0 {
		t.Errorf("%s: no series", f.Name)
	}
	if n := len(pathRE.FindAllString(svg, -1)); n < 10 {
		t.Errorf("%s: only %d paths: nothing drawn?", f.Name, n)
	}
}

// TestGolden checks every figure of every input and compares a summary
// of them (figures, series, axis labels, the texts of each SVG) with
// testdata/NAME.golden. go test ./analysis/plot -update rewrites them.
func TestGolden(t *testing.T) {
	for _, in := range inputs {
		t.Run(in.name, func(t *testing.T) {
			secs := sections(t, in.path)
			var sum strings.Builder
			for _, s := range secs {
				fmt.Fprintf(&sum, "== %s (%d groups)\n", s.Title(), len(s.Groups))
				for _, n := range s.Notes {
					fmt.Fprintf(&sum, "note: %s\n", n)
				}
				for _, f := range s.Figures {
					var buf bytes.Buffer
					if err := f.SVG(&buf); err != nil {
						t.Fatal(err)
					}
					checkSVG(t, f, buf.String())
					texts := svgTexts(buf.String())
					sort.Strings(texts)
					fmt.Fprintf(&sum, "figure %s [%s]\n  title: %q\n  x: %s\n  y: %s\n  series: %q\n  texts: %q\n  caption: %s\n",
						f.Name, f.Kind, f.Title, f.XLabel, f.YLabel, f.Series, texts, f.Caption)
					if *plotDir != "" {
						writeFigure(t, f, buf.Bytes())
					}
				}
			}
			golden := filepath.Join("testdata", in.name+".golden")
			if *update {
				if err := os.WriteFile(golden, []byte(sum.String()), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (go test ./analysis/plot -update writes it)", err)
			}
			if sum.String() != string(want) {
				t.Errorf("figures differ from %s (rerun with -update if the change is meant):\n%s", golden, sum.String())
			}
		})
	}
}

func writeFigure(t *testing.T, f *plot.Figure, svg []byte) {
	if err := os.MkdirAll(*plotDir, 0o755); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := f.PNG(&buf); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(*plotDir, f.Name+".png"), buf.Bytes(), 0o644)
	os.WriteFile(filepath.Join(*plotDir, f.Name+".svg"), svg, 0o644)
}

// TestFigures checks which figures each kind of input gets.
func TestFigures(t *testing.T) {
	kinds := func(secs []*plot.Section) map[string]int {
		m := map[string]int{}
		for _, s := range secs {
			for _, f := range s.Figures {
				m[f.Kind]++
			}
		}
		return m
	}
	cases := []struct {
		name  string
		path  string
		want  map[string]int
		notes []string
	}{
		// 2 CPUs: levels 1 and 2 only, so no fit.
		{"vm", inputs[0].path, map[string]int{plot.KindSpeedup: 2, plot.KindThroughput: 2}, nil},
		// 16 CPUs, procs 1-32: every group fitted.
		{"laws", inputs[1].path, map[string]int{plot.KindSpeedup: 4, plot.KindThroughput: 4, plot.KindFit: 5}, nil},
		// No goroutines key: no throughput-vs-goroutines curve.
		{"gotest", inputs[3].path, map[string]int{plot.KindSpeedup: 2, plot.KindFit: 2}, []string{"No throughput plot"}},
		{"convoy", inputs[4].path, map[string]int{plot.KindLatency: 2}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			secs := sections(t, c.path)
			if got := kinds(secs); fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("figures by kind: got %v, want %v", got, c.want)
			}
			var notes string
			for _, s := range secs {
				notes += strings.Join(s.Notes, "\n")
			}
			for _, n := range c.notes {
				if !strings.Contains(notes, n) {
					t.Errorf("no note %q in %q", n, notes)
				}
			}
		})
	}
}

// TestLockColours checks that a lock mode has one colour in every
// figure and that the known modes differ.
func TestLockColours(t *testing.T) {
	seen := map[string]string{}
	for _, l := range []string{"none", "gil", "gil-old", "mutex"} {
		c := fmt.Sprint(plot.LockColor(l))
		if other, ok := seen[c]; ok {
			t.Errorf("%s and %s share colour %s", l, other, c)
		}
		seen[c] = l
		if fmt.Sprint(plot.LockColor(l)) != c {
			t.Errorf("%s: colour not stable", l)
		}
	}
	if a, b := plot.LockColor("spinlock"), plot.LockColor("spin"+"lock"); a != b {
		t.Error("an unknown lock mode's colour is not stable")
	}
	// In the SVGs: lock=gil's colour appears in its speedup, throughput
	// and fit figures of laws.txt.
	gil := plot.LockColor("gil")
	hex := fmt.Sprintf("#%02x%02x%02x", gil.R, gil.G, gil.B)
	for _, s := range sections(t, inputs[1].path) {
		if s.Workload != "cpu/sha256" {
			continue
		}
		for _, f := range s.Figures {
			if f.Kind == plot.KindFit && !strings.Contains(f.Title, "lock=gil") {
				continue
			}
			var buf bytes.Buffer
			f.SVG(&buf)
			if !strings.Contains(strings.ToLower(buf.String()), hex) {
				t.Errorf("%s: lock=gil's colour %s absent", f.Name, hex)
			}
		}
	}
}

// TestNoSuchData: latency/convoy results without percentiles, or with
// no positive switch interval, give notes, not broken plots; and
// results whose values are not finite never reach a coordinate.
func TestNoSuchData(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cases := []struct{ name, data, note string }{
		{"no percentiles", "ncpu: 2\nswitch-interval: 5ms\nBenchmarkLatency/convoy/lock=gil/goroutines=1-1 10 1e-3 sec/op\n", "no p50-sec figures"},
		{"no interval", "ncpu: 2\nBenchmarkLatency/convoy/lock=gil/goroutines=1-1 10 1e-3 sec/op 1e-4 p50-sec 2e-4 p99-sec\n", "switch-interval"},
		{"one level", "ncpu: 2\nBenchmarkCPU/x/lock=none/goroutines=1-1 10 1e-3 sec/op\n", "No speedup plot"},
		{"zero latency", "ncpu: 2\nswitch-interval: 5ms\nBenchmarkLatency/convoy/lock=gil/goroutines=1-1 10 1e-3 sec/op 0 p50-sec 0 p99-sec\n", "No p50 latency plot"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			secs := sections(t, write(c.name+".txt", c.data))
			var notes []string
			for _, s := range secs {
				notes = append(notes, s.Notes...)
				for _, f := range s.Figures {
					var buf bytes.Buffer
					if err := f.SVG(&buf); err != nil {
						t.Fatal(err)
					}
					checkSVG(t, f, buf.String())
				}
			}
			if !strings.Contains(strings.Join(notes, "\n"), c.note) {
				t.Errorf("notes %q; want one containing %q", notes, c.note)
			}
		})
	}
}

// TestEscaping: names from a results file are text in the SVG, never
// markup.
func TestEscaping(t *testing.T) {
	p := filepath.Join(t.TempDir(), "evil.txt")
	data := "cpu: <script>alert(1)</script>\nncpu: 2\n" +
		"BenchmarkCPU/x/lock=<b>/goroutines=1-1 10 2e-3 sec/op\nBenchmarkCPU/x/lock=<b>/goroutines=1-2 10 1e-3 sec/op\n"
	os.WriteFile(p, []byte(data), 0o644)
	for _, s := range sections(t, p) {
		for _, f := range s.Figures {
			var buf bytes.Buffer
			f.SVG(&buf)
			if strings.Contains(buf.String(), "<script") || strings.Contains(buf.String(), "<b>") {
				t.Errorf("%s: markup from the input reached the SVG", f.Name)
			}
		}
	}
}

// TestPNG checks that a PNG decodes at the size asked and is not blank.
func TestPNG(t *testing.T) {
	secs := sections(t, inputs[0].path)
	f := secs[0].Figures[0]
	var buf bytes.Buffer
	if err := f.PNG(&buf); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 864 || b.Dy() != 576 {
		t.Errorf("size %v, want 864x576 (6x4 in at 144 DPI)", b)
	}
	colours := map[[3]uint32]int{}
	for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y += 2 {
		for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x += 2 {
			r, g, b, _ := img.At(x, y).RGBA()
			colours[[3]uint32{r >> 8, g >> 8, b >> 8}]++
		}
	}
	none := plot.LockColor("none")
	if colours[[3]uint32{uint32(none.R), uint32(none.G), uint32(none.B)}] == 0 {
		t.Errorf("no pixel in lock=none's colour: the series was not drawn")
	}
	if len(colours) < 10 {
		t.Errorf("%d colours: a blank image?", len(colours))
	}
}

func TestWriteFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "png")
	paths, err := plot.WriteFiles(dir, "png", sections(t, inputs[0].path))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != 4 {
		t.Errorf("wrote %q, want 4 figures", paths)
	}
	seen := map[string]bool{}
	for _, p := range paths {
		if seen[p] {
			t.Errorf("%s written twice", p)
		}
		seen[p] = true
		if st, err := os.Stat(p); err != nil || st.Size() < 1000 {
			t.Errorf("%s: %v, %d bytes", p, err, st.Size())
		}
	}
	if _, err := plot.WriteFiles(dir, "gif", nil); err == nil {
		t.Error("format gif: no error")
	}
}
