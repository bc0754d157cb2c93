package plot_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/parbench/parbench/analysis"
	"github.com/parbench/parbench/analysis/plot"
)

// capFigures returns the CAP figures of rep's sections by the family
// they draw, and checks that no other section has one and that each SVG
// is whole.
func capFigures(t *testing.T, rep *analysis.Report) map[*analysis.Replicated][]*plot.Figure {
	t.Helper()
	secs, err := plot.Sections(rep, plot.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	out := map[*analysis.Replicated][]*plot.Figure{}
	for _, s := range secs {
		if s.Replicated != nil && len(s.Groups) > 0 {
			t.Errorf("%s: a CAP section with groups of its own", s.Title())
		}
		for _, f := range s.Figures {
			isCAP := f.Kind == plot.KindAvailability || f.Kind == plot.KindStaleReads
			if isCAP != (s.Replicated != nil) {
				t.Errorf("%s: figure of kind %s in a section of family %v", f.Name, f.Kind, s.Replicated)
			}
			if s.Replicated == nil {
				continue
			}
			var buf bytes.Buffer
			if err := f.SVG(&buf); err != nil {
				t.Fatal(err)
			}
			checkSVG(t, f, buf.String())
			out[s.Replicated] = append(out[s.Replicated], f)
		}
	}
	return out
}

// TestCAPFigures: per CAP family an availability and a stale reads
// figure, one legend entry per design in the family's order, whiskers
// where a design's samples differ, each bar's median written over it;
// stale reads by phase where the results split them, the sample's total
// otherwise, and the caption says which.
func TestCAPFigures(t *testing.T) {
	for _, c := range []struct {
		path     string
		families int
		byPhase  bool
		// barred are the designs with whiskers in each figure.
		availBars, staleBars string
	}{
		// Synthetic: cp's partitioned and cut-off availability vary,
		// ap's stale reads vary in every phase.
		{"testdata/cap.txt", 1, true, "[cp]", "[ap]"},
		// A real run (2 CPUs): no stale-reads-PHASE units.
		{"testdata/cap-vm.txt", 2, false, "[cp]", "[ap]"},
	} {
		t.Run(c.path, func(t *testing.T) {
			rep := report(t, c.path)
			figs := capFigures(t, rep)
			if len(rep.Replicated) != c.families || len(figs) != c.families {
				t.Fatalf("%d families, %d drawn, want %d", len(rep.Replicated), len(figs), c.families)
			}
			for _, r := range rep.Replicated {
				fs := figs[r]
				if len(fs) != 2 || fs[0].Kind != plot.KindAvailability || fs[1].Kind != plot.KindStaleReads {
					t.Fatalf("%s: figures %v, want availability then stale reads", r.Label(), fs)
				}
				var names []string
				for _, d := range r.Designs {
					names = append(names, d.Name)
				}
				avail, stale := fs[0], fs[1]
				if fmt.Sprint(avail.Series) != fmt.Sprint(names) {
					t.Errorf("availability series %q, want the designs %q", avail.Series, names)
				}
				for i, sr := range stale.Series {
					if !strings.HasPrefix(sr, names[i]+" (linearizable in ") {
						t.Errorf("stale reads series %d is %q, want %s and its linearizable samples", i, sr, names[i])
					}
				}
				if got := fmt.Sprint(plot.Barred(avail)); got != c.availBars {
					t.Errorf("availability whiskers on %s, want %s", got, c.availBars)
				}
				if got := fmt.Sprint(plot.Barred(stale)); got != c.staleBars {
					t.Errorf("stale reads whiskers on %s, want %s", got, c.staleBars)
				}
				// The medians written over the bars: each once a bar,
				// besides the axis's ticks.
				var buf bytes.Buffer
				if err := avail.SVG(&buf); err != nil {
					t.Fatal(err)
				}
				want := map[string]int{"0%": 1, "20%": 1, "40%": 1, "60%": 1, "80%": 1, "100%": 1}
				for _, d := range r.Designs {
					for _, sp := range append(slices.Clone(d.Avail), d.Minority, d.Majority) {
						want[fmt.Sprintf("%.0f%%", 100*sp.Median)]++
					}
				}
				got := map[string]int{}
				for _, tx := range svgTexts(buf.String()) {
					if strings.HasSuffix(tx, "%") {
						got[tx]++
					}
				}
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("percentages written %v, want %v (the ticks and a label a bar)", got, want)
				}
				if byPhase := strings.Contains(stale.Title, "by phase"); byPhase != c.byPhase || strings.Contains(stale.Caption, "no stale reads by phase") == c.byPhase {
					t.Errorf("stale reads by phase %v, want %v: %s / %s", byPhase, c.byPhase, stale.Title, stale.Caption)
				}
			}
		})
	}
}

// TestCAPNone: no CAP figure in a report of no consistency designs
// (every other input), nor for a consistency key whose lines have no
// phase figures.
func TestCAPNone(t *testing.T) {
	for _, in := range inputs {
		if strings.HasPrefix(in.name, "cap") {
			continue
		}
		if figs := capFigures(t, report(t, in.path)); len(figs) > 0 {
			t.Errorf("%s: %d CAP families drawn", in.name, len(figs))
		}
	}
	p := filepath.Join(t.TempDir(), "x.txt")
	data := "ncpu: 2\nBenchmarkCluster/x/lock=none/consistency=cp/goroutines=6-2 10 1e-3 sec/op\n" +
		"BenchmarkCluster/x/lock=none/consistency=ap/goroutines=6-2 10 1e-3 sec/op\n"
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	if figs := capFigures(t, report(t, p)); len(figs) > 0 {
		t.Errorf("%d CAP families drawn without phase figures", len(figs))
	}
}
