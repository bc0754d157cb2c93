package analysis

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchunit"

	"github.com/parbench/parbench/results"
)

// A calibration (`parbench calibrate`) puts real CPython and parbench's
// simulated lock side by side, behaviour by behaviour, several rounds of
// each (see package results for its file). The calibration table says,
// for each figure, whether parbench reproduces CPython:
//
//  1. Each side's figure is the median of its rounds.
//  2. The tolerance is CPython's own run-to-run spread, (max-min)/median
//     of its rounds, and never less than the figure's floor
//     (CalibrationFloor). With three rounds a side, the range of three
//     samples is about 1.7 standard deviations of one and the difference
//     of two medians of three about 1.0, so a difference within CPython's
//     range is what noise alone gives about nine times in ten.
//  3. A figure matches when parbench's median is within the tolerance of
//     CPython's, relative to CPython's. Within a tolerance above
//     NoisyTolerance a figure is Noisy, not a match; outside any it
//     differs; with fewer than MinCalibrationRounds CPython rounds or no
//     parbench round it is not judged.

// Match is the calibration table's verdict on one figure.
type Match int

const (
	// MatchNone: a side has no rounds (a failed point, a program that
	// printed nothing), or CPython's median is 0.
	MatchNone Match = iota
	// Matches: parbench is within the tolerance of CPython.
	Matches
	// Differs: parbench is further from CPython than the tolerance.
	Differs
	// Noisy: parbench lies within CPython's spread, but that spread
	// is over NoisyTolerance, so the match says little.
	Noisy
)

func (m Match) String() string {
	switch m {
	case Matches:
		return "match"
	case Differs:
		return "DIFFERS"
	case Noisy:
		return "noisy"
	}
	return "n/a"
}

// NoisyTolerance is the tolerance above which a figure within it is
// Noisy rather than a match: when CPython's own rounds differ by more
// than half their median, a match would say little. A figure outside
// even that tolerance still differs.
const NoisyTolerance = 0.5

// MinCalibrationRounds is the fewest CPython rounds a figure is judged
// on: the spread of one round is zero and says nothing (a Python program
// that failed in some rounds, or a run cut short, leaves fewer).
const MinCalibrationRounds = 2

// CalibrationFloor returns the least tolerance of a figure, a fraction
// of CPython's median. A spread of three rounds can be near zero by
// chance, and parbench's ops are not CPython's (a sha256 block is not a
// bytecode loop), so a difference below 10% is not a difference in the
// lock's behaviour that three rounds could show on a shared machine. A
// p99 of 1,000 ops rests on its 10 slowest, so its floor is 25%.
func CalibrationFloor(figure string) float64 {
	if strings.HasPrefix(figure, "p99") {
		return 0.25
	}
	return 0.10
}

// CalibrationRow is one figure of a calibration: CPython's rounds and
// parbench's, and the verdict.
type CalibrationRow struct {
	Behaviour, Figure string
	// Python is the CPython version the figure calibrates against.
	Python string
	// Unit is the unit of the figure's values.
	Unit string
	// CPython, Parbench and Model are the rounds of each side, in file
	// order; Model has a value only where a simple model predicts one.
	CPython, Parbench, Model []float64
	// Floor, Spread and Tolerance are fractions of CPython's median:
	// the floor (CalibrationFloor), CPython's spread (max-min)/median,
	// and the larger of the two.
	Floor, Spread, Tolerance float64
	// Diff is (parbench - CPython) / CPython, of the medians.
	Diff  float64
	Match Match
}

// CPythonMedian, ParbenchMedian and ModelValue are the medians of each
// side's rounds; NaN without rounds.
func (r *CalibrationRow) CPythonMedian() float64  { return median(r.CPython) }
func (r *CalibrationRow) ParbenchMedian() float64 { return median(r.Parbench) }
func (r *CalibrationRow) ModelValue() float64     { return median(r.Model) }

// Calibration is the table of one calibration file.
type Calibration struct {
	// File is the file's name; Machine its machine in a few words.
	File, Machine string
	Rows          []*CalibrationRow
}

// FigureValue is one round of one figure, as the file holds it.
type FigureValue struct {
	results.Figure
	Value float64
	Unit  string
}

// NewCalibration builds the table of one file's figure values: one row
// per behaviour, figure and CPython version, in the order they first
// appear, each judged as the package comment of calibrate.go says.
func NewCalibration(file, machine string, vals []FigureValue) *Calibration {
	c := &Calibration{File: file, Machine: machine}
	rows := map[[3]string]*CalibrationRow{}
	for _, v := range vals {
		k := [3]string{v.Behaviour, v.Figure.Figure, v.Python}
		r := rows[k]
		if r == nil {
			r = &CalibrationRow{Behaviour: v.Behaviour, Figure: v.Figure.Figure, Python: v.Python, Unit: v.Unit}
			rows[k] = r
			c.Rows = append(c.Rows, r)
		}
		switch v.Impl {
		case results.ImplCPython:
			r.CPython = append(r.CPython, v.Value)
		case results.ImplParbench:
			r.Parbench = append(r.Parbench, v.Value)
		case results.ImplModel:
			r.Model = append(r.Model, v.Value)
		}
	}
	for _, r := range c.Rows {
		r.judge()
	}
	return c
}

func (r *CalibrationRow) judge() {
	r.Floor = CalibrationFloor(r.Figure)
	r.Spread, r.Tolerance, r.Diff = math.NaN(), math.NaN(), math.NaN()
	cm, pm := r.CPythonMedian(), r.ParbenchMedian()
	if len(r.CPython) < MinCalibrationRounds || len(r.Parbench) == 0 || cm == 0 || math.IsNaN(cm) || math.IsNaN(pm) {
		r.Match = MatchNone
		return
	}
	r.Spread = (slices.Max(r.CPython) - slices.Min(r.CPython)) / math.Abs(cm)
	r.Tolerance = math.Max(r.Floor, r.Spread)
	r.Diff = (pm - cm) / math.Abs(cm)
	switch {
	case math.Abs(r.Diff) > r.Tolerance:
		r.Match = Differs
	case r.Tolerance > NoisyTolerance:
		r.Match = Noisy
	default:
		r.Match = Matches
	}
}

// fmtFigure formats one value of a figure in its unit: seconds scaled
// as benchstat does (5.21ms), a speedup as 0.86x, a rate as 125/s.
func fmtFigure(v float64, unit string) string {
	switch {
	case math.IsNaN(v):
		return "-"
	case unit == "sec":
		return benchunit.Scale(v, benchunit.Decimal) + "s"
	case unit == "x":
		return fmt.Sprintf("%.2fx", v)
	case strings.HasPrefix(unit, "/") && math.Abs(v) >= 100:
		return fmt.Sprintf("%.0f%s", v, unit)
	case strings.HasPrefix(unit, "/"):
		return fmt.Sprintf("%.3g%s", v, unit)
	}
	return fmt.Sprintf("%.3g %s", v, unit)
}

// fmtSide formats one side's rounds: the median, and the range when
// the rounds differ, "5.21ms (5.10ms to 5.40ms)".
func fmtSide(xs []float64, unit string) string {
	if len(xs) == 0 {
		return "-"
	}
	s := fmtFigure(median(xs), unit)
	if lo, hi := slices.Min(xs), slices.Max(xs); lo != hi {
		s += " (" + fmtFigure(slices.Min(xs), unit) + " to " + fmtFigure(slices.Max(xs), unit) + ")"
	}
	return s
}

func fmtPct(x float64) string {
	if math.IsNaN(x) {
		return "-"
	}
	return fmt.Sprintf("%+.0f%%", 100*x)
}

// tolText says what the tolerance is made of: "±12% (spread)" or
// "±10% (floor)".
func (r *CalibrationRow) tolText() string {
	if math.IsNaN(r.Tolerance) {
		return "-"
	}
	if r.Spread > r.Floor {
		return fmt.Sprintf("±%.0f%% (CPython's spread)", 100*r.Tolerance)
	}
	return fmt.Sprintf("±%.0f%% (floor)", 100*r.Tolerance)
}

// table returns the calibration table: the CPython version, behaviour, figure, CPython,
// parbench, model, difference, tolerance, match.
func (c *Calibration) table() *table {
	t := &table{head: []string{"python", "behaviour", "figure", "CPython", "parbench", "model", "diff", "tolerance", "match"}}
	for _, r := range c.Rows {
		t.add(r.Python, r.Behaviour, r.Figure, fmtSide(r.CPython, r.Unit), fmtSide(r.Parbench, r.Unit),
			fmtSide(r.Model, r.Unit), fmtPct(r.Diff), r.tolText(), r.Match.String())
	}
	return t
}

// Counts returns how many rows match, differ, are noisy and cannot be
// judged.
func (c *Calibration) Counts() (match, differ, noisy, none int) {
	for _, r := range c.Rows {
		switch r.Match {
		case Matches:
			match++
		case Differs:
			differ++
		case Noisy:
			noisy++
		default:
			none++
		}
	}
	return
}

// Summary is the table's verdict in one line.
func (c *Calibration) Summary() string {
	m, d, n, x := c.Counts()
	s := fmt.Sprintf("%d of %d figures match CPython, %d differ", m, len(c.Rows), d)
	if n > 0 {
		s += fmt.Sprintf(", %d too noisy to tell", n)
	}
	if x > 0 {
		s += fmt.Sprintf(", %d not measured on both sides", x)
	}
	return s
}

// CalibrationHelp explains the table's columns: the reports print it
// under each table.
const CalibrationHelp = `CPython and parbench: median of the rounds (lowest to highest); model: what a simple model predicts.
diff: parbench against CPython; tolerance: CPython's own spread over its rounds, at least the floor
(10%, 25% for a p99); a figure differs when diff is outside it, and within it matches, or is noisy when that spread exceeds 50%.`

// WriteText writes the table as aligned text.
func (c *Calibration) WriteText(w io.Writer) error {
	fmt.Fprintf(w, "== calibration: CPython beside parbench (%s) ==\n", c.File)
	if c.Machine != "" {
		fmt.Fprintf(w, "machine: %s\n", c.Machine)
	}
	fmt.Fprintf(w, "%s\n\n", c.Summary())
	if err := c.table().text(w, "  "); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\n%s\n", CalibrationHelp)
	return err
}

// WriteMarkdown writes the table as Markdown.
func (c *Calibration) WriteMarkdown(w io.Writer) error {
	fmt.Fprintf(w, "## Calibration: CPython beside parbench\n\n`%s`", c.File)
	if c.Machine != "" {
		fmt.Fprintf(w, ", %s", c.Machine)
	}
	fmt.Fprintf(w, ". %s.\n\n", c.Summary())
	c.table().markdown(w)
	_, err := fmt.Fprintf(w, "\n%s\n", CalibrationHelp)
	return err
}

// Table returns the table's header and rows as strings, for a page
// (package htmlreport) to lay out.
func (c *Calibration) Table() (head []string, rows [][]string) {
	t := c.table()
	return t.head, t.rows
}

// calibFile is what the Builder keeps of one calibration file.
type calibFile struct {
	name    string
	machine Machine
	vals    []FigureValue
}

// addCalibration takes res if it comes from a calibration file (its
// configuration has results.KeyCalibrate): a figure goes into the
// file's table, and any other line of the file (CPython's own lines,
// parbench's results) is left to benchstat. It reports whether it took
// res.
func (b *Builder) addCalibration(res *benchfmt.Result) bool {
	if res.GetConfig(results.KeyCalibrate) == "" {
		return false
	}
	file, line := res.Pos()
	if n := len(b.calib); n == 0 || b.calib[n-1].name != file {
		b.calib = append(b.calib, calibFile{name: file, machine: machineOf(res)})
	}
	cf := &b.calib[len(b.calib)-1]
	f, ok, err := results.ParseFigure(string(res.Name))
	switch {
	case err != nil:
		b.warnCause(file, line, "bad figure", fmt.Sprintf("%v; line skipped", err))
		return true
	case !ok:
		return true
	}
	if len(res.Values) == 0 || math.IsNaN(res.Values[0].Value) || math.IsInf(res.Values[0].Value, 0) {
		b.warnCause(file, line, "bad figure value", fmt.Sprintf("calibration figure %s has no finite value; line skipped", res.Name))
		return true
	}
	cf.vals = append(cf.vals, FigureValue{Figure: f, Value: res.Values[0].Value, Unit: res.Values[0].Unit})
	return true
}

// calibrations returns the table of each calibration file read.
func (b *Builder) calibrations() []*Calibration {
	var out []*Calibration
	for _, cf := range b.calib {
		out = append(out, NewCalibration(cf.name, cf.machine.String(), cf.vals))
	}
	return out
}
