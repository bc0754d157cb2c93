package analysis

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"
)

// sweep returns a parbench-like file of X at 1 and 2 procs, 2
// goroutines, n samples a point; at, when not "", is put after the
// samples of 1 proc (a note, a long line).
func sweep(n int, at string) string {
	var b strings.Builder
	b.WriteString("ncpu: 2\n")
	for i := range n {
		fmt.Fprintf(&b, "BenchmarkCPU/x/lock=none/goroutines=2-1 10 %d ns/op\n", 1000+i)
	}
	b.WriteString(at)
	for i := range n {
		fmt.Fprintf(&b, "BenchmarkCPU/x/lock=none/goroutines=2-2 10 %d ns/op\n", 500+i)
	}
	return b.String()
}

// TestLongLines: a line longer than the 64 KiB benchfmt reads, in a
// note, a configuration line or a result line, does not stop the
// report, and a warning names its own line.
func TestLongLines(t *testing.T) {
	long := strings.Repeat("x", 100<<10)
	cases := []struct {
		name, line string
		want       string // a warning; "" for none
		n          int    // samples at 2 procs
	}{
		{"note", "parbench-stop: " + long + "\nparbench-stop:\n", "", 6},
		{"config", "note: " + long + "\n", "in.txt:8: the note line is 102406 bytes; its value is read as its first KiB", 6},
		{"result", "BenchmarkCPU/x/lock=none/goroutines=2-2 10 500 ns/op " + strings.Repeat("1 x/op ", 15<<10) + "\n",
			"in.txt:8: a result line of 107573 bytes, longer than the 65535 a results file may hold (benchfmt's limit); result skipped", 6},
		{"other", long + "\n", "", 6},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := sweep(6, c.line)
			rep := reportFiles(t, DefaultOptions(), input{"in.txt", "", []byte(in)})
			if len(rep.Groups) != 1 || len(rep.Groups[0].Points) != 2 || rep.Groups[0].Points[1].N != c.n {
				t.Fatalf("report of %d groups, want one of two points, %d samples at 2 procs", len(rep.Groups), c.n)
			}
			found, all := warned(rep, c.want)
			if c.want != "" && !found {
				t.Errorf("warnings lack %q:\n%s", c.want, all)
			}
			if c.want == "" && strings.Contains(all, "in.txt:") {
				t.Errorf("warnings: %s", all)
			}
			// A warning after the long line names its own line.
			bad := sweep(6, c.line+"BenchmarkCPU/x/lock=none/goroutines=2-2 -1 500 ns/op\n")
			rep = reportFiles(t, DefaultOptions(), input{"in.txt", "", []byte(bad)})
			line := 8 + strings.Count(c.line, "\n")
			if found, all := warned(rep, fmt.Sprintf("in.txt:%d: CPU/x/lock=none/goroutines=2-2: iteration count -1", line)); !found {
				t.Errorf("a bad line after the long one, at line %d, not named:\n%s", line, all)
			}
		})
	}
}

// TestFailedPoint: a point with a parbench-failed note is named in its
// group's verdict, in every format, and its samples are not shown as a
// measurement; a stop note after it (a resumed run that completed the
// point) takes the failure back.
func TestFailedPoint(t *testing.T) {
	const note = "parbench-failed: CPU/x/lock=none/goroutines=2-2 sample did not finish within --sample-timeout 10s; its goroutines are abandoned\nparbench-failed:\n"
	in := sweep(6, "") + "BenchmarkCPU/x/lock=none/goroutines=2-4 10 300 ns/op\n" + strings.Replace(note, "2-2", "2-4", 1)
	rep := reportFiles(t, DefaultOptions(), input{"in.txt", "", []byte(in)})
	if len(rep.Groups) != 1 {
		t.Fatalf("%d groups, want 1", len(rep.Groups))
	}
	g := rep.Groups[0]
	if len(g.Failed) != 1 || g.Failed[0].Procs != 4 || g.Failed[0].Goroutines != 2 || g.Failed[0].Dropped != 1 || g.Failed[0].Line != 15 {
		t.Fatalf("failed points %+v, want 4 procs, 2 goroutines, 1 sample left out, line 15", g.Failed)
	}
	for _, p := range g.Points {
		if p.Procs == 4 {
			t.Errorf("the failed point's partial sample is a point of the curve: %+v", p)
		}
	}
	want := "FAILED: 4 procs, 2 goroutines: sample did not finish within --sample-timeout 10s; its goroutines are abandoned (in.txt:15); its 1 sample before the failure left out"
	if !strings.Contains(g.Verdict.String(), want) {
		t.Errorf("verdict %q lacks %q", g.Verdict, want)
	}
	if s := g.Verdict.Summary(); !strings.Contains(s, "1 point failed") {
		t.Errorf("summary %q does not say a point failed", s)
	}
	for name, write := range map[string]func(*bytes.Buffer) error{
		"text":     func(b *bytes.Buffer) error { return rep.WriteText(b) },
		"markdown": func(b *bytes.Buffer) error { return rep.WriteMarkdown(b) },
		"json":     func(b *bytes.Buffer) error { return rep.WriteJSON(b) },
	} {
		var buf bytes.Buffer
		if err := write(&buf); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(buf.String(), "sample did not finish") || strings.Contains(buf.String(), "Inf") {
			t.Errorf("%s report does not name the failure, or prints Inf:\n%s", name, buf.String())
		}
	}

	// A resumed run completed the point: no failure.
	done := in + "BenchmarkCPU/x/lock=none/goroutines=2-4 10 300 ns/op\nparbench-stop: CPU/x/lock=none/goroutines=2-4 reason=count samples=2\nparbench-stop:\n"
	if g := reportFiles(t, DefaultOptions(), input{"in.txt", "", []byte(done)}).Groups[0]; len(g.Failed) != 0 || len(g.Points) != 3 {
		t.Errorf("completed after a resume: failed %+v, %d points, want none failed and 3 points", g.Failed, len(g.Points))
	}

	// A group whose only point failed: a warning, with the line.
	only := sweep(6, "") + "BenchmarkCPU/y/lock=none/goroutines=1-1 10 300 ns/op\n" + strings.Replace(note, "x/lock=none/goroutines=2-2", "y/lock=none/goroutines=1-1", 1)
	rep = reportFiles(t, DefaultOptions(), input{"in.txt", "", []byte(only)})
	if found, all := warned(rep, "in.txt:15: CPU/y/lock=none/goroutines=1-1 failed: sample did not finish"); !found || len(rep.Groups) != 1 {
		t.Errorf("%d groups, warnings:\n%s", len(rep.Groups), all)
	}
}

// TestGoTestFlags: on go test output (no goroutines key) no flag or
// verdict names a goroutine count.
func TestGoTestFlags(t *testing.T) {
	var b strings.Builder
	b.WriteString("ncpu: 2\n")
	for i := range 8 {
		fmt.Fprintf(&b, "BenchmarkX 10 %d ns/op\nBenchmarkX-2 10 %d ns/op\n", 1000+300*(i%2)+i, 500+200*(i%2)+i)
	}
	rep := reportFiles(t, DefaultOptions(), input{"in.txt", "", []byte(b.String())})
	v := rep.Groups[0].Verdict
	if len(v.Flags) == 0 {
		t.Fatalf("verdict %q: want an unreliable flag for the spread samples", v)
	}
	if s := v.String(); strings.Contains(s, "goroutine") {
		t.Errorf("verdict names a goroutine count it does not know: %s", s)
	}
}

// TestVerdictShape: the verdict's Text starts with the class, the
// speedup and the interval, and a flag appears once however many points
// have its cause.
func TestVerdictShape(t *testing.T) {
	rep := report(t, twoLevels(2, 10, 0.4).write(t, 3))
	for _, g := range rep.Groups {
		v := g.Verdict
		if !strings.HasPrefix(v.Text, strings.TrimSuffix(v.Head, ")")) || !strings.Contains(v.Head, "CI") {
			t.Errorf("%s: text %q does not start with its head %q (with its interval)", g.Label(), v.Text, v.Head)
		}
		n := 0
		for _, f := range v.Flags {
			if strings.HasPrefix(f, "unreliable: samples spread") {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s: %d spread flags, want one: %q", g.Label(), n, v.Flags)
		}
		if v.Class == VerdictInconclusive && !strings.Contains(v.Head, "; too noisy to tell)") && !strings.Contains(v.Head, "; the machine was busy)") {
			t.Errorf("%s: an inconclusive head without its reason: %q", g.Label(), v.Head)
		}
		if len(v.Summary()) > 160 {
			t.Errorf("%s: summary of %d characters: %s", g.Label(), len(v.Summary()), v.Summary())
		}
	}
}

// TestNotParallelHeadSaysWhy: a "not parallel" verdict whose interval
// excludes 1x (significant alone but not after the false discovery rate
// control, within the noise floor, or a rank test that disagrees with
// the bootstrap interval: its p-value) says why in its head, the part
// the summary shows, not only further on in its text; and every such
// text starts with its head.
func TestNotParallelHeadSaysWhy(t *testing.T) {
	for _, tc := range []struct{ file, want string }{
		{"../results/vm-20261125T091418Z.txt", "after the false discovery rate control"}, // the committed reference run
		{"../results/vm-20261125T091418Z.txt", "noise floor"},
		{"testdata/fsync-rank-vs-ci.txt", "no significant gain, p="}, // io/fsync of a make bench: CI 1.04-1.34, p=0.052
	} {
		data, err := os.ReadFile(tc.file)
		if err != nil {
			t.Fatal(err)
		}
		seen := false
		for _, g := range report(t, data).Groups {
			v := g.Verdict
			if v.Class != VerdictConcurrentNotParallel && v.Class != VerdictNotParallel {
				continue
			}
			if !strings.HasPrefix(v.Text, strings.TrimSuffix(v.Head, ")")) {
				t.Errorf("%s: text %q does not start with its head %q", g.Label(), v.Text, v.Head)
			}
			var j *Point
			for _, p := range g.Points {
				if p.Procs == v.Procs && p.Goroutines == v.Goroutines {
					j = p
				}
			}
			if j == nil || j.Parallel == nil {
				t.Fatalf("%s: no judged point at %d procs, %d goroutines", g.Label(), v.Procs, v.Goroutines)
			}
			if s := j.Parallel.Speedup; s.Lo > 1 || s.Hi < 1 {
				if !strings.Contains(v.Head, "after the false discovery rate control") && !strings.Contains(v.Head, "noise floor") && !strings.Contains(v.Head, "p=") {
					t.Errorf("%s: the interval excludes 1x but the head gives no reason: %q", g.Label(), v.Head)
				}
				seen = seen || strings.Contains(v.Head, tc.want)
			}
		}
		if !seen {
			t.Errorf("%s: no not-parallel head with an interval excluding 1x and %q: the case is not tested", tc.file, tc.want)
		}
	}
}

// TestOneLevelSpreadOnce: a one-level group's judged point is its own
// baseline, so a spread flag names it once, not twice.
func TestOneLevelSpreadOnce(t *testing.T) {
	f := oneCurve(2, []int{1}, 10, 0.4, func(p, g int) float64 { return 1e-6 })
	for _, g := range report(t, f.write(t, 3)).Groups {
		v := g.Verdict
		if v.Class != VerdictOneLevel {
			t.Fatalf("%s: verdict %s, want one level", g.Label(), v)
		}
		var spread string
		for _, f := range v.Flags {
			if strings.HasPrefix(f, "unreliable: samples spread") {
				spread = f
			}
		}
		if spread == "" {
			t.Fatalf("%s: flags %q, want a spread flag", g.Label(), v.Flags)
		}
		if strings.Contains(spread, " and ") {
			t.Errorf("%s: spread flag names a point twice: %s", g.Label(), spread)
		}
	}
}

// TestFailedPointMeasuredAgain: a failed point that a later file
// measured again (the rerun parbench prints) is in the curve, and no
// longer listed as failed; a point that failed in the later file stays
// listed.
func TestFailedPointMeasuredAgain(t *testing.T) {
	const note = "parbench-failed: CPU/x/lock=none/goroutines=2-4 sample did not finish within --sample-timeout 10s\nparbench-failed:\n"
	first := sweep(6, "") + "BenchmarkCPU/x/lock=none/goroutines=2-4 10 300 ns/op\n" + note
	var rerun strings.Builder
	rerun.WriteString("ncpu: 2\n")
	for i := range 6 {
		fmt.Fprintf(&rerun, "BenchmarkCPU/x/lock=none/goroutines=2-4 10 %d ns/op\n", 300+i)
	}
	rep := reportFiles(t, DefaultOptions(), input{"a.txt", "", []byte(first)}, input{"b.txt", "", []byte(rerun.String())})
	if len(rep.Groups) != 1 {
		t.Fatalf("%d groups, want 1", len(rep.Groups))
	}
	g := rep.Groups[0]
	n4 := 0
	for _, p := range g.Points {
		if p.Procs == 4 {
			n4 = p.N
		}
	}
	if n4 != 6 {
		t.Errorf("%d samples at 4 procs, want the rerun's 6", n4)
	}
	if len(g.Failed) != 0 || strings.Contains(g.Verdict.String(), "FAILED") {
		t.Errorf("failed %+v, verdict %q: want no failure once a later file measured the point", g.Failed, g.Verdict)
	}

	// The other way round, the later run's failure is news: listed.
	rep = reportFiles(t, DefaultOptions(), input{"b.txt", "", []byte(rerun.String())}, input{"a.txt", "", []byte(first)})
	if g := rep.Groups[0]; len(g.Failed) != 1 {
		t.Errorf("failed %+v, want the later file's failure listed", g.Failed)
	}
}
