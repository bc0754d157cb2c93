package analysis

import (
	"bytes"
	"math"
	"os"
	"strings"
	"testing"
)

// TestLawsOption: Options.Laws chooses the laws fitted and their order,
// in Group.Fits, the text and the JSON "fits" object.
func TestLawsOption(t *testing.T) {
	data := oneCurve(8, procs8, 10, 0.02, amdahlSecs(1e-5, 0.1, 8)).write(t, 1)
	opt := fitOptions()
	opt.Laws = []Law{USL, Amdahl}
	rep := reportWith(t, data, opt)
	g := group(t, rep, "cpu/x", "none")
	if len(g.Fits) != 2 || g.Fits[0].Law() != USL || g.Fits[1].Law() != Amdahl {
		t.Fatalf("fits %v, want USL then Amdahl", g.Fits)
	}
	if g.Fits.Gustafson() != nil || g.Fits.Get("gustafson") != nil {
		t.Errorf("Gustafson fitted without being asked for")
	}
	if g.Fits.Amdahl() != g.Fits[1] || g.Fits.USL() != g.Fits[0] {
		t.Errorf("the accessors do not return the fits")
	}
	text, _, _ := formats(t, rep)
	if u, a := strings.Index(text, "fit: USL ("), strings.Index(text, "fit: Amdahl ("); u < 0 || a < u {
		t.Errorf("text fit lines not in the order of Options.Laws:\n%s", text)
	}
	var j bytes.Buffer
	if err := rep.WriteJSON(&j); err != nil {
		t.Fatal(err)
	}
	if u, a := strings.Index(j.String(), `"usl": {`), strings.Index(j.String(), `"amdahl": {`); u < 0 || a < u || strings.Contains(j.String(), `"gustafson"`) {
		t.Errorf("JSON fits not usl then amdahl alone:\n%s", j.String())
	}
}

// TestFitSpeedup: each default law's fitted curve, which the plots draw,
// passes through the speedups of data made by that law.
func TestFitSpeedup(t *testing.T) {
	cases := []struct {
		law  string
		secs func(p, g int) float64
	}{
		{"amdahl", amdahlSecs(1e-5, 0.1, 8)},
		{"usl", uslSecs(1e5, 0.05, 0.01, 8)},
	}
	for _, c := range cases {
		t.Run(c.law, func(t *testing.T) {
			g := group(t, reportWith(t, oneCurve(8, procs8, 10, 0.01, c.secs).write(t, 1), fitOptions()), "cpu/x", "none")
			f := g.Fits.Get(c.law)
			if f.Info().Status != FitOK {
				t.Fatalf("%s: %s (%s)", c.law, f.Info().Status, f.Info().Reason)
			}
			if s := f.Speedup(1); math.Abs(s-1) > 1e-12 {
				t.Errorf("Speedup(1) = %v, want 1", s)
			}
			for _, p := range g.Points {
				if p.Parallel == nil {
					continue
				}
				want := c.secs(1, p.Goroutines) / c.secs(p.Procs, p.Goroutines)
				if s := f.Speedup(float64(p.Procs)); math.Abs(s-want)/want > 0.03 {
					t.Errorf("Speedup(%d) = %.3f, the data's law %.3f", p.Procs, s, want)
				}
			}
		})
	}
}

// TestWeakFits: on weak scaling Amdahl's law does not apply and
// Gustafson's law is fitted on the goroutines = GOMAXPROCS diagonal, its
// curve the scaled speedup s + (1-s) N.
func TestWeakFits(t *testing.T) {
	data, err := os.ReadFile("testdata/weak.txt")
	if err != nil {
		t.Fatal(err)
	}
	rep := report(t, data)
	if len(rep.Groups) == 0 {
		t.Fatal("no groups in testdata/weak.txt")
	}
	for _, g := range rep.Groups {
		if a := g.Fits.Amdahl(); a.Status != FitNotApplicable {
			t.Errorf("%s: Amdahl %s on weak scaling", g.Label(), a.Status)
		}
		gu := g.Fits.Gustafson()
		if gu.Status != FitOK && gu.Status != FitPoorFit {
			continue
		}
		s := gu.SerialFraction.Value
		if got, want := gu.Speedup(4), s+(1-s)*4; got != want {
			t.Errorf("%s: Gustafson Speedup(4) = %v, want %v", g.Label(), got, want)
		}
	}
}
