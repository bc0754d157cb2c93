package analysis

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/parbench/parbench/results"
	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchmath"
)

// This file decides which results share a curve (the machine of a
// result, files merged or kept apart) and warns about what the files
// leave unsaid: a GOMAXPROCS suffix that may be part of the name, a CPU
// count nobody gave, an interval that needs more samples.

// position is a file:line.
type position struct {
	file string
	line int
}

// machineOf reads the machine of a result: the file's configuration,
// the label the file was read with (ReadAs), and Options.NCPU.
func (b *Builder) machineOf(res *benchfmt.Result, file string) Machine {
	m := machineOf(res)
	switch {
	case b.label != "":
		m.Label = b.label
	case m.Host == "" && m.NCPU == 0:
		// go test output: nothing in the header tells two machines
		// apart (a cpu line names a model, not a machine), so each
		// file is its own machine unless a label says otherwise.
		m.File = file
	}
	if b.opt.NCPU > 0 {
		m.NCPU, m.Quota, m.NCPUGiven = b.opt.NCPU, "", true
	}
	return m
}

// nameProcs is what a parsed name says of its GOMAXPROCS, read the
// same way for a result (Add) and a failure note (readFailures).
type nameProcs struct {
	procs  int      // the key's, else the suffix's, else 1 (go test omits the suffix at GOMAXPROCS=1)
	extra  []string // the name's other keys, as key=value
	suffix int      // the -N suffix, 0 without one
	key    string   // the /gomaxprocs= value
	hasKey bool
	badKey bool // the key is not a positive integer: procs is not the key's
}

// readProcs reads pt's GOMAXPROCS: a /gomaxprocs=N key (written by some
// tools instead of, or beside, go test's -N suffix) wins over the
// suffix, and leaves the other keys.
func readProcs(pt results.Point) nameProcs {
	np := nameProcs{procs: pt.Procs, suffix: pt.Procs}
	for _, kv := range pt.Extra {
		if strings.EqualFold(kv.Key, "gomaxprocs") && !np.hasKey {
			np.key, np.hasKey = kv.Value, true
			continue
		}
		np.extra = append(np.extra, kv.Key+"="+kv.Value)
	}
	if np.hasKey {
		if n, err := strconv.Atoi(np.key); err == nil && n > 0 && n <= 1<<20 {
			np.procs = n
		} else {
			np.badKey = true
		}
	}
	if np.procs == 0 {
		np.procs = 1
	}
	return np
}

// noteSuffix records a name read with a -N suffix, for nameWarnings.
func (b *Builder) noteSuffix(name string, pos position) {
	i := strings.LastIndexByte(name, '-')
	if i < 0 {
		return
	}
	if _, ok := b.suffixed[name]; !ok {
		b.suffixed[name] = pos
		b.suffixOrder = append(b.suffixOrder, name)
	}
	b.bases[name[:i]] = true
}

// nameWarnings warns about names whose -N suffix is probably part of
// the name: go test writes no suffix at GOMAXPROCS=1, so
// "Decode/blk-64" from `go test -cpu 1,2` is blk-64 at one proc, but it
// reads as blk at 64 procs. The tell is that the same name also has
// results with a suffix ("Decode/blk-64-2"). The results stay where the
// name puts them: the warning says so rather than guess.
func (b *Builder) nameWarnings() []error {
	var warns []error
	for _, name := range b.suffixOrder {
		if !b.bases[name] {
			continue
		}
		i := strings.LastIndexByte(name, '-')
		pos := b.suffixed[name]
		warns = append(warns, &Warning{File: pos.file, Line: pos.line, Msg: fmt.Sprintf(
			"%s: the %s suffix reads as GOMAXPROCS=%s, but %s-N results exist too: %s is probably part of the name, and these are GOMAXPROCS=1 results (go test writes no suffix at 1); they are analysed as %s at %s procs, so rename the sub-benchmark (e.g. %s)",
			name, name[i:], name[i+1:], name, name[i:], name[:i], name[i+1:], suggestKey(name))})
	}
	return warns
}

// suggestKey suggests a key=value spelling of a name's last part:
// "Decode/blk-64" -> "Decode/blk=64".
func suggestKey(name string) string {
	i := strings.LastIndexByte(name, '-')
	return name[:i] + "=" + name[i+1:]
}

// merged returns the samples by group with the files of each group
// joined into one curve, unless two files disagree at a point: then
// they are two machines, and each file becomes its own group, with a
// warning. Same-machine runs of one benchmark agree within their noise;
// runs that do not are two machines (or one machine under two loads),
// and one merged point would hide that as noise.
//
// It also returns each group's workload class: that of its first file
// in reading order (the files of one workload agree unless one of them
// predates the classes line and the workload's class was not its
// legacy one).
func (b *Builder) merged() (map[groupKey]map[level]*cell, map[groupKey]results.Class, map[groupKey][]FailedPoint, []error) {
	byKey := map[groupKey][]groupKey{} // merged key -> its files' keys
	for k := range b.samples {
		mk := k
		mk.file = ""
		byKey[mk] = append(byKey[mk], k)
	}
	mks := make([]groupKey, 0, len(byKey))
	for mk := range byKey {
		mks = append(mks, mk)
	}
	sort.Slice(mks, func(i, j int) bool { return keyLess(mks[i], mks[j]) })
	out := map[groupKey]map[level]*cell{}
	classes := map[groupKey]results.Class{}
	failed := map[groupKey][]FailedPoint{}
	var warns []error
	for _, mk := range mks {
		fks := byKey[mk]
		sort.Slice(fks, func(i, j int) bool { return b.files[fks[i].file] < b.files[fks[j].file] })
		if w := b.disagree(mk, fks); w != nil {
			warns = append(warns, w)
			for _, fk := range fks {
				k := mk
				k.machine.File = fk.file
				addCells(out, k, b.samples[fk])
				classes[k] = b.classes[fk]
				failed[k] = append(failed[k], b.failures[fk]...)
			}
			continue
		}
		for i, fk := range fks {
			addCells(out, mk, b.samples[fk])
			for _, f := range b.failures[fk] {
				if !measuredLater(b.samples, fks[i+1:], level{f.Procs, f.Goroutines}) {
					failed[mk] = append(failed[mk], f)
				}
			}
		}
		classes[mk] = b.classes[fks[0]]
	}
	return out, classes, failed, warns
}

// measuredLater reports whether one of the later files fks has samples
// at lv: the point was measured again (the rerun that parbench prints
// after a failure), so its failure in an earlier file is history, not a
// gap in the curve.
func measuredLater(samples map[groupKey]map[level]*cell, fks []groupKey, lv level) bool {
	for _, fk := range fks {
		if c := samples[fk][lv]; c != nil && len(c.secs) > 0 {
			return true
		}
	}
	return false
}

// addCells appends the samples of cells to out[k], copying them, so
// that Report can be called again.
func addCells(out map[groupKey]map[level]*cell, k groupKey, cells map[level]*cell) {
	g := out[k]
	if g == nil {
		g = map[level]*cell{}
		out[k] = g
	}
	for lv, c := range cells {
		d := g[lv]
		if d == nil {
			d = &cell{metrics: map[string][]float64{}}
			g[lv] = d
		}
		d.secs = append(d.secs, c.secs...)
		d.seq = append(d.seq, c.seq...)
		for u, vs := range c.metrics {
			d.metrics[u] = append(d.metrics[u], vs...)
		}
	}
}

// disagree returns a warning if two of a group's files disagree at a
// point they share: the Mann-Whitney p-value between the two files'
// samples, Holm-adjusted over every point and pair of files the group
// compares (two runs of one machine share many points, and one of many
// differs at p < 0.05 by chance), is below alpha, and the medians are
// at least MinEffect apart. Nil if they agree or share no point.
func (b *Builder) disagree(k groupKey, fks []groupKey) error {
	type test struct {
		i, j   int
		lv     level
		mx, my float64
		p      float64
		effect bool
	}
	var tests []test
	for i := range fks {
		for j := i + 1; j < len(fks); j++ {
			x, y := b.samples[fks[i]], b.samples[fks[j]]
			var lvs []level
			for lv := range x {
				if y[lv] != nil {
					lvs = append(lvs, lv)
				}
			}
			sort.Slice(lvs, func(a, c int) bool {
				if lvs[a].goroutines != lvs[c].goroutines {
					return lvs[a].goroutines < lvs[c].goroutines
				}
				return lvs[a].procs < lvs[c].procs
			})
			for _, lv := range lvs {
				xs, ys := x[lv].secs, y[lv].secs
				mx, my := median(xs), median(ys)
				tests = append(tests, test{i, j, lv, mx, my, compare(xs, ys, &b.opt.Thresholds), math.Max(mx/my, my/mx)-1 >= b.opt.MinEffect})
			}
		}
	}
	ps := make([]float64, len(tests))
	for n, t := range tests {
		ps[n] = t.p
	}
	adj := holm(ps)
	for n, t := range tests {
		if !(adj[n] < b.opt.Thresholds.CompareAlpha) || !t.effect {
			continue
		}
		at := fmtAt(t.lv.procs, t.lv.goroutines)
		return &Warning{Msg: fmt.Sprintf(
			"%s: %s and %s disagree at %s (%s vs %s per op, %s, %.3f Holm-adjusted over %d comparisons): reported as two machines, one per file, not as one noisy point (one machine under two loads disagrees too)",
			keyLabel(k), fks[t.i].file, fks[t.j].file, at, fmtTime(t.mx), fmtTime(t.my), fmtP(t.p), adj[n], len(tests))}
	}
	return nil
}

// keyLabel names a group in a warning: workload, lock and other keys.
func keyLabel(k groupKey) string { return label(k.workload, k.lock, k.extra, " ") }

// fmtTime formats a time per op as benchstat does: 1.50µs.
func fmtTime(secs float64) string {
	return strings.TrimSpace(fmtSecs(Estimate{Value: secs, Lo: math.NaN(), Hi: math.NaN()}))
}

// groupWarnings are the report's warnings about its groups: the CPU
// count unknown (once per machine, naming where each curve was cut)
// and an interval that needs more samples (once, as benchstat's
// footnote).
func (b *Builder) groupWarnings(groups []*Group) []error {
	var warns []error
	var machines []Machine
	cuts := map[Machine][]string{}
	for _, g := range groups {
		if g.Machine.CPUs() > 0 {
			continue
		}
		if _, ok := cuts[g.Machine]; !ok {
			machines = append(machines, g.Machine)
			cuts[g.Machine] = nil
		}
		if g.Saturation > 0 {
			cuts[g.Machine] = append(cuts[g.Machine], fmt.Sprintf("%s at %d", keyLabel(groupKey{workload: g.Workload, lock: g.Lock, extra: g.Extra}), g.Saturation))
		}
	}
	for _, m := range machines {
		msg := fmt.Sprintf("%s: no ncpu line (go test writes none) and none given, so no GOMAXPROCS level is known to be beyond the CPUs", m)
		if cs := cuts[m]; len(cs) > 0 {
			msg += "; each curve's fits and verdict stop at the last GOMAXPROCS level that was significantly faster than every level below it: " + strings.Join(cs, ", ")
		}
		msg += "; give the CPU count (Options.NCPU, parbench report --ncpu N) to judge against the machine"
		warns = append(warns, &Warning{Msg: msg})
	}
	for _, g := range groups {
		for _, p := range g.Points {
			if !math.IsInf(p.SecPerOp.Lo, 0) && !math.IsInf(p.SecPerOp.Hi, 0) {
				continue
			}
			s := benchmath.AssumeNothing.Summary(benchmath.NewSample(p.secs, &b.opt.Thresholds), b.opt.Confidence)
			why := fmt.Sprintf("too few samples for a confidence interval at level %v", b.opt.Confidence)
			if len(s.Warnings) > 0 {
				why = s.Warnings[0].Error()
			}
			warns = append(warns, &Warning{Msg: fmt.Sprintf("± ∞: %s (%s at %d procs has %d)", why, g.Label(), p.Procs, p.N)})
			return warns // once, as benchstat's footnote
		}
	}
	return warns
}
