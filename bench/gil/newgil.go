package gil

import (
	"math/rand/v2"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/parbench/parbench/workloads"
)

// GIL is CPython's GIL since 3.2 (Antoine Pitrou's "new GIL"), after
// Python/ceval_gil.c and the struct _gil_runtime_state of
// Include/internal/pycore_gil.h. It models the mechanism, not its
// outcome:
//
//   - take: a free GIL is taken at once. Otherwise the goroutine waits on
//     the condition for at most one switch interval; if the wait timed
//     out, the GIL is still held and the switch counter did not move
//     meanwhile, it sets the drop request, and waits again. The timing
//     out is done for every waiter by one clock goroutine per GIL
//     (timeouts.go), which wakes within tens of µs of a deadline where a
//     Go timer would wake up to 1ms late, and whose cost does not grow
//     with the number of goroutines waiting.
//   - drop: clear the locked flag and wake one waiter, whichever (a
//     random one: pthread_cond_signal promises no order).
//   - forced switching: a goroutine that drops while the drop request
//     is set does not run on until another goroutine has taken the GIL
//     (FORCE_SWITCHING in ceval_gil.c).
//   - Check is the eval breaker: a holder that sees the drop request
//     drops and takes again. Seeing no request costs one atomic load.
//   - BeginIO drops (Py_BEGIN_ALLOW_THREADS), EndIO takes
//     (Py_END_ALLOW_THREADS): a goroutine back from IO while another
//     holds the GIL waits an interval like any waiter. That wait is the
//     convoy effect.
//
// Stop drops the GIL the way a thread ends (drop_gil with a NULL
// thread state): without the forced switch.
type GIL struct {
	interval time.Duration
	// dropRequest is gil_drop_request, the eval breaker bit the holder
	// polls; set and cleared under mu, read without it.
	dropRequest atomic.Bool

	mu         sem // gil->mutex, a lock that running goroutines barge (sem.go)
	locked     bool
	lastHolder *newThread
	switches   uint64       // switch_number: holder changes
	waiters    []*newThread // waiting on the condition (cond), for signal's random pick
	timeouts   timeouts     // the same waiters, in the order their timed waits run out
	clock      clockState   // the goroutine that times them out
	// overdue is when the holder times the due waits out itself (see
	// preemptAfter), in nanoseconds on gilEpoch's clock; 0 while no
	// wait is queued. Set under mu, read by Check without it.
	overdue    atomic.Int64
	live       int          // threads started and not stopped, under mu: the clock ends with the last
	switchWait *newThread   // waiting for a forced switch (switch_cond)
	threads    []*newThread // every Thread made, for State
	rng        *rand.Rand
	stats      // the shared accounting; its methods make GIL a WaitAccounter
}

// NewGIL returns a free GIL with the given switch interval, at least
// 1µs (take_gil's "interval >= 1 ? interval : 1", in microseconds).
func NewGIL(interval time.Duration) *GIL {
	return &GIL{interval: max(interval, time.Microsecond), mu: newSem(), rng: rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))}
}

// Name returns "gil".
func (*GIL) Name() string { return "gil" }

// Thread returns the handle of one new goroutine.
func (g *GIL) Thread() Thread {
	t := &newThread{
		g:        g,
		slot:     -1,
		wake:     make(chan struct{}, 1),
		switched: make(chan struct{}, 1),
	}
	// Under mu, so that g.threads[i].st.id == i: State pairs them.
	g.mu.Lock()
	t.st = g.stats.newThread()
	g.threads = append(g.threads, t)
	g.mu.Unlock()
	return t
}

// Metrics returns switches/s, median tenure, wait share, median hand-off
// gap and the share of turns taken in order.
func (g *GIL) Metrics(wall time.Duration) []workloads.Metric {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.stats.metrics(wall)
}

type newThread struct {
	g        *GIL
	st       *threadStats
	slot     int           // index in g.waiters, -1 when not waiting
	wake     chan struct{} // a signal on the condition; holds at most one
	switched chan struct{} // the forced switch happened
	tn       tnode         // its place in g.timeouts while it waits
	// For State, under g.mu: when the goroutine was signalled (zero once
	// it is waiting again or has taken the GIL).
	woken time.Time
}

func (t *newThread) Start()   { t.st.start(); t.g.joined(); t.g.take(t) }
func (t *newThread) Stop()    { t.g.drop(t, false); t.st.stop(); t.g.left() }
func (t *newThread) OpStart() {}
func (t *newThread) OpEnd()   {}
func (t *newThread) BeginIO() { t.g.drop(t, true) }
func (t *newThread) EndIO()   { t.g.take(t) }

// Bracketless marks newThread: OpStart and OpEnd do nothing, so the
// runner leaves them out (gil.Bracketless).
func (*newThread) Bracketless() {}

// Check drops and re-takes the GIL when another goroutine asked for it.
// Where a wait is overdue by preemptAfter, the holder first times it
// out itself, as the clock would have (one clock read per check while
// goroutines wait; none while nobody waits).
func (t *newThread) Check(int) {
	g := t.g
	if o := g.overdue.Load(); o != 0 && int64(time.Since(gilEpoch)) >= o {
		g.mu.Lock()
		g.timedOut(time.Now())
		g.mu.Unlock()
	}
	if g.dropRequest.Load() {
		g.drop(t, true)
		g.take(t)
	}
}

// preemptAfter is how long past a wait's deadline the holder, at its
// next check, times the wait out itself when the clock goroutine has not
// run: the clock needs a P, and with GOMAXPROCS 1 the spinning holder
// keeps the only one until Go's scheduler preempts it (10ms and more), so
// every switch interval became ~40ms. In CPython the waiter is an OS
// thread that the kernel wakes at its deadline and then runs in place of
// the holder, on one CPU or a busy machine, within about its wake-up
// granularity: 1ms times 1+log2(CPUs) under CFS, a 0.75ms base slice
// under EEVDF. The clock itself is 20-70µs late on Linux, so with a P
// free this never fires first.
const preemptAfter = time.Millisecond

// gilEpoch is the origin of overdue's monotonic clock.
var gilEpoch = time.Now()

// setOverdue sets overdue from the earliest queued deadline. Called with
// g.mu held, after every change to the queue.
func (g *GIL) setOverdue() {
	if d, ok := g.timeouts.next(); ok {
		g.overdue.Store(max(int64(d.Sub(gilEpoch)+preemptAfter), 1))
	} else {
		g.overdue.Store(0)
	}
}

// joined and left count the threads between Start and Stop: with the
// last one gone the clock ends at once rather than linger.
func (g *GIL) joined() {
	g.mu.Lock()
	g.live++
	g.mu.Unlock()
}

func (g *GIL) left() {
	g.mu.Lock()
	g.live--
	if g.live == 0 && g.clock.on && g.clock.idle {
		g.clock.a.set(time.Nanosecond) // wake it to end
	}
	g.mu.Unlock()
}

// take is take_gil.
func (g *GIL) take(t *newThread) {
	g.mu.Lock()
	var now time.Time
	if g.locked {
		t0 := time.Now()
		t.st.enter(PhaseWaiting, t0)
		for now = t0; g.locked; now = time.Now() {
			g.timedWait(t, now)
		}
		t.st.wait(t0, now)
	} else {
		now = time.Now()
	}
	g.locked = true
	t.woken = time.Time{}
	if g.lastHolder != t {
		g.lastHolder = t
		g.switches++
	}
	// A dropper waiting for a forced switch may go on: whoever it was,
	// the holder is now another goroutine.
	yield := false
	if w := g.switchWait; w != nil {
		g.switchWait = nil
		w.switched <- struct{}{}
		yield = true
	}
	if g.dropRequest.Load() {
		g.dropRequest.Store(false)
	}
	g.stats.took(t.st, now)
	g.mu.Unlock()
	if yield && runtime.GOMAXPROCS(0) == 1 {
		// The dropper just released is an OS thread in CPython, which
		// the kernel runs soon (on another CPU, or in place of this one
		// within its wake-up granularity), so that it goes back to
		// waiting for the GIL and its next timed wait begins. Go queues
		// it on this P; with a second P it is stolen and runs there
		// within microseconds, but with GOMAXPROCS 1 it would wait for
		// this goroutine to be preempted (10ms and more), and every
		// tenure grew by that: let it run first.
		runtime.Gosched()
	}
}

// drop is drop_gil. With force (a drop at the eval breaker or before IO)
// and a drop request pending, it returns only once another goroutine
// has taken the GIL.
func (g *GIL) drop(t *newThread, force bool) {
	g.mu.Lock()
	now := time.Now()
	g.stats.dropped(t.st, now, !force)
	g.locked = false
	g.signal(now)
	// The check of ceval_gil.c runs after the mutex is released, when
	// another goroutine may already have taken the GIL; here mu is still
	// held, so last_holder is t and the wait is always due.
	if !force || !g.dropRequest.Load() || g.lastHolder != t {
		g.mu.Unlock()
		return
	}
	g.dropRequest.Store(false)
	g.switchWait = t
	t.st.enter(PhaseSwitch, now)
	g.mu.Unlock()
	<-t.switched
	t.st.wait(now, time.Now())
}

// timedWait is COND_TIMED_WAIT on the condition for one interval from
// now: it releases mu, waits for a signal, and takes mu again. The
// timeout is the clock goroutine's (timeouts.go): when the interval runs
// out it does what the waiter would do on waking (sets the drop request
// if no switch happened meanwhile) and starts its next interval, without
// waking it unless the GIL is free.
func (g *GIL) timedWait(t *newThread, now time.Time) {
	t.slot = len(g.waiters)
	g.waiters = append(g.waiters, t)
	t.woken = time.Time{}
	g.timeouts.push(t, now.Add(g.interval), g.switches)
	g.setOverdue()
	g.startClock()
	g.mu.Unlock()
	<-t.wake
	g.mu.Lock()
}

// signal is COND_SIGNAL at now: it wakes one waiter, chosen at random.
func (g *GIL) signal(now time.Time) {
	if len(g.waiters) == 0 {
		return
	}
	w := g.waiters[g.rng.IntN(len(g.waiters))]
	g.unwait(w)
	w.woken = now
	w.wake <- struct{}{}
}

// unwait takes t off the condition: out of waiters and timeouts.
func (g *GIL) unwait(t *newThread) {
	g.timeouts.remove(t)
	g.setOverdue()
	last := len(g.waiters) - 1
	moved := g.waiters[last]
	g.waiters[t.slot] = moved
	moved.slot = t.slot
	g.waiters[last] = nil
	g.waiters = g.waiters[:last]
	t.slot = -1
}
