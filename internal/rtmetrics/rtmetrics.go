// Package rtmetrics reads what the Go runtime and the kernel say about
// one sample, for the extra "value unit" pairs of its result line.
//
// The data flow, per sample:
//
//  1. Read a Snapshot just before the clock starts (after the runner's
//     GC): runtime/metrics (scheduler latencies, mutex wait, the CPU
//     classes) and getrusage's user CPU time.
//  2. Read another just after the clock stops. Both reads are outside
//     the timed window; each costs a few microseconds.
//  3. Sub gives the Delta; PerGoroutine adds the memory each goroutine
//     took, from one more Snapshot read before the sample's goroutines
//     were started (the one of step 1 is read once all are parked);
//     AppendValues turns it into benchfmt values per op (per goroutine
//     for the memory), for the result line.
//
// ProcessCPU (getrusage) is also the one reading of the process's CPU
// time that the runner (package bench) and each worker process
// (internal/procs) take around a sample, for cpu-sec/op and
// parallelism.
//
// A caveat the units carry: the runtime updates its /cpu/classes
// metrics only at the end of each GC cycle, so gc-cpu-share covers the
// sample up to its last GC (the runner's GC before the sample is the
// first snapshot), and is left out of a sample in which no GC finished.
//
// It is internal to the module: package bench and internal/procs are
// its only users.
package rtmetrics

import (
	"math"
	"runtime/metrics"
	"time"

	"github.com/parbench/parbench/results"
	"golang.org/x/perf/benchfmt"
)

// Units of the values AppendValues writes.
const (
	UnitSchedP50  = "sched-p50-sec"       // median time a goroutine was runnable before it ran
	UnitSchedP99  = "sched-p99-sec"       // 99th percentile of the same
	UnitMutexWait = results.UnitMutexWait // time blocked on sync.Mutex/RWMutex and runtime locks, per op
	UnitGCShare   = results.UnitGCShare   // GC CPU over all CPU the runtime accounts (GOMAXPROCS x wall)
	UnitUserPerOp = "user-sec/op"         // user CPU time (getrusage) per op
)

// UnitBytesPerGoroutine is the memory each goroutine held once started
// and parked (Delta.PerGoroutine); results defines it.
const UnitBytesPerGoroutine = results.UnitBytesPerGoroutine

// The runtime/metrics read, by index in a Read.
const (
	iSched = iota
	iMutex
	iGC
	iTotal
	iObjects
	iStacks
)

var names = [...]string{
	iSched: "/sched/latencies:seconds",
	iMutex: "/sync/mutex/wait/total:seconds",
	iGC:    "/cpu/classes/gc/total:cpu-seconds",
	iTotal: "/cpu/classes/total:cpu-seconds",
	// What starting goroutines adds: each one's stack, and on the heap
	// its closure and (when none is free to reuse) its descriptor.
	iObjects: "/memory/classes/heap/objects:bytes",
	iStacks:  "/memory/classes/heap/stacks:bytes",
}

// Snapshot is the state of the process at one instant.
type Snapshot struct {
	sched     []uint64  // /sched/latencies bucket counts
	buckets   []float64 // their boundaries (shared, never written)
	mutexWait float64   // seconds
	gcCPU     float64   // cpu-seconds
	totalCPU  float64   // cpu-seconds
	mem       float64   // bytes of heap objects and goroutine stacks
	user      time.Duration
	ok        bool
}

// Read takes a Snapshot.
func Read() Snapshot {
	var samples [len(names)]metrics.Sample
	for i, n := range names {
		samples[i].Name = n
	}
	metrics.Read(samples[:])
	user, _ := ProcessCPU()
	s := Snapshot{user: user, ok: true}
	if samples[iSched].Value.Kind() == metrics.KindFloat64Histogram {
		h := samples[iSched].Value.Float64Histogram()
		s.sched = append([]uint64(nil), h.Counts...)
		s.buckets = h.Buckets
	}
	s.mutexWait = float64Of(samples[iMutex])
	s.gcCPU = float64Of(samples[iGC])
	s.totalCPU = float64Of(samples[iTotal])
	s.mem = uint64Of(samples[iObjects]) + uint64Of(samples[iStacks])
	return s
}

func float64Of(s metrics.Sample) float64 {
	if s.Value.Kind() != metrics.KindFloat64 {
		return 0
	}
	return s.Value.Float64()
}

func uint64Of(s metrics.Sample) float64 {
	if s.Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return float64(s.Value.Uint64())
}

// Delta is what happened between two snapshots.
type Delta struct {
	SchedP50, SchedP99 float64 // seconds; NaN when no latency was sampled
	MutexWait          float64 // seconds
	GCShare            float64 // NaN when no GC cycle ended in between
	User               time.Duration
	// GoroutineBytes is the memory each goroutine held once started and
	// parked (PerGoroutine); NaN when not measured.
	GoroutineBytes float64
	ok             bool
}

// Sub returns what happened from before to s.
func (s Snapshot) Sub(before Snapshot) Delta {
	d := Delta{SchedP50: math.NaN(), SchedP99: math.NaN(), GCShare: math.NaN(), GoroutineBytes: math.NaN()}
	if !s.ok || !before.ok {
		return d
	}
	d.ok = true
	d.MutexWait = s.mutexWait - before.mutexWait
	d.User = s.user - before.user
	if total := s.totalCPU - before.totalCPU; total > 0 {
		d.GCShare = (s.gcCPU - before.gcCPU) / total
	}
	if len(s.sched) == len(before.sched) && len(s.sched) > 0 {
		counts := make([]uint64, len(s.sched))
		for i := range counts {
			counts[i] = s.sched[i] - before.sched[i]
		}
		d.SchedP50 = quantile(counts, s.buckets, 0.50)
		d.SchedP99 = quantile(counts, s.buckets, 0.99)
	}
	return d
}

// MinGoroutinesMeasured is the fewest goroutines whose memory
// PerGoroutine measures. Below it the figure is of the runtime's stack
// caches and the sample's own allocations, not of the goroutines: at
// 1,000 io/sleep goroutines it read 975 B, then 224 B, less than the
// 2 KiB stack each one has; at 10,000 and more it held at 2.1-2.3 KB.
const MinGoroutinesMeasured = 10_000

// PerGoroutine returns d with its GoroutineBytes: what g goroutines
// added to the heap objects and stacks from before, read just before
// they were started, to parked, read once each had started and waited
// to be released (the snapshot at the clock's start), per goroutine.
// Fewer than MinGoroutinesMeasured goroutines, or a growth below zero
// (a GC in between freed more than they took), is no measure and
// leaves it NaN.
func (d Delta) PerGoroutine(before, parked Snapshot, g int) Delta {
	if before.ok && parked.ok && g >= MinGoroutinesMeasured && parked.mem >= before.mem {
		d.GoroutineBytes = (parked.mem - before.mem) / float64(g)
	}
	return d
}

// quantile returns the q-quantile (nearest rank) of a runtime/metrics
// histogram: the middle of the bucket it falls in (its finite bound for
// an open-ended bucket), or NaN for an empty histogram. The runtime's
// time buckets are within about 12% of each other, which bounds the
// error.
func quantile(counts []uint64, buckets []float64, q float64) float64 {
	var n uint64
	for _, c := range counts {
		n += c
	}
	if n == 0 {
		return math.NaN()
	}
	rank := max(uint64(math.Ceil(q*float64(n))), 1)
	var seen uint64
	for i, c := range counts {
		seen += c
		if seen < rank {
			continue
		}
		lo, hi := buckets[i], buckets[i+1]
		switch {
		case math.IsInf(lo, -1):
			return max(hi, 0)
		case math.IsInf(hi, 1):
			return lo
		}
		return (lo + hi) / 2
	}
	return math.NaN()
}

// AppendValues appends d's values to dst, per op where the unit says
// so. A value that is undefined for the sample (no scheduler latency
// sampled, no GC finished, getrusage's user time not advanced: Linux
// splits the precise run time into user and system by tick samples, and
// over a short window the user share may stand still) is left out
// rather than written as a made-up zero.
func (d Delta) AppendValues(dst []benchfmt.Value, ops int64) []benchfmt.Value {
	if !d.ok || ops <= 0 {
		return dst
	}
	n := float64(ops)
	if !math.IsNaN(d.SchedP50) {
		dst = append(dst,
			benchfmt.Value{Value: d.SchedP50, Unit: UnitSchedP50},
			benchfmt.Value{Value: d.SchedP99, Unit: UnitSchedP99})
	}
	dst = append(dst, benchfmt.Value{Value: max(d.MutexWait, 0) / n, Unit: UnitMutexWait})
	if !math.IsNaN(d.GCShare) {
		dst = append(dst, benchfmt.Value{Value: d.GCShare, Unit: UnitGCShare})
	}
	if d.User > 0 {
		dst = append(dst, benchfmt.Value{Value: d.User.Seconds() / n, Unit: UnitUserPerOp})
	}
	if !math.IsNaN(d.GoroutineBytes) {
		dst = append(dst, benchfmt.Value{Value: d.GoroutineBytes, Unit: UnitBytesPerGoroutine})
	}
	return dst
}
