package selfbench

import (
	"fmt"
	"io"
	"math"
	"text/tabwriter"
	"time"

	"github.com/parbench/parbench/results"
	"golang.org/x/perf/benchunit"
)

// toolNames are the tools as the table names them.
var toolNames = map[string]string{
	results.ToolRunner:    "parbench's runner",
	results.ToolTestingB:  "testing.B",
	results.ToolParbench:  "parbench",
	results.ToolGoTest:    "go test",
	results.ToolBenchstat: "benchstat",
}

// Table writes the summary for people: each figure's median over the
// rounds and range for both tools, and their ratio (the median of the
// rounds' ratios), then the precision points one by one.
func (s *Summary) Table(w io.Writer) error {
	o := s.Options
	fmt.Fprintf(w, "== parbench's harness beside Go's tools, %d round%s, interleaved ==\n", o.Rounds, plural(o.Rounds))
	fmt.Fprintf(w, "each figure: median over the rounds [min-max]; ratio: parbench's over Go's tool's, round by round (above 1: parbench costs more)\n\n")
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	if len(s.Rows) > 0 {
		fmt.Fprintln(tw, "figure\tunit\tparbench\tGo's tool\tratio")
	}
	for _, r := range s.Rows {
		label := r.Label
		if r.Detail {
			label = "  " + label
		} else if n := s.Lines[r.Subject]; n > 0 && r.Measure == results.HarnessReport {
			label += fmt.Sprintf(" (%s lines)", thousands(n))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s %s\t%s\n", label, r.Unit,
			rangeString(Summarize(r.A), ""), rangeString(Summarize(r.B), ""), toolNames[r.Vs], rangeString(r.Ratio(), "x"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(s.Points) > 0 {
		fmt.Fprintf(w, "\nprecision by point (median over the rounds): benchstat's ± of %d samples of %v, and sec/op\n", o.Count, o.Benchtime)
		fmt.Fprintf(w, "(parbench at %d goroutines; go test's RunParallel runs GOMAXPROCS goroutines)\n\n", o.Goroutines)
		fmt.Fprintln(tw, "point\tparbench ±\tgo test ±\tparbench sec/op\tgo test sec/op\tsec/op ratio")
		for _, p := range s.Points {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", p.Key,
				pct(Summarize(p.SpreadA).Median), pct(Summarize(p.SpreadB).Median),
				seconds(Summarize(p.SecA).Median), seconds(Summarize(p.SecB).Median),
				rangeString(Summarize(Ratios(p.SecA, p.SecB)), "x"))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	goroutinesTable(w, s.Goroutines)
	if s.Elapsed > 0 {
		fmt.Fprintf(w, "\ntook %v (builds %v)\n", s.Elapsed.Round(time.Second), s.Builds.Round(100*time.Millisecond))
	}
	return nil
}

// rangeString writes a Range as "median [min-max]" with three
// significant digits, suffix after each number; "-" for none, and the
// median alone for one round.
func rangeString(r Range, suffix string) string {
	if r.N == 0 {
		return "-"
	}
	if r.N == 1 || r.Min == r.Max {
		return num(r.Median) + suffix
	}
	return fmt.Sprintf("%s%s [%s-%s]", num(r.Median), suffix, num(r.Min), num(r.Max))
}

// num is x with three significant digits, without an exponent for
// everyday magnitudes.
func num(x float64) string {
	switch {
	case math.IsNaN(x) || math.IsInf(x, 0):
		return fmt.Sprint(x)
	case x != 0 && (math.Abs(x) < 1e-3 || math.Abs(x) >= 1e6):
		return fmt.Sprintf("%.3g", x)
	case math.Abs(x) >= 100:
		return fmt.Sprintf("%.0f", x)
	}
	return fmt.Sprintf("%.3g", x)
}

func pct(x float64) string {
	if math.IsNaN(x) {
		return "-"
	}
	return num(x) + "%"
}

// seconds is a time in seconds as benchstat writes one (and the
// report: analysis's fmtSecs).
func seconds(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "-"
	}
	return benchunit.Scale(x, benchunit.ClassOf("sec/op")) + "s"
}

func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
