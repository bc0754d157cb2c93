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

	"github.com/parbench/parbench/results"
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
		row := []string{g.Label(), g.Verdict.Summary()}
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
// percentiles, how far an open loop's clients fell behind its rate,
// the webapp's conflicts, retries and lost updates, the process workers'
// start-up). The runtime's and the noise figures stay out of the table;
// benchstat compares them.
var tableUnits = []string{
	"parallelism", "wait-share", unitTxLockWait,
	"p50-sec", "p90-sec", "p99-sec", "max-sec", results.UnitBehind, "ops/s",
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
		d := 100 * math.Max(e.Hi-e.Value, e.Value-e.Lo) / e.Value
		switch {
		case math.IsNaN(d) || math.IsInf(d, 0):
			s += " ± ∞"
		case d >= 1e4:
			s += " ±>9999%"
		default:
			s += fmt.Sprintf(" ±%.0f%%", d)
		}
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

// fmtBracket formats an estimate's interval for a legend: [0.09, 0.11],
// or "" when it has none.
func fmtBracket(e Estimate) string {
	if math.IsNaN(e.Lo) || math.IsInf(e.Lo, 0) || math.IsNaN(e.Hi) || math.IsInf(e.Hi, 0) {
		return ""
	}
	return "[" + fmtNum(e.Lo) + ", " + fmtNum(e.Hi) + "]"
}

// fitLines describes a group's fits in words: one line per law tried
// (an ok fit's parameters and what they mean, a poor fit's best try, or
// why there is no fit), then the fits' notes.
func fitLines(g *Group, confidence float64) []string {
	var lines []string
	curve := func(fi *FitInfo) string {
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
	gof := func(fi *FitInfo) string {
		return fmt.Sprintf("R² %s, rms error %.1f%%", fmtNum(fi.R2), 100*fi.RMSRelErr)
	}
	for _, f := range g.Fits {
		fi, name := f.Info(), f.Law().Name()
		switch fi.Status {
		case FitOK:
			lines = append(lines, fmt.Sprintf("%s (%s): %s; %s", name, curve(fi), f.summary(g, confidence), gof(fi)))
		case FitPoorFit:
			// No ceiling or peak follows a fit the data reject, only
			// the law's best try.
			lines = append(lines, fmt.Sprintf("%s (%s): poor fit, the law does not describe these data (%s); its best try: %s; %s",
				name, curve(fi), fi.Reason, f.params(confidence), gof(fi)))
		case FitNotApplicable:
		default:
			lines = append(lines, fmt.Sprintf("%s: %s: %s", name, strings.ReplaceAll(fi.Status, "-", " "), fi.Reason))
		}
	}
	for _, f := range g.Fits {
		if n, ok := f.(noter); ok {
			lines = append(lines, n.notes(g, confidence)...)
		}
	}
	return lines
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
	for _, c := range r.Calibrations {
		if err := c.WriteText(w); err != nil {
			return err
		}
		fmt.Fprintln(w)
	}
	if len(r.Calibrations) > 0 && len(r.Groups) == 0 {
		return writeWarnings(w, r.Warnings, "")
	}
	fmt.Fprintf(w, "parbench report: %d group%s on %d machine%s; %s\n\n", len(r.Groups), plural(len(r.Groups)), r.Machines, plural(r.Machines), r.ClaimsSummary())
	if err := r.verdictTable().text(w, ""); err != nil {
		return err
	}
	if s := r.unknownClass(); s != "" {
		fmt.Fprintf(w, "\n%s\n", s)
	}
	for _, g := range r.Groups {
		fmt.Fprintf(w, "\n== %s ==\n", g.Label())
		fmt.Fprintf(w, "machine: %s\n", g.machineLine())
		if s := groupSettings(g); s != "" {
			fmt.Fprintf(w, "settings: %s\n", s)
		}
		if s := classLine(g); s != "" {
			fmt.Fprintf(w, "class: %s\n", s)
		}
		fmt.Fprintln(w)
		if err := pointTable(g, confidence).text(w, "  "); err != nil {
			return err
		}
		fmt.Fprintln(w)
		for _, l := range fitLines(g, confidence) {
			fmt.Fprintf(w, "fit: %s\n", l)
		}
		fmt.Fprintf(w, "verdict: %s\n", g.Verdict.Text)
		for _, l := range g.Verdict.Lines() {
			fmt.Fprintf(w, "  %s\n", l)
		}
	}
	for _, sv := range r.Served {
		fmt.Fprintf(w, "\n== server shapes: %s ==\n", sv.Label())
		for _, l := range servedHead(sv) {
			fmt.Fprintln(w, l)
		}
		fmt.Fprintln(w)
		if err := servedTable(sv, confidence).text(w, "  "); err != nil {
			return err
		}
		fmt.Fprintln(w)
		for _, l := range sv.Lines {
			fmt.Fprintln(w, l)
		}
	}
	for _, rp := range r.Replicated {
		fmt.Fprintf(w, "\n== %s: %s ==\n", rp.Title(), rp.Label())
		fmt.Fprintln(w, replicatedHead(rp))
		fmt.Fprintln(w)
		if err := replicatedTable(rp).text(w, "  "); err != nil {
			return err
		}
		fmt.Fprintln(w)
		for _, l := range rp.Lines {
			fmt.Fprintln(w, l)
		}
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

// classLine marks a group of unknown class, or is "" when the class is
// known; Report.unknownClass says once, above the groups, what that
// leaves out.
func classLine(g *Group) string {
	if g.Class != results.ClassUnknown {
		return ""
	}
	return "unknown (see the note above the groups)"
}

// unknownClass names the groups of unknown class and what they miss, or
// is "": the verdict never guesses a class from a name, so the checks
// that hold for one kind of work only are not made for them.
func (r *Report) unknownClass() string {
	var names []string
	for _, g := range r.Groups {
		if g.Class == results.ClassUnknown {
			names = append(names, strings.Join(strings.Fields(g.Label()), " "))
		}
	}
	if len(names) == 0 {
		return ""
	}
	which, them := "every group", "them"
	if len(names) < len(r.Groups) {
		const most = 10
		if len(names) > most {
			names = append(names[:most], fmt.Sprintf("%d more", len(names)-most))
		}
		which = strings.Join(names, ", ")
	}
	if len(names) == 1 {
		them = "it"
	}
	if len(r.Groups) == 1 {
		which = "the group"
	}
	return fmt.Sprintf("class unknown for %s (no classes line names %s), so the checks that hold for one kind of work only are not made: oversubscription of CPU work, memory bandwidth, the throughput bound of waiting work", which, them)
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
	for _, c := range r.Calibrations {
		if err := c.WriteMarkdown(w); err != nil {
			return err
		}
		fmt.Fprintln(w)
	}
	if len(r.Calibrations) > 0 && len(r.Groups) == 0 {
		return writeMarkdownWarnings(w, r.Warnings)
	}
	fmt.Fprintf(w, "## parbench report\n\n%d group%s on %d machine%s; %s.\n\n", len(r.Groups), plural(len(r.Groups)), r.Machines, plural(r.Machines), r.ClaimsSummary())
	r.verdictTable().markdown(w)
	if s := r.unknownClass(); s != "" {
		fmt.Fprintf(w, "\n%s.\n", strings.ToUpper(s[:1])+s[1:])
	}
	for _, g := range r.Groups {
		fmt.Fprintf(w, "\n### %s\n\n", g.Label())
		fmt.Fprintf(w, "Machine: %s.", g.machineLine())
		if s := groupSettings(g); s != "" {
			fmt.Fprintf(w, " Settings: `%s`.", s)
		}
		if s := classLine(g); s != "" {
			fmt.Fprintf(w, " Class: %s.", s)
		}
		fmt.Fprint(w, "\n\n")
		pointTable(g, confidence).markdown(w)
		fmt.Fprintln(w)
		for _, l := range fitLines(g, confidence) {
			fmt.Fprintf(w, "- Fit: %s\n", l)
		}
		fmt.Fprintf(w, "- **Verdict:** %s\n", g.Verdict.Text)
		for _, l := range g.Verdict.Lines() {
			fmt.Fprintf(w, "  - %s\n", l)
		}
	}
	for _, sv := range r.Served {
		fmt.Fprintf(w, "\n### Server shapes: %s\n\n", sv.Label())
		head := servedHead(sv)
		for i, l := range head {
			k, v, _ := strings.Cut(l, ": ")
			if k == "settings" {
				v = "`" + v + "`"
			}
			if i == len(head)-1 {
				k, v = strings.ToUpper(l[:1]), l[1:]
			} else {
				k = strings.ToUpper(k[:1]) + k[1:] + ": "
			}
			fmt.Fprintf(w, "%s%s.", k, v)
			if i < len(head)-1 {
				fmt.Fprint(w, " ")
			}
		}
		fmt.Fprint(w, "\n\n")
		servedTable(sv, confidence).markdown(w)
		fmt.Fprintln(w)
		for _, l := range sv.Lines {
			fmt.Fprintf(w, "- %s\n", l)
		}
	}
	for _, rp := range r.Replicated {
		fmt.Fprintf(w, "\n### %s: %s\n\n%s\n\n", rp.Title(), rp.Label(), strings.ReplaceAll(replicatedHead(rp), "\n", "\n\n"))
		replicatedTable(rp).markdown(w)
		fmt.Fprintln(w)
		for _, l := range rp.Lines {
			fmt.Fprintf(w, "- %s\n", l)
		}
	}
	return writeMarkdownWarnings(w, r.Warnings)
}

func writeMarkdownWarnings(w io.Writer, warns []error) error {
	if len(warns) > 0 {
		fmt.Fprintf(w, "\n### Warnings\n\n")
		for _, e := range warns {
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
