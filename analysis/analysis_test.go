package analysis

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/perf/benchfmt"
)

// within checks that a fit's estimate covers the true value: inside its
// confidence interval, or within three standard errors (a 95% interval
// misses one time in twenty by design).
func within(t *testing.T, what string, e Estimate, truth float64) {
	t.Helper()
	if e.Contains(truth) || math.Abs(e.Value-truth) <= 3*e.SE {
		return
	}
	t.Errorf("%s = %.4g (CI %.4g-%.4g, se %.3g), true value %.4g is outside", what, e.Value, e.Lo, e.Hi, e.SE, truth)
}

func TestAmdahlRecovers(t *testing.T) {
	for _, s := range []float64{0.01, 0.05, 0.2, 0.5} {
		t.Run(formatF(s), func(t *testing.T) {
			f := synthFile{config: machine("m", 32, "strong"), n: 10, noise: 0.03, benches: []bench{
				{name: "CPU/x", lock: "none", procs: []int{1, 2, 4, 8, 16, 32}, goroutines: []int{32}, secs: amdahlSecs(1e-5, s, 32)},
			}}
			g := group(t, report(t, f.write(t, 42)), "cpu/x", "none")
			a := g.Fits.Amdahl()
			if a.Status != FitOK {
				t.Fatalf("Amdahl status %s: %s", a.Status, a.Reason)
			}
			within(t, "serial fraction", a.SerialFraction, s)
			if !(a.SerialFraction.Lo <= a.SerialFraction.Value && a.SerialFraction.Value <= a.SerialFraction.Hi) {
				t.Errorf("estimate %v outside its own interval", a.SerialFraction)
			}
			if a.R2 < 0.9 {
				t.Errorf("R2 %.3f for data drawn from the law itself", a.R2)
			}
			if g.Fits.Gustafson().Status != FitNotApplicable {
				t.Errorf("Gustafson on a strong-scaling file: %s", g.Fits.Gustafson().Status)
			}
		})
	}
}

func formatF(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

func TestUSLRecovers(t *testing.T) {
	cases := []struct{ sigma, kappa float64 }{
		{0.05, 0.002},
		{0.1, 0.01},
		{0.02, 0.0005},
	}
	for _, c := range cases {
		t.Run(formatF(c.sigma)+"_"+formatF(c.kappa), func(t *testing.T) {
			f := synthFile{config: machine("m", 64, "strong"), n: 10, noise: 0.03, benches: []bench{
				{name: "CPU/x", lock: "mutex", procs: []int{1, 2, 4, 8, 16, 24, 32, 48, 64}, goroutines: []int{64}, secs: uslSecs(1e5, c.sigma, c.kappa, 64)},
			}}
			g := group(t, report(t, f.write(t, 7)), "cpu/x", "mutex")
			u := g.Fits.USL()
			if u.Status != FitOK {
				t.Fatalf("USL status %s: %s", u.Status, u.Reason)
			}
			within(t, "sigma", u.Sigma, c.sigma)
			within(t, "kappa", u.Kappa, c.kappa)
			within(t, "lambda", u.Lambda, 1e5)
			within(t, "peak N*", u.PeakN, math.Sqrt((1-c.sigma)/c.kappa))
		})
	}
}

func TestGustafsonRecovers(t *testing.T) {
	const s, lambda = 0.15, 1e5
	f := synthFile{config: machine("m", 16, "weak"), n: 10, noise: 0.03, benches: []bench{
		{name: "CPU/x", lock: "none", procs: []int{1, 2, 4, 8, 16}, goroutines: []int{1, 2, 4, 8, 16},
			secs: func(p, g int) float64 { return 1 / (lambda * (s + (1-s)*float64(min(p, g)))) }},
	}}
	g := group(t, report(t, f.write(t, 3)), "cpu/x", "none")
	if g.Fits.Gustafson().Status != FitOK {
		t.Fatalf("Gustafson status %s: %s", g.Fits.Gustafson().Status, g.Fits.Gustafson().Reason)
	}
	within(t, "Gustafson serial fraction", g.Fits.Gustafson().SerialFraction, s)
	if g.Fits.Amdahl().Status != FitNotApplicable {
		t.Errorf("Amdahl on a weak-scaling file: %s", g.Fits.Amdahl().Status)
	}
}

// twoLevels is a 2-CPU file: GOMAXPROCS 1 and 2, n samples each.
func twoLevels(speedup float64, n int, noise float64) synthFile {
	return synthFile{config: machine("vm", 2, "strong"), n: n, noise: noise, benches: []bench{
		{name: "CPU/x", lock: "none", procs: []int{1, 2}, goroutines: []int{2},
			secs: func(p, g int) float64 { return 1e-6 / math.Pow(speedup, float64(p-1)) }},
	}}
}

func TestVerdicts(t *testing.T) {
	t.Run("flat is not significant", func(t *testing.T) {
		// A 5% test says "significant" for 1 flat curve in 20 by chance;
		// the effect floor and the interval must keep that rare.
		bad := 0
		for seed := range uint64(40) {
			g := group(t, report(t, twoLevels(1, 10, 0.05).write(t, seed)), "cpu/x", "none")
			if g.Verdict.Class != VerdictConcurrentNotParallel {
				bad++
				t.Logf("seed %d: %s", seed, g.Verdict)
			}
		}
		if bad > 2 {
			t.Errorf("%d of 40 flat curves got a significant verdict", bad)
		}
	})
	t.Run("2x with 10 a side is significant", func(t *testing.T) {
		for seed := range uint64(20) {
			g := group(t, report(t, twoLevels(2, 10, 0.05).write(t, seed)), "cpu/x", "none")
			v := g.Verdict
			if v.Class != VerdictParallel || v.Procs != 2 {
				t.Fatalf("seed %d: %s", seed, v)
			}
			if !strings.HasPrefix(v.Text, "parallel: ") || !strings.Contains(v.Text, "p<0.001") {
				t.Errorf("seed %d: verdict %q", seed, v.Text)
			}
		}
	})
	t.Run("slower", func(t *testing.T) {
		g := group(t, report(t, twoLevels(0.7, 10, 0.03).write(t, 1)), "cpu/x", "none")
		if g.Verdict.Class != VerdictSlower || !strings.HasPrefix(g.Verdict.Text, "slower in parallel: 0.7") {
			t.Errorf("verdict %s", g.Verdict)
		}
	})
	t.Run("not enough samples", func(t *testing.T) {
		g := group(t, report(t, twoLevels(2, 3, 0.03).write(t, 1)), "cpu/x", "none")
		if g.Verdict.Class != VerdictNotEnoughSamples {
			t.Errorf("verdict %s", g.Verdict)
		}
	})
	t.Run("two levels are too few to fit", func(t *testing.T) {
		g := group(t, report(t, twoLevels(2, 10, 0.03).write(t, 1)), "cpu/x", "none")
		if g.Fits.Amdahl().Status != FitTooFewLevels || g.Fits.USL().Status != FitTooFewLevels {
			t.Errorf("fits on two levels: Amdahl %s, USL %s", g.Fits.Amdahl().Status, g.Fits.USL().Status)
		}
		if !math.IsNaN(g.Fits.Amdahl().SerialFraction.Value) {
			t.Errorf("a serial fraction from two points: %v", g.Fits.Amdahl().SerialFraction)
		}
		var buf bytes.Buffer
		if err := report(t, twoLevels(2, 10, 0.03).write(t, 1)).WriteText(&buf); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"too few levels", "Karp-Flatt serial fraction is e ="} {
			if !strings.Contains(buf.String(), want) {
				t.Errorf("text report lacks %q:\n%s", want, buf.String())
			}
		}
	})
	t.Run("one level", func(t *testing.T) {
		f := twoLevels(2, 10, 0.03)
		f.benches[0].procs = []int{1}
		g := group(t, report(t, f.write(t, 1)), "cpu/x", "none")
		if g.Verdict.Class != VerdictOneLevel {
			t.Errorf("verdict %s", g.Verdict)
		}
	})
	t.Run("beyond the CPUs is flagged", func(t *testing.T) {
		f := twoLevels(2, 10, 0.03)
		f.benches[0].procs = []int{1, 2, 4}
		f.benches[0].goroutines = []int{4}
		f.benches[0].secs = func(p, g int) float64 { return 1e-6 / float64(p) } // 4x on 2 CPUs
		g := group(t, report(t, f.write(t, 1)), "cpu/x", "none")
		if len(g.Verdict.Flags) == 0 || !strings.Contains(g.Verdict.Flags[0], "exceeds what 2 CPUs allow") {
			t.Errorf("no flag for 4x on 2 CPUs: %s", g.Verdict)
		}
		if g.Verdict.Procs != 2 {
			t.Errorf("verdict judged %d procs, want the 2 the machine has", g.Verdict.Procs)
		}
	})
	t.Run("beyond the CPUs is not flagged for waiting work", func(t *testing.T) {
		// Goroutines that mostly wait (parallelism 0.05) can gain from
		// more Ps than CPUs: no flag.
		f := twoLevels(2, 10, 0.03)
		f.benches[0].procs = []int{1, 2, 4}
		f.benches[0].goroutines = []int{4}
		f.benches[0].secs = func(p, g int) float64 { return 1e-6 / float64(p) }
		f.benches[0].metrics = func(p, g int) []benchfmt.Value {
			return []benchfmt.Value{{Value: 0.05 * float64(p), Unit: "parallelism"}}
		}
		g := group(t, report(t, f.write(t, 1)), "cpu/x", "none")
		for _, flag := range g.Verdict.Flags {
			if strings.Contains(flag, "exceeds what 2 CPUs allow") {
				t.Errorf("waiting work flagged: %s", flag)
			}
		}
	})
}

func TestLimits(t *testing.T) {
	rep := report(t, syntheticFiles["laws.txt"]().write(t, 1))
	cases := []struct{ workload, lock, want string }{
		{"cpu/sha256", "gil", "limited by the lock"},
		{"cpu/stream", "none", "limited by memory bandwidth"},
		{"cpu/mandelbrot", "none", "oversubscription: 64 goroutines on 16 procs"},
		{"cpu/mandelbrot", "none", "oversubscription: GOMAXPROCS 32 on 16 CPUs"},
		{"io/sleep", "none", "concurrency gain"},
	}
	for _, c := range cases {
		t.Run(c.workload+"/"+c.lock, func(t *testing.T) {
			if v := group(t, rep, c.workload, c.lock).Verdict.String(); !strings.Contains(v, c.want) {
				t.Errorf("verdict %q lacks %q", v, c.want)
			}
		})
	}
}

func TestReadKeepsGoing(t *testing.T) {
	in := "ncpu: 2\nBenchmarkCPU/x/lock=none/goroutines=1-1 10 1e-6 sec/op\n" +
		"BenchmarkCPU/x/lock=none/goroutines=1-2 10 garbage sec/op\n" +
		"BenchmarkCPU/x/lock=none/goroutines=1-2 10 5e-7 sec/op\n" +
		"BenchmarkCPU/x/goroutines=0-2 10 5e-7 sec/op\n" +
		"BenchmarkCPU/x/lock=none/goroutines=1-2 10 0 sec/op\n"
	b, _ := NewBuilder(DefaultOptions())
	if err := b.Read(strings.NewReader(in), "in.txt"); err != nil {
		t.Fatal(err)
	}
	rep, err := b.Report()
	if err != nil {
		t.Fatal(err)
	}
	var msgs []string
	for _, w := range rep.Warnings {
		msgs = append(msgs, w.Error())
	}
	for _, want := range []string{"in.txt:3: ", "in.txt:5: ", "in.txt:6: "} {
		if !strings.Contains(strings.Join(msgs, "\n"), want) {
			t.Errorf("warnings lack %q: %q", want, msgs)
		}
	}
	if len(rep.Groups) != 1 || len(rep.Groups[0].Points) != 2 {
		t.Errorf("want 1 group of 2 points from the good lines, got %d groups", len(rep.Groups))
	}
}

func TestEmpty(t *testing.T) {
	for _, in := range []string{"", "hello\nworld\n", "goos: linux\n", "BenchmarkX 10 5 B/op\n"} {
		b, _ := NewBuilder(DefaultOptions())
		if err := b.Read(strings.NewReader(in), "x"); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Report(); !errors.Is(err, ErrNoResults) {
			t.Errorf("%q: err %v, want ErrNoResults", in, err)
		}
	}
}

func TestMachinesNotMixed(t *testing.T) {
	a := twoLevels(2, 6, 0.02).write(t, 1)
	f := twoLevels(1, 6, 0.02)
	f.config = machine("other", 2, "strong")
	bld, _ := NewBuilder(DefaultOptions())
	bld.Read(bytes.NewReader(a), "a.txt")
	bld.Read(bytes.NewReader(f.write(t, 1)), "b.txt")
	rep, err := bld.Report()
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Groups) != 2 || rep.Machines != 2 {
		t.Fatalf("%d groups on %d machines, want 2 on 2", len(rep.Groups), rep.Machines)
	}
	if rep.Groups[0].Verdict.Class == rep.Groups[1].Verdict.Class {
		t.Errorf("a 2x machine and a flat one got one verdict: %s", rep.Groups[0].Verdict)
	}
}

func TestFilter(t *testing.T) {
	opt := DefaultOptions()
	opt.Filter = "/lock:gil"
	b, err := NewBuilder(opt)
	if err != nil {
		t.Fatal(err)
	}
	b.Read(bytes.NewReader(syntheticFiles["laws.txt"]().write(t, 1)), "laws.txt")
	rep, err := b.Report()
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Groups) != 1 || rep.Groups[0].Lock != "gil" {
		t.Errorf("filter /lock:gil kept %d groups", len(rep.Groups))
	}
	opt.Filter = "/lock:("
	if _, err := NewBuilder(opt); err == nil {
		t.Error("a bad filter was accepted")
	}
}

func TestGoTestOutput(t *testing.T) {
	rep := report(t, syntheticFiles["gotest.txt"]().write(t, 1))
	g := group(t, rep, "hash", "")
	if len(g.Points) != 4 || g.Points[0].Procs != 1 || g.Points[0].Goroutines != 0 {
		t.Fatalf("points %+v", g.Points[0])
	}
	if g.Verdict.Class != VerdictParallel || g.Fits.Amdahl().Status != FitOK {
		t.Errorf("verdict %s, Amdahl %s", g.Verdict, g.Fits.Amdahl().Status)
	}
	within(t, "serial fraction", g.Fits.Amdahl().SerialFraction, 0.05)
}

func TestDeterministic(t *testing.T) {
	data := syntheticFiles["laws.txt"]().write(t, 1)
	var a, b bytes.Buffer
	report(t, data).WriteJSON(&a)
	report(t, data).WriteJSON(&b)
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("two reports of one file differ")
	}
}

func TestJSONSchema(t *testing.T) {
	var buf bytes.Buffer
	if err := report(t, syntheticFiles["laws.txt"]().write(t, 1)).WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	get := func(v any, path ...any) any {
		for _, p := range path {
			switch p := p.(type) {
			case string:
				m, ok := v.(map[string]any)
				if !ok {
					t.Fatalf("%v: not an object at %q", path, p)
				}
				if v, ok = m[p]; !ok {
					t.Fatalf("%v: no key %q", path, p)
				}
			case int:
				v = v.([]any)[p]
			}
		}
		return v
	}
	if get(doc, "version").(float64) != JSONVersion {
		t.Error("version")
	}
	g := get(doc, "groups", 0)
	for _, k := range []string{"workload", "lock", "machine", "points", "verdict", "verdict_class", "limits", "flags"} {
		get(g, k)
	}
	pt := get(g, "points", 1)
	for _, k := range []string{"procs", "goroutines", "n"} {
		get(pt, k)
	}
	get(pt, "sec_per_op", "value")
	for _, k := range []string{"value", "lo", "hi", "efficiency", "p_value"} {
		get(pt, "speedup", k)
	}
	get(pt, "speedup", "karp_flatt", "value")
	get(g, "fits", "amdahl", "serial_fraction", "lo")
	for _, k := range []string{"sigma", "kappa", "lambda", "peak_n"} {
		get(g, "fits", "usl", k, "value")
		get(g, "fits", "usl", k, "se")
	}
	// Version 2: where the USL peaks, and the lack-of-fit test.
	if w := get(g, "fits", "usl", "peak_where"); w != PeakBeyond {
		t.Errorf("usl peak_where %v for cpu/mandelbrot, want %q", w, PeakBeyond)
	}
	for _, k := range []string{"f", "df1", "df2", "p"} {
		get(g, "fits", "amdahl", "lack_of_fit", k)
		get(g, "fits", "usl", "lack_of_fit", k)
	}
}

// FuzzRead feeds arbitrary files to the whole analysis and every format:
// nothing may panic.
func FuzzRead(f *testing.F) {
	f.Add([]byte("BenchmarkCPU/x/lock=none/goroutines=2-2 10 1e-6 sec/op 0.5 wait-share\n"))
	f.Add([]byte("ncpu: 2\nscaling: weak\nBenchmarkX-1 1 1 ns/op\nBenchmarkX-2 1 NaN ns/op\nBenchmarkX-3 1 1e308 ns/op\n"))
	f.Add([]byte("BenchmarkX/goroutines=99999999999-1 1 1 ns/op\nBenchmarkX-0 1 1 ns/op\n"))
	f.Add(twoLevels(2, 4, 0.05).write(f, 1))
	// Long lines, implausible values, other units, a failed point.
	f.Add([]byte("ncpu: 2\nnote: " + strings.Repeat("x", 70<<10) + "\nBenchmarkX-1 1 1 ns/op\n" + strings.Repeat("y", 70<<10) + "\nBenchmarkX-2 1 1 ns/op\n"))
	f.Add([]byte("BenchmarkX-1 -3 1 ns/op\nBenchmarkX-1 0 1 ns/op\nBenchmarkX-1 1 1e300 sec/op\nBenchmarkX-2 1 1 ns/op -1 parallelism\nBenchmarkX-2 1 1 ns/op +Inf wait-share\n"))
	f.Add([]byte("BenchmarkX-1 1 1 ms/op\nBenchmarkX-2 1 300 µs/op\nBenchmarkX-4 1 200 us/op\nBenchmarkX-8 1 1 ks/op\n"))
	f.Add([]byte("BenchmarkCPU/x/lock=none/goroutines=2-1 3 1e-6 sec/op\nBenchmarkCPU/x/lock=none/goroutines=2-2 3 1e-6 sec/op\nparbench-failed: CPU/x/lock=none/goroutines=2-2 sample did not finish\nparbench-failed:\n"))
	// Rounds: a parbench file, resumed (paired ratios).
	f.Add([]byte(roundFile(true, "2026-01-01") + roundFile(true, "2026-01-02")))
	hugePct := regexp.MustCompile(`±[0-9]{5,}`)
	f.Fuzz(func(t *testing.T, data []byte) {
		opt := DefaultOptions()
		opt.Resamples = 20
		b, _ := NewBuilder(opt)
		if err := b.Read(bytes.NewReader(data), "fuzz"); err != nil {
			t.Fatalf("Read of any bytes failed: %v", err)
		}
		rep, err := b.Report()
		if err != nil {
			return
		}
		var buf bytes.Buffer
		rep.WriteText(&buf)
		if m := hugePct.FindString(buf.String()); m != "" || strings.Contains(buf.String(), "Inf%") {
			t.Fatalf("text report prints an implausible interval %q:\n%s", m, buf.String())
		}
		rep.WriteMarkdown(&buf)
		rep.WriteCSV(&buf)
		if err := rep.WriteJSON(&buf); err != nil {
			t.Fatalf("WriteJSON: %v", err)
		}
	})
}

// TestNoisyFlagged checks that a widely spread point makes the verdict
// flagged as unreliable, and a quiet one does not.
func TestNoisyFlagged(t *testing.T) {
	unreliable := func(v Verdict) bool {
		for _, f := range v.Flags {
			if strings.HasPrefix(f, "unreliable:") {
				return true
			}
		}
		return false
	}
	if g := group(t, report(t, twoLevels(2, 10, 0.4).write(t, 3)), "cpu/x", "none"); !unreliable(g.Verdict) {
		t.Errorf("40%% noise: verdict %s, want an unreliable flag", g.Verdict)
	}
	if g := group(t, report(t, twoLevels(2, 10, 0.01).write(t, 3)), "cpu/x", "none"); unreliable(g.Verdict) {
		t.Errorf("1%% noise: verdict %s, want no unreliable flag", g.Verdict)
	}
}
