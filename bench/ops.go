package bench

import (
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parbench/parbench/bench/gil"
	"github.com/parbench/parbench/workloads"
)

// opsFunc runs ops [lo, hi) on behalf of goroutine w, one chunk drawn
// by divide, and returns how many of them completed: all, or those
// before the op that failed, with its error. Its loop is the runner's
// per-op path; divide's own work is per chunk.
type opsFunc func(w int, lo, hi int64) (int64, error)

// bareOps is the loop of a sample whose Threads are all
// gil.Bracketless: each op is one increment and one call of the
// worker's Op, next to testing.B's one decrement (pb.Next, inlined)
// around the body. Nothing else hangs on the per-op path: profiling labels are
// the goroutine's, set before it starts; a workload that times its ops
// (latency/convoy) does so inside Op; the op floor (minops.go) sizes the
// sample, not the op; worker processes have their own loop (exec.go).
func bareOps(workers []workloads.Worker) opsFunc {
	return func(w int, lo, hi int64) (int64, error) {
		wk := workers[w]
		for i := lo; i < hi; i++ {
			if err := wk.Op(); err != nil {
				return i - lo, err
			}
		}
		return hi - lo, nil
	}
}

// bracketedOps is the loop of a sample whose lock brackets each op
// (mutex takes the lock in OpStart): OpStart, Op, OpEnd per op, OpEnd
// also after a failed op, as the op's lock must be dropped.
func bracketedOps(threads []gil.Thread, workers []workloads.Worker) opsFunc {
	return func(w int, lo, hi int64) (int64, error) {
		th, wk := threads[w], workers[w]
		for i := lo; i < hi; i++ {
			th.OpStart()
			err := wk.Op()
			th.OpEnd()
			if err != nil {
				return i - lo, err
			}
		}
		return hi - lo, nil
	}
}

// sampleOps returns the loop for a sample's threads and workers: the
// bare one when bracketless(threads), the bracketed one otherwise.
func sampleOps(threads []gil.Thread, workers []workloads.Worker) opsFunc {
	if bracketless(threads) {
		return bareOps(workers)
	}
	return bracketedOps(threads, workers)
}

// bracketless reports whether every Thread is a gil.Bracketless: the
// choice of loop goes by what the lock's Threads are, never by a mode's
// or a workload's name.
func bracketless(threads []gil.Thread) bool {
	for _, th := range threads {
		if _, ok := th.(gil.Bracketless); !ok {
			return false
		}
	}
	return true
}

// errWorkerDone is returned by an opsFunc whose goroutine has no more
// ops to do although it was handed some: a Timed sample's goroutine
// whose Op said the sample is done (untilDone). divide ends that
// goroutine and no other; it is not a failure.
var errWorkerDone = errors.New("worker done")

// untilDone is the loop of a Timed sample (workloads.Timed): run's,
// with an Op error that wraps workloads.ErrSampleDone ending the
// goroutine (errWorkerDone) rather than failing the sample. The op
// that returned it is not counted.
func untilDone(run opsFunc) opsFunc {
	return func(w int, lo, hi int64) (int64, error) {
		k, err := run(w, lo, hi)
		if err != nil && errors.Is(err, workloads.ErrSampleDone) {
			return k, errWorkerDone
		}
		return k, err
	}
}

// divide runs ops [0, n) on g goroutines that draw chunks of chunk ops
// from one atomic counter (strong scaling), or, with perWorker set, gives
// each goroutine its own n ops in chunks of chunk (weak scaling, n*g ops
// in all). Every goroutine waits on start, so the caller decides when
// time begins; each calls begin before its first op and end after its
// last (a lock's Start and Stop). As testing.PB.Next does, it touches
// shared state once per chunk only (the counter, the failure flag); the
// per-op loop is run's, and each goroutine counts its ops in a local
// and writes them to done once, at its end (adjacent counters written
// per op would share a cache line between cores).
//
// It returns how many ops each goroutine did and the first error; after
// an error the other goroutines stop at their next chunk. Setting
// failed from outside (a watchdog abandoning the sample) stops them the
// same way. A panic in begin, end or run is caught in its goroutine and
// returned as a *PanicError with its stack. A run that returns
// errWorkerDone ends its own goroutine only (untilDone).
//
// Every goroutine is started first and waits on one channel; the clock
// starts (after mark(true)) when that channel is closed and stops when
// the last goroutine is done (before mark(false)), so goroutine creation
// is not timed. Nor is a goroutine's first run: the clock waits until
// every goroutine has run up to the channel (ready), as at GOMAXPROCS 1
// none would have run before close, and 100,000 first runs (a few
// hundred ns each) would fall in the timed window. What is timed of the
// release is close waking the parked goroutines (the runtime readies
// each, about 0.1-0.2µs at 100,000) and, at the end, their exits: the
// sample's goal (sampleGoal, minops.go) makes it long enough that these
// are under 1% of it.
func divide(failed *atomic.Bool, g int, n int64, chunk int64, perWorker bool, mark func(start bool),
	begin, end func(w int), run opsFunc) (done []int64, wall time.Duration, err error) {
	done = make([]int64, g)
	chunk = max(chunk, 1)
	start := make(chan struct{})
	var (
		next    atomic.Int64
		errOnce sync.Once
		first   error
		wg      sync.WaitGroup
		ready   sync.WaitGroup // each goroutine at the channel
	)
	ready.Add(g)
	fail := func(err error) {
		errOnce.Do(func() { first = err })
		failed.Store(true)
	}
	for w := range g {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine int64 // ops done, written to done[w] once
			defer func() {
				done[w] = mine
				if v := recover(); v != nil {
					fail(&PanicError{Value: v, Stack: debug.Stack()})
				}
			}()
			ready.Done()
			<-start
			begin(w)
			defer end(w)
			for !failed.Load() {
				var lo, hi int64
				if perWorker {
					lo = mine
					if lo >= n {
						return
					}
					hi = min(lo+chunk, n)
				} else {
					hi = next.Add(chunk)
					lo = hi - chunk
					if lo >= n {
						return
					}
					hi = min(hi, n)
				}
				k, err := run(w, lo, hi)
				mine += k
				if err == errWorkerDone {
					return
				}
				if err != nil {
					fail(err)
					return
				}
			}
		}()
	}
	ready.Wait()
	mark(true)
	t0 := time.Now()
	close(start)
	wg.Wait()
	wall = time.Since(t0)
	mark(false)
	return done, wall, first
}

// checkOps adds up the ops each goroutine (or worker process) did and
// checks the total against what the sample asked for: ops in all
// (strong scaling) or ops each for g goroutines (weak).
func checkOps(done []int64, ops int64, g int, weak bool) (int64, error) {
	want := ops
	if weak {
		want = ops * int64(g)
	}
	var sum int64
	for _, d := range done {
		sum += d
	}
	if sum != want {
		return sum, fmt.Errorf("did %d ops, want %d: the work division lost or duplicated ops", sum, want)
	}
	return sum, nil
}

// checkTimedOps adds up the ops of a Timed sample's goroutines: they
// ran until the sample was done, so there is no count to compare, but a
// sample of no op has no sec/op.
func checkTimedOps(done []int64) (int64, error) {
	var sum int64
	for _, d := range done {
		sum += d
	}
	if sum == 0 {
		return 0, errors.New("a timed sample did no op: every worker's first Op said the sample was done (workloads.ErrSampleDone)")
	}
	return sum, nil
}
