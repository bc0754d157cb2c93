package analysis

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/parbench/parbench/results"
	"golang.org/x/perf/benchunit"
)

// The served section: a served workload's service runs as W worker
// processes of T threads each (`parbench run --server-workers W
// --server-threads T`), and the result names carry the shape as the keys
// results.KeyServerWorkers and results.KeyServerThreads. Each shape is a
// group of its own, with its own curve and verdict on GOMAXPROCS; the
// served section puts the shapes of one family side by side: groups that
// differ only in those two keys (the same machine, workload, lock, other
// name keys, scaling and settings). What a group is comes from those keys
// and the units on its lines, never from its workload's name.
//
// The shapes are compared at one point chosen before looking at the
// results: the largest goroutine count every shape has, and at it the
// largest GOMAXPROCS every shape has within the machine's CPUs (the
// largest of all where none is within them). There, for each shape:
// the throughput X = 1/(sec/op) in ops/s (sec/op is the sample's wall
// time over all its ops, so its inverse is throughput), with the 95%
// interval of the median time per op inverted; the median p99-sec,
// wait-share (the goroutines' share of time waiting for the service's
// lock), tx-lock-wait-share, server-cpu-sec/op and B/server-worker where
// the lines have them.
//
// # The thread law
//
// At W = 1, T = 1 one thread serves one request at a time, and with more
// clients than one (goroutines >= 2 at the judged point) there is always
// a request waiting, so the thread is never idle for want of work: a
// request's service time is the time between two completions, 1/X =
// sec/op. (Not sec/op x goroutines: that is a request's response time,
// the service time plus the time queued behind the other clients'
// requests.) Of that time the service spent c = server-cpu-sec/op
// computing; the rest it waited (for the database, the disk, a response
// write), and
//
//	f = 1 - c / (sec/op)   at W = 1, T = 1
//
// is the share of a request's service time not spent computing. T threads
// under one lock overlap those waits: T requests at a time at most, and
// the computing, which the lock serializes, at most 1/c requests a second.
// So
//
//	X(T) = X(1) x min(T, 1/(1-f))
//
// at W = 1: threads help until the lock is busy all the time, at T =
// 1/(1-f). f is estimated per sample (each line has both figures) and
// its interval is the median's; the law's column uses its median. The
// law counts every CPU second of the service as serial, the work outside
// the lock (the database driver's, the response write) too, so where that
// work overlaps on other CPUs the measured gain can exceed the law's; and
// the machine's CPUs, which the clients share, can cap it below.
//
// The law holds only where a lock serializes the service's computing:
// a lock mode other than none, or an external command
// (results.KeyServerCmd), whose interpreter brings its own. Under lock
// none with parbench's own service nothing does, and threads compute on
// as many CPUs as they get: f and the law are left out, and the section
// says why.
//
// Under an open loop (the file's results.KeyRate setting) the throughput
// is the offered rate while the service keeps up, not what the shape can
// serve: f, the law and the throughput findings are left out, and the
// section says so.
//
// # The findings
//
// Each finding is made only where its evidence holds, and the section is
// silent otherwise. Two shapes' throughputs differ when their intervals
// are apart (the lower end of one above the upper end of the other) and
// by at least Options.MinEffect; with order-statistic intervals of the
// median that is a strict test (at 10 samples a side, both medians'
// intervals hold 8 of the 10 samples), which keeps the several
// comparisons of a family from firing on noise (TestServedNoise: none in
// 200 families).
//
//   - best: the shape of the highest throughput; where other shapes'
//     throughputs do not differ from it, the cheapest of them is the best
//     (fewer workers, then fewer threads), and the section says which it
//     could not tell apart. The finding is made when the best is not the
//     cheapest shape of all.
//   - threads: in the row of the fewest workers, threads help up to T = k
//     when X(k) differs from X at the row's fewest threads and no larger T
//     differs from X(k); with f, beside the law's gain at k. Where the
//     largest T's throughput then falls below X(k), more threads cost.
//   - workers: each worker count whose best throughput (over its threads)
//     differs from the best with the fewest workers, with what a worker
//     costs in resident memory (B/server-worker).
//   - convoy: in a row of one worker count, the largest T's
//     tx-lock-wait-share has the lower end of its interval at or above
//     Options.WaitShare and its p99-sec differs (as throughputs do) from
//     the row's fewest threads': the database's write lock is held, a
//     share of each write transaction's time, by a thread that waits for
//     the service's lock, and every writer queued on the database waits
//     that much longer. The threshold is the one at which the verdict names
//     a lock as the limit from its wait share, for the same reason: a
//     tenth of the time is a cost worth naming, and a share below it is
//     within what other effects (the scheduler, the GC) move.

// unitTxLockWait is the share of write transactions' time (BEGIN to
// COMMIT) their threads spent waiting to retake the service's lock. Not a
// goroutines' wait share (isShareOfWait leaves it out): the verdict names
// no lock from it.
const unitTxLockWait = results.UnitTxLockWait

// Served is the served section of one family of groups that differ only
// in their server shape (results.KeyServerWorkers, KeyServerThreads).
type Served struct {
	Workload, Lock string
	// Extra holds the family's other name keys, "k=v/k=v", without the
	// shape keys.
	Extra             string
	Machine           Machine
	Scaling, Settings string
	// Procs and Goroutines are the point every shape is judged at.
	Procs, Goroutines int
	// Rate is the open loop's rate as the settings write it, "" for a
	// closed loop.
	Rate    string
	setting string // Settings in the key form (settings.go)
	// Shapes are sorted by workers, then threads.
	Shapes []*Shape
	// Top is the shape of the highest throughput; Best the cheapest
	// shape whose throughput does not differ from Top's (Top itself when
	// none), and Tied those shapes, Top and Best among them, in Shapes'
	// order. All nil under an open loop.
	Top, Best *Shape
	Tied      []*Shape
	// F is the share of a request's service time not spent computing at
	// W = 1, T = 1 (see the thread law above), NaN when not measured
	// or where no lock makes the law hold;
	// CPU and SecPerOp are the medians it comes from (c and sec/op).
	F             Estimate
	CPU, SecPerOp float64
	// Findings are the findings made, in order.
	Findings []Finding
	// Lines is the section's text after its table, one item a line.
	Lines []string
}

// Shape is one server shape of a family at the judged point.
type Shape struct {
	Workers, Threads int
	Group            *Group
	Point            *Point
	// Throughput is 1/(sec/op) in ops/s, with the median's interval
	// inverted; Lo 0 and Hi +Inf where the median has no interval.
	Throughput Estimate
	// Law is the thread law's throughput at W = 1, NaN elsewhere or
	// without f.
	Law float64
}

// Finding is one statement of a served section and its kind: "best",
// "threads", "threads-cost", "workers" or "convoy".
type Finding struct {
	Kind, Text string
}

// Label names the family: workload, lock and other keys.
func (s *Served) Label() string { return label(s.Workload, s.Lock, s.Extra, "  ") }

// Shape returns the family's shape of w workers and t threads, or nil.
func (s *Served) Shape(w, t int) *Shape {
	for _, sh := range s.Shapes {
		if sh.Workers == w && sh.Threads == t {
			return sh
		}
	}
	return nil
}

// metric returns the median of unit at the shape's point and whether it
// has one.
func (sh *Shape) metric(unit string) (float64, bool) {
	v, ok := sh.Point.Metrics[unit]
	return v, ok
}

func (sh *Shape) name() string { return fmt.Sprintf("W = %d, T = %d", sh.Workers, sh.Threads) }

// cheaper reports whether a costs less than b: fewer workers, then fewer
// threads.
func cheaper(a, b *Shape) bool {
	if a.Workers != b.Workers {
		return a.Workers < b.Workers
	}
	return a.Threads < b.Threads
}

// shapeOf reads a group's server shape from its other name keys: the
// workers, the threads, the remaining keys, and whether both shape keys
// are there as positive integers.
func shapeOf(extra string) (w, t int, rest string, ok bool) {
	var others []string
	for _, kv := range strings.Split(extra, "/") {
		k, v, _ := strings.Cut(kv, "=")
		n, err := strconv.Atoi(v)
		switch {
		case k == results.KeyServerWorkers && w == 0:
			if err != nil || n <= 0 {
				return 0, 0, "", false
			}
			w = n
		case k == results.KeyServerThreads && t == 0:
			if err != nil || n <= 0 {
				return 0, 0, "", false
			}
			t = n
		case kv != "":
			others = append(others, kv)
		}
	}
	return w, t, strings.Join(others, "/"), w > 0 && t > 0
}

// servedFamily is what groups must share to be shapes of one family.
type servedFamily struct {
	workload, lock, extra      string
	machine                    Machine
	scaling, settings, setting string
}

// served builds the served sections of the report's groups, in the
// groups' order: one per family of two shapes or more with a point they
// all have. It returns the warnings for families with none.
func (b *Builder) served(groups []*Group) ([]*Served, []error) {
	fams := map[servedFamily]*Served{}
	var order []*Served
	for _, g := range groups {
		w, t, rest, ok := shapeOf(g.Extra)
		if !ok {
			continue
		}
		k := servedFamily{g.Workload, g.Lock, rest, g.Machine, g.Scaling, g.Settings, g.setting}
		s := fams[k]
		if s == nil {
			s = &Served{Workload: g.Workload, Lock: g.Lock, Extra: rest, Machine: g.Machine, Scaling: g.Scaling, Settings: g.Settings, setting: g.setting}
			fams[k] = s
			order = append(order, s)
		}
		if s.Shape(w, t) == nil { // the same shape twice: its keys in another order
			s.Shapes = append(s.Shapes, &Shape{Workers: w, Threads: t, Group: g})
		}
	}
	var out []*Served
	var warns []error
	for _, s := range order {
		if len(s.Shapes) < 2 {
			continue
		}
		if !s.judgedPoint() {
			warns = append(warns, &Warning{Msg: fmt.Sprintf("server shapes of %s: no point (goroutines, procs) that every shape has; no comparison of the shapes",
				strings.Join(strings.Fields(s.Label()), " "))})
			continue
		}
		b.judgeServed(s)
		out = append(out, s)
	}
	return out, warns
}

// judgedPoint picks the point the shapes are compared at (see the
// section's comment) and sets each shape's Point; false when the shapes
// share no point.
func (s *Served) judgedPoint() bool {
	sort.Slice(s.Shapes, func(i, j int) bool { return cheaper(s.Shapes[i], s.Shapes[j]) })
	count := map[level]int{}
	for _, sh := range s.Shapes {
		for _, p := range sh.Group.Points {
			count[level{p.Procs, p.Goroutines}]++
		}
	}
	var common []level
	for lv, n := range count {
		if n == len(s.Shapes) {
			common = append(common, lv)
		}
	}
	if len(common) == 0 {
		return false
	}
	cpus := s.Machine.CPUs()
	better := func(a, b level) bool { // a is the better choice than b
		if a.goroutines != b.goroutines {
			return a.goroutines > b.goroutines
		}
		inA, inB := cpus == 0 || a.procs <= cpus, cpus == 0 || b.procs <= cpus
		if inA != inB {
			return inA
		}
		return a.procs > b.procs
	}
	pick := common[0]
	for _, lv := range common[1:] {
		if better(lv, pick) {
			pick = lv
		}
	}
	s.Procs, s.Goroutines = pick.procs, pick.goroutines
	for _, sh := range s.Shapes {
		for _, p := range sh.Group.Points {
			if p.Procs == pick.procs && p.Goroutines == pick.goroutines {
				sh.Point = p
			}
		}
	}
	return true
}

// throughput inverts a median time per op and its interval: ops/s, with
// Lo 0 and Hi +Inf where the interval has no finite positive end.
func throughput(secs Estimate) Estimate {
	x := Estimate{Value: 1 / secs.Value, Lo: 0, Hi: math.Inf(1), SE: math.NaN()}
	if secs.Hi > 0 && !math.IsInf(secs.Hi, 0) {
		x.Lo = 1 / secs.Hi
	}
	if secs.Lo > 0 && !math.IsInf(secs.Lo, 0) {
		x.Hi = 1 / secs.Lo
	}
	return x
}

// above reports whether estimate a is really above b: their intervals
// apart and a at least minEffect above b.
func above(a, b Estimate, minEffect float64) bool {
	return a.Lo > b.Hi && a.Value >= b.Value*(1+minEffect)
}

// faster reports whether shape a's throughput is really above b's.
func (b *Builder) faster(a, c *Shape) bool { return above(a.Throughput, c.Throughput, b.opt.MinEffect) }

// judgeServed fills in a family's figures and findings.
func (b *Builder) judgeServed(s *Served) {
	s.Rate = openRate(s.setting)
	for _, sh := range s.Shapes {
		sh.Throughput = throughput(sh.Point.SecPerOp)
		sh.Law = math.NaN()
	}
	s.F, s.CPU, s.SecPerOp = nanEstimate(), math.NaN(), math.NaN()
	if s.Rate != "" {
		s.Lines = append(s.Lines, fmt.Sprintf("open loop at %s ops/s (%s): the throughput is the rate offered while the service keeps up, not what a shape can serve, so no shape is judged by it", s.Rate, results.KeyRate))
		b.convoy(s)
		return
	}
	b.best(s)
	if why := s.lawless(); why != "" {
		s.Lines = append(s.Lines, why)
	} else {
		b.threadLaw(s)
	}
	var verdict []string
	threads, upTo := b.threads(s)
	if threads != "" {
		verdict = append(verdict, threads)
	}
	if w := b.workers(s, upTo); w != "" {
		if upTo != nil {
			w = "beyond that, " + w
		}
		verdict = append(verdict, w)
	}
	if v := b.outside(s); v != "" {
		verdict = append(verdict, v)
	}
	if len(verdict) > 0 {
		s.Lines = append(s.Lines, "verdict: "+strings.Join(verdict, "; "))
	}
	b.convoy(s)
}

// outside says, where no shape serves more than W = 1, T = 1 although
// the thread law would let one worker's threads serve at least half as
// much again, that what limits the service is not its lock, or "". It
// needs evidence, not only the absence of a difference: every shape has
// an interval (a best was named), and the shape of one worker with the
// most threads serves less than the law allows it by more than
// MinEffect, its interval's upper end included. Wide intervals alone
// say nothing.
func (b *Builder) outside(s *Served) string {
	base := s.Shape(1, 1)
	if s.Best == nil || base == nil || math.IsNaN(s.F.Value) {
		return ""
	}
	for _, sh := range s.Shapes {
		if b.faster(sh, base) {
			return ""
		}
	}
	var most *Shape
	for _, sh := range s.Shapes {
		if sh.Workers == 1 && (most == nil || sh.Threads > most.Threads) {
			most = sh
		}
	}
	allow := math.Min(float64(most.Threads), lawCeiling(s.F.Value))
	if allow < 1.5 || math.IsNaN(most.Law) || !(most.Throughput.Hi*(1+b.opt.MinEffect) < most.Law) {
		return ""
	}
	return fmt.Sprintf("no shape serves more than W = 1, T = 1 within the intervals, though with f = %.2f the lock alone would let %d threads serve %s as much (%s ops/s, where W = 1, T = %d served %s, %d%% CI up to %s): what limits this service is outside its lock (the database, the clients or the machine)",
		s.F.Value, most.Threads, fmtX(allow), fmtRate(most.Law), most.Threads, fmtRate(most.Throughput.Value), pct(b.opt.Confidence), fmtRate(most.Throughput.Hi))
}

// lawless says why the thread law does not hold for the family, or ""
// where it does: a lock mode other than none, or an external command,
// whose interpreter has a lock of its own (the runner refuses any lock
// mode but none beside one).
func (s *Served) lawless() string {
	if s.Lock != "" && s.Lock != "none" {
		return ""
	}
	if cmd, _ := settingOf(s.setting, results.KeyServerCmd); cmd != "" {
		return ""
	}
	lock := "lock=" + s.Lock
	if s.Lock == "" {
		lock = "no lock key"
	}
	return fmt.Sprintf("f and the thread law are left out: %s and no %s, so no lock serializes the service's computing: the law, whose ceiling 1/(1-f) is where a lock is busy all the time, does not hold",
		lock, results.KeyServerCmd)
}

// threadLaw estimates f at W = 1, T = 1 and the law's throughput of
// each shape of one worker.
func (b *Builder) threadLaw(s *Served) {
	base := s.Shape(1, 1)
	if base == nil {
		return
	}
	c, ok := base.metric(results.UnitServerCPU)
	if !ok {
		return
	}
	if s.Goroutines < 2 {
		s.Lines = append(s.Lines, fmt.Sprintf("f: not estimated: at goroutines=%d no request waits while one is served, so 1/throughput is not the service time", s.Goroutines))
		return
	}
	p := base.Point
	s.CPU, s.SecPerOp = c, p.SecPerOp.Value
	// Per sample, where every line of the point has the CPU figure (a
	// skipped value would misalign the two), else from the medians.
	cs := p.samples[results.UnitServerCPU]
	if len(cs) == len(p.seq) && len(cs) > 0 {
		fs := make([]float64, len(cs))
		for i, r := range p.seq {
			fs[i] = 1 - cs[i]/r.secs
		}
		s.F = summarize(fs, b.opt.Confidence, &b.opt.Thresholds)
	} else {
		s.F = Estimate{Value: 1 - c/p.SecPerOp.Value, Lo: math.NaN(), Hi: math.NaN(), SE: math.NaN()}
	}
	f := s.F.Value
	ceil := s.Ceiling()
	x1 := base.Throughput.Value
	for _, sh := range s.Shapes {
		if sh.Workers == 1 {
			sh.Law = x1 * math.Min(float64(sh.Threads), ceil)
		}
	}
	line := fmt.Sprintf("f = %.2f", f)
	if fin(s.F.Lo) && fin(s.F.Hi) {
		line += fmt.Sprintf(" (%d%% CI %.2f-%.2f)", pct(b.opt.Confidence), s.F.Lo, s.F.Hi)
	}
	line += fmt.Sprintf(", from %s of service CPU over %s per request at W = 1, T = 1 (one thread serves one request at a time, so a request's service time is 1/throughput; f is the share of it not spent computing)",
		fmtSec(c), fmtSec(p.SecPerOp.Value))
	switch {
	case f <= 0:
		line += "; none, so the law X(T) = X(1) x min(T, 1/(1-f)) allows threads no gain"
	case math.IsInf(ceil, 1):
		line += "; the law X(T) = X(1) x min(T, 1/(1-f)) then allows T times the throughput for any T"
	default:
		line += fmt.Sprintf("; the law X(T) = X(1) x min(T, 1/(1-f)) allows threads at most %s", fmtX(ceil))
	}
	s.Lines = append(s.Lines, line)
}

// Ceiling is the thread law's 1/(1-f) at the family's f, the most
// threads can multiply W = 1, T = 1's throughput by: NaN without f.
func (s *Served) Ceiling() float64 {
	if math.IsNaN(s.F.Value) {
		return math.NaN()
	}
	return lawCeiling(s.F.Value)
}

// lawCeiling is 1/(1-f), the most threads can multiply the throughput
// by: 1 for f <= 0, +Inf for f >= 1.
func lawCeiling(f float64) float64 {
	switch {
	case f <= 0:
		return 1
	case f >= 1:
		return math.Inf(1)
	}
	return 1 / (1 - f)
}

func fin(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// fmtSec formats seconds as the report does: 516.0µs.
func fmtSec(x float64) string { return benchunit.Scale(x, benchunit.Decimal) + "s" }

// fmtRate formats a throughput in ops/s: 1.740k.
func fmtRate(x float64) string {
	if !fin(x) {
		return "-"
	}
	return benchunit.Scale(x, benchunit.Decimal)
}

// fmtRateCI formats a throughput's interval, "-" where it has none.
func fmtRateCI(e Estimate) string {
	if !(e.Lo > 0) || !fin(e.Hi) {
		return "-"
	}
	return fmtRate(e.Lo) + "-" + fmtRate(e.Hi)
}

// best finds the best shape: the highest throughput, or the cheapest of
// the shapes that cannot be told from it.
func (b *Builder) best(s *Served) {
	top := s.Shapes[0]
	for _, sh := range s.Shapes[1:] {
		if sh.Throughput.Value > top.Throughput.Value {
			top = sh
		}
	}
	s.Top = top
	conf := pct(b.opt.Confidence)
	// Without an interval for every shape no shape can be called the
	// best: a shape without one cannot be told from any other, and the
	// cheapest would win by default, not by evidence.
	for _, sh := range s.Shapes {
		if !(sh.Throughput.Lo > 0) || !fin(sh.Throughput.Hi) {
			s.Lines = append(s.Lines, fmt.Sprintf("best shape: none named, too few samples for a %d%% interval (%d at %s); the highest measured: %s, %s ops/s",
				conf, sh.Point.N, sh.name(), top.name(), fmtRate(top.Throughput.Value)))
			return
		}
	}
	for _, sh := range s.Shapes {
		if sh == top || !b.faster(top, sh) {
			s.Tied = append(s.Tied, sh)
		}
	}
	s.Best = s.Tied[0] // Shapes are sorted cheapest first
	best := s.Best
	line := fmt.Sprintf("best shape: %s, %s ops/s", best.name(), fmtRate(best.Throughput.Value))
	if ci := fmtRateCI(best.Throughput); ci != "-" {
		line += fmt.Sprintf(" (%d%% CI %s)", conf, ci)
	}
	var others []string
	for _, sh := range s.Tied {
		if sh != best && sh != top {
			others = append(others, fmt.Sprintf("%s (%s)", sh.name(), fmtRate(sh.Throughput.Value)))
		}
	}
	switch {
	case len(s.Tied) == 1:
		line += ", above every other shape's interval"
	case best == top:
		line += ", the highest, and the cheapest (fewer workers, then fewer threads) of the shapes the intervals cannot tell from it"
	default:
		line += fmt.Sprintf(", the cheapest (fewer workers, then fewer threads) of the shapes the intervals cannot tell from the highest, %s (%s ops/s)",
			top.name(), fmtRate(top.Throughput.Value))
	}
	if len(others) > 0 {
		line += "; also indistinguishable: " + strings.Join(others, ", ")
	}
	s.Lines = append(s.Lines, line)
	if best != s.Shapes[0] {
		s.Findings = append(s.Findings, Finding{"best", line})
	}
}

// threads says how far threads help in the row of the fewest workers,
// and returns the shape they help up to, or "" and nil.
func (b *Builder) threads(s *Served) (string, *Shape) {
	var row []*Shape
	for _, sh := range s.Shapes {
		if sh.Workers == s.Shapes[0].Workers {
			row = append(row, sh)
		}
	}
	if len(row) < 2 {
		return "", nil
	}
	base := row[0]
	k := -1
	for i := 1; i < len(row) && k < 0; i++ {
		if !b.faster(row[i], base) {
			continue
		}
		k = i
		for _, later := range row[i+1:] {
			if b.faster(later, row[i]) {
				k = -1
				break
			}
		}
	}
	if k < 0 {
		// No count of threads serves more than one; where the most
		// serve clearly less, threads cost.
		last := row[len(row)-1]
		if !b.faster(base, last) {
			return "", nil
		}
		cost := fmt.Sprintf("threads do not help, they cost: T = %d gives %s of T = %d's throughput", last.Threads, fmtX(last.Throughput.Value/base.Throughput.Value), base.Threads)
		s.Findings = append(s.Findings, Finding{"threads-cost", cost})
		return cost, nil
	}
	at := row[k]
	gain := at.Throughput.Value / base.Throughput.Value
	text := fmt.Sprintf("threads help up to T = %d", at.Threads)
	if k == len(row)-1 {
		text += ", the most measured"
	}
	if !math.IsNaN(at.Law) && base.Workers == 1 && base.Threads == 1 {
		allow := at.Law / base.Throughput.Value
		why := fmt.Sprintf("%s of the %s the law allows at T = %d", fmtX(gain), fmtX(allow), at.Threads)
		if ceil := s.Ceiling(); ceil > allow*(1+b.opt.MinEffect) && !math.IsInf(ceil, 1) {
			why += fmt.Sprintf(", which would allow up to %s with more", fmtX(ceil))
		}
		if at.Throughput.Lo > at.Law*(1+b.opt.MinEffect) {
			why += "; above the law: likely service CPU outside the lock overlapping on other CPUs, or else f, measured at T = 1 alone, biased low"
		}
		text += " (" + why + ")"
	} else {
		text += fmt.Sprintf(" (%s the throughput of T = %d)", fmtX(gain), base.Threads)
	}
	s.Findings = append(s.Findings, Finding{"threads", text})
	if last := row[len(row)-1]; last != at && b.faster(at, last) {
		cost := fmt.Sprintf("more threads cost: T = %d gives %s of T = %d's throughput", last.Threads, fmtX(last.Throughput.Value/at.Throughput.Value), at.Threads)
		s.Findings = append(s.Findings, Finding{"threads-cost", cost})
		text += "; " + cost
	}
	return text, at
}

// workers says which worker counts beat the fewest workers' throughput,
// and what a worker costs, or "": each count's best shape (the highest
// median over its threads) against upTo, the shape threads help up to,
// or without one the best shape of the fewest workers.
func (b *Builder) workers(s *Served, upTo *Shape) string {
	rowBest := map[int]*Shape{}
	var ws []int
	for _, sh := range s.Shapes {
		cur, ok := rowBest[sh.Workers]
		if !ok {
			ws = append(ws, sh.Workers)
		}
		if !ok || sh.Throughput.Value > cur.Throughput.Value {
			rowBest[sh.Workers] = sh
		}
	}
	if len(ws) < 2 {
		return ""
	}
	ref := rowBest[ws[0]]
	if upTo != nil {
		ref = upTo
	}
	var gives []string
	var last *Shape
	for _, w := range ws[1:] {
		sh := rowBest[w]
		if !b.faster(sh, ref) {
			continue
		}
		gives = append(gives, fmt.Sprintf("W = %d gives %s ops/s at T = %d, %s that of W = %d, T = %d",
			w, fmtRate(sh.Throughput.Value), sh.Threads, fmtX(sh.Throughput.Value/ref.Throughput.Value), ref.Workers, ref.Threads))
		last = sh
	}
	if last == nil {
		return ""
	}
	text := "add workers: " + strings.Join(gives, ", ")
	if rss, ok := last.metric(results.UnitServerRSS); ok {
		text += fmt.Sprintf("; each worker costs %sB of resident memory (%s at %s)", benchunit.Scale(rss, benchunit.Decimal), results.UnitServerRSS, last.name())
	}
	s.Findings = append(s.Findings, Finding{"workers", text})
	return text
}

// convoy names the two-lock convoy where the data show it (see the
// section's comment).
func (b *Builder) convoy(s *Served) {
	var best *Shape
	var bestW Estimate
	var from *Shape
	for i, lo := range s.Shapes {
		if i > 0 && s.Shapes[i-1].Workers == lo.Workers {
			continue // lo is the fewest threads of its row
		}
		hi := lo
		for _, sh := range s.Shapes[i+1:] {
			if sh.Workers == lo.Workers {
				hi = sh
			}
		}
		if hi == lo || hi.Threads < 2 {
			continue
		}
		tx, ok := hi.Point.samples[unitTxLockWait]
		if !ok || len(tx) == 0 {
			continue
		}
		w := summarize(tx, b.opt.Confidence, &b.opt.Thresholds)
		if !(w.Lo >= b.opt.WaitShare) || w.Value > 1 {
			continue
		}
		p99hi, okH := hi.Point.samples["p99-sec"]
		p99lo, okL := lo.Point.samples["p99-sec"]
		if !okH || !okL {
			continue
		}
		eh := summarize(p99hi, b.opt.Confidence, &b.opt.Thresholds)
		el := summarize(p99lo, b.opt.Confidence, &b.opt.Thresholds)
		if !above(eh, el, b.opt.MinEffect) {
			continue
		}
		if best == nil || w.Value > bestW.Value {
			best, bestW, from = hi, w, lo
		}
	}
	if best == nil {
		return
	}
	text := fmt.Sprintf("two-lock convoy at %s: the database's write lock is held by threads waiting for the lock: %.0f%% of write transactions' time (%s, %d%% CI %.0f-%.0f%%), and p99 grows from %s at T = %d to %s at T = %d",
		best.name(), 100*bestW.Value, unitTxLockWait, pct(b.opt.Confidence), 100*bestW.Lo, 100*bestW.Hi,
		fmtSec(from.Point.Metrics["p99-sec"]), from.Threads, fmtSec(best.Point.Metrics["p99-sec"]), best.Threads)
	s.Findings = append(s.Findings, Finding{"convoy", text})
	s.Lines = append(s.Lines, text)
}

// servedUnits are the figures of the served table besides the
// throughput, in order, with their headers.
var servedUnits = []struct{ unit, head string }{
	{"p99-sec", "p99"},
	{"wait-share", "wait-share"},
	{unitTxLockWait, unitTxLockWait},
	{results.UnitServerCPU, "server-cpu/op"},
	{results.UnitServerRSS, "B/server-worker"},
}

// servedTable is a family's shapes, one row each.
func servedTable(s *Served, confidence float64) *table {
	t := &table{head: []string{"", "W", "T", "ops/s", fmt.Sprintf("%d%% CI", pct(confidence))}}
	law := false
	for _, sh := range s.Shapes {
		law = law || !math.IsNaN(sh.Law)
	}
	if law {
		t.head = append(t.head, "law ops/s")
	}
	var units []string
	for _, u := range servedUnits {
		for _, sh := range s.Shapes {
			if _, ok := sh.Point.Metrics[u.unit]; ok {
				units = append(units, u.unit)
				t.head = append(t.head, u.head)
				break
			}
		}
	}
	for _, sh := range s.Shapes {
		mark := ""
		if sh == s.Best {
			mark = "best"
		}
		row := []string{mark, strconv.Itoa(sh.Workers), strconv.Itoa(sh.Threads), fmtRate(sh.Throughput.Value), fmtRateCI(sh.Throughput)}
		if law {
			row = append(row, fmtRate(sh.Law))
		}
		for _, u := range units {
			v, ok := sh.Point.Metrics[u]
			switch {
			case !ok:
				row = append(row, "-")
			case u == results.UnitServerCPU:
				row = append(row, fmtSec(v))
			case u == results.UnitServerRSS:
				row = append(row, benchunit.Scale(v, benchunit.Decimal)+"B")
			default:
				row = append(row, fmtMetric(sh.Point.Metrics, u))
			}
		}
		t.add(row...)
	}
	return t
}

// servedHead is the line under a family's heading: where it was measured
// and the point judged.
func servedHead(s *Served) []string {
	lines := []string{"machine: " + s.Machine.String()}
	var set []string
	if s.Scaling != "" {
		set = append(set, "scaling="+s.Scaling)
	}
	if s.Settings != "" {
		set = append(set, s.Settings)
	}
	if len(set) > 0 {
		lines = append(lines, "settings: "+strings.Join(set, " "))
	}
	lines = append(lines, fmt.Sprintf("judged at %s, the largest every shape has", fmtAt(s.Procs, s.Goroutines)))
	return lines
}
