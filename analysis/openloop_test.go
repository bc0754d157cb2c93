package analysis

import (
	"math"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/parbench/parbench/results"
	"golang.org/x/perf/benchfmt"
)

// openLoopFile is one group at procs 1, 2, 4 and 8 goroutines whose
// sec/op is 1/rate at every point, as an open loop's is while the
// service keeps up, with the latencies such a run records; config is
// added to the file's.
func openLoopFile(rate float64, config ...[2]string) synthFile {
	return synthFile{
		config: append(machine("big", 8, "strong"), config...),
		n:      10, noise: 0.01,
		benches: []bench{{name: "Shop/open", lock: "none", procs: []int{1, 2, 4}, goroutines: []int{8},
			secs: func(p, g int) float64 { return 1 / rate },
			metrics: func(p, g int) []benchfmt.Value {
				return []benchfmt.Value{
					{Value: 2e-3 / float64(p), Unit: "p50-sec"},
					{Value: 9e-3 / float64(p), Unit: "p99-sec"},
					{Value: 6e-4, Unit: results.UnitBehind},
				}
			}}},
	}
}

// TestOpenLoopVerdict: a group of an open-loop file (its rate setting)
// gets the open loop's verdict, no claim and no fit, whatever its flat
// sec/op would say, and keeps its latency columns; the same data
// without the rate setting are judged as any group.
func TestOpenLoopVerdict(t *testing.T) {
	open := reportWith(t, openLoopFile(200, [2]string{results.KeyRate, "200"}).write(t, 3), fastOptions())
	closed := reportWith(t, openLoopFile(200).write(t, 3), fastOptions())
	g, c := group(t, open, "shop/open", "none"), group(t, closed, "shop/open", "none")
	v := g.Verdict
	t.Logf("open: %s\nclosed: %s", v, c.Verdict)
	if v.Class != VerdictOpenLoop {
		t.Errorf("open loop: class %q, want %q", v.Class, VerdictOpenLoop)
	}
	for _, want := range []string{"open loop at 200 ops/s", "not what the procs or goroutines could serve", "nothing is judged from sec/op"} {
		if !strings.Contains(v.Text, want) {
			t.Errorf("open loop: verdict %q does not say %q", v.Text, want)
		}
	}
	if !strings.HasPrefix(v.Text, v.Head) {
		t.Errorf("open loop: head %q does not start the text %q", v.Head, v.Text)
	}
	for _, no := range []string{"speedup", "parallel", "serial", "x at "} {
		if strings.Contains(v.String(), no) {
			t.Errorf("open loop: the verdict says %q: %s", no, v)
		}
	}
	if len(v.Claims)+len(v.Notes)+len(v.Limits)+len(v.Flags) != 0 {
		t.Errorf("open loop: claims %v, notes %v, limits %v, flags %v: want none", v.Claims, v.Notes, v.Limits, v.Flags)
	}
	if len(g.Fits) == 0 {
		t.Fatal("open loop: no fits listed")
	}
	for _, f := range g.Fits {
		if fi := f.Info(); fi.Status != FitNotApplicable || !strings.Contains(fi.Reason, "open loop at 200 ops/s") {
			t.Errorf("open loop: %s fit %q (%s), want not applicable for the open loop", f.Law().Key(), fi.Status, fi.Reason)
		}
	}
	if open.Claims != 0 {
		t.Errorf("open loop: %d claims tested, want 0", open.Claims)
	}
	head := g.PointTable(open.Confidence)[0]
	for _, col := range []string{"p50-sec", "p99-sec", results.UnitBehind} {
		if !slices.Contains(head, col) {
			t.Errorf("open loop: the table has no %s column: %q", col, head)
		}
	}
	// Closed loop: the ordinary verdict, its claims and fits.
	if cl := c.Verdict.Class; cl != VerdictConcurrentNotParallel {
		t.Errorf("closed loop: class %q, want %q", cl, VerdictConcurrentNotParallel)
	}
	if !slices.ContainsFunc(c.Verdict.Claims, func(cl Claim) bool { return cl.Kind == "parallel" || cl.Kind == "slower" }) {
		t.Errorf("closed loop: the main claim was not tested: %v", c.Verdict.Claims)
	}
	if a := c.Fits.Amdahl(); a == nil || a.Status == FitNotApplicable || math.IsNaN(a.SerialFraction.Value) {
		t.Errorf("closed loop: Amdahl's law not fitted: %+v", a)
	}
}

// TestSettingByKey: a setting's value is read whole, by key, even where
// another value holds its words: a server command with an argument
// "rate=5" is no rate, and the rate after it is the rate.
func TestSettingByKey(t *testing.T) {
	cmd := "python app.py 'x y' rate=5"
	for _, c := range []struct {
		config [][2]string
		rate   string
	}{
		{[][2]string{{results.KeyServerCmd, cmd}}, ""},
		{[][2]string{{results.KeyServerCmd, cmd}, {results.KeyRate, "300"}}, "300"},
		{[][2]string{{results.KeyServerCmd, cmd}, {results.KeyRate, "0"}}, ""},
		{[][2]string{{results.KeyRate, "2.5e+06"}}, "2.5e+06"},
	} {
		rep := reportWith(t, openLoopFile(200, c.config...).write(t, 3), fastOptions())
		g := group(t, rep, "shop/open", "none")
		if got := g.rate(); got != c.rate {
			t.Errorf("%v: rate %q, want %q", c.config, got, c.rate)
		}
		if open := g.Verdict.Class == VerdictOpenLoop; open != (c.rate != "") {
			t.Errorf("%v: open-loop verdict %v, want %v", c.config, open, c.rate != "")
		}
		for _, kv := range c.config {
			if v, ok := g.Setting(kv[0]); !ok || v != kv[1] {
				t.Errorf("%v: Setting(%q) = %q, %v, want %q", c.config, kv[0], v, ok, kv[1])
			}
		}
		if v, ok := g.Setting(results.KeyDBLatency); ok || v != "" {
			t.Errorf("%v: Setting(%q) = %q, %v, want none", c.config, results.KeyDBLatency, v, ok)
		}
		if !strings.Contains(g.Settings, results.KeyServerCmd+"="+cmd) && c.config[0][0] == results.KeyServerCmd {
			t.Errorf("%v: printed settings %q", c.config, g.Settings)
		}
	}
	for _, bad := range []string{`rate=5`, `rate="5`, `=`, `server-cmd="a" rate`} {
		if v, ok := settingOf(bad, results.KeyRate); ok {
			t.Errorf("settingOf(%q) = %q, true", bad, v)
		}
	}
}

// TestOpenLoopBehind: where the service served less than the rate, the
// open loop's verdict says it fell behind and where, not that the
// throughput is the offered rate.
func TestOpenLoopBehind(t *testing.T) {
	f := openLoopFile(200, [2]string{results.KeyRate, "200"})
	f.benches[0].secs = func(p, g int) float64 { return 1 / (100 * float64(p)) } // 100, 200, 400 ops/s offered 200
	rep := reportWith(t, f.write(t, 3), fastOptions())
	v := group(t, rep, "shop/open", "none").Verdict
	t.Log(v.Text)
	if !regexp.MustCompile(`the service fell behind, serving (99|100|101) ops/s at 1 procs, 8 goroutines`).MatchString(v.Head) || strings.Contains(v.Text, "offered rate") {
		t.Errorf("a service at half the rate: verdict %q", v.Text)
	}
}
