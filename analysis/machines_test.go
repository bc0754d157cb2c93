package analysis

import (
	"bytes"
	"math"
	"slices"
	"strings"
	"testing"
)

// goTestConfig is the header of `go test -bench` output: no host, no
// ncpu line.
var goTestConfig = [][2]string{{"goos", "linux"}, {"goarch", "amd64"}, {"pkg", "example.com/hash"}, {"cpu", "Synthetic CPU @ 3.0GHz"}}

// goTestSweep is `go test -bench -cpu 1,2,4,8,16,32 -count 10` output
// of Amdahl's law with serial fraction s on a machine of cpus CPUs.
func goTestSweep(s float64, cpus int) synthFile {
	return synthFile{config: goTestConfig, n: 10, noise: 0.02, plain: true, benches: []bench{
		{name: "Hash", procs: []int{1, 2, 4, 8, 16, 32}, secs: amdahlSecs(1e-6, s, cpus)},
	}}
}

// input is one file for reportFiles.
type input struct {
	name, label string
	data        []byte
}

// reportFiles analyses files with opt.
func reportFiles(tb testing.TB, opt Options, files ...input) *Report {
	tb.Helper()
	b, err := NewBuilder(opt)
	if err != nil {
		tb.Fatal(err)
	}
	for _, f := range files {
		if err := b.ReadAs(bytes.NewReader(f.data), f.name, f.label); err != nil {
			tb.Fatal(err)
		}
	}
	rep, err := b.Report()
	if err != nil {
		tb.Fatal(err)
	}
	return rep
}

// warned reports whether a warning contains want, and returns them all
// for the error message.
func warned(rep *Report, want string) (bool, string) {
	var all []string
	found := false
	for _, w := range rep.Warnings {
		all = append(all, w.Error())
		found = found || strings.Contains(w.Error(), want)
	}
	return found, strings.Join(all, "\n")
}

func levelsOf(fi FitInfo) []int { return fi.Levels }

// nameWarns are the warnings about result names and values: those
// other than the few samples of the small inputs (± ∞).
func nameWarns(rep *Report) []string {
	var ws []string
	for _, w := range rep.Warnings {
		if !strings.HasPrefix(w.Error(), "± ∞") {
			ws = append(ws, w.Error())
		}
	}
	return ws
}

// TestUnknownCPUs: go test output of a curve that saturates at 8 CPUs,
// measured up to GOMAXPROCS 32. With the CPU count given, the fit stops
// at 8 and recovers s; without it, the report says the count is unknown
// and cuts the curve where it stops rising, which is 8 as well.
func TestUnknownCPUs(t *testing.T) {
	const s = 0.05
	data := goTestSweep(s, 8).write(t, 1)
	within20 := func(t *testing.T, f *LawFit) {
		t.Helper()
		if f.Status != FitOK {
			t.Fatalf("Amdahl status %s: %s", f.Status, f.Reason)
		}
		if v := f.SerialFraction.Value; math.Abs(v-s) > 0.2*s {
			t.Errorf("serial fraction %.4f, want %.2f within 20%%", v, s)
		}
	}
	t.Run("given", func(t *testing.T) {
		opt := DefaultOptions()
		opt.NCPU = 8
		rep := reportFiles(t, opt, input{"m8.txt", "", data})
		g := group(t, rep, "hash", "")
		if g.Machine.CPUs() != 8 || !g.Machine.NCPUGiven || g.Saturation != 0 || g.cpuCap() != 8 {
			t.Errorf("machine %+v, saturation %d", g.Machine, g.Saturation)
		}
		within20(t, g.Fits.Amdahl())
		if want := []int{1, 2, 4, 8}; !slices.Equal(levelsOf(g.Fits.Amdahl().FitInfo), want) {
			t.Errorf("fitted levels %v, want %v", g.Fits.Amdahl().Levels, want)
		}
		if ok, all := warned(rep, "no ncpu line"); ok {
			t.Errorf("CPU count given, yet warned unknown:\n%s", all)
		}
		t.Logf("--ncpu 8: s = %.4f (CI %.4f-%.4f)", g.Fits.Amdahl().SerialFraction.Value, g.Fits.Amdahl().SerialFraction.Lo, g.Fits.Amdahl().SerialFraction.Hi)
	})
	t.Run("unknown", func(t *testing.T) {
		rep := reportFiles(t, DefaultOptions(), input{"m8.txt", "", data})
		g := group(t, rep, "hash", "")
		if g.Machine.CPUs() != 0 || g.Saturation != 8 || g.cpuCap() != 8 || !g.cpuCapInferred() {
			t.Fatalf("machine %+v, saturation %d, want unknown CPUs and saturation 8", g.Machine, g.Saturation)
		}
		within20(t, g.Fits.Amdahl())
		if want := []int{1, 2, 4, 8}; !slices.Equal(g.Fits.Amdahl().Levels, want) {
			t.Errorf("fitted levels %v, want %v (up to the saturation)", g.Fits.Amdahl().Levels, want)
		}
		if ok, all := warned(rep, "no ncpu line"); !ok || !strings.Contains(all, "hash at 8") {
			t.Errorf("no warning that the CPU count is unknown, naming the cut:\n%s", all)
		}
		var buf bytes.Buffer
		if err := rep.WriteText(&buf); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(buf.String(), "machine: Synthetic CPU @ 3.0GHz, CPU count unknown, linux/amd64, file m8.txt; S(p) stops rising significantly after 8 procs") {
			t.Errorf("machine line does not say the count is unknown and where the curve was cut:\n%s", buf.String())
		}
		t.Logf("unknown: s = %.4f (CI %.4f-%.4f)", g.Fits.Amdahl().SerialFraction.Value, g.Fits.Amdahl().SerialFraction.Lo, g.Fits.Amdahl().SerialFraction.Hi)
	})
	t.Run("verdict within the cap", func(t *testing.T) {
		g := group(t, reportFiles(t, DefaultOptions(), input{"m8.txt", "", data}), "hash", "")
		if g.Verdict.Procs != 8 {
			t.Errorf("verdict judged at %d procs, beyond the saturation at 8: %s", g.Verdict.Procs, g.Verdict)
		}
	})
	t.Run("what the whole curve would say", func(t *testing.T) {
		// The old behaviour, for the record: fitting all of 1-32 on 8
		// CPUs overstates s. Telling the report there are 32 CPUs does
		// just that.
		opt := DefaultOptions()
		opt.NCPU = 32
		g := group(t, reportFiles(t, opt, input{"m8.txt", "", data}), "hash", "")
		t.Logf("fitted over 1-32: s = %.4f, USL peak %.1f", g.Fits.Amdahl().SerialFraction.Value, g.Fits.USL().PeakN.Value)
		if v := g.Fits.Amdahl().SerialFraction.Value; math.Abs(v-s) <= 0.2*s {
			t.Errorf("s = %.4f over the saturated levels too: the test no longer shows the bias it guards against", v)
		}
	})
	t.Run("a flat curve is cut at its second level", func(t *testing.T) {
		f := goTestSweep(1, 8) // s = 1: no speedup at all
		g := group(t, reportFiles(t, DefaultOptions(), input{"flat.txt", "", f.write(t, 1)}), "hash", "")
		if g.Saturation != 2 {
			t.Errorf("saturation %d, want 2 (the first step, so the verdict can say it is flat)", g.Saturation)
		}
	})
}

// TestNCPUOption: Options.NCPU overrides a file's ncpu and quota, and a
// negative one is refused.
func TestNCPUOption(t *testing.T) {
	opt := DefaultOptions()
	opt.NCPU = 8
	g := group(t, reportFiles(t, opt, input{"two.txt", "", twoLevels(2, 6, 0.02).write(t, 1)}), "cpu/x", "none")
	if g.Machine.CPUs() != 8 || !strings.Contains(g.Machine.String(), "8 CPUs (as given)") {
		t.Errorf("machine %v, want 8 CPUs as given", g.Machine)
	}
	opt.NCPU = -1
	if _, err := NewBuilder(opt); err == nil || !strings.Contains(err.Error(), "NCPU") {
		t.Errorf("NCPU -1: err %v", err)
	}
}

// TestGoTestMachinesApart: go test files cannot tell machines apart by
// their headers, so each is its own machine unless labelled alike; and
// labelled alike, files that disagree are still two machines.
func TestGoTestMachinesApart(t *testing.T) {
	small := goTestSweep(0.05, 2).write(t, 1) // a 2-CPU machine
	big := goTestSweep(0.05, 8).write(t, 2)   // an 8-CPU one, same cpu line
	again := goTestSweep(0.05, 8).write(t, 3) // the 8-CPU one, run again
	cases := []struct {
		name             string
		files            []input
		groups, machines int
		warn             string
	}{
		{"unlabelled files are apart", []input{{"a.txt", "", small}, {"b.txt", "", big}}, 2, 2, ""},
		{"unlabelled agreeing files are apart too", []input{{"a.txt", "", big}, {"b.txt", "", again}}, 2, 2, ""},
		{"one label merges agreeing files", []input{{"a.txt", "m", big}, {"b.txt", "m", again}}, 1, 1, ""},
		{"different labels are apart", []input{{"a.txt", "x", big}, {"b.txt", "y", again}}, 2, 2, ""},
		{"one label, disagreeing files: split", []input{{"a.txt", "m", small}, {"b.txt", "m", big}}, 2, 2, "a.txt and b.txt disagree at 4 procs"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rep := reportFiles(t, DefaultOptions(), c.files...)
			if len(rep.Groups) != c.groups || rep.Machines != c.machines {
				t.Errorf("%d groups on %d machines, want %d on %d", len(rep.Groups), rep.Machines, c.groups, c.machines)
			}
			ok, all := warned(rep, "disagree")
			if c.warn == "" && ok {
				t.Errorf("unexpected disagreement:\n%s", all)
			}
			if c.warn != "" && !strings.Contains(all, c.warn) {
				t.Errorf("warnings lack %q:\n%s", c.warn, all)
			}
			if c.groups == 2 {
				for _, g := range rep.Groups {
					if g.Saturation == 0 && g.Machine.CPUs() == 0 {
						t.Errorf("group on %v: no saturation inferred", g.Machine)
					}
				}
			}
		})
	}
	t.Run("split files keep their own saturation", func(t *testing.T) {
		rep := reportFiles(t, DefaultOptions(), input{"a.txt", "", small}, input{"b.txt", "", big})
		sat := map[string]int{}
		for _, g := range rep.Groups {
			sat[g.Machine.File] = g.Saturation
		}
		if sat["a.txt"] != 2 || sat["b.txt"] != 8 {
			t.Errorf("saturation by file %v, want a.txt 2 and b.txt 8", sat)
		}
	})
}

// TestFilesDisagree: two parbench files from one host that disagree at
// a point are reported as two machines, with a warning; agreeing ones
// merge.
func TestFilesDisagree(t *testing.T) {
	a := twoLevels(2, 10, 0.02).write(t, 1)
	agree := twoLevels(2, 10, 0.02).write(t, 2)
	slow := twoLevels(2, 10, 0.02)
	slow.benches[0].secs = func(p, g int) float64 { return 1.3e-6 / float64(p) }
	rep := reportFiles(t, DefaultOptions(), input{"a.txt", "", a}, input{"b.txt", "", agree})
	if len(rep.Groups) != 1 || rep.Groups[0].Points[0].N != 20 {
		t.Errorf("agreeing files: %d groups, want 1 of 20 samples a point", len(rep.Groups))
	}
	rep = reportFiles(t, DefaultOptions(), input{"a.txt", "", a}, input{"b.txt", "", slow.write(t, 2)})
	if len(rep.Groups) != 2 || rep.Machines != 2 || rep.Groups[0].Machine.File == "" {
		t.Errorf("disagreeing files: %d groups on %d machines, want 2 on 2, by file", len(rep.Groups), rep.Machines)
	}
	if ok, all := warned(rep, "a.txt and b.txt disagree at 1 proc, 2 goroutines"); !ok {
		t.Errorf("no warning of the disagreement:\n%s", all)
	}
}

// TestInfiniteInterval: too few samples for an interval print "± ∞" as
// benchstat does, with benchstat's footnote as a warning.
func TestInfiniteInterval(t *testing.T) {
	if got := fmtSecs(Estimate{Value: 1e-6, Lo: math.Inf(-1), Hi: math.Inf(1)}); got != "1.000µs ± ∞" {
		t.Errorf("fmtSecs = %q, want %q", got, "1.000µs ± ∞")
	}
	rep := report(t, twoLevels(2, 3, 0.02).write(t, 1))
	var buf bytes.Buffer
	if err := rep.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	if out := buf.String(); !strings.Contains(out, "± ∞") || strings.Contains(out, "Inf") {
		t.Errorf("text report:\n%s", out)
	}
	if ok, all := warned(rep, "need >= 6 samples for confidence interval at level 0.95"); !ok {
		t.Errorf("no footnote warning:\n%s", all)
	}
}

// TestSilentDropsWarn: what the reader used to drop or misread silently
// is now a warning with its file:line.
func TestSilentDropsWarn(t *testing.T) {
	cases := []struct {
		name, in string
		want     []string // warnings
		check    func(*testing.T, *Report)
	}{
		{
			name: "second time per op",
			in:   "ncpu: 2\nBenchmarkX-1 10 1000 ns/op\nBenchmarkX-2 10 500 ns/op 4e-7 sec/op\n",
			want: []string{"in.txt:3: X-2: 2 times per op on one line; only the first (500.0ns) is used"},
		},
		{
			name: "NaN in another unit",
			in:   "ncpu: 2\nBenchmarkX-1 10 1000 ns/op NaN wait-share\nBenchmarkX-2 10 500 ns/op +Inf B/op\n",
			want: []string{"in.txt:2: X-1: NaN wait-share is not a finite, non-negative number; that value skipped", "in.txt:3: X-2: +Inf B/op is not a finite, non-negative number; that value skipped"},
		},
		{
			name: "suffix beyond 4x the CPUs",
			in:   "ncpu: 8\nBenchmarkDecode/blk-64 10 1000 ns/op\nBenchmarkDecode/blk-64 10 1000 ns/op\n",
			want: []string{"in.txt:2: Decode/blk-64: the -64 suffix reads as GOMAXPROCS=64, more than 4 times the 8 CPUs"},
			check: func(t *testing.T, rep *Report) {
				if ws := nameWarns(rep); len(ws) != 1 {
					t.Errorf("warnings %q, want 1 (once per name)", ws)
				}
			},
		},
		{
			name: "suffix within 4x the CPUs",
			in:   "ncpu: 8\nBenchmarkX 10 1000 ns/op\nBenchmarkX-32 10 1000 ns/op\n",
			check: func(t *testing.T, rep *Report) {
				if ws := nameWarns(rep); len(ws) != 0 {
					t.Errorf("warnings %q", ws)
				}
			},
		},
		{
			name: "suffix that is part of the name",
			in:   "BenchmarkDecode/blk-64 10 1000 ns/op\nBenchmarkDecode/blk-64-2 10 600 ns/op\n",
			want: []string{"in.txt:1: Decode/blk-64: the -64 suffix reads as GOMAXPROCS=64, but Decode/blk-64-N results exist too"},
		},
		{
			name: "gomaxprocs key",
			in:   "ncpu: 4\nBenchmarkX/gomaxprocs=1 10 1000 ns/op\nBenchmarkX/gomaxprocs=2 10 500 ns/op\nBenchmarkX/gomaxprocs=4 10 260 ns/op\n",
			check: func(t *testing.T, rep *Report) {
				if len(rep.Groups) != 1 || len(rep.Groups[0].Points) != 3 || rep.Groups[0].Extra != "" {
					t.Fatalf("%d groups, want one curve of 3 levels", len(rep.Groups))
				}
				if ps := rep.Groups[0].Points; ps[0].Procs != 1 || ps[2].Procs != 4 {
					t.Errorf("levels %d..%d, want 1..4", ps[0].Procs, ps[2].Procs)
				}
				if ws := nameWarns(rep); len(ws) != 0 {
					t.Errorf("warnings %q", ws)
				}
			},
		},
		{
			name: "gomaxprocs key against the suffix",
			in:   "ncpu: 4\nBenchmarkX/gomaxprocs=1-4 10 1000 ns/op\nBenchmarkX/gomaxprocs=2-4 10 500 ns/op\n",
			want: []string{"in.txt:2: X/gomaxprocs=1-4: the name's gomaxprocs=1 and its -4 suffix disagree; read as GOMAXPROCS=1"},
			check: func(t *testing.T, rep *Report) {
				if len(rep.Groups) != 1 || len(rep.Groups[0].Points) != 2 {
					t.Errorf("%d groups, want one curve of 2 levels", len(rep.Groups))
				}
			},
		},
		{
			name: "implausible values",
			in: "ncpu: 2\n" + strings.Repeat("BenchmarkX-1 10 1000 ns/op\nBenchmarkX-2 10 500 ns/op\n", 6) +
				"BenchmarkX-2 -5 500 ns/op\nBenchmarkX-2 0 500 ns/op\n" + // lines 14, 15
				"BenchmarkX-2 10 1e300 sec/op\nBenchmarkX-2 10 3601 sec/op\n" + // 16, 17
				"BenchmarkX-2 10 -1 sec/op\n" + // 18
				"BenchmarkX-2 10 500 ns/op NaN parallelism\nBenchmarkX-2 10 500 ns/op -2 parallelism\nBenchmarkX-2 10 500 ns/op +Inf parallelism\n", // 19-21
			want: []string{
				"in.txt:14: X-2: iteration count -5, want a positive count; result skipped (and 1 more line like it, the last at line 15)",
				"in.txt:16: X-2: time per op 1e+300 s is beyond an hour, not a benchmark's; result skipped (and 1 more line like it, the last at line 17)",
				"in.txt:18: X-2: time per op -1 is not a positive number; result skipped",
				"in.txt:19: X-2: NaN parallelism is not a finite, non-negative number; that value skipped (and 2 more lines like it, the last at line 21)",
			},
			check: func(t *testing.T, rep *Report) {
				p := rep.Groups[0].Points[1]
				if p.N != 9 || p.SecPerOp.Hi > 1e-5 || len(p.samples["parallelism"]) != 0 {
					t.Errorf("2 procs: n=%d, sec/op %+v, parallelism %v: want the 9 sound results only", p.N, p.SecPerOp, p.samples["parallelism"])
				}
				n := 0
				for _, w := range rep.Warnings {
					if strings.HasPrefix(w.Error(), "in.txt:") {
						n++
					}
				}
				if _, all := warned(rep, ""); n != 4 {
					t.Errorf("%d warnings with a line, want one per cause (4):\n%s", n, all)
				}
				var buf bytes.Buffer
				if err := rep.WriteText(&buf); err != nil {
					t.Fatal(err)
				}
				if out := buf.String(); strings.Contains(out, "Inf") || strings.Contains(out, "00000000") {
					t.Errorf("text report prints an implausible figure:\n%s", out)
				}
			},
		},
		{
			name: "other time units",
			in: "ncpu: 2\n" + strings.Repeat("BenchmarkX-1 10 1 ms/op\nBenchmarkX-2 10 500 µs/op\nBenchmarkY-1 10 1000 us/op\nBenchmarkY-2 10 0.0005 s/op\n", 6) +
				"BenchmarkZ-1 10 1 ks/op\nBenchmarkZ-1 10 2 ks/op\n",
			want: []string{"in.txt:26: Z-1: no time per op among its units (ks/op); result ignored (want sec/op, ns/op, us/op, µs/op, ms/op or s/op) (and 1 more line like it, the last at line 27)"},
			check: func(t *testing.T, rep *Report) {
				if len(rep.Groups) != 2 {
					t.Fatalf("%d groups, want X and Y", len(rep.Groups))
				}
				for _, g := range rep.Groups {
					if v := g.Points[0].SecPerOp.Value; math.Abs(v-1e-3) > 1e-12 {
						t.Errorf("%s at 1 proc: %v sec/op, want 1ms", g.Workload, v)
					}
					if v := g.Points[1].SecPerOp.Value; math.Abs(v-5e-4) > 1e-12 {
						t.Errorf("%s at 2 procs: %v sec/op, want 500µs", g.Workload, v)
					}
				}
			},
		},
		{
			name: "bad gomaxprocs key",
			in:   "ncpu: 4\nBenchmarkX/gomaxprocs=many 10 1000 ns/op\nBenchmarkX/gomaxprocs=1 10 1000 ns/op\n",
			want: []string{`in.txt:2: X/gomaxprocs=many: gomaxprocs="many" is not a positive integer; sample skipped`},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rep := reportFiles(t, DefaultOptions(), input{"in.txt", "", []byte(c.in)})
			_, all := warned(rep, "")
			for _, w := range c.want {
				if !strings.Contains(all, w) {
					t.Errorf("warnings lack %q:\n%s", w, all)
				}
			}
			if c.check != nil {
				c.check(t, rep)
			}
		})
	}
}

// TestSameFileTwoLabels reads one file twice under two --machine
// labels: two machines and two groups, each under its label, although
// the file and its configuration lines are the same (the per-file
// configuration cache must tell the labels apart).
func TestSameFileTwoLabels(t *testing.T) {
	var f strings.Builder
	f.WriteString("host: h\nncpu: 2\n")
	for range 6 {
		f.WriteString("BenchmarkCPU/sha256/lock=none/goroutines=1-1 1000 4e-06 sec/op\n")
		f.WriteString("BenchmarkCPU/sha256/lock=none/goroutines=2-2 1000 2e-06 sec/op\n")
	}
	data := []byte(f.String())
	rep := reportFiles(t, DefaultOptions(), input{"x.txt", "A", data}, input{"x.txt", "B", data})
	var labels []string
	for _, g := range rep.Groups {
		labels = append(labels, g.Machine.Label)
	}
	slices.Sort(labels)
	if !slices.Equal(labels, []string{"A", "B"}) {
		t.Errorf("groups of machines %q, want one of A and one of B", labels)
	}
}
