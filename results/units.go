package results

// UnitBytesPerGoroutine is the memory one goroutine of a sample holds
// once started and parked, before the clock starts: the growth of the
// runtime's heap objects and goroutine stacks (runtime/metrics
// /memory/classes/heap/objects:bytes and /memory/classes/heap/stacks:bytes)
// from just before the sample's goroutines are started to the moment
// all of them wait to be released, over the goroutine count: each
// goroutine's stack (2 KiB to start) and closure. Not its descriptor
// (about 0.5 KiB): the runtime keeps an exited goroutine's descriptor
// for the next one, and the calibration runs before a point's first
// sample have already made them, so a budget adds it (io/sleep at
// 1,000,000 goroutines: 2.3 KB on the line, 3.0 KB of peak RSS per
// goroutine). A sample of fewer than 10,000 goroutines leaves it out:
// there the runtime's stack caches and the sample's own allocations
// (the start channel, the ops table) are of its size. The bytes are
// "B" as in benchstat's B/op, so benchstat scales them in KiB.
const UnitBytesPerGoroutine = "B/goroutine"

// UnitMutexWait is the time the process's goroutines spent blocked in
// sync.Mutex.Lock, sync.RWMutex.Lock or sync.RWMutex.RLock during a
// sample, over its ops: the growth of the runtime's
// /sync/mutex/wait/total:seconds. The runtime counts in the same figure
// the time its threads sleep on its own internal locks (the heap's, the
// scheduler's, the timers'), and it samples: one in 8 blocking waits is
// timed and counted 8 times, so a sample with few waits is a rough
// estimate. A wait that spins and never parks is not counted. Over the
// goroutine count times sec/op it is the share of the goroutines' time
// spent blocked on a lock (analysis names the lock as a limit from it).
const UnitMutexWait = "mutex-wait-sec/op"

// UnitGCShare is the share of the CPU time the runtime accounts for
// (GOMAXPROCS x wall time) that went to the garbage collector during a
// sample: the growth of runtime/metrics /cpu/classes/gc/total:cpu-seconds
// over that of /cpu/classes/total:cpu-seconds, up to the sample's last
// GC cycle. Where it is high the goroutines allocate fast, and the
// heap's locks, which UnitMutexWait counts with sync.Mutex, are busy
// (analysis does not name a lock from the mutex wait there).
const UnitGCShare = "gc-cpu-share"

// UnitServerCPU is the CPU time a served workload's service processes
// (its pre-fork worker processes, package workloads' Service) spent
// during a sample, over its ops: the handler's work, the framework's
// (HTTP parsing, routing, JSON) and the database driver's, all counted.
// The runner adds it to the point's cpu-sec/op and parallelism, which
// then count every process of the point: the clients' and the
// service's.
const UnitServerCPU = "server-cpu-sec/op"

// UnitServerRSS is the resident memory of one service worker process
// at the end of a sample (VmRSS), averaged over the processes: what one
// more worker costs, where one more thread costs a stack.
const UnitServerRSS = "B/server-worker"

// UnitBehind is how far behind its schedule an open-loop sample's
// clients sent (webapp with --rate): the mean, over the scheduled ops,
// of each op's send time minus its due time (0 for one sent on time).
// Near 0 the clients kept the rate (what is left is their timers'
// oversleep: about 0.6ms on the 2-CPU VM); when it grows with the
// sample the service is slower than the rate, so ops fell due with
// every client still waiting for an answer, and their p50-sec and
// p99-sec, measured from the due time, include that wait (wrk2's
// correction of coordinated omission).
const UnitBehind = "behind-sec"

// UnitTxLockWait is the share of a served sample's write transactions'
// time (from BEGIN done, the write lock taken, to COMMIT or ROLLBACK done, summed over them)
// that their threads spent waiting to retake the service's lock after a
// statement: time in which a thread holds the database's write lock
// but cannot run, because another thread holds the GIL, while the
// threads that want the write lock wait for it (two locks in a convoy).
// It is reported by served points whose requests ran write
// transactions under a locking mode (not lock none), and merged over
// the service processes as the ratio of the two sums, not as a mean of
// the processes' shares.
const UnitTxLockWait = "tx-lock-wait-share"

// The phases of a replicated sample (a Replicated workload's Timed
// sample, package workloads/cluster): the replicas run healthy for a
// phase time, then partitioned (--partition cuts the links between the
// two sides), then healed (the links forward again), each phase as long
// as the others. A request belongs to the phase it was invoked in.
const (
	PhaseHealthy     = "healthy"
	PhasePartitioned = "partitioned"
	PhaseHealed      = "healed"
)

// Phases are the phases of a replicated sample in order: healthy,
// partitioned, healed. Read it, never change it.
var Phases = []string{PhaseHealthy, PhasePartitioned, PhaseHealed}

// UnitAvail returns the unit of a phase's availability, "avail-"+phase:
// the share, 0 to 1, of the requests invoked in the phase that were
// answered (200), the rest refused or timed out.
func UnitAvail(phase string) string { return "avail-" + phase }

// UnitP50 returns the unit of the median latency of the answered
// requests invoked in a phase, "p50-"+phase+"-sec" ("-sec" last, so
// that benchstat reads seconds).
func UnitP50(phase string) string { return "p50-" + phase + "-sec" }

// UnitP99 returns the unit of the 99th percentile latency of the
// answered requests invoked in a phase, "p99-"+phase+"-sec".
func UnitP99(phase string) string { return "p99-" + phase + "-sec" }

// UnitAvailMinority and UnitAvailMajority split the partitioned phase's
// availability by the side a client is attached to: the cut-off
// smaller side (the "minority"; for halves with an even replica count,
// the side without node 0) and the rest. Under cp the minority answers
// nothing (no quorum), under ap both sides answer.
const (
	UnitAvailMinority = "avail-minority"
	UnitAvailMajority = "avail-majority"
)

// UnitStaleReads is the count, per sample, of reads that returned less
// than the increments acknowledged before the read was sent (the
// sample's initial value plus the increments answered before the read's
// invocation): reads a linearizable design never returns.
const UnitStaleReads = "stale-reads"

// UnitStaleReadsIn returns the unit of the stale reads among the reads
// invoked in a phase, "stale-reads-"+phase: UnitStaleReads split by
// phase, so that a design that serves stale reads with no partition
// (ap between two syncs) shows it in its healthy phase.
func UnitStaleReadsIn(phase string) string { return "stale-reads-" + phase }

// UnitLostAcked is the count of acknowledged increments missing from
// the value the replicas converged to after the sample: the initial
// value plus the acknowledged increments, minus the final value, at
// least 0. Increments of unknown outcome (UnitUnknownOps) may have been
// applied and fill the gap, so with any of them it is a lower bound.
const UnitLostAcked = "lost-acked"

// UnitUnknownOps is the count of a sample's increments whose outcome is
// unknown: timed out, or cut off mid-request, so they may or may not
// have been applied.
const UnitUnknownOps = "unknown-ops"

// UnitConvergeSec is the time from the heal until every node held all
// that any node held at the heal (its progress at least the elementwise
// maximum of all nodes' progress at the heal, all values equal).
const UnitConvergeSec = "converge-sec"

// UnitElectionSec is, under cp with --faults crash (the partitioned
// phase kills the cut-off side's nodes instead of cutting their links),
// the time from the kill of the Raft leader until a surviving node
// reports that it leads (the controller polls the survivors' /state
// every 5ms): the failover. It is absent when the leader was not
// killed (--partition minority spares it; isolate-leader kills it) or
// no survivor led before the heal.
const UnitElectionSec = "election-sec"

// UnitLinearizable is porcupine's verdict on a sample's history of
// increments and reads against a counter: 1 linearizable, 0 not. It is
// absent when the check ran out of time.
const UnitLinearizable = "linearizable"
