package plot_test

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/parbench/parbench/analysis"
	"github.com/parbench/parbench/analysis/plot"
)

// servedFigures returns the served figures of rep's sections, by the
// family they draw, and checks each SVG's structure.
func servedFigures(t *testing.T, rep *analysis.Report) map[*analysis.Served][]*plot.Figure {
	t.Helper()
	secs, err := plot.Sections(rep, plot.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	out := map[*analysis.Served][]*plot.Figure{}
	for _, s := range secs {
		for _, f := range s.Figures {
			if (f.Kind == plot.KindServed) != (s.Served != nil) {
				t.Errorf("%s: figure of kind %s in a section of family %v", f.Name, f.Kind, s.Served)
			}
			if s.Served == nil {
				continue
			}
			var buf bytes.Buffer
			if err := f.SVG(&buf); err != nil {
				t.Fatal(err)
			}
			checkSVG(t, f, buf.String())
			out[s.Served] = append(out[s.Served], f)
		}
		if s.Served != nil && len(s.Groups) > 0 {
			t.Errorf("%s: a served section with groups of its own", s.Title())
		}
	}
	return out
}

// TestServedFigures: one figure per served family and none without one;
// a line per worker count, with error bars where the shapes have
// intervals; the thread law where f is known; the best shape marked
// where the section names one, and the caption saying why where not.
func TestServedFigures(t *testing.T) {
	for _, in := range inputs {
		t.Run(in.name, func(t *testing.T) {
			rep := report(t, in.path)
			figs := servedFigures(t, rep)
			if len(figs) != len(rep.Served) {
				t.Errorf("%d families drawn, want %d", len(figs), len(rep.Served))
			}
			for _, sv := range rep.Served {
				if len(figs[sv]) != 1 {
					t.Errorf("%s: %d figures, want 1", sv.Label(), len(figs[sv]))
					continue
				}
				checkServed(t, sv, figs[sv][0])
			}
		})
	}
	// Families by kind: synthetic with intervals, real without.
	for name, want := range map[string]int{"served": 2, "served-vm": 2} {
		if n := len(report(t, "testdata/"+name+".txt").Served); n != want {
			t.Errorf("%s: %d served families, want %d", name, n, want)
		}
	}
}

func checkServed(t *testing.T, sv *analysis.Served, f *plot.Figure) {
	t.Helper()
	var ws []int
	bars := map[int]bool{}
	for _, sh := range sv.Shapes {
		if !slices.Contains(ws, sh.Workers) {
			ws = append(ws, sh.Workers)
		}
		e := sh.Throughput // a bar where the interval is finite and not a point
		bars[sh.Workers] = bars[sh.Workers] || e.Lo > 0 && !math.IsInf(e.Hi, 0) && (e.Lo < e.Value || e.Hi > e.Value)
	}
	var want []string
	for _, w := range ws {
		l := fmt.Sprintf("W = %d worker", w)
		if w != 1 {
			l += "s"
		}
		want = append(want, l)
		if got := slices.Contains(plot.Barred(f), l); got != bars[w] {
			t.Errorf("%s: series %q has error bars %v, want %v", f.Name, l, got, bars[w])
		}
	}
	if b := sv.Shape(1, 1); b != nil && !math.IsNaN(b.Law) && sv.Rate == "" {
		want = append(want, fmt.Sprintf("thread law at W = 1, f = %.2f", sv.F.Value))
	}
	if sv.Best != nil {
		want = append(want, fmt.Sprintf("best: W = %d, T = %d, ", sv.Best.Workers, sv.Best.Threads))
	} else if !strings.Contains(f.Caption, "no shape is marked best") && !strings.Contains(f.Caption, "No shape is marked best") {
		t.Errorf("%s: no best shape, and the caption does not say why: %s", f.Name, f.Caption)
	}
	if len(f.Series) != len(want) {
		t.Errorf("%s: series %q, want %q", f.Name, f.Series, want)
	}
	for i, w := range want {
		if i < len(f.Series) && !strings.HasPrefix(f.Series[i], w) {
			t.Errorf("%s: series %d is %q, want %q", f.Name, i, f.Series[i], w)
		}
	}
	title := strings.Join(strings.Fields(sv.Label()), " ")
	point := fmt.Sprintf("%d procs, %d goroutines", sv.Procs, sv.Goroutines)
	if !strings.Contains(f.Title, title) || !strings.Contains(f.Title, point) {
		t.Errorf("%s: title %q does not name %q and %q", f.Name, f.Title, title, point)
	}
	if !strings.HasSuffix(f.Name, "-served") || !strings.HasPrefix(f.Name, plotSlug(sv)) {
		t.Errorf("%s: not named like the other figures (%s...-served)", f.Name, plotSlug(sv))
	}
}

// plotSlug is the start of a family's figure name: the machine's host.
func plotSlug(sv *analysis.Served) string { return strings.ToLower(sv.Machine.Host) + "-" }

// TestServedLaw: in the synthetic file, where the thread law holds
// exactly, the best shapes are the ones the section names, the law is
// drawn, every shape has a bar; in the real one at 2 samples a point no
// shape has a bar and none is marked best.
func TestServedLaw(t *testing.T) {
	got := map[string]string{}
	for _, in := range []string{"testdata/served.txt", "testdata/served-vm.txt"} {
		rep := report(t, in)
		for sv, figs := range servedFigures(t, rep) {
			f := figs[0]
			got[sv.Workload] = fmt.Sprintf("%q bars %q", f.Series, plot.Barred(f))
		}
	}
	want := map[string]string{
		"webapp/dbheavy":            `["W = 1 worker" "W = 2 workers" "thread law at W = 1, f = 0.60" "best: W = 2, T = 4, 4.98k ops/s"] bars ["W = 1 worker" "W = 2 workers"]`,
		"webapp/cpuheavy":           `["W = 1 worker" "W = 2 workers" "thread law at W = 1, f = 0.10" "best: W = 2, T = 1, 2.8k ops/s"] bars ["W = 1 worker" "W = 2 workers"]`,
		"webapp/read":               `["W = 1 worker" "W = 2 workers" "thread law at W = 1, f = 0.15"] bars []`,
		"webapp/update-pessimistic": `["W = 1 worker" "W = 2 workers" "thread law at W = 1, f = 0.12"] bars []`,
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("served figures:\n got %v\nwant %v", got, want)
	}
}

// TestServedNone: no figure without a family: a lone shape, shapes that
// share no point, and server keys that are not positive counts.
func TestServedNone(t *testing.T) {
	cases := map[string]string{
		"lone shape": "ncpu: 2\nBenchmarkWebapp/x/lock=gil/server-workers=1/server-threads=1/goroutines=16-2 10 1e-3 sec/op\n",
		"no common point": "ncpu: 2\nBenchmarkWebapp/x/lock=gil/server-workers=1/server-threads=1/goroutines=16-2 10 1e-3 sec/op\n" +
			"BenchmarkWebapp/x/lock=gil/server-workers=1/server-threads=2/goroutines=8-2 10 1e-3 sec/op\n",
		"bad keys": "ncpu: 2\nBenchmarkWebapp/x/lock=gil/server-workers=0/server-threads=1/goroutines=16-2 10 1e-3 sec/op\n" +
			"BenchmarkWebapp/x/lock=gil/server-workers=0/server-threads=2/goroutines=16-2 10 1e-3 sec/op\n",
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "x.txt")
			if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
			for _, s := range sections(t, p) {
				for _, f := range s.Figures {
					if f.Kind == plot.KindServed || s.Served != nil {
						t.Errorf("figure %s drawn without a family", f.Name)
					}
				}
			}
		})
	}
}

// TestServedOpenLoop: under an open loop the throughput is the offered
// rate: the shapes are drawn, without the law or a best shape, and the
// caption says why.
func TestServedOpenLoop(t *testing.T) {
	var data strings.Builder
	data.WriteString("ncpu: 2\nrate: 500\n")
	for _, tt := range []int{1, 2} {
		for range 10 {
			fmt.Fprintf(&data, "BenchmarkWebapp/x/lock=gil/server-workers=1/server-threads=%d/goroutines=16-2 100 2e-3 sec/op 1e-3 server-cpu-sec/op\n", tt)
		}
	}
	p := filepath.Join(t.TempDir(), "open.txt")
	if err := os.WriteFile(p, []byte(data.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	rep := report(t, p)
	if len(rep.Served) != 1 || rep.Served[0].Rate == "" {
		t.Fatalf("want one open-loop family, got %d", len(rep.Served))
	}
	f := servedFigures(t, rep)[rep.Served[0]][0]
	if fmt.Sprint(f.Series) != "[W = 1 worker]" || !strings.Contains(f.Caption, "Open loop at 500 ops/s") {
		t.Errorf("series %q, caption %q", f.Series, f.Caption)
	}
}
