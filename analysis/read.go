package analysis

import (
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/parbench/parbench/results"
	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchmath"
	"golang.org/x/perf/benchproc"
)

// Options configures an analysis. Start from DefaultOptions: fields will
// be added, and the zero value of a new one may not be a sensible default.
type Options struct {
	// Filter keeps only the results and measurements it matches, in
	// benchproc filter syntax (as benchstat's -filter):
	// "/lock:none .unit:sec/op", "/goroutines:(1 OR 8)". Empty keeps all.
	Filter string
	// Confidence is the level of every interval, e.g. 0.95.
	Confidence float64
	// Thresholds holds the significance level of the Mann-Whitney U
	// tests (benchmath's CompareAlpha).
	Thresholds benchmath.Thresholds
	// Resamples is the number of bootstrap resamples behind each
	// interval of a ratio and each fit's uncertainty.
	Resamples int
	// Seed seeds the bootstrap. The same seed on the same files gives
	// the same report, byte for byte.
	Seed uint64
	// MinLevels is the fewest GOMAXPROCS levels (N=1 included) a fit
	// of Amdahl's or Gustafson's law needs; MinLevelsUSL the same for
	// the USL. A fit needs more levels than parameters, or it passes
	// through every point and says nothing about its own error.
	MinLevels, MinLevelsUSL int
	// MinEffect is the smallest change of a speedup from 1x that a
	// verdict calls a gain or a loss, however small its p-value: on a
	// shared machine a few percent is noise that does not average out.
	MinEffect float64
	// WaitShare is the lock wait share (a unit such as "wait-share",
	// the fraction of goroutine time spent waiting for the lock) above
	// which the lock is named as the limiting factor.
	WaitShare float64
	// MaxCV and MaxSteal flag a verdict as unreliable when the samples
	// of the judged point or its baseline spread more than MaxCV (a
	// robust coefficient of variation: the median absolute deviation,
	// scaled by 1.4826 to estimate a normal standard deviation, over the
	// median), or when the share of CPU time stolen by the hypervisor
	// (the runner's steal-frac unit) exceeds MaxSteal.
	MaxCV, MaxSteal float64
	// NCPU, when positive, is the CPU count of every file read: it sets
	// the count where a file has no ncpu line (go test output has none)
	// and overrides the file's ncpu and cpu-quota where it has one. 0
	// reads the count from each file; where a file does not say, each
	// curve is judged only up to where it stops rising
	// (Group.Saturation).
	NCPU int
	// FDR is the false discovery rate at which the claims of all the
	// report's verdicts are controlled together (Benjamini-Hochberg):
	// a file of many groups is many chances of a false alarm. 0 turns
	// it off, and each claim is then tested at CompareAlpha on its own.
	FDR float64
	// Laws are the scalability laws fitted to each group, in the order
	// of Group.Fits; nil fits DefaultLaws().
	Laws []Law
}

// DefaultOptions returns 95% intervals, alpha 0.05, 1000 resamples,
// seed 1, 3 levels for Amdahl and Gustafson, 4 for the USL, a 3% minimum
// effect, a 10% wait share, and a verdict flagged unreliable beyond a 10%
// coefficient of variation or 5% CPU steal.
func DefaultOptions() Options {
	return Options{
		Confidence:   0.95,
		Thresholds:   benchmath.DefaultThresholds,
		Resamples:    1000,
		Seed:         1,
		MinLevels:    3,
		MinLevelsUSL: 4,
		MinEffect:    0.03,
		WaitShare:    0.1,
		MaxCV:        0.10,
		MaxSteal:     0.05,
		FDR:          0.05,
	}
}

// ErrNoResults is returned by Builder.Report when the input held no
// benchmark result with a time per op.
var ErrNoResults = errors.New("no benchmark results with a time per op (want lines such as \"BenchmarkX-2  1000  1.5e-06 sec/op\" or \"... 1500 ns/op\")")

// Warning is a finding about the input that is not a failure: a
// malformed line, a result name that does not parse, a value that
// cannot be a time. File and Line are empty when it has no position.
type Warning struct {
	File string
	Line int
	Msg  string
	// More counts the further lines of the file with the same problem,
	// the last of them at line Last: one cause is one warning, whatever
	// the number of lines that have it.
	More, Last int
}

func (w *Warning) Error() string {
	s := w.Msg
	if w.File != "" || w.Line != 0 {
		s = fmt.Sprintf("%s:%d: %s", w.File, w.Line, w.Msg)
	}
	if w.More > 0 {
		s += fmt.Sprintf(" (and %d more line%s like it, the last at line %d)", w.More, plural(w.More), w.Last)
	}
	return s
}

// Builder collects results from any number of files and builds a Report.
type Builder struct {
	opt      Options
	filter   *benchproc.Filter
	samples  map[groupKey]map[level]*cell // by file: Report merges them
	files    map[string]int               // file name -> reading order
	label    string                       // the machine label of the file ReadAs reads
	once     map[string]bool              // warnings given once per file and name
	groups   []*Group                     // the report's groups, while Report judges them
	boots    map[bootKey]Estimate         // the verdict's bootstrap ratios, while Report judges them (bootRatio)
	warnings []error
	results  int
	// fileList holds each file ReadAs read, in reading order.
	fileList []*File
	// classes is the workload class of each file's group (file set);
	// classLines caches the parsed classes lines by file and line.
	classes    map[groupKey]results.Class
	classLines map[string]results.ClassMap
	// suffixed are the names read with a -N suffix (first position),
	// bases those names without it: see nameWarnings.
	suffixed    map[string]position
	suffixOrder []string
	bases       map[string]bool
	// causes holds the warning of each cause by file (see warnCause);
	// failures the failed points (NoteFailed) by the file's group key,
	// orphans those with no group.
	causes   map[string]*Warning
	failures map[groupKey][]FailedPoint
	orphans  []error
	// conf is what Add last derived from a file configuration.
	conf confCache
	// calib holds the figures of each calibration file (a
	// results.KeyCalibrate line), by file in reading order.
	calib []calibFile
	// seg numbers the run segment being read (see round); noted says
	// a run's opening note (calibration or resumed) came since confOf
	// last derived a configuration, so the results after it keep the
	// round contract; unpaired holds the files whose samples pair with
	// none (see pairable).
	seg      uint32
	noted    bool
	unpaired map[string]bool
}

// groupKey says which samples may share a curve: same workload, lock,
// other name keys, machine and workload settings. The Builder keeps
// each file's samples apart (file); Report merges the files of one
// group unless they disagree (merged).
type groupKey struct {
	workload, lock, extra string
	machine               Machine
	settings              string
	// setting is settings in the key form (settings.go), which keeps
	// each value whole: settings' blanks cannot tell a value's words
	// from the next setting.
	setting string
	scaling string
	file    string
}

// level is one point of a group: GOMAXPROCS and goroutines.
type level struct{ procs, goroutines int }

// cell holds the samples of one point.
type cell struct {
	secs    []float64
	metrics map[string][]float64
	// seq is secs in the order read, each with its round (secs is
	// sorted in place by benchmath); name is the result name the
	// cell's rounds were counted from, seg and ord the segment and the
	// count of its last sample (see round).
	seq  []roundSample
	name string
	seg  uint32
	ord  uint32
}

// A round names the runner's round that took a sample: its run segment
// (Builder.seg) in the high 32 bits, and the sample's place among its
// point's samples in that segment, from 1, in the low ones. In a file
// that keeps the round contract (results' package comment), the k-th
// sample of every point of a segment was taken in the segment's k-th
// round, beside each other point's k-th: the paired bootstrap (ratio)
// resamples such rounds whole. 0 is no round: a sample that pairs with
// none.
type round uint64

// roundSample is one sample, in the order read, with its round.
type roundSample struct {
	round round
	secs  float64
}

// settingKeys are the file configuration keys, beyond the machine, that
// change what one op costs; files that differ in them are not merged.
var settingKeys = results.SettingKeys()

// NewBuilder returns a Builder, or an error if opt.Filter does not parse
// or opt.NCPU is negative.
func NewBuilder(opt Options) (*Builder, error) {
	if opt.NCPU < 0 || opt.NCPU > 1<<20 {
		return nil, fmt.Errorf("NCPU %d: want a positive CPU count, or 0 to read it from each file", opt.NCPU)
	}
	b := &Builder{opt: opt, samples: map[groupKey]map[level]*cell{}, files: map[string]int{},
		once: map[string]bool{}, suffixed: map[string]position{}, bases: map[string]bool{},
		classes: map[groupKey]results.Class{}, classLines: map[string]results.ClassMap{},
		causes: map[string]*Warning{}, failures: map[groupKey][]FailedPoint{}, unpaired: map[string]bool{}}
	if opt.Filter != "" {
		f, err := benchproc.NewFilter(opt.Filter)
		if err != nil {
			return nil, fmt.Errorf("filter %q: %w", opt.Filter, err)
		}
		b.filter = f
	}
	return b, nil
}

// Read reads one results file. Malformed lines become warnings (with the
// file:line of benchfmt.SyntaxError) and reading goes on; the error is
// only for a failure to read.
//
// The file's machine is what its configuration lines say (cpu, host,
// ncpu, cpu-quota, goos, goarch). Where they cannot tell machines apart
// (no host and no ncpu line, as in go test output), the file is a
// machine of its own: two such files never share a curve. ReadAs names
// the machine instead.
func (b *Builder) Read(r io.Reader, fileName string) error {
	return b.ReadAs(r, fileName, "")
}

// ReadAs reads one results file as Read does, measured on the machine
// named label. Files read with the same label and the same machine
// configuration share curves, whatever their names; different labels
// keep them apart, as different machines. An empty label is Read.
//
// Besides the samples, the Builder keeps what the file says of itself
// (Report.Files): its configuration and its count of results, so that
// no one needs to read the file again.
func (b *Builder) ReadAs(r io.Reader, fileName, label string) error {
	b.label = label
	first := len(b.warnings)
	f := &File{Name: fileName, Label: label}
	b.fileList = append(b.fileList, f)
	defer func() { b.label = "" }()
	// benchfmt reads no line longer than 64 KiB (results.MaxLine):
	// the LineReader shortens such lines, so that one does not stop the
	// file, and keeps the notes, which no result carries.
	lr := results.NewLineReader(r)
	rd := benchfmt.NewReader(lr, fileName)
	notes := 0 // lr.Notes before this one are counted (see round)
	for rd.Scan() {
		switch rec := rd.Result().(type) {
		case *benchfmt.SyntaxError:
			file, line := rec.Pos()
			b.warnings = append(b.warnings, &Warning{File: file, Line: line, Msg: rec.Msg})
			b.unpaired[fileName] = true // a lost line may have been a sample
		case *benchfmt.Result:
			f.add(rec)
			// A run starts with a calibration note, a resumed run's
			// part with a resumed note: each starts a segment.
			_, line := rec.Pos()
			for ; notes < len(lr.Notes) && lr.Notes[notes].Line < line; notes++ {
				if k := lr.Notes[notes].Key; k == results.NoteCalibration || k == results.NoteResumed {
					b.seg++
					b.noted = true
					b.conf.config = nil // the next result's confOf sees it
				}
			}
			if b.addCalibration(rec) || b.skipHarness(rec) {
				continue
			}
			b.Add(rec)
		}
	}
	if err := rd.Err(); err != nil {
		return fmt.Errorf("reading %s: %w", fileName, err)
	}
	for _, l := range lr.Long {
		switch {
		case l.Result:
			b.unpaired[fileName] = true
			b.warnCause(fileName, l.Line, "long result", fmt.Sprintf("a result line of %d bytes, longer than the %d a results file may hold (benchfmt's limit); result skipped", l.Len, results.MaxLine))
		case l.Key != "" && !results.IsNoteKey(l.Key):
			b.warnCause(fileName, l.Line, "long config", fmt.Sprintf("the %s line is %d bytes; its value is read as its first KiB, its length and its hash", l.Key, l.Len))
		}
	}
	b.readFailures(fileName, lr.Notes)
	// The long lines were found beside benchfmt: put the file's warnings
	// in line order.
	sort.SliceStable(b.warnings[first:], func(i, j int) bool {
		return warningLine(b.warnings[first+i]) < warningLine(b.warnings[first+j])
	})
	return nil
}

// warningLine returns the line of a *Warning, 0 for another error.
func warningLine(err error) int {
	if w, ok := err.(*Warning); ok {
		return w.Line
	}
	return 0
}

// skipHarness leaves out res if it comes from a harness file (its
// configuration has results.KeyHarness): such a file measures
// parbench's own harness beside Go's tools, figures that benchstat
// reads and that no speedup or verdict is made of. It says so once per
// file and reports whether it left res out.
func (b *Builder) skipHarness(res *benchfmt.Result) bool {
	if res.GetConfig(results.KeyHarness) == "" {
		return false
	}
	file, line := res.Pos()
	b.warnCause(file, line, "harness file", "a harness file (make bench-harness) measures parbench itself, not a workload: read it with go tool benchstat -col /tool; line skipped")
	return true
}

// warnCause warns about one cause of trouble in a file once: the first
// line that has it, and a count of the others (Warning.More).
func (b *Builder) warnCause(file string, line int, cause, msg string) {
	k := file + "\x00" + cause
	if w := b.causes[k]; w != nil {
		w.More++
		w.Last = line
		return
	}
	w := &Warning{File: file, Line: line, Msg: msg}
	b.causes[k] = w
	b.warnings = append(b.warnings, w)
}

// Add adds one result. It rewrites res.Values in place (times per op
// in other units become sec/op, for the filter) but keeps no reference
// to res once it returns.
func (b *Builder) Add(res *benchfmt.Result) {
	file, line := res.Pos()
	warn := func(format string, args ...any) {
		b.warnings = append(b.warnings, &Warning{File: file, Line: line, Msg: fmt.Sprintf(format, args...)})
	}
	cause := func(kind, format string, args ...any) {
		b.warnCause(file, line, kind, fmt.Sprintf(format, args...))
	}
	// Times per op in other units become sec/op before the filter, so
	// that ".unit:sec/op" keeps them.
	var units []string
	for i, v := range res.Values {
		if f, ok := timeUnits[v.Unit]; ok {
			res.Values[i] = benchfmt.Value{Value: v.Value * f, Unit: "sec/op", OrigValue: v.Value, OrigUnit: v.Unit}
		}
		if !slices.Contains(units, res.Values[i].Unit) {
			units = append(units, res.Values[i].Unit)
		}
	}
	// warnOnce warns about one kind of problem once per file and name:
	// every sample of a benchmark has it.
	warnOnce := func(kind, format string, args ...any) {
		k := file + "\x00" + string(res.Name) + "\x00" + kind
		if !b.once[k] {
			b.once[k] = true
			warn(format, args...)
		}
	}
	if b.filter != nil {
		m, err := b.filter.Match(res)
		if err != nil {
			warn("filter: %v", err)
			return
		}
		if !m.Apply(res) {
			return
		}
	}
	// Values that cannot be measurements drop the whole result: a line
	// with a negative iteration count or an hour per op is damaged, and
	// its other figures are no better.
	if !slices.Contains(units, "sec/op") {
		b.unpaired[file] = true // a skipped sample leaves the counts of rounds behind
		cause("no time "+strings.Join(units, " "), "%s: no time per op among its units (%s); result ignored (want sec/op, ns/op, us/op, µs/op, ms/op or s/op)",
			res.Name, strings.Join(units, ", "))
		return
	}
	secs, ok := res.Value("sec/op")
	if !ok {
		return // filtered out
	}
	if res.Iters <= 0 {
		b.unpaired[file] = true
		cause("iters", "%s: iteration count %d, want a positive count; result skipped", res.Name, res.Iters)
		return
	}
	if !(secs > 0) || math.IsInf(secs, 0) {
		b.unpaired[file] = true
		cause("time", "%s: time per op %v is not a positive number; result skipped", res.Name, secs)
		return
	}
	if secs > MaxSecPerOp {
		b.unpaired[file] = true
		cause("hour", "%s: time per op %v s is beyond an hour, not a benchmark's; result skipped", res.Name, secs)
		return
	}
	if n := countUnit(res, "sec/op"); n > 1 {
		warnOnce("sec/op", "%s: %d times per op on one line; only the first (%s) is used", res.Name, n, fmtTime(secs))
	}
	pt, err := results.ParseName(string(res.Name.Full()))
	if err != nil {
		b.unpaired[file] = true
		warn("%v; sample skipped", err)
		return
	}
	np := readProcs(pt)
	if np.badKey {
		b.unpaired[file] = true
		warn("%s: gomaxprocs=%q is not a positive integer; sample skipped", res.Name, np.key)
		return
	}
	if np.hasKey && np.suffix > 0 && np.suffix != np.procs {
		warnOnce("gomaxprocs", "%s: the name's gomaxprocs=%d and its -%d suffix disagree; read as GOMAXPROCS=%d, as the key says", res.Name, np.procs, np.suffix, np.procs)
	}
	pt.Procs = np.procs
	extra := np.extra
	conf := b.confOf(res, file)
	m := conf.machine
	if suffix := np.suffix; suffix > 0 && !np.hasKey {
		b.noteSuffix(string(res.Name), position{file, line})
		if cpus := conf.cpus; cpus > 0 && suffix > 4*cpus {
			warnOnce("suffix", "%s: the -%d suffix reads as GOMAXPROCS=%d, more than 4 times the %d CPUs; if -%d is part of the name (go test writes no suffix at GOMAXPROCS=1), rename the sub-benchmark (e.g. %s)",
				res.Name, suffix, suffix, cpus, suffix, suggestKey(string(res.Name)))
		}
	}
	key := groupKey{
		workload: pt.Workload,
		lock:     pt.Lock,
		extra:    strings.Join(extra, "/"),
		machine:  m,
		settings: conf.settings,
		setting:  conf.setting,
		scaling:  conf.scaling,
		file:     file,
	}
	if _, ok := b.classes[key]; !ok {
		b.classes[key] = b.classOf(res, pt.Workload)
	}
	if _, ok := b.files[file]; !ok {
		b.files[file] = len(b.files)
	}
	g := b.samples[key]
	if g == nil {
		g = map[level]*cell{}
		b.samples[key] = g
	}
	lv := level{pt.Procs, pt.Goroutines}
	c := g[lv]
	if c == nil {
		c = &cell{metrics: map[string][]float64{}}
		g[lv] = c
	}
	c.secs = append(c.secs, secs)
	var rd round
	if conf.rounds {
		rd = c.round(b.seg, res.Name)
	}
	c.seq = append(c.seq, roundSample{rd, secs})
	for _, v := range res.Values {
		if v.Unit == "sec/op" {
			continue
		}
		if math.IsNaN(v.Value) || math.IsInf(v.Value, 0) || v.Value < 0 {
			cause("bad "+v.Unit, "%s: %v %s is not a finite, non-negative number; that value skipped", res.Name, v.Value, v.Unit)
			continue
		}
		c.metrics[v.Unit] = append(c.metrics[v.Unit], v.Value)
	}
	b.results++
}

// round returns the round of the cell's next sample, of result name
// name, read in segment seg: its count in the segment. A cell whose
// results have two names (a gomaxprocs key and a -N suffix that agree)
// is two points to the runner, with two samples a round: it pairs with
// none (Report clears its rounds).
func (c *cell) round(seg uint32, name benchfmt.Name) round {
	switch {
	case c.name == "":
		c.name = string(name)
	case c.name != string(name):
		c.name = "\x00" // no result name: never equal again
	}
	if c.seg != seg {
		c.seg, c.ord = seg, 0
	}
	c.ord++
	return round(seg)<<32 | round(c.ord)
}

// pairable clears the rounds of the samples that cannot be paired by
// them (see round): those of a file that lost a line that may have
// been a sample (a syntax error, a long result line, a result skipped
// as damaged), whose later counts may be one behind, and those of a
// cell read under two names.
func (b *Builder) pairable() {
	for k, g := range b.samples {
		for _, c := range g {
			if b.unpaired[k.file] || c.name == "\x00" {
				for i := range c.seq {
					c.seq[i].round = 0
				}
			}
		}
	}
}

// confCache is what Add derives from a result's file configuration
// (its machine, settings and scaling), with the configuration it was
// derived from. The configuration changes only at a configuration
// line, so most results reuse it rather than look up and copy each key
// again: that was most of the time Add took.
type confCache struct {
	file, label string
	config      []benchfmt.Config // a copy (benchfmt reuses its buffers)
	machine     Machine
	cpus        int // machine.CPUs()
	settings    string
	setting     string // settings in the key form (settings.go)
	scaling     string
	rounds      bool // the file keeps the round contract (parbench-version)
}

// confOf returns what Add derives from res's configuration, from
// b.conf while the file, its label and the configuration are the same.
func (b *Builder) confOf(res *benchfmt.Result, file string) *confCache {
	c := &b.conf
	if c.config != nil && c.file == file && c.label == b.label && sameConfig(c.config, res.Config) {
		return c
	}
	var settings, setting []string
	for _, k := range settingKeys {
		if v := res.GetConfig(k); v != "" {
			settings = append(settings, k+"="+v)
			setting = append(setting, quoteSetting(k, v))
		}
	}
	m := b.machineOf(res, file)
	// Another file, or a changed configuration (results files
	// concatenated with cat), is another run: a segment of its own.
	b.seg++
	*c = confCache{
		file:     file,
		label:    b.label,
		machine:  m,
		cpus:     m.CPUs(),
		settings: strings.Join(settings, " "),
		setting:  strings.Join(setting, " "),
		scaling:  res.GetConfig(results.KeyScaling),
		// A run's results follow its opening note; results after a
		// change of configuration with no such note (go test output
		// appended with cat, still carrying the run's keys) do not
		// keep the round contract.
		rounds: res.GetConfig(results.KeyParbenchVersion) != "" && b.noted,
	}
	b.noted = false
	c.config = cloneConfig(make([]benchfmt.Config, 0, len(res.Config)), res.Config)
	return c
}

// cloneConfig copies src into dst[:0], values included: benchfmt reuses
// a result's buffers for the next line.
func cloneConfig(dst, src []benchfmt.Config) []benchfmt.Config {
	dst = dst[:0]
	for _, c := range src {
		dst = append(dst, benchfmt.Config{Key: c.Key, Value: slices.Clone(c.Value), File: c.File})
	}
	return dst
}

// sameConfig reports whether two configurations hold the same keys and
// values in the same order.
func sameConfig(a, b []benchfmt.Config) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Key != b[i].Key || a[i].File != b[i].File || string(a[i].Value) != string(b[i].Value) {
			return false
		}
	}
	return true
}

// MaxSecPerOp is the longest time per op, an hour, that the report
// takes for a measurement; a longer one is a damaged line, and its
// interval would print as hundreds of digits.
const MaxSecPerOp = 3600.0

// timeUnits are the times per op that the report converts to sec/op
// (benchfmt already converts ns/op), with their factors.
var timeUnits = map[string]float64{
	"s/op":  1,
	"ms/op": 1e-3,
	"us/op": 1e-6,
	"µs/op": 1e-6, // U+00B5, the micro sign
	"μs/op": 1e-6, // U+03BC, the Greek mu
}

// countUnit returns how many values of unit a result has.
func countUnit(res *benchfmt.Result, unit string) int {
	n := 0
	for _, v := range res.Values {
		if v.Unit == unit {
			n++
		}
	}
	return n
}

// classOf returns the class of a result's workload: what its file's
// classes line says, or, in a file without one, results.LegacyClass.
// A classes line that does not parse is warned about once per file.
func (b *Builder) classOf(res *benchfmt.Result, workload string) results.Class {
	line := res.GetConfig(results.KeyClasses)
	if line == "" {
		return results.ClassMap(nil).Of(workload)
	}
	file, n := res.Pos()
	k := file + "\x00" + line
	m, ok := b.classLines[k]
	if !ok {
		var err error
		m, err = results.ParseClasses(line)
		if err != nil {
			b.warnings = append(b.warnings, &Warning{File: file, Line: n, Msg: fmt.Sprintf("%s line: %v", results.KeyClasses, err)})
		}
		b.classLines[k] = m
	}
	return m.Of(workload)
}

// machineOf reads the machine from a result's file configuration.
func machineOf(res *benchfmt.Result) Machine {
	m := Machine{
		CPU:    res.GetConfig(results.KeyCPU),
		Host:   res.GetConfig(results.KeyHost),
		GOOS:   res.GetConfig(results.KeyGOOS),
		GOARCH: res.GetConfig(results.KeyGOARCH),
		Quota:  res.GetConfig(results.KeyCPUQuota),
	}
	if n, err := strconv.Atoi(res.GetConfig(results.KeyNCPU)); err == nil && n > 0 && n <= 1<<20 {
		m.NCPU = n
	}
	return m
}

// Report analyses everything read so far. It returns ErrNoResults, with
// the report's warnings, when nothing usable was read.
func (b *Builder) Report() (*Report, error) {
	rep := &Report{Confidence: b.opt.Confidence, Warnings: append([]error(nil), b.warnings...)}
	for _, f := range b.fileList {
		c := *f
		rep.Files = append(rep.Files, &c)
	}
	rep.Calibrations = b.calibrations()
	if b.results == 0 {
		rep.Warnings = append(rep.Warnings, b.orphans...)
		if len(rep.Calibrations) > 0 {
			return rep, nil
		}
		return rep, ErrNoResults
	}
	b.pairable()
	samples, classes, failed, warns := b.merged()
	rep.Warnings = append(rep.Warnings, b.orphans...)
	rep.Warnings = append(rep.Warnings, b.nameWarnings()...)
	rep.Warnings = append(rep.Warnings, warns...)
	keys := make([]groupKey, 0, len(samples))
	for k := range samples {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keyLess(keys[i], keys[j]) })
	groups, byLevels := b.analyseAll(keys, samples)
	for i, g := range groups {
		g.Class = classes[keys[i]]
		g.Failed = failed[keys[i]]
		rep.Groups = append(rep.Groups, g)
	}
	// Judge twice: the first pass collects every claim's p-value, the
	// second makes the claims that pass after the correction across all
	// of them. The fits' lack-of-fit tests are a family of their own, so
	// that a file of many real speedups (many tiny p-values, which relax
	// the Benjamini-Hochberg threshold) does not let noise reject a law.
	b.groups, b.boots = rep.Groups, map[bootKey]Estimate{}
	defer func() { b.groups, b.boots = nil, nil }()
	first, fits := &tester{}, &tester{}
	fitKey := func(i, law int) string { return fmt.Sprintf("%s|fit|%d", groupName(keys[i]), law) }
	for i, g := range rep.Groups {
		b.verdict(g, byLevels[i], first, groupName(keys[i]))
		for law, fi := range g.Fits.infos() {
			if fi.Status == FitOK || fi.Status == FitPoorFit {
				fits.p(fitKey(i, law), fi.LackOfFitP)
			}
		}
	}
	second := b.adjust(first)
	fitsAdj := b.adjust(fits)
	for i, g := range rep.Groups {
		g.Verdict = b.verdict(g, byLevels[i], second, groupName(keys[i]))
		// A lack of fit is a claim too: with the rate controlled, a law
		// is rejected when its p-value passes LackOfFitAlpha and its
		// adjusted p-value passes the rate (the correction only ever
		// withdraws a rejection).
		for law, fi := range g.Fits.infos() {
			if b.opt.FDR > 0 && !math.IsNaN(fi.LackOfFitP) && (fi.Status == FitOK || fi.Status == FitPoorFit) {
				adj := fitsAdj.p(fitKey(i, law), fi.LackOfFitP)
				fi.poorFit(fi.LackOfFitP < LackOfFitAlpha && adj < b.opt.FDR, adj)
			}
		}
		g.Fits.check(g, b.opt) // a law's own test, such as Amdahl's ceiling
	}
	rep.Claims, rep.FDR = len(first.raw)+len(fits.raw), b.opt.FDR
	served, warns := b.served(rep.Groups)
	rep.Served = served
	rep.Replicated = b.replicated(rep.Groups)
	rep.Warnings = append(rep.Warnings, warns...)
	rep.Warnings = append(rep.Warnings, b.groupWarnings(rep.Groups)...)
	machines := map[Machine]bool{}
	for _, g := range rep.Groups {
		machines[g.Machine] = true
	}
	rep.Machines = len(machines)
	return rep, nil
}

// analyseAll analyses the groups of keys (analyse), on as many
// goroutines as GOMAXPROCS, and returns them in the order of keys. The
// bootstraps are most of a report's time; each has its own generator,
// seeded by its name, and a group's samples are its own, so the
// numbers are the same whatever the order and the goroutine.
func (b *Builder) analyseAll(keys []groupKey, samples map[groupKey]map[level]*cell) ([]*Group, []map[level]*Point) {
	groups := make([]*Group, len(keys))
	byLevels := make([]map[level]*Point, len(keys))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(keys)) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(keys) {
					return
				}
				groups[i], byLevels[i] = b.analyse(keys[i], samples[keys[i]])
			}
		})
	}
	wg.Wait()
	return groups, byLevels
}

// adjust returns the second pass's tester for the p-values t collected:
// Benjamini-Hochberg-adjusted when the false discovery rate is
// controlled, else as they are.
func (b *Builder) adjust(t *tester) *tester {
	adj := t.raw
	if b.opt.FDR > 0 {
		adj = benjaminiHochberg(t.raw)
	}
	out := &tester{adjusted: map[string]float64{}}
	for i, k := range t.keys {
		out.adjusted[k] = adj[i]
	}
	return out
}

// keyLess orders groups by machine, workload, lock ("none" first, the
// baseline), then the rest.
func keyLess(a, b groupKey) bool {
	if a.machine != b.machine {
		return a.machine.String() < b.machine.String()
	}
	if a.workload != b.workload {
		return a.workload < b.workload
	}
	if a.lock != b.lock {
		if a.lock == "none" || b.lock == "none" {
			return a.lock == "none"
		}
		return a.lock < b.lock
	}
	if a.extra != b.extra {
		return a.extra < b.extra
	}
	if a.scaling != b.scaling {
		return a.scaling < b.scaling
	}
	if a.settings != b.settings {
		return a.settings < b.settings
	}
	return a.setting < b.setting
}
