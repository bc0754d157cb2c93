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
