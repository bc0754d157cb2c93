package selfbench

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/perf/benchfmt"

	"github.com/parbench/parbench/results"
)

// ReadSummaryFile is ReadSummary of the file at path.
func ReadSummaryFile(path string) (*Summary, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadSummary(f, path)
}

// ReadSummary reads a harness file (what Run wrote) back into the
// Summary that its Table prints: each figure's values round by round,
// in the order the file holds them; the ratios of parbench to Go's
// tools are recomputed from them, so those ratio lines are skipped,
// while the goroutines measure's ratio of parbench to itself is read
// as written. The options are those of
// its KeyHarness line; Elapsed and Builds, which it does not hold, are
// 0. A line that is not a harness figure is an error naming file and
// line.
func ReadSummary(r io.Reader, file string) (*Summary, error) {
	type line map[string]float64 // unit -> value
	seen := map[results.HarnessFigure][]line{}
	var order []results.HarnessFigure
	var key string
	rd := benchfmt.NewReader(results.NewLineReader(r), file)
	for rd.Scan() {
		switch rec := rd.Result().(type) {
		case *benchfmt.SyntaxError:
			return nil, rec
		case *benchfmt.Result:
			f, n := rec.Pos()
			h, ok, err := results.ParseHarnessFigure(string(rec.Name))
			if err == nil && !ok {
				err = fmt.Errorf("%s is not a harness figure", rec.Name)
			}
			if err != nil {
				return nil, fmt.Errorf("%s:%d: %w", f, n, err)
			}
			if key == "" {
				key = rec.GetConfig(results.KeyHarness)
			}
			if h.Vs != "" {
				continue
			}
			if _, ok := seen[h]; !ok {
				order = append(order, h)
			}
			l := line{}
			for _, v := range rec.Values {
				l[v.Unit] = v.Value
			}
			seen[h] = append(seen[h], l)
		}
	}
	if err := rd.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if key == "" {
		return nil, fmt.Errorf("%s: not a harness file (no %q configuration line)", file, results.KeyHarness)
	}
	s := &Summary{Lines: map[string]int{}}
	o, lines, err := parseHarnessKey(key)
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %q: %w", file, results.KeyHarness, key, err)
	}
	s.Options = o
	// get is a figure's values in unit, round by round (NaN where a
	// round's line lacks it), times scale.
	get := func(h results.HarnessFigure, unit string, scale float64) []float64 {
		var xs []float64
		for _, l := range seen[h] {
			v, ok := l[unit]
			if !ok {
				v = math.NaN()
			}
			xs = append(xs, v*scale)
		}
		return xs
	}
	fig := func(measure, subject, tool string, procs int) results.HarnessFigure {
		return results.HarnessFigure{Measure: measure, Subject: subject, Tool: tool, Procs: procs}
	}

	runner, testingB := fig(results.HarnessEmptyOp, "", results.ToolRunner, 0), fig(results.HarnessEmptyOp, "", results.ToolTestingB, 0)
	if seen[runner] != nil || seen[testingB] != nil {
		s.Rows = append(s.Rows, Row{Measure: results.HarnessEmptyOp, Label: "empty op", Tool: results.ToolRunner, Vs: results.ToolTestingB, Unit: "ns",
			A: get(runner, "sec/op", 1e9), B: get(testingB, "sec/op", 1e9)})
	}

	for _, h := range order {
		if h.Measure != results.HarnessPrecision || h.Subject == "" {
			continue
		}
		k := Key{h.Subject, h.Procs}
		i := slices.IndexFunc(s.Points, func(p PointRow) bool { return p.Key == k })
		if i < 0 {
			s.Points = append(s.Points, PointRow{Key: k})
			i = len(s.Points) - 1
		}
		p := &s.Points[i]
		switch h.Tool {
		case results.ToolParbench:
			p.SpreadA, p.SecA = get(h, results.UnitCIPct, 1), get(h, "sec/op", 1)
		case results.ToolGoTest:
			p.SpreadB, p.SecB = get(h, results.UnitCIPct, 1), get(h, "sec/op", 1)
		}
	}
	par, gt := fig(results.HarnessPrecision, "", results.ToolParbench, 0), fig(results.HarnessPrecision, "", results.ToolGoTest, 0)
	if seen[par] != nil || seen[gt] != nil {
		row := func(label string, detail bool, unit, fileUnit string) Row {
			return Row{Measure: results.HarnessPrecision, Label: label, Detail: detail, Tool: results.ToolParbench, Vs: results.ToolGoTest, Unit: unit,
				A: get(par, fileUnit, 1), B: get(gt, fileUnit, 1)}
		}
		s.Rows = append(s.Rows,
			row("precision ±·√wall", false, "%·√s", results.UnitPrecision),
			row("± (median of the points)", true, "%", results.UnitCIPct),
			row(fmt.Sprintf("wall (%d points x %d x %v)", len(s.Points), s.Options.Count, s.Options.Benchtime), true, "s", results.UnitWallSec))
	}

	var subjects []string
	for _, h := range order {
		if h.Measure == results.HarnessReport && !slices.Contains(subjects, h.Subject) {
			subjects = append(subjects, h.Subject)
		}
	}
	for _, sub := range subjects {
		s.Rows = append(s.Rows, Row{Measure: results.HarnessReport, Label: "report " + sub, Subject: sub, Tool: results.ToolParbench, Vs: results.ToolBenchstat, Unit: "s",
			A: get(fig(results.HarnessReport, sub, results.ToolParbench, 0), "sec/op", 1),
			B: get(fig(results.HarnessReport, sub, results.ToolBenchstat, 0), "sec/op", 1)})
	}
	s.Goroutines = goroutineRows(order, func(h results.HarnessFigure, unit string) []float64 { return get(h, unit, 1) })
	if lines > 0 {
		s.Lines["reference"] = lines
		s.Lines[fmt.Sprintf("reference-%dx", o.Copies)] = lines * o.Copies
	}
	return s, nil
}

// parseInts reads harnessKey's "1,2": positive integers.
func parseInts(v string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(v, ",") {
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q: want positive integers separated by commas", v)
		}
		out = append(out, n)
	}
	return out, nil
}

// parseHarnessKey reads the options and the reference's line count
// that harnessKey wrote; a field it does not know is left out, for
// files of a later parbench.
func parseHarnessKey(v string) (o Options, referenceLines int, err error) {
	for _, f := range strings.Fields(v) {
		k, val, ok := strings.Cut(f, "=")
		if !ok {
			return o, 0, fmt.Errorf("%q: want key=value", f)
		}
		atoi := func(p *int) {
			if *p, err = strconv.Atoi(val); err == nil && *p < 0 {
				err = errors.New("negative")
			}
		}
		dur := func(p *time.Duration) { *p, err = time.ParseDuration(val) }
		switch k {
		case "rounds":
			atoi(&o.Rounds)
		case "count":
			atoi(&o.Count)
		case "goroutines":
			atoi(&o.Goroutines)
		case "copies":
			atoi(&o.Copies)
		case "reference-lines":
			atoi(&referenceLines)
		case "benchtime":
			dur(&o.Benchtime)
		case "empty-op-time":
			dur(&o.EmptyOpTime)
		case "measures":
			o.Measures = strings.Split(val, ",")
		case "many-goroutines":
			o.ManyGoroutines, err = parseInts(val)
		case "many-procs":
			o.ManyProcs, err = parseInts(val)
		}
		if err != nil {
			return o, 0, fmt.Errorf("%s: %w", k, err)
		}
	}
	return o, referenceLines, nil
}
