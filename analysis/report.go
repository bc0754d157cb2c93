package analysis

import (
	"fmt"
	"math"
	"strings"

	"github.com/parbench/parbench/results"
)

// Report is the analysis of a set of results files.
type Report struct {
	// Groups are the curves' owners, one per workload, lock mode, other
	// name keys, machine and workload settings, sorted.
	Groups []*Group
	// Machines is the number of distinct machines among the groups.
	Machines int
	// Confidence is the level of every interval in the report.
	Confidence float64
	// Claims is the number of claims tested across all groups, and FDR
	// the false discovery rate they were controlled at (0: off, each
	// claim at alpha on its own).
	Claims int
	FDR    float64
	// Warnings are findings about the input that are not failures:
	// malformed lines (with file:line), names that do not parse.
	Warnings []error
	// Files are the results files read, in reading order, with their
	// configuration and, after AttachProfiles, their profiles: every
	// format renders from the Report, none reads a file again.
	Files []*File
	// Calibrations are the tables of the calibration files read
	// (`parbench calibrate`), in reading order: CPython beside
	// parbench. A calibration file adds no group.
	Calibrations []*Calibration
	// Served are the served sections (served.go): one per family of
	// groups that differ only in their server shape (the result names'
	// server-workers and server-threads keys), in the groups' order.
	Served []*Served
	// Replicated are the CAP sections (replicated.go): one per family
	// of groups that differ only in their consistency design (the
	// result names' consistency key), in the groups' order.
	Replicated []*Replicated
}

// Machine is where a group's results were measured, from the file
// configuration, the label the file was read with and Options.NCPU.
// Results from two machines are never in one group.
type Machine struct {
	CPU, Host, GOOS, GOARCH string
	// NCPU is the CPUs the process could use (runtime.NumCPU); 0 when
	// neither the file nor Options.NCPU says.
	NCPU int
	// NCPUGiven reports that NCPU is Options.NCPU, not the file's.
	NCPUGiven bool
	// Quota is the cgroup CPU quota as written ("none", "1.5"), or "".
	Quota string
	// Label is the machine's name as Builder.ReadAs was given it, or "".
	Label string
	// File is the one results file the machine's results come from,
	// when nothing else tells it apart from another file's machine: a
	// file whose configuration names no host and no CPU count (go test
	// output) read without a label, or files that disagree (see
	// Builder.Report). "" otherwise.
	File string
}

// CPUs returns the CPUs the results file says the process had: NCPU,
// capped by the quota (rounded up); 0 when unknown.
func (m Machine) CPUs() int {
	n := m.NCPU
	var q float64
	if _, err := fmt.Sscanf(m.Quota, "%g", &q); err == nil && q > 0 && n > 0 {
		n = min(n, max(1, int(math.Ceil(q))))
	}
	return n
}

// String describes the machine in a few words.
func (m Machine) String() string {
	var parts []string
	if m.CPU != "" {
		parts = append(parts, m.CPU)
	}
	switch {
	case m.NCPU > 0:
		s := fmt.Sprintf("%d CPUs", m.NCPU)
		if m.NCPUGiven {
			s += " (as given)"
		} else if m.Quota != "" && m.Quota != "none" {
			s += " (quota " + m.Quota + ")"
		}
		parts = append(parts, s)
	default:
		parts = append(parts, "CPU count unknown")
	}
	if m.Host != "" {
		parts = append(parts, "host "+m.Host)
	}
	if m.GOOS != "" || m.GOARCH != "" {
		parts = append(parts, m.GOOS+"/"+m.GOARCH)
	}
	if m.Label != "" {
		parts = append(parts, "machine "+m.Label)
	}
	if m.File != "" {
		parts = append(parts, "file "+m.File)
	}
	return strings.Join(parts, ", ")
}

// Group is one workload under one lock mode on one machine: its points,
// fits and verdict.
type Group struct {
	Workload string
	// Lock is the lock mode, "" when the names had no /lock= key.
	Lock string
	// Extra holds further name keys, "k=v/k=v".
	Extra   string
	Machine Machine
	// Saturation is, when the machine's CPU count is unknown, the
	// GOMAXPROCS level where the S(p) curve stops rising significantly
	// (see Builder.saturation): the fits and the verdict judge no level
	// beyond it, as they judge none beyond a known CPU count. 0 when the
	// CPU count is known or the curve has a single level.
	Saturation int
	// Scaling is the file's "scaling" ("strong", "weak"), "" if absent.
	Scaling string
	// Settings are the workload settings from the file configuration
	// ("io-latency=1ms ..."), which must match to merge files. A value
	// may hold blanks: read one by key with Setting.
	Settings string
	setting  string // Settings in the key form (settings.go)
	// Class is what bounds the workload, as its file's classes line says
	// (results.LegacyClass for files without one): the verdict's and
	// the plots' rules go by it, never by the workload's name. Not in
	// the JSON.
	Class results.Class
	// Points are sorted by goroutines, then GOMAXPROCS.
	Points []*Point
	// Fits are the laws of Options.Laws fitted to the group, in order.
	Fits Fits
	// Failed are the points whose sample failed (results.NoteFailed),
	// in file order: their samples are not in Points, and the verdict
	// names them.
	Failed []FailedPoint
	// Verdict is the one-line answer.
	Verdict  Verdict
	Warnings []error
}

// Label is the group's name in one line: workload and lock.
func (g *Group) Label() string { return label(g.Workload, g.Lock, g.Extra, "  ") }

// label names a group: its workload, lock and other keys, joined by sep.
func label(workload, lock, extra, sep string) string {
	s := workload
	if lock != "" {
		s += sep + "lock=" + lock
	}
	if extra != "" {
		s += sep + extra
	}
	return s
}

// Point is one (GOMAXPROCS, goroutines) point of a group.
type Point struct {
	Procs int
	// Goroutines is 0 for results without a /goroutines= key (plain
	// `go test -bench` output).
	Goroutines int
	// N is the number of samples.
	N int
	// SecPerOp is the median time per op with its confidence interval
	// (benchmath, order statistics). For weak scaling it is wall time
	// over all ops done, so its inverse is throughput in both settings.
	SecPerOp Estimate
	// Parallel is S(p) = T(1 proc) / T(p procs) at the same goroutines;
	// nil when GOMAXPROCS=1 was not measured at this goroutine count.
	Parallel *Ratio
	// Concurrent is C(G) = T(1 goroutine) / T(G goroutines) at the same
	// GOMAXPROCS; nil when goroutines=1 was not measured at these procs.
	Concurrent *Ratio
	// Metrics are the medians of the other units on the result lines:
	// parallelism, cpu-sec/op, a lock's wait-share.
	Metrics map[string]float64

	secs    []float64
	seq     []roundSample        // the samples in the order read, with their rounds (secs is sorted)
	samples map[string][]float64 // the other units' samples
}

// Ratio is a speedup of a point over its baseline point.
type Ratio struct {
	// Base is the baseline's level: procs for Parallel, goroutines for
	// Concurrent (always 1 today). BaseN is its sample count.
	Base, BaseN int
	// Speedup is the ratio of the medians, T(base)/T(point), with a
	// bootstrap confidence interval.
	Speedup Estimate
	// Efficiency is Speedup over the level ratio (S/p, or C/G).
	Efficiency float64
	// KarpFlatt is the experimentally determined serial fraction
	// e = (1/S - 1/p) / (1 - 1/p) (Karp and Flatt, CACM 33(5), 1990),
	// with the interval that Speedup's gives; NaN for the baseline and
	// for Concurrent.
	KarpFlatt Estimate
	// P is the Mann-Whitney U p-value of the point against its baseline
	// (benchmath.AssumeNothing); NaN for the baseline itself.
	P float64
	// Pairs is the count of runner rounds in which both the point and
	// its baseline took a sample, which Speedup's interval resampled as
	// pairs (the package comment's step 4); 0 when they share none and
	// its interval resampled the two points independently.
	Pairs int
}

// Estimate is a value with its uncertainty: a confidence interval
// [Lo, Hi] and a standard error (for bootstrap estimates, the standard
// deviation of the resampled values). Fields are NaN where undefined.
type Estimate struct {
	Value, Lo, Hi, SE float64
}

// Contains reports whether x lies in [Lo, Hi].
func (e Estimate) Contains(x float64) bool { return e.Lo <= x && x <= e.Hi }

// Verdict classes.
const (
	// Parallel: a significant speedup from more GOMAXPROCS.
	VerdictParallel = "parallel"
	// ConcurrentNotParallel: several goroutines but no significant
	// speedup from more GOMAXPROCS.
	VerdictConcurrentNotParallel = "concurrent-not-parallel"
	// NotParallel: one goroutine, or a count the results do not give
	// (go test's -cpu alone), and no significant speedup.
	VerdictNotParallel = "not-parallel"
	// Slower: significantly slower with more GOMAXPROCS.
	VerdictSlower = "slower"
	// NotEnoughSamples: too few samples for the test to reach alpha.
	VerdictNotEnoughSamples = "not-enough-samples"
	// OneLevel: only one GOMAXPROCS level at the verdict's goroutine
	// count, so there is no curve to judge.
	VerdictOneLevel = "one-level"
	// Retrograde: the speedup peaks below the judged GOMAXPROCS and
	// really falls from the peak by the judged level.
	VerdictRetrograde = "retrograde"
	// Inconclusive: the file's own figures show that other threads (or
	// the hypervisor) took the machine's CPUs during the judged point and
	// its baseline, so a lack of speedup there proves nothing; or no gain
	// is significant but the interval does not rule out half the ideal
	// speedup, too noisy to call it not parallel.
	VerdictInconclusive = "inconclusive"
	// OpenLoop: the group's clients sent at a fixed rate (the file's
	// results.KeyRate setting, `parbench run --rate`), so its
	// throughput is the rate offered, not what the procs or goroutines
	// could serve, and nothing is judged from its sec/op.
	VerdictOpenLoop = "open-loop"
)

// Verdict is a group's answer to "did concurrency become parallel
// speedup?".
type Verdict struct {
	// Class is one of the Verdict* constants.
	Class string
	// Procs and Goroutines are the point judged against GOMAXPROCS=1.
	Procs, Goroutines int
	// Text is the verdict in one line, without the group's label: the
	// verdict, its speedup and interval at the judged point, then why.
	Text string
	// Head is the start of Text: the verdict, its speedup and interval,
	// and for "not parallel" and "inconclusive" the reason in a few
	// words, without the p-values and detail that follow (the summary
	// table's cell).
	Head string
	// Notes are the other claims made about the group, such as a gain
	// from more goroutines.
	Notes []string
	// Limits name what limits the speedup, where the data show it.
	Limits []string
	// Flags are results that should not be believed as they stand,
	// such as a speedup beyond the CPUs the file reports; each once.
	Flags []string
	// Failed names the group's failed points (Group.Failed), whose
	// samples the verdict does not use.
	Failed []string
	// Claims are the statements the verdict tested, made or not, with
	// their p-values before and after the report's corrections.
	Claims []Claim
}

// Claim is one statement a verdict may make and the test behind it.
// Every claim meets the same bar: its adjusted p-value passes (below the
// false discovery rate, or below alpha when that is off), its interval
// excludes no effect and the effect is at least Options.MinEffect.
type Claim struct {
	// Kind is what the claim is about: "parallel" or "slower" (the main
	// verdict), "peak", "concurrency", "oversubscription-goroutines",
	// "oversubscription-procs" or "beyond" (a speedup beyond the procs
	// or the CPUs).
	Kind string
	// Text is the claim in words; "" for a family with no real effect.
	Text string
	// P is the claim's p-value, after Holm's correction within its
	// family for a scan of several points; PAdjusted is P after the
	// Benjamini-Hochberg correction across every claim of the report
	// (equal to P when Options.FDR is 0).
	P, PAdjusted float64
	// Effect reports whether the effect part of the bar holds (the
	// interval and the noise floor); Made whether the whole bar holds,
	// the p-value too, and the claim is in the verdict.
	Effect, Made bool
}

// String returns the verdict in one line with its notes, limits, flags
// and failed points (the JSON's "verdict").
func (v Verdict) String() string {
	s := v.Text
	for _, l := range v.Lines() {
		s += "; " + l
	}
	return s
}

// Lines returns what follows the verdict's Text, one item a line: the
// notes, the limits, then each flag ("FLAG: ...") and each failed point
// ("FAILED: ...").
func (v Verdict) Lines() []string {
	var lines []string
	lines = append(lines, v.Notes...)
	lines = append(lines, v.Limits...)
	for _, f := range v.Flags {
		lines = append(lines, "FLAG: "+f)
	}
	for _, f := range v.Failed {
		lines = append(lines, "FAILED: "+f)
	}
	return lines
}

// Summary is the verdict's cell in the summary table: Head, then how
// many limits, flags and failed points the group's section lists.
func (v Verdict) Summary() string {
	s := v.Head
	var more []string
	count := func(n int, one, many string) {
		switch {
		case n == 1:
			more = append(more, "1 "+one)
		case n > 1:
			more = append(more, fmt.Sprintf("%d %s", n, many))
		}
	}
	count(len(v.Failed), "point failed", "points failed")
	count(len(v.Flags), "flag", "flags")
	count(len(v.Limits), "limit", "limits")
	count(len(v.Notes), "more finding", "more findings")
	if len(more) > 0 {
		s += "; " + strings.Join(more, ", ")
	}
	return s
}
