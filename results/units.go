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
// Over sec/op times the concurrency it gives the share of a request's
// time spent computing rather than waiting.
const UnitServerCPU = "server-cpu-sec/op"

// UnitServerRSS is the resident memory of one service worker process
// at the end of a sample (VmRSS), averaged over the processes: what one
// more worker costs, where one more thread costs a stack.
const UnitServerRSS = "B/server-worker"
