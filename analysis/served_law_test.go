package analysis

import (
	"bytes"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/parbench/parbench/results"
	"golang.org/x/perf/benchfmt"
)

// relock is f with its families' lock (servedFile's gil) replaced by
// lock, and config added to the file's.
func relock(f synthFile, lock string, config ...[2]string) synthFile {
	f.benches = slices.Clone(f.benches)
	for i := range f.benches {
		f.benches[i].name = strings.Replace(f.benches[i].name, "/lock=gil/", "/lock="+lock+"/", 1)
	}
	f.config = append(slices.Clone(f.config), config...)
	return f
}

// TestServedLawNeedsALock: the thread law is a lock's: under lock none
// with parbench's own service it is left out, once and with why, and
// the threads' gain is said without it; an external command's
// interpreter brings its own lock, so under lock none with server-cmd
// the law is there, as under a lock mode.
func TestServedLawNeedsALock(t *testing.T) {
	data := lawFamilies("Webapp", []float64{0.5}, []int{1, 2, 4}, 0.01)
	cmd := [2]string{results.KeyServerCmd, "python3 app.py --threads rate=5"}
	for _, c := range []struct {
		name string
		file synthFile
		law  bool
	}{
		{"gil", data, true},
		{"none", relock(data, "none"), false},
		{"none+server-cmd", relock(data, "none", cmd), true},
	} {
		rep := reportWith(t, c.file.write(t, 2), fastOptions())
		if len(rep.Served) != 1 {
			t.Fatalf("%s: %d served sections, want 1", c.name, len(rep.Served))
		}
		s := rep.Served[0]
		text := servedText(s)
		t.Logf("%s:\n%s", c.name, text)
		if s.Rate != "" {
			t.Errorf("%s: rate %q from a closed loop", c.name, s.Rate)
		}
		var buf bytes.Buffer
		if err := rep.WriteText(&buf); err != nil {
			t.Fatal(err)
		}
		table := buf.String()
		laws := 0
		for _, sh := range s.Shapes {
			if !math.IsNaN(sh.Law) {
				laws++
			}
		}
		said := map[string]bool{
			"f line":        slices.ContainsFunc(s.Lines, func(l string) bool { return fLine.MatchString(l) }),
			"law allows":    strings.Contains(text, "the law allows"),
			"law column":    strings.Contains(table, "law ops/s"),
			"law per shape": laws > 0,
			"f":             !math.IsNaN(s.F.Value) && !math.IsNaN(s.Ceiling()),
		}
		for what, got := range said {
			if got != c.law {
				t.Errorf("%s: %s %v, want %v", c.name, what, got, c.law)
			}
		}
		why := strings.Count(text, "f and the thread law are left out")
		if c.law && why != 0 || !c.law && why != 1 {
			t.Errorf("%s: the law's absence said %d times, want %d", c.name, why, map[bool]int{true: 0, false: 1}[c.law])
		}
		if !c.law && !strings.Contains(text, "lock=none and no "+results.KeyServerCmd) {
			t.Errorf("%s: why the law is left out is not said", c.name)
		}
		if m := helpUpTo.FindStringSubmatch(text); m == nil || m[1] != "2" {
			t.Errorf("%s: want \"threads help up to T = 2\", got %q", c.name, m)
		}
		if !c.law && !strings.Contains(text, "threads help up to T = 2 (2.00x the throughput of T = 1)") {
			t.Errorf("%s: the threads' gain is not said without the law", c.name)
		}
	}
}

// TestServedAboveTheLaw: a gain above the law is said with its likely
// cause and the other one, not as a fact: here f, at W = 1, T = 1, is
// measured low (the service CPU reported is that of f = 0.5 where the
// throughputs follow f = 0.75).
func TestServedAboveTheLaw(t *testing.T) {
	const x1 = 1000.0
	file := servedFile("Webapp", "above", 1, []int{1}, []int{1, 2, 4}, 10, 0.01,
		func(i, w, t int) float64 { return 1 / lawX(x1, 0.75, w, t) },
		func(rng *rand.Rand, i, w, t int) []benchfmt.Value {
			return []benchfmt.Value{{Value: 0.5 / x1, Unit: results.UnitServerCPU}}
		})
	rep := reportWith(t, file.write(t, 3), fastOptions())
	if len(rep.Served) != 1 {
		t.Fatalf("%d served sections, want 1", len(rep.Served))
	}
	text := servedText(rep.Served[0])
	t.Log(text)
	if !strings.Contains(text, "above the law: likely service CPU outside the lock overlapping on other CPUs, or else f, measured at T = 1 alone, biased low") {
		t.Errorf("the gain above the law is not said with both causes:\n%s", text)
	}
	if strings.Contains(text, "outside the lock overlaps on other CPUs") {
		t.Errorf("one cause said as fact:\n%s", text)
	}
}

// TestServedCeiling: the law's ceiling 1/(1-f), which the plots draw.
func TestServedCeiling(t *testing.T) {
	for _, c := range []struct{ f, want float64 }{
		{math.NaN(), math.NaN()}, {-0.2, 1}, {0, 1}, {0.5, 2}, {0.75, 4}, {1, math.Inf(1)}, {1.3, math.Inf(1)},
	} {
		s := &Served{F: Estimate{Value: c.f}}
		if got := s.Ceiling(); !(got == c.want || math.IsNaN(got) && math.IsNaN(c.want)) {
			t.Errorf("f = %v: ceiling %v, want %v", c.f, got, c.want)
		}
	}
}
