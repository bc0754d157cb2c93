package selfbench

import (
	"bytes"
	"context"
	"math"
	"strings"
	"testing"
	"time"
)

// TestReadSummaryRoundTrip checks that a file Run wrote reads back into
// the options it was made with and each tool's figures round by round;
// the time Run took is Run's to know, not the file's.
func TestReadSummaryRoundTrip(t *testing.T) {
	o, _ := fakeOptions(t)
	sum, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ReadSummaryFile(o.Out)
	if err != nil {
		t.Fatal(err)
	}
	g := got.Options
	if g.Rounds != o.Rounds || g.Count != o.Count || g.Benchtime != o.Benchtime || g.EmptyOpTime != o.EmptyOpTime ||
		g.Goroutines != o.Goroutines || g.Copies != o.Copies || strings.Join(g.Measures, ",") != strings.Join(o.Measures, ",") {
		t.Errorf("options read back %+v, want those of %+v", g, o)
	}
	for _, r := range got.Rows {
		if len(r.A) != o.Rounds || len(r.B) != o.Rounds {
			t.Errorf("%s: %d and %d rounds, want %d", r.Label, len(r.A), len(r.B), o.Rounds)
		}
	}
	if got.Rows[0].A[0] != 4 || got.Rows[0].B[0] != 0.5 {
		t.Errorf("empty op read back as %v and %v ns, want 4 and 0.5", got.Rows[0].A, got.Rows[0].B)
	}
	if sum.Elapsed <= 0 || got.Elapsed != 0 || got.Builds != 0 {
		t.Errorf("Run took %v; the file read back says %v and %v, want 0 (it holds no time)", sum.Elapsed, got.Elapsed, got.Builds)
	}
}

func TestReadSummaryErrors(t *testing.T) {
	const head = "harness: rounds=1 count=6 benchtime=1s\n"
	for _, c := range []struct{ in, want string }{
		{head + "BenchmarkHarness/report/reference/tool=parbench 1 1 sec/op\nBenchmarkCPU/sha256-2 1 1 sec/op\n", "in.txt:3: CPU/sha256-2 is not a harness figure"},
		{head + "BenchmarkHarness/report/tool= 1 1 sec/op\n", "in.txt:2: "},
		{"BenchmarkHarness/report/reference/tool=parbench 1 1 sec/op\n", `in.txt: not a harness file (no "harness" configuration line)`},
		{"harness: rounds=x\nBenchmarkHarness/empty-op/tool=runner 1 1 sec/op\n", `harness: "rounds=x": rounds: strconv.Atoi`},
		{"harness: benchtime\nBenchmarkHarness/empty-op/tool=runner 1 1 sec/op\n", `"benchtime": want key=value`},
	} {
		_, err := ReadSummary(strings.NewReader(c.in), "in.txt")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ReadSummary(%q) = %v, want %q", c.in, err, c.want)
		}
	}
	// A field of a later parbench is left out; a line without a figure's
	// unit reads as NaN for that round.
	s, err := ReadSummary(strings.NewReader("harness: rounds=2 later=1\n"+
		"BenchmarkHarness/precision/tool=parbench 1 8 wall-sec\n"+
		"BenchmarkHarness/precision/tool=parbench 1 2 ci-pct 9 wall-sec 6 ci-pct-sqrt-sec\n"), "in.txt")
	if err != nil {
		t.Fatal(err)
	}
	if r := s.Rows[0]; r.Unit != "%·√s" || len(r.A) != 2 || !math.IsNaN(r.A[0]) || r.A[1] != 6 {
		t.Errorf("precision row %+v, want NaN then 6", r)
	}
}

// FuzzReadSummary checks that ReadSummary never panics and that every
// summary it returns has each row's rounds for at most the lines read.
func FuzzReadSummary(f *testing.F) {
	o := DefaultOptions()
	o.Workloads = []string{"cpu/sha256"}
	f.Add("harness: " + o.harnessKey(100) + "\n" +
		"BenchmarkHarness/empty-op/tool=runner 1 4e-09 sec/op\n" +
		"BenchmarkHarness/empty-op/tool=testing-b 1 5e-10 sec/op\n" +
		"BenchmarkHarness/empty-op/tool=runner/vs=testing-b 1 8 x\n" +
		"BenchmarkHarness/precision/cpu/sha256/tool=go-test-2 1 1e-06 sec/op 3 ci-pct\n" +
		"BenchmarkHarness/precision/tool=go-test 1 3 ci-pct 8 wall-sec 8.5 ci-pct-sqrt-sec\n" +
		"BenchmarkHarness/report/reference-20x/tool=benchstat 1 1.02 sec/op 2e+07 peak-rss-B\n")
	f.Add("harness: rounds=-1\nBenchmarkHarness/x/tool=a-1 1 1 y\n")
	f.Fuzz(func(t *testing.T, in string) {
		s, err := ReadSummary(strings.NewReader(in), "in")
		if err != nil {
			return
		}
		lines := strings.Count(in, "\n") + 1
		for _, r := range s.Rows {
			if len(r.A) > lines || len(r.B) > lines {
				t.Fatalf("row %s: %d and %d rounds from %d lines", r.Label, len(r.A), len(r.B), lines)
			}
		}
		if err := s.Table(&bytes.Buffer{}); err != nil {
			t.Fatal(err)
		}
	})
}

// TestTableNamesItsTime checks that the table says how long Run took
// only when it knows.
func TestTableNamesItsTime(t *testing.T) {
	s := &Summary{Options: DefaultOptions(), Elapsed: 90 * time.Second, Builds: time.Second}
	var b bytes.Buffer
	if err := s.Table(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "took 1m30s (builds 1s)") {
		t.Errorf("table:\n%s\nlacks the time", b.String())
	}
}
