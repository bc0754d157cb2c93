package analysis

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/parbench/parbench/results"
)

// Replicated is the CAP section of one family of groups that differ
// only in their consistency design.
//
// A replicated workload (`parbench run --consistency`,
// workloads.Replicated) runs each sample in three phases, healthy,
// partitioned and healed (results.Phases), and its lines carry
// per-phase figures: availability (results.UnitAvail), the partitioned
// phase's availability on each side of the cut (results.UnitAvailMinority,
// results.UnitAvailMajority), latency percentiles of the answered
// requests (results.UnitP50, results.UnitP99), and per sample the stale
// reads, the acknowledged increments lost after the heal, the increments
// of unknown outcome, the time to converge and porcupine's
// linearizability verdict. The result names carry the design under the
// key results.KeyConsistency. The section puts the designs of one family
// side by side: groups that differ only in that key (the same machine,
// workload, lock, other name keys, scaling and settings). A group is a
// design because its name has the key and its lines have the units,
// never because of its workload's name.
//
// Each design is read at one point, chosen before looking at the
// figures: the largest goroutine count, and at it the largest GOMAXPROCS
// within the machine's CPUs (the largest of all where none is within
// them). The figures are medians over the point's samples, with their
// range (smallest to largest sample).
//
// # The words and their evidence
//
// What the section says of a design is a statement about counts, not a
// statistical claim, except for the latency comparison:
//
//   - "gave up availability while partitioned" when, in every sample,
//     fewer than half the requests of the cut-off side's clients were
//     answered (avail-minority's largest sample below 0.5); "stayed
//     available" when every sample answered at least 99% of every
//     phase's requests, and of both sides' while partitioned; otherwise
//     the figures alone. Under faults crash (the middle phase killed
//     the cut-off side's nodes) neither: a dead node answers no one
//     under any design, and the line gives both sides' figures.
//   - "gave up consistency" when some sample's history is not
//     linearizable (porcupine found no order) or has a stale read (a
//     read that returned less than the increments acknowledged before it
//     was sent: a violation on its own), and says how many of the stale
//     reads came in the healthy phase (results.UnitStaleReadsIn), where
//     nothing forced the choice; "stayed linearizable" when every
//     sample was checked, linearizable, with no stale read.
//   - "lost N acknowledged increments" when some sample lost any (the
//     count is exact when no increment's outcome is unknown, a lower
//     bound otherwise, and the text says which); "lost none" otherwise.
//   - Between two designs, the healthy phase's median latency is called
//     lower only where the bootstrap interval of the ratio of the two
//     medians (p50-healthy-sec over the samples) lies wholly above 1.
type Replicated struct {
	Workload, Lock string
	// Extra holds the family's other name keys, without the
	// consistency key.
	Extra             string
	Machine           Machine
	Scaling, Settings string
	// Designs are in the order of the groups, one per design.
	Designs []*Design
	// Lines is the section's text after its table.
	Lines []string
}

// Label is the family's name in one line.
func (r *Replicated) Label() string { return label(r.Workload, r.Lock, r.Extra, "  ") }

// Title names the section: "CAP under a partition", or "CAP under a
// crash" where the middle phase killed nodes (faults crash).
func (r *Replicated) Title() string {
	if len(r.Designs) > 0 && r.Designs[0].crashed() {
		return "CAP under a crash"
	}
	return "CAP under a partition"
}

// At returns the point every design was read at, and false where the
// designs were read at different points (their groups' sweeps differ).
func (r *Replicated) At() (procs, goroutines int, ok bool) {
	for i, d := range r.Designs {
		if i > 0 && (d.Point.Procs != procs || d.Point.Goroutines != goroutines) {
			return 0, 0, false
		}
		procs, goroutines = d.Point.Procs, d.Point.Goroutines
	}
	return procs, goroutines, len(r.Designs) > 0
}

// Design is one consistency design of a family, read at its point.
type Design struct {
	Name  string // the consistency key's value: "cp", "ap", ...
	Group *Group
	Point *Point
	// Avail is each phase's availability (results.Phases' order), and
	// Minority and Majority the partitioned phase's by side: medians
	// over the samples, with the range.
	Avail              []Span
	Minority, Majority Span
	// P50 and P99 are each phase's latency percentiles (medians over
	// the samples), NaN where absent.
	P50, P99 []Span
	// StaleReads, LostAcked, UnknownOps are per-sample counts, and
	// Converge the seconds to converge after the heal.
	StaleReads, LostAcked, UnknownOps, Converge Span
	// Election is the seconds from the leader's crash to a new leader
	// (cp under --faults crash, results.UnitElectionSec): N 0 where no
	// sample killed the leader.
	Election Span
	// StaleIn is the stale reads of each phase (results.Phases' order).
	StaleIn []Span
	// Checked is the samples porcupine decided, Linearizable those it
	// found linearizable.
	Checked, Linearizable int
	// Samples is the point's sample count.
	Samples int
}

// Span is a median over samples with the smallest and largest sample;
// N is how many samples had the figure (0: none, the rest NaN), Sum
// their sum.
type Span struct {
	Median, Min, Max, Sum float64
	N                     int
}

func spanOf(xs []float64) Span {
	if len(xs) == 0 {
		return Span{Median: math.NaN(), Min: math.NaN(), Max: math.NaN()}
	}
	s := Span{Median: median(xs), Min: math.Inf(1), Max: math.Inf(-1), N: len(xs)}
	for _, x := range xs {
		s.Min, s.Max, s.Sum = math.Min(s.Min, x), math.Max(s.Max, x), s.Sum+x
	}
	return s
}

// consistencyOf returns the consistency key's value of a group's extra
// keys and the other keys.
func consistencyOf(extra string) (design, rest string, ok bool) {
	var others []string
	for _, kv := range strings.Split(extra, "/") {
		k, v, _ := strings.Cut(kv, "=")
		switch {
		case k == results.KeyConsistency && design == "" && v != "":
			design = v
		case kv != "":
			others = append(others, kv)
		}
	}
	return design, strings.Join(others, "/"), design != ""
}

// replicated builds the CAP sections of the report's groups, in the
// groups' order: one per family of groups with the consistency key
// whose lines carry the phases' availability.
func (b *Builder) replicated(groups []*Group) []*Replicated {
	type family struct {
		workload, lock, extra      string
		machine                    Machine
		scaling, settings, setting string
	}
	fams := map[family]*Replicated{}
	var order []*Replicated
	for _, g := range groups {
		design, rest, ok := consistencyOf(g.Extra)
		if !ok {
			continue
		}
		pt := replicatedPoint(g)
		if pt == nil {
			continue
		}
		k := family{g.Workload, g.Lock, rest, g.Machine, g.Scaling, g.Settings, g.setting}
		r := fams[k]
		if r == nil {
			r = &Replicated{Workload: g.Workload, Lock: g.Lock, Extra: rest, Machine: g.Machine, Scaling: g.Scaling, Settings: g.Settings}
			fams[k] = r
			order = append(order, r)
		}
		r.Designs = append(r.Designs, designOf(design, g, pt))
	}
	for _, r := range order {
		b.judgeReplicated(r)
	}
	return order
}

// replicatedPoint returns the point a design is read at (see the
// section's comment), or nil for a group whose lines have no phase
// availability.
func replicatedPoint(g *Group) *Point {
	cpus := g.Machine.CPUs()
	var best *Point
	for _, p := range g.Points {
		if len(p.samples[results.UnitAvail(results.PhaseHealthy)]) == 0 {
			continue
		}
		if best == nil {
			best = p
			continue
		}
		inP, inB := cpus == 0 || p.Procs <= cpus, cpus == 0 || best.Procs <= cpus
		switch {
		case p.Goroutines != best.Goroutines:
			if p.Goroutines > best.Goroutines {
				best = p
			}
		case inP != inB:
			if inP {
				best = p
			}
		case p.Procs > best.Procs:
			best = p
		}
	}
	return best
}

func designOf(name string, g *Group, p *Point) *Design {
	d := &Design{Name: name, Group: g, Point: p, Samples: p.N}
	for _, ph := range results.Phases {
		d.Avail = append(d.Avail, spanOf(p.samples[results.UnitAvail(ph)]))
		d.P50 = append(d.P50, spanOf(p.samples[results.UnitP50(ph)]))
		d.P99 = append(d.P99, spanOf(p.samples[results.UnitP99(ph)]))
		d.StaleIn = append(d.StaleIn, spanOf(p.samples[results.UnitStaleReadsIn(ph)]))
	}
	d.Minority = spanOf(p.samples[results.UnitAvailMinority])
	d.Majority = spanOf(p.samples[results.UnitAvailMajority])
	d.StaleReads = spanOf(p.samples[results.UnitStaleReads])
	d.LostAcked = spanOf(p.samples[results.UnitLostAcked])
	d.UnknownOps = spanOf(p.samples[results.UnitUnknownOps])
	d.Converge = spanOf(p.samples[results.UnitConvergeSec])
	d.Election = spanOf(p.samples[results.UnitElectionSec])
	for _, v := range p.samples[results.UnitLinearizable] {
		d.Checked++
		if v == 1 {
			d.Linearizable++
		}
	}
	return d
}

// judgeReplicated writes a family's lines: one per design, then the
// latency comparison between designs.
func (b *Builder) judgeReplicated(r *Replicated) {
	for _, d := range r.Designs {
		r.Lines = append(r.Lines, d.Name+": "+d.verdict())
	}
	r.Lines = append(r.Lines, b.pacelc(r)...)
}

// verdict is a design's line: what it gave up in which phase, with the
// numbers (see the section's comment for the rules).
func (d *Design) verdict() string {
	var parts []string
	part, mid := d.Phase(results.PhasePartitioned), d.Phase(results.PhaseHealthy)
	switch {
	case d.crashed() && d.Minority.N > 0:
		// A dead node answers no one, whatever the design: the
		// choice is made by the rest.
		parts = append(parts, fmt.Sprintf("while the cut-off side's nodes were down (crashed, not partitioned), their clients were answered %s, the rest's %s", fmtShare(d.Minority), fmtShare(d.Majority)))
	case d.Minority.N > 0 && d.Minority.Max < 0.5:
		parts = append(parts, fmt.Sprintf("gave up availability while partitioned: the cut-off side's clients were answered %s, the rest's %s", fmtShare(d.Minority), fmtShare(d.Majority)))
	case d.allAvailable():
		parts = append(parts, fmt.Sprintf("stayed available: at least 99%% of requests answered in every phase on both sides (partitioned: %s)", fmtShare(part)))
	case part.N > 0:
		parts = append(parts, fmt.Sprintf("answered %s of requests while partitioned (the cut-off side %s, the rest %s)", fmtShare(part), fmtShare(d.Minority), fmtShare(d.Majority)))
	}
	if mid.N > 0 && mid.Min < 0.99 {
		parts = append(parts, fmt.Sprintf("healthy, it answered %s", fmtShare(mid)))
	}
	stale := d.StaleReads.N > 0 && d.StaleReads.Max > 0
	switch {
	case d.Checked > d.Linearizable || stale:
		s := "gave up consistency:"
		if d.Checked > 0 {
			s += fmt.Sprintf(" %d of %d samples checked not linearizable (porcupine),", d.Checked-d.Linearizable, d.Checked)
		}
		if d.StaleReads.N > 0 {
			s += fmt.Sprintf(" %s stale reads a sample (median; %s in all)", fmtCount(d.StaleReads.Median), fmtCount(d.StaleReads.Sum))
		}
		if h := d.StaleIn[0]; h.N > 0 && h.Sum > 0 {
			s += fmt.Sprintf(", %s of them in the healthy phase, with no partition (%s in all)", fmtCount(h.Median), fmtCount(h.Sum))
		}
		parts = append(parts, strings.TrimSuffix(s, ","))
	case d.Checked == d.Samples && d.Checked > 0 && d.StaleReads.N == d.Samples:
		parts = append(parts, fmt.Sprintf("stayed linearizable: %d of %d samples (porcupine), no stale read", d.Linearizable, d.Checked))
	case d.Checked > 0:
		parts = append(parts, fmt.Sprintf("linearizable in the %d of %d samples porcupine decided in its time", d.Linearizable, d.Samples))
	}
	if n := d.Samples - d.LostAcked.N; n > 0 {
		parts = append(parts, fmt.Sprintf("%d of %d samples' replicas did not agree after the sample, so their lost increments are not counted", n, d.Samples))
	}
	switch unknown := d.UnknownOps.N > 0 && d.UnknownOps.Sum > 0; {
	case d.LostAcked.N > 0 && d.LostAcked.Max > 0:
		s := fmt.Sprintf("lost %s acknowledged increments a sample after the heal (median; %s in all)", fmtCount(d.LostAcked.Median), fmtCount(d.LostAcked.Sum))
		if unknown {
			s += fmt.Sprintf(", at least: %s increments' outcome is unknown", fmtCount(d.UnknownOps.Sum))
		}
		parts = append(parts, s)
	case d.LostAcked.N > 0 && unknown:
		parts = append(parts, fmt.Sprintf("lost no acknowledged increment that the count can see (%s increments' outcome unknown)", fmtCount(d.UnknownOps.Sum)))
	case d.LostAcked.N > 0:
		parts = append(parts, "lost no acknowledged increment")
	}
	if d.Election.N > 0 {
		s := fmt.Sprintf("elected a new leader %s after the leader's crash (median)", fmtSec(d.Election.Median))
		if d.Election.N < d.Samples {
			s = fmt.Sprintf("elected a new leader %s after the leader's crash (median of the %d of %d samples in which a survivor led within the partitioned phase)", fmtSec(d.Election.Median), d.Election.N, d.Samples)
		}
		parts = append(parts, s)
	}
	if d.Converge.N > 0 {
		s := fmt.Sprintf("converged %s after the heal (median)", fmtSec(d.Converge.Median))
		if d.Converge.N < d.Samples {
			s = fmt.Sprintf("converged %s after the heal (median of the %d of %d samples that converged within the healed phase)", fmtSec(d.Converge.Median), d.Converge.N, d.Samples)
		}
		parts = append(parts, s)
	} else if d.Samples > 0 {
		parts = append(parts, "no sample converged within its healed phase")
	}
	if len(parts) == 0 {
		return "no phase figures"
	}
	return strings.Join(parts, "; ")
}

// crashed reports that the design's middle phase killed the cut-off
// side's nodes instead of cutting their links (the faults setting
// crash, `parbench run --faults crash`).
func (d *Design) crashed() bool {
	v, _ := d.Group.Setting(results.KeyFaults)
	return v == "crash"
}

// Phase returns the availability of phase ph.
func (d *Design) Phase(ph string) Span {
	for i, p := range results.Phases {
		if p == ph {
			return d.Avail[i]
		}
	}
	return spanOf(nil)
}

// allAvailable reports that every sample answered at least 99% of the
// requests of every phase, and of both sides while partitioned.
func (d *Design) allAvailable() bool {
	for _, s := range append(slices.Clip(d.Avail), d.Minority, d.Majority) {
		if s.N == 0 || s.Min < 0.99 {
			return false
		}
	}
	return true
}

// minPACELC is the fewest samples a side the latency comparison
// takes: with fewer, a bootstrap interval of two medians is too narrow
// for its level (on identical designs with 20% noise it fired in 35% of
// files at 2 samples a side, 7.5% at 3, 3.5% at 6).
const minPACELC = 6

// pacelc compares the designs' healthy-phase median latency: the
// "else" half of PACELC, where no partition forces a choice and the
// choice is between latency and consistency.
func (b *Builder) pacelc(r *Replicated) []string {
	var lines []string
	unit := results.UnitP50(results.PhaseHealthy)
	ds := slicesSortedByP50(r.Designs)
	if len(ds) < 2 {
		return nil
	}
	fast, slow := ds[0], ds[len(ds)-1]
	a, c := fast.Point.samples[unit], slow.Point.samples[unit]
	if len(a) < minPACELC || len(c) < minPACELC {
		return []string{fmt.Sprintf("healthy (no partition): %s's median latency %s, %s's %s: not compared, with %d and %d samples (at least %d a side)",
			fast.Name, fmtSec(median(a)), slow.Name, fmtSec(median(c)), len(a), len(c), minPACELC)}
	}
	e := ratio(newRand(b.opt.Seed, "pacelc/"+r.Label()+"/"+fast.Name+"/"+slow.Name), c, a, b.opt.Resamples, b.opt.Confidence)
	if !(e.Lo > 1) {
		lines = append(lines, fmt.Sprintf("healthy (no partition): %s's median latency %s and %s's %s do not differ beyond their noise (ratio %s, %d%% CI %s)",
			fast.Name, fmtSec(median(a)), slow.Name, fmtSec(median(c)), fmtX(e.Value), pct(b.opt.Confidence), fmtCI(e)))
	} else {
		lines = append(lines, fmt.Sprintf("healthy (no partition, the \"else\" of PACELC): %s answers in %s at the median, %s in %s: %s lower latency (%d%% CI %s)",
			fast.Name, fmtSec(median(a)), slow.Name, fmtSec(median(c)), fmtX(e.Value), pct(b.opt.Confidence), fmtCI(e)))
	}
	return lines
}

// slicesSortedByP50 returns the designs with a healthy p50, fastest
// first.
func slicesSortedByP50(ds []*Design) []*Design {
	var out []*Design
	for _, d := range ds {
		if d.P50[0].N > 0 {
			out = append(out, d)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].P50[0].Median < out[j].P50[0].Median })
	return out
}

// fmtShare writes an availability span: "100%", or "0% (0-3%)" when
// the samples differ.
func fmtShare(s Span) string {
	if s.N == 0 {
		return "-"
	}
	m := fmt.Sprintf("%.0f%%", 100*s.Median)
	if math.Round(100*s.Min) != math.Round(100*s.Max) {
		m += fmt.Sprintf(" (%.0f-%.0f%%)", 100*s.Min, 100*s.Max)
	}
	return m
}

func fmtCount(x float64) string {
	if x == math.Trunc(x) {
		return fmt.Sprintf("%.0f", x)
	}
	return fmt.Sprintf("%.1f", x)
}

// replicatedTable is the section's table: a row per design, with an
// election column (the median seconds to a new leader after the
// leader's crash) only where a design has one (--faults crash).
func replicatedTable(r *Replicated) *table {
	election := slices.ContainsFunc(r.Designs, func(d *Design) bool { return d.Election.N > 0 })
	head := []string{"design", "healthy", "partitioned", "cut-off side", "rest", "healed", "p50 healthy", "p99 healthy",
		"stale reads", "stale healthy", "lost acked", "unknown", "converge"}
	if election {
		head = append(head, "election")
	}
	t := &table{head: append(head, "linearizable")}
	for _, d := range r.Designs {
		row := []string{d.Name, fmtShare(d.Avail[0]), fmtShare(d.Avail[1]), fmtShare(d.Minority), fmtShare(d.Majority), fmtShare(d.Avail[2]),
			fmtSpanSec(d.P50[0]), fmtSpanSec(d.P99[0]), fmtSpanCount(d.StaleReads), fmtSpanCount(d.StaleIn[0]), fmtSpanCount(d.LostAcked),
			fmtSpanCount(d.UnknownOps), fmtSpanSec(d.Converge)}
		if election {
			row = append(row, fmtSpanSec(d.Election))
		}
		t.add(append(row, fmt.Sprintf("%d of %d", d.Linearizable, d.Checked))...)
	}
	return t
}

// Table returns the section's table as the text report writes it, the
// head row first, then a row per design (the HTML page's table).
func (r *Replicated) Table() [][]string {
	t := replicatedTable(r)
	return append([][]string{t.head}, t.rows...)
}

func fmtSpanSec(s Span) string {
	if s.N == 0 {
		return "-"
	}
	return fmtSec(s.Median)
}

func fmtSpanCount(s Span) string {
	if s.N == 0 {
		return "-"
	}
	return fmtCount(s.Median)
}

// Intro says where the designs were read, what the phases and the
// columns are, and, under faults crash, that the middle phase killed
// nodes: the section's first line in every format.
func (r *Replicated) Intro() string {
	at := "each design at its own point; "
	if procs, g, ok := r.At(); ok {
		at = fmt.Sprintf("at %d procs, %d goroutines (clients); ", procs, g)
	}
	s := at + "availability is the share of requests answered in each phase (the partitioned phase also by the clients' side of the cut); medians over the samples, the range in brackets where they differ"
	if len(r.Designs) > 0 && r.Designs[0].crashed() {
		s += "; with faults crash the middle phase killed the cut-off side's nodes instead of cutting their links, and restarted them at the heal"
	}
	return s
}

// replicatedHead is the text report's head of a section: its Intro and
// its settings.
func replicatedHead(r *Replicated) string {
	s := r.Intro()
	if r.Settings != "" {
		s += "\nsettings: " + r.Settings
	}
	return s
}
