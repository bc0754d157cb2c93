package analysis

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"golang.org/x/perf/benchunit"
)

// table is one table of a report, rendered as aligned text, Markdown or
// CSV.
type table struct {
	head []string
	rows [][]string
}

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

func (t *table) text(w io.Writer, indent string) error {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	for _, r := range append([][]string{t.head}, t.rows...) {
		fmt.Fprintf(tw, "%s%s\n", indent, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

func (t *table) markdown(w io.Writer) {
	esc := func(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
	line := func(r []string) {
		cells := make([]string, len(r))
		for i, c := range r {
			cells[i] = esc(c)
		}
		fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | "))
	}
	line(t.head)
	sep := make([]string, len(t.head))
	for i := range sep {
		sep[i] = "---"
	}
	fmt.Fprintf(w, "|%s|\n", strings.Join(sep, "|"))
	for _, r := range t.rows {
		line(r)
	}
}

// verdictTable is the summary: one line per group.
func (r *Report) verdictTable() *table {
	t := &table{head: []string{"group", "verdict"}}
	if r.Machines > 1 {
		t.head = []string{"machine", "group", "verdict"}
	}
	for _, g := range r.Groups {
		row := []string{g.Label(), g.Verdict.String()}
		if r.Machines > 1 {
			row = append([]string{g.Machine.String()}, row...)
		}
		t.add(row...)
	}
	return t
}

// tableUnits are the units besides time that a group's table shows when
// its results carry them, in this order: what the work did (parallelism),
// what the lock cost, and the workloads' own figures (latency
// percentiles, the webapp's conflicts, retries and lost updates, the
// process workers' start-up). The runtime's and the noise figures stay
// out of the table; benchstat compares them.
var tableUnits = []string{
	"parallelism", "wait-share",
	"p50-sec", "p90-sec", "p99-sec", "max-sec", "ops/s",
	"conflicts/op", "retries/op", "lost-updates", "dup-updates",
	"startup-sec",
}

// extraUnits are the units besides time that a group's table shows:
// those of tableUnits its points have, then any other lock wait share.
func extraUnits(g *Group) []string {
	seen := map[string]bool{}
	for _, p := range g.Points {
		for u := range p.Metrics {
			seen[u] = true
		}
	}
	var units, others []string
	for _, u := range tableUnits {
		if seen[u] {
			units = append(units, u)
		}
	}
	for u := range seen {
		if isShareOfWait(u) && !slices.Contains(units, u) {
			others = append(others, u)
		}
	}
	sort.Strings(others)
	return append(units, others...)
}

// pointTable is a group's points: one row per (goroutines, procs).
func pointTable(g *Group, confidence float64) *table {
	ci := fmt.Sprintf("%d%% CI", pct(confidence))
	t := &table{head: []string{"goroutines", "procs", "sec/op", "S(p)", ci, "eff", "Karp-Flatt", "p", "C(G)", ci, "p", "n"}}
	units := extraUnits(g)
	t.head = append(t.head, units...)
	for _, p := range g.Points {
		gr := "-"
		if p.Goroutines > 0 {
			gr = strconv.Itoa(p.Goroutines)
		}
		row := []string{gr, strconv.Itoa(p.Procs), fmtSecs(p.SecPerOp)}
		row = append(row, ratioCells(p.Parallel, true)...)
		row = append(row, ratioCells(p.Concurrent, false)...)
		row = append(row, strconv.Itoa(p.N))
		for _, u := range units {
			row = append(row, fmtMetric(p.Metrics, u))
		}
		t.add(row...)
	}
	return t
}

// ratioCells formats a ratio: speedup, CI, [efficiency, Karp-Flatt,] p.
func ratioCells(r *Ratio, parallel bool) []string {
	n := 3
	if parallel {
		n = 5
	}
	cells := make([]string, n)
	for i := range cells {
		cells[i] = "-"
	}
	if r == nil {
		return cells
	}
	if math.IsNaN(r.P) {
		cells[0] = "1 (base)"
		if parallel {
			cells[2] = "100%"
		}
		return cells
	}
	cells[0], cells[1] = fmtX(r.Speedup.Value), fmtCI(r.Speedup)
	if parallel {
		cells[2] = fmt.Sprintf("%.0f%%", 100*r.Efficiency)
		cells[3] = fmtNum(r.KarpFlatt.Value)
		cells[4] = fmtP(r.P)
	} else {
		cells[2] = fmtP(r.P)
	}
	return cells
}

// fmtSecs formats a median time per op with its interval as ±%, or
// "± ∞" where there are too few samples for an interval (as benchstat
// writes it, benchmath.Summary.PctRangeString).
func fmtSecs(e Estimate) string {
	s := benchunit.Scale(e.Value, benchunit.ClassOf("sec/op")) + "s"
	if math.IsInf(e.Lo, 0) || math.IsInf(e.Hi, 0) {
		return s + " ± ∞"
	}
	if e.Value > 0 && !math.IsNaN(e.Lo) && !math.IsNaN(e.Hi) {
		d := math.Max(e.Hi-e.Value, e.Value-e.Lo) / e.Value
		s += fmt.Sprintf(" ±%.0f%%", 100*d)
	}
	return s
}

// fmtMetric formats a point's median of unit: seconds scaled like
// benchstat's (13.2µs), other figures to 3 significant digits, "-" when
// the point has none.
func fmtMetric(m map[string]float64, unit string) string {
	v, ok := m[unit]
	if !ok {
		return "-"
	}
	if benchunit.ClassOf(unit) == benchunit.Decimal && strings.HasSuffix(unit, "-sec") {
		return benchunit.Scale(v, benchunit.Decimal) + "s"
	}
	return fmt.Sprintf("%.3g", v)
}

func fmtNum(x float64) string {
	if math.IsNaN(x) {
		return "-"
	}
	if math.IsInf(x, 1) {
		return "inf"
	}
	return strconv.FormatFloat(x, 'g', 3, 64)
}

// fmtEst formats an estimate with its interval: 0.098 (95% CI 0.090-0.105).
func fmtEst(e Estimate, confidence float64) string {
	s := fmtNum(e.Value)
	if !math.IsNaN(e.Lo) && !math.IsNaN(e.Hi) {
		s += fmt.Sprintf(" (%d%% CI %s-%s)", pct(confidence), fmtNum(e.Lo), fmtNum(e.Hi))
	}
	return s
}

// fitLines describes a group's fits in words.
func fitLines(g *Group, confidence float64) []string {
	var lines []string
	curve := func(fi FitInfo) string {
		var ls []string
		for _, l := range fi.Levels {
			ls = append(ls, strconv.Itoa(l))
		}
		on := "goroutines=" + strconv.Itoa(fi.Goroutines)
		if fi.Goroutines == 0 {
			on = "goroutines=procs"
			if g.Scaling != "weak" {
				on = "no goroutine key"
			}
		}
		return fmt.Sprintf("%s, procs %s", on, strings.Join(ls, ","))
	}
	gof := func(fi FitInfo) string {
		return fmt.Sprintf("R² %s, rms error %.1f%%", fmtNum(fi.R2), 100*fi.RMSRelErr)
	}
	// poor opens the line of a fit the data reject: no ceiling or peak
	// follows it, only the law's best try.
	poor := func(name string, fi FitInfo) string {
		return fmt.Sprintf("%s (%s): poor fit, the law does not describe these data (%s); its best try:", name, curve(fi), fi.Reason)
	}
	law := func(name string, f LawFit, maxS bool) {
		switch f.Status {
		case FitOK:
			s := fmt.Sprintf("%s (%s): serial fraction s = %s", name, curve(f.FitInfo), fmtEst(f.SerialFraction, confidence))
			if maxS && f.SerialFraction.Value > 0 {
				s += ceilingClause(g, f)
			}
			lines = append(lines, s+"; "+gof(f.FitInfo))
		case FitPoorFit:
			lines = append(lines, fmt.Sprintf("%s s = %s; %s", poor(name, f.FitInfo), fmtEst(f.SerialFraction, confidence), gof(f.FitInfo)))
		case FitNotApplicable:
		default:
			lines = append(lines, fmt.Sprintf("%s: %s: %s", name, strings.ReplaceAll(f.Status, "-", " "), f.Reason))
		}
	}
	law("Amdahl", g.Fits.Amdahl, true)
	law("Gustafson", g.Fits.Gustafson, false)
	u := g.Fits.USL
	params := fmt.Sprintf("sigma = %s, kappa = %s, lambda = %s ops/s",
		fmtEst(u.Sigma, confidence), fmtEst(u.Kappa, confidence), fmtEst(u.Lambda, confidence))
	switch u.Status {
	case FitOK:
		lines = append(lines, fmt.Sprintf("USL (%s): %s; %s; %s", curve(u.FitInfo), params, peakClause(u, confidence), gof(u.FitInfo)))
	case FitPoorFit:
		lines = append(lines, fmt.Sprintf("%s %s; %s", poor("USL", u.FitInfo), params, gof(u.FitInfo)))
	case FitNotApplicable:
	default:
		lines = append(lines, fmt.Sprintf("USL: %s: %s", strings.ReplaceAll(u.Status, "-", " "), u.Reason))
	}
	// With too few levels for a law, say what the levels there are can.
	if g.Fits.Amdahl.Status == FitTooFewLevels {
		for _, p := range g.Points {
			if p.Goroutines == g.Verdict.Goroutines && p.Procs == g.Verdict.Procs && p.Parallel != nil && p.Procs > 1 {
				lines = append(lines, fmt.Sprintf("what %d levels can say: at %d procs the Karp-Flatt serial fraction is e = %s",
					len(g.Fits.Amdahl.Levels), p.Procs, fmtEst(p.Parallel.KarpFlatt, confidence)))
			}
		}
	}
	return lines
}

// ceilingClause is what an ok Amdahl fit says of its ceiling 1/s: "so
// at most 1/s however many procs", unless a speedup measured on its
// curve already reaches it (checkCeiling has made a fit whose ceiling a
// measured interval passes a poor one).
func ceilingClause(g *Group, f LawFit) string {
	ceil := 1 / f.SerialFraction.Value
	if p := aboveCeiling(g, f.FitInfo, ceil); p != nil {
		return fmt.Sprintf("; no ceiling claimed: the %s measured at %d procs already reaches the 1/s = %s this fit allows",
			fmtX(p.Parallel.Speedup.Value), p.Procs, fmtX(ceil))
	}
	return fmt.Sprintf(", so at most %s however many procs", fmtX(ceil))
}

// peakClause says where an ok USL fit's throughput peaks, in the words
// that are true of its coefficients (see uslPeak).
func peakClause(u USLFit, confidence float64) string {
	sigma, kappa := u.Sigma.Value, u.Kappa.Value
	switch u.PeakWhere {
	case PeakAtOne:
		why := fmt.Sprintf("sigma = %s >= 1: every added proc costs throughput", fmtNum(sigma))
		switch {
		case sigma == 1 && kappa == 0:
			why = "sigma = 1, kappa = 0: added procs add no throughput"
		case sigma < 1:
			why = fmt.Sprintf("N* = sqrt((1-sigma)/kappa) = %s <= 1: every added proc costs throughput", fmtNum(math.Sqrt((1-sigma)/kappa)))
		}
		return fmt.Sprintf("peak at N = 1, %s ops/s (%s)", fmtNum(u.PeakX.Value), why)
	case PeakNone:
		if sigma == 0 {
			return "no peak (sigma = 0, kappa = 0): throughput grows in proportion to N"
		}
		return fmt.Sprintf("no peak (kappa = 0): throughput levels off toward lambda/sigma = %s ops/s", fmtNum(u.PeakX.Value))
	}
	s := fmt.Sprintf("peak at N* = %s procs, %s ops/s", fmtEst(u.PeakN, confidence), fmtNum(u.PeakX.Value))
	if u.PeakWhere == PeakBeyond {
		s += " (beyond the levels measured: an extrapolation)"
	}
	return s
}

// ClaimsSummary says how many claims the verdicts tested and the rule that
// decided which were made.
func (r *Report) ClaimsSummary() string {
	if r.FDR > 0 {
		return fmt.Sprintf("%d claim%s tested, false discovery rate held at %g%% across them (Benjamini-Hochberg; --fdr 0 tests each on its own)",
			r.Claims, plural(r.Claims), 100*r.FDR)
	}
	return fmt.Sprintf("%d claim%s tested, each on its own at alpha (no false discovery rate control: --fdr 0)", r.Claims, plural(r.Claims))
}

// WriteText writes the report as aligned plain text for a terminal.
func (r *Report) WriteText(w io.Writer) error {
	confidence := r.Confidence
	fmt.Fprintf(w, "parbench report: %d group%s on %d machine%s; %s\n\n", len(r.Groups), plural(len(r.Groups)), r.Machines, plural(r.Machines), r.ClaimsSummary())
	if err := r.verdictTable().text(w, ""); err != nil {
		return err
	}
	for _, g := range r.Groups {
		fmt.Fprintf(w, "\n== %s ==\n", g.Label())
		fmt.Fprintf(w, "machine: %s\n", g.machineLine())
		if s := groupSettings(g); s != "" {
			fmt.Fprintf(w, "settings: %s\n", s)
		}
		fmt.Fprintln(w)
		if err := pointTable(g, confidence).text(w, "  "); err != nil {
			return err
		}
		fmt.Fprintln(w)
		for _, l := range fitLines(g, confidence) {
			fmt.Fprintf(w, "fit: %s\n", l)
		}
		fmt.Fprintf(w, "verdict: %s\n", g.Verdict)
	}
	return writeWarnings(w, r.Warnings, "")
}

func groupSettings(g *Group) string {
	var s []string
	if g.Scaling != "" {
		s = append(s, "scaling="+g.Scaling)
	}
	if g.Settings != "" {
		s = append(s, g.Settings)
	}
	return strings.Join(s, " ")
}

func writeWarnings(w io.Writer, warns []error, bullet string) error {
	if len(warns) == 0 {
		return nil
	}
	fmt.Fprintf(w, "\nwarnings:\n")
	const most = 20
	for i, e := range warns {
		if i == most {
			fmt.Fprintf(w, "%s  ... and %d more\n", bullet, len(warns)-most)
			break
		}
		fmt.Fprintf(w, "%s  %v\n", bullet, e)
	}
	return nil
}

// WriteMarkdown writes the report as Markdown: a verdict table, then a
// section per group.
func (r *Report) WriteMarkdown(w io.Writer) error {
	confidence := r.Confidence
	fmt.Fprintf(w, "## parbench report\n\n%d group%s on %d machine%s; %s.\n\n", len(r.Groups), plural(len(r.Groups)), r.Machines, plural(r.Machines), r.ClaimsSummary())
	r.verdictTable().markdown(w)
	for _, g := range r.Groups {
		fmt.Fprintf(w, "\n### %s\n\n", g.Label())
		fmt.Fprintf(w, "Machine: %s.", g.machineLine())
		if s := groupSettings(g); s != "" {
			fmt.Fprintf(w, " Settings: `%s`.", s)
		}
		fmt.Fprint(w, "\n\n")
		pointTable(g, confidence).markdown(w)
		fmt.Fprintln(w)
		for _, l := range fitLines(g, confidence) {
			fmt.Fprintf(w, "- Fit: %s\n", l)
		}
		fmt.Fprintf(w, "- **Verdict:** %s\n", g.Verdict)
	}
	if len(r.Warnings) > 0 {
		fmt.Fprintf(w, "\n### Warnings\n\n")
		for _, e := range r.Warnings {
			fmt.Fprintf(w, "- `%v`\n", e)
		}
	}
	return nil
}

// CSVHeader is the header row of WriteCSV: one row per point.
var CSVHeader = []string{
	"machine", "workload", "lock", "extra", "scaling", "goroutines", "procs", "n",
	"sec_per_op", "sec_per_op_lo", "sec_per_op_hi",
	"speedup", "speedup_lo", "speedup_hi", "efficiency", "karp_flatt", "p_value",
	"concurrency", "concurrency_lo", "concurrency_hi", "concurrency_p_value",
	"verdict",
}

// WriteCSV writes one row per point, with its group's keys and verdict
// class; empty cells where a value is undefined.
func (r *Report) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	f := func(x float64) string {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return ""
		}
		return strconv.FormatFloat(x, 'g', 6, 64)
	}
	for _, g := range r.Groups {
		for _, p := range g.Points {
			row := []string{g.Machine.String(), g.Workload, g.Lock, g.Extra, g.Scaling,
				strconv.Itoa(p.Goroutines), strconv.Itoa(p.Procs), strconv.Itoa(p.N),
				f(p.SecPerOp.Value), f(p.SecPerOp.Lo), f(p.SecPerOp.Hi)}
			if q := p.Parallel; q != nil {
				row = append(row, f(q.Speedup.Value), f(q.Speedup.Lo), f(q.Speedup.Hi), f(q.Efficiency), f(q.KarpFlatt.Value), f(q.P))
			} else {
				row = append(row, "", "", "", "", "", "")
			}
			if q := p.Concurrent; q != nil {
				row = append(row, f(q.Speedup.Value), f(q.Speedup.Lo), f(q.Speedup.Hi), f(q.P))
			} else {
				row = append(row, "", "", "", "")
			}
			row = append(row, g.Verdict.Class)
			if err := cw.Write(row); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}
