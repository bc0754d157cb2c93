package bench

import (
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"
)

// opFunc does op number i on behalf of worker w.
type opFunc func(w int, i int64) error

// divide runs ops [0, n) on g goroutines that draw chunks of chunk ops
// from one atomic counter (strong scaling), or, with perWorker set, gives
// each goroutine its own n ops (weak scaling, n*g ops in all). Every
// goroutine waits on start, so the caller decides when time begins; each
// calls begin before its first op and end after its last (a lock's Start
// and Stop). It returns how many ops each goroutine did and the first
// error; after an error the other goroutines stop at their next chunk.
// Setting failed from outside (a watchdog abandoning the sample) stops
// them the same way. A panic in begin, end or op is caught in its
// goroutine and returned as a *PanicError with its stack.
//
// Every goroutine is started first and waits on one channel; the clock
// starts (after mark(true)) when that channel is closed and stops when
// the last goroutine is done (before mark(false)), so goroutine creation
// is not timed.
func divide(failed *atomic.Bool, g int, n int64, chunk int64, perWorker bool, mark func(start bool),
	begin, end func(w int), op opFunc) (done []int64, wall time.Duration, err error) {
	done = make([]int64, g)
	start := make(chan struct{})
	var (
		next    atomic.Int64
		errOnce sync.Once
		first   error
		wg      sync.WaitGroup
	)
	fail := func(err error) {
		errOnce.Do(func() { first = err })
		failed.Store(true)
	}
	for w := range g {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if v := recover(); v != nil {
					fail(&PanicError{Value: v, Stack: debug.Stack()})
				}
			}()
			<-start
			begin(w)
			defer end(w)
			if perWorker {
				for i := range n {
					if err := op(w, i); err != nil {
						fail(err)
						return
					}
					done[w]++
					if i%chunk == chunk-1 && failed.Load() {
						return
					}
				}
				return
			}
			for !failed.Load() {
				hi := next.Add(chunk)
				lo := hi - chunk
				if lo >= n {
					return
				}
				hi = min(hi, n)
				for i := lo; i < hi; i++ {
					if err := op(w, i); err != nil {
						fail(err)
						return
					}
				}
				done[w] += hi - lo
			}
		}()
	}
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
