package analysis

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/parbench/parbench/results"
	"golang.org/x/perf/benchfmt"
)

// servedFile is a file of n families of server shapes, W workers x T
// threads each, named <base>/<prefix>NNN/lock=gil/server-workers=W/
// server-threads=T at 2 procs and 16 goroutines: secs gives a shape's
// time per op (the file's noise added) and metrics its other figures,
// with rng for their own noise.
func servedFile(base, prefix string, n int, ws, ts []int, samples int, noise float64,
	secs func(i, w, t int) float64, metrics func(rng *rand.Rand, i, w, t int) []benchfmt.Value) synthFile {
	f := synthFile{config: machine("big", 16, "strong"), n: samples, noise: noise}
	rng := rand.New(rand.NewPCG(3, 5))
	for i := range n {
		for _, w := range ws {
			for _, t := range ts {
				b := bench{name: fmt.Sprintf("%s/%s%03d/lock=gil/%s=%d/%s=%d", base, prefix, i, results.KeyServerWorkers, w, results.KeyServerThreads, t),
					procs: []int{2}, goroutines: []int{16},
					secs: func(p, g int) float64 { return secs(i, w, t) }}
				if metrics != nil {
					b.metrics = func(p, g int) []benchfmt.Value { return metrics(rng, i, w, t) }
				}
				f.benches = append(f.benches, b)
			}
		}
	}
	return f
}

// lawX is the thread law's throughput for f, with W workers adding up.
func lawX(x1, f float64, w, t int) float64 {
	return float64(w) * x1 * math.Min(float64(t), lawCeiling(f))
}

// lawFamilies follows the thread law exactly for each f of fs (family i
// has fs[i]): X(W, T) = W x X1 x min(T, 1/(1-f)), the service CPU per op
// c = (1-f)/X1 at every shape, and what a worker and a thread cost.
func lawFamilies(base string, fs []float64, ts []int, noise float64) synthFile {
	const x1 = 1000.0
	return servedFile(base, "law", len(fs), []int{1, 2}, ts, 10, noise,
		func(i, w, t int) float64 { return 1 / lawX(x1, fs[i], w, t) },
		func(rng *rand.Rand, i, w, t int) []benchfmt.Value {
			x := lawX(x1, fs[i], w, t)
			busy := math.Min(float64(t), lawCeiling(fs[i])) / float64(t) // the threads' share not waiting for the lock
			return []benchfmt.Value{
				{Value: 16 / x * 2, Unit: "p99-sec"},
				{Value: 1 - busy, Unit: "wait-share"},
				{Value: (1 - fs[i]) / x1, Unit: results.UnitServerCPU},
				{Value: 25e6 + 1e5*float64(t), Unit: results.UnitServerRSS},
			}
		})
}

// findings counts a report's served findings by kind.
func findings(rep *Report) (int, map[string]int) {
	n, kinds := 0, map[string]int{}
	for _, s := range rep.Served {
		for _, f := range s.Findings {
			n++
			kinds[f.Kind]++
		}
	}
	return n, kinds
}

func servedText(s *Served) string { return strings.Join(s.Lines, "\n") }

var (
	fLine       = regexp.MustCompile(`^f = (-?[0-9.]+)`)
	helpUpTo    = regexp.MustCompile(`threads help up to T = (\d+)`)
	workersGain = regexp.MustCompile(`add workers: W = 2 gives [^,]*, ([0-9.]+)x that of W = 1`)
	lawAllows   = regexp.MustCompile(`\(([0-9.]+)x of the ([0-9.]+)x the law allows at T = (\d+)`)
)

// TestServedExactLaw: on shapes that follow the thread law exactly, the
// printed f is the f the data were made with, threads help up to the
// first T at the law's ceiling (or the most measured), the gain there is
// the law's, and the best shape and the workers' gain are the law's.
func TestServedExactLaw(t *testing.T) {
	fs := []float64{0.2, 0.5, 0.75, 0.9, 0.6}
	ts := []int{1, 2, 4, 8}
	wantK := []int{2, 2, 4, 8, 4} // the first T with min(T, 1/(1-f)) at its largest
	wantBest := []int{2, 2, 4, 8, 4}
	rep := reportWith(t, lawFamilies("Webapp", fs, ts, 0.01).write(t, 2), fastOptions())
	if len(rep.Served) != len(fs) {
		t.Fatalf("%d served sections, want %d", len(rep.Served), len(fs))
	}
	for i, s := range rep.Served {
		f := fs[i]
		text := servedText(s)
		t.Logf("f=%g:\n%s", f, text)
		if s.Procs != 2 || s.Goroutines != 16 {
			t.Errorf("f=%g: judged at %d procs, %d goroutines, want 2 and 16", f, s.Procs, s.Goroutines)
		}
		var got float64 = math.NaN()
		for _, l := range s.Lines {
			if m := fLine.FindStringSubmatch(l); m != nil {
				got, _ = strconv.ParseFloat(m[1], 64)
			}
		}
		if math.IsNaN(got) || math.Abs(got-f) > 0.015 {
			t.Errorf("f=%g: printed f %v", f, got)
		}
		if !s.F.Contains(f) && math.Abs(s.F.Value-f) > 0.01 {
			t.Errorf("f=%g: f %v (interval %v-%v)", f, s.F.Value, s.F.Lo, s.F.Hi)
		}
		m := helpUpTo.FindStringSubmatch(text)
		if m == nil || m[1] != strconv.Itoa(wantK[i]) {
			t.Errorf("f=%g: want \"threads help up to T = %d\", got %q", f, wantK[i], m)
		}
		if wantK[i] == ts[len(ts)-1] && !strings.Contains(text, "the most measured") {
			t.Errorf("f=%g: the largest T measured not said", f)
		}
		if m := lawAllows.FindStringSubmatch(text); m == nil {
			t.Errorf("f=%g: no gain beside the law's", f)
		} else {
			gain, _ := strconv.ParseFloat(m[1], 64)
			allow, _ := strconv.ParseFloat(m[2], 64)
			want := math.Min(float64(wantK[i]), lawCeiling(f))
			if math.Abs(gain/want-1) > 0.03 || math.Abs(allow/want-1) > 0.03 {
				t.Errorf("f=%g: %sx of %sx, want both %.2fx", f, m[1], m[2], want)
			}
		}
		if strings.Contains(text, "above the law") {
			t.Errorf("f=%g: exact law called above the law", f)
		}
		if s.Best == nil || s.Best.Workers != 2 || s.Best.Threads != wantBest[i] {
			t.Errorf("f=%g: best %v, want W = 2, T = %d", f, s.Best, wantBest[i])
		}
		if m := workersGain.FindStringSubmatch(text); m == nil {
			t.Errorf("f=%g: workers' gain not said", f)
		} else if g, _ := strconv.ParseFloat(m[1], 64); math.Abs(g-2) > 0.05 {
			t.Errorf("f=%g: W = 2 gives %sx, want 2x", f, m[1])
		}
		if !strings.Contains(text, "each worker costs") {
			t.Errorf("f=%g: a worker's memory not said", f)
		}
		for _, sh := range s.Shapes {
			want := math.NaN()
			if sh.Workers == 1 {
				want = lawX(1000, f, 1, sh.Threads)
			}
			if math.IsNaN(want) != math.IsNaN(sh.Law) || !math.IsNaN(want) && math.Abs(sh.Law/want-1) > 0.03 {
				t.Errorf("f=%g: %s: law %v, want %v", f, sh.name(), sh.Law, want)
			}
		}
		if n := len(s.Findings); n != 3 { // best, threads, workers
			t.Errorf("f=%g: %d findings, want 3: %v", f, n, s.Findings)
		}
	}
}

// TestServedNoise: 200 families of 9 shapes with no effect (the same
// throughput, CPU and p99 at every shape, a high tx-lock-wait-share
// that does not change the p99) make no finding at 10 samples a point
// (none in 1000 families over 5 seeds). At 6 samples, where a 95%
// interval of the median is the whole sample's range, about 1 family in
// 100 gets one (8 in 1000 over 5 seeds): the bound there is 2%.
func TestServedNoise(t *testing.T) {
	if testing.Short() {
		t.Skip("200 families")
	}
	noise := func(rng *rand.Rand, sd float64) float64 { return math.Exp(sd * rng.NormFloat64()) }
	for _, c := range []struct{ samples, most int }{{10, 0}, {6, 4}} {
		f := servedFile("Webapp", "noise", 200, []int{1, 2, 4}, []int{1, 2, 4}, c.samples, 0.05,
			func(i, w, t int) float64 { return 1e-3 },
			func(rng *rand.Rand, i, w, t int) []benchfmt.Value {
				tx := 0.0
				if t > 1 {
					tx = 0.3 * noise(rng, 0.1)
				}
				return []benchfmt.Value{
					{Value: 0.02 * noise(rng, 0.1), Unit: "p99-sec"},
					{Value: 0.2 * noise(rng, 0.1), Unit: "wait-share"},
					{Value: tx, Unit: unitTxLockWait},
					{Value: 0.6e-3 * noise(rng, 0.05), Unit: results.UnitServerCPU},
					{Value: 25e6 * noise(rng, 0.02), Unit: results.UnitServerRSS},
				}
			})
		rep := reportWith(t, f.write(t, 17), fastOptions())
		if len(rep.Served) != 200 {
			t.Fatalf("%d served sections, want 200", len(rep.Served))
		}
		n, kinds := findings(rep)
		t.Logf("%d samples: %d findings over 200 families (%v)", c.samples, n, kinds)
		if n > c.most {
			t.Errorf("%d samples: pure noise made %d findings over 200 families (%v), want at most %d", c.samples, n, kinds, c.most)
		}
		for _, s := range rep.Served {
			for _, fd := range s.Findings {
				t.Logf("%s: %s", s.Label(), fd.Text)
			}
			if len(s.Findings) == 0 && s.Best != s.Shapes[0] {
				t.Errorf("%s: best %s with no finding, want the cheapest", s.Label(), s.Best.name())
			}
			if strings.Contains(servedText(s), "convoy") {
				t.Errorf("%s: a convoy on noise", s.Label())
			}
		}
	}
}

// TestServedConvoy: the two-lock convoy is named where the
// tx-lock-wait-share is high at the most threads and the p99 grows with
// them, and not where either is missing.
func TestServedConvoy(t *testing.T) {
	noise := func(rng *rand.Rand, sd float64) float64 { return math.Exp(sd * rng.NormFloat64()) }
	type law struct {
		tx, p99 func(t int) float64
		convoy  bool
	}
	laws := []law{
		{func(t int) float64 { return 0.1 * float64(t-1) }, func(t int) float64 { return 0.01 * float64(t) }, true},
		{func(t int) float64 { return 0.1 * float64(t-1) }, func(t int) float64 { return 0.01 }, false},               // p99 flat
		{func(t int) float64 { return 0.01 * float64(t-1) }, func(t int) float64 { return 0.01 * float64(t) }, false}, // tx low
		{func(t int) float64 { return 0.02 * float64(t-1) }, func(t int) float64 { return 0.01 * float64(t) }, false}, // tx below 10% at T = 4
	}
	f := servedFile("Webapp", "convoy", len(laws), []int{1, 2}, []int{1, 2, 4}, 10, 0.02,
		func(i, w, t int) float64 { return 1e-3 },
		func(rng *rand.Rand, i, w, t int) []benchfmt.Value {
			return []benchfmt.Value{
				{Value: laws[i].p99(t) * noise(rng, 0.05), Unit: "p99-sec"},
				{Value: laws[i].tx(t) * noise(rng, 0.05), Unit: unitTxLockWait},
				{Value: 0.5e-3, Unit: results.UnitServerCPU},
			}
		})
	rep := reportWith(t, f.write(t, 4), fastOptions())
	if len(rep.Served) != len(laws) {
		t.Fatalf("%d served sections, want %d", len(rep.Served), len(laws))
	}
	for i, s := range rep.Served {
		text := servedText(s)
		got := strings.Contains(text, "two-lock convoy")
		if got != laws[i].convoy {
			t.Errorf("family %d: convoy named %v, want %v:\n%s", i, got, laws[i].convoy, text)
		}
		if got && !strings.Contains(text, "30% of write transactions' time") {
			t.Errorf("family %d: the share not said: %s", i, text)
		}
		// The verdict names no lock from the transactions' share: it is
		// not a share of the goroutines' time.
		for _, sh := range s.Shapes {
			for _, l := range sh.Group.Verdict.Limits {
				if strings.Contains(l, unitTxLockWait) {
					t.Errorf("%s: a limit from %s: %s", sh.Group.Label(), unitTxLockWait, l)
				}
			}
		}
	}
}

// TestServedByKeysNotNames: the section comes from the shape keys and
// the units, whatever the workload is called: the same figures under
// another name (of no known class) give the same section, and groups
// without the keys give none.
func TestServedByKeysNotNames(t *testing.T) {
	fs, ts := []float64{0.5, 0.75}, []int{1, 2, 4}
	a := reportWith(t, lawFamilies("Webapp", fs, ts, 0.01).write(t, 9), fastOptions())
	b := reportWith(t, lawFamilies("Shop", fs, ts, 0.01).write(t, 9), fastOptions())
	if len(a.Served) != 2 || len(b.Served) != 2 {
		t.Fatalf("%d and %d served sections, want 2 each", len(a.Served), len(b.Served))
	}
	for i := range a.Served {
		if b.Served[i].Workload == a.Served[i].Workload {
			t.Fatalf("same workload %q", a.Served[i].Workload)
		}
		if x, y := servedText(a.Served[i]), servedText(b.Served[i]); x != y {
			t.Errorf("the section depends on the workload's name:\n%s\n---\n%s", x, y)
		}
	}
	// One shape key only, or none: no section.
	for _, f := range []synthFile{pureNoise(3), linear(2)} {
		if rep := reportWith(t, f.write(t, 1), fastOptions()); len(rep.Served) != 0 {
			t.Errorf("a file without shape keys has %d served sections", len(rep.Served))
		}
	}
	one := servedFile("Webapp", "one", 1, []int{1}, []int{1}, 6, 0.01, func(i, w, t int) float64 { return 1e-3 }, nil)
	if rep := reportWith(t, one.write(t, 1), fastOptions()); len(rep.Served) != 0 {
		t.Errorf("one shape: %d served sections, want none", len(rep.Served))
	}
	for _, extra := range []string{"server-workers=2/exec=x", "server-threads=0/server-workers=1", "server-workers=a/server-threads=1", ""} {
		if _, _, _, ok := shapeOf(extra); ok {
			t.Errorf("shapeOf(%q) ok", extra)
		}
	}
	if w, th, rest, ok := shapeOf("exec=x/server-threads=4/server-workers=2"); !ok || w != 2 || th != 4 || rest != "exec=x" {
		t.Errorf("shapeOf: %d %d %q %v", w, th, rest, ok)
	}
}

// TestServedGolden: a family's section in the three formats (-update
// rewrites testdata/served.*.golden).
func TestServedGolden(t *testing.T) {
	f := lawFamilies("Webapp", []float64{0.6}, []int{1, 2, 4}, 0.01)
	rep := reportWith(t, f.write(t, 1), fastOptions())
	for _, format := range []string{"text", "md", "json"} {
		var buf bytes.Buffer
		var err error
		switch format {
		case "text":
			err = rep.WriteText(&buf)
		case "md":
			err = rep.WriteMarkdown(&buf)
		case "json":
			err = rep.WriteJSON(&buf)
		}
		if err != nil {
			t.Fatal(err)
		}
		out := buf.Bytes()
		if format == "json" {
			var v struct {
				Served []json.RawMessage `json:"served"`
			}
			if err := json.Unmarshal(out, &v); err != nil || len(v.Served) != 1 {
				t.Fatalf("json: %v, %d served", err, len(v.Served))
			}
			var ind bytes.Buffer
			if err := json.Indent(&ind, v.Served[0], "", "  "); err != nil {
				t.Fatal(err)
			}
			out = append(ind.Bytes(), '\n')
		} else {
			i := bytes.Index(out, []byte("erver shapes: "))
			if i < 0 {
				t.Fatalf("%s: no served section:\n%s", format, out)
			}
			out = out[bytes.LastIndexByte(out[:i], '\n')+1:]
		}
		path := filepath.Join("testdata", "served."+format+".golden")
		if *update {
			if err := os.WriteFile(path, out, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test ./analysis -run TestServedGolden -update)", err)
		}
		if !bytes.Equal(out, want) {
			t.Errorf("%s differs (rerun with -update if the change is meant):\n%s", path, out)
		}
	}
}

// TestServedTooFewSamples: with samples too few for an interval (2 a
// shape) no shape is called the best and none is marked, however far
// apart the medians: the cheapest would otherwise win by default.
func TestServedTooFewSamples(t *testing.T) {
	fs := []float64{0.5}
	rep := reportWith(t, servedFile("Webapp", "few", 1, []int{1, 2}, []int{1, 4}, 2, 0.01,
		func(i, w, t int) float64 { return 1 / lawX(1000, fs[i], w, t) }, nil).write(t, 5), fastOptions())
	if len(rep.Served) != 1 {
		t.Fatalf("%d served sections, want 1", len(rep.Served))
	}
	s := rep.Served[0]
	text := servedText(s)
	t.Log(text)
	if s.Best != nil || len(s.Findings) != 0 {
		t.Errorf("best %v, findings %v with 2 samples a shape: want none", s.Best, s.Findings)
	}
	if !strings.Contains(text, "best shape: none named, too few samples") || !strings.Contains(text, "the highest measured: W = 2, T = 4") {
		t.Errorf("the section does not say why no shape is named, or which measured highest:\n%s", text)
	}
	var buf bytes.Buffer
	if err := rep.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "best ") && regexp.MustCompile(`(?m)^\s+best\s+\d`).MatchString(buf.String()) {
		t.Errorf("a row is marked best:\n%s", buf.String())
	}
}

// TestServedOutsideTheLock: where every shape serves what W = 1, T = 1
// does, the verdict says the limit is outside the lock when the law
// would let threads serve 1.5x or more (f = 0.88: a database's write
// lock, say), and says nothing when it would not (f = 0.1).
func TestServedOutsideTheLock(t *testing.T) {
	for _, c := range []struct {
		f    float64
		want bool
	}{{0.88, true}, {0.1, false}} {
		const x1 = 100.0
		file := servedFile("Webapp", "flat", 1, []int{1, 2}, []int{1, 2, 4, 8}, 10, 0.02,
			func(i, w, t int) float64 { return 1 / x1 },
			func(rng *rand.Rand, i, w, t int) []benchfmt.Value {
				return []benchfmt.Value{{Value: (1 - c.f) / x1, Unit: results.UnitServerCPU}}
			})
		rep := reportWith(t, file.write(t, 9), fastOptions())
		if len(rep.Served) != 1 {
			t.Fatalf("f=%g: %d served sections, want 1", c.f, len(rep.Served))
		}
		text := servedText(rep.Served[0])
		t.Logf("f=%g:\n%s", c.f, text)
		got := strings.Contains(text, "what limits this service is outside its lock")
		if got != c.want {
			t.Errorf("f=%g: the outside-the-lock verdict said %v, want %v", c.f, got, c.want)
		}
		if c.want && !strings.Contains(text, "8 threads serve 8.00x") {
			t.Errorf("f=%g: the law's allowance at T = 8 is not min(8, 1/(1-f)) = 8.00x", c.f)
		}
	}
	// The law holding, seen through intervals too wide to separate the
	// shapes: no difference is found, but nothing says the limit is
	// elsewhere, and the verdict must not say so. Built by hand: a
	// synthetic file's noise separates such shapes now and then.
	b := &Builder{opt: fastOptions()}
	est := func(v, lo, hi float64) Estimate { return Estimate{Value: v, Lo: lo, Hi: hi} }
	shapes := []*Shape{
		{Workers: 1, Threads: 1, Throughput: est(100, 50, 200), Law: 100},
		{Workers: 1, Threads: 8, Throughput: est(190, 80, 420), Law: 200},
	}
	sv := &Served{Shapes: shapes, F: est(0.5, 0.4, 0.6)}
	sv.Best = shapes[0]
	if v := b.outside(sv); v != "" {
		t.Errorf("the law holds, seen through wide intervals, yet: %s", v)
	}
	// The same intervals, but the most threads clearly below the law:
	// then it is said.
	shapes[1].Throughput, shapes[1].Law = est(100, 95, 105), 200
	if v := b.outside(sv); !strings.Contains(v, "outside its lock") {
		t.Errorf("T = 8 serves half what the law allows, with W = 1, T = 1 inside its interval: want the verdict, got %q", v)
	}
}

// TestServedThreadsCost: where no count of threads serves more than one
// and the most serve clearly less, the verdict says threads cost, with
// the ratio; where the decline is within the noise, it says nothing of
// threads.
func TestServedThreadsCost(t *testing.T) {
	for _, c := range []struct {
		slope float64 // X(T) = X1 / (1 + slope (T-1))
		want  bool
	}{{0.1, true}, {0, false}} {
		file := servedFile("Webapp", "cost", 1, []int{1, 2}, []int{1, 2, 4, 8}, 10, 0.02,
			func(i, w, t int) float64 { return (1 + c.slope*float64(t-1)) / (100 * float64(w)) },
			func(rng *rand.Rand, i, w, t int) []benchfmt.Value {
				return []benchfmt.Value{{Value: 0.009, Unit: results.UnitServerCPU}}
			})
		rep := reportWith(t, file.write(t, 13), fastOptions())
		if len(rep.Served) != 1 {
			t.Fatalf("%d served sections, want 1", len(rep.Served))
		}
		text := servedText(rep.Served[0])
		t.Logf("slope %g:\n%s", c.slope, text)
		got := regexp.MustCompile(`threads do not help, they cost: T = 8 gives 0\.(5[89]|60)x of T = 1.s throughput`).MatchString(text)
		if got != c.want {
			t.Errorf("slope %g: the threads-cost clause said %v, want %v", c.slope, got, c.want)
		}
		if c.want && !strings.Contains(text, "; add workers: W = 2") {
			t.Errorf("slope %g: the workers clause is missing or says \"beyond that\" after no help from threads", c.slope)
		}
	}
}
