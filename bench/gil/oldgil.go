package gil

import (
	"time"

	"github.com/parbench/parbench/workloads"
)

// OldGIL is CPython 2's GIL: a plain lock that the holder releases and
// at once re-takes every CheckInterval ticks (the _Py_Ticker of
// Python/ceval.c; a tick is the work of one bytecode, see
// workloads.TickTime), and around IO. There is no hand-off, no drop
// request and no fairness: on several cores the releaser usually takes
// the lock straight back before a woken waiter is even running, and
// CPU-bound goroutines fight over it.
//
// The lock is a semaphore as Python 2 used on Linux (sem_wait/sem_post
// in Python/thread_pthread.h), not a sync.Mutex: Go's mutex turns into a
// fair FIFO hand-off once a waiter has waited 1ms, which Python 2's lock
// never did.
type OldGIL struct {
	checks int // CheckInterval, CPython 2's _Py_CheckInterval
	sem    sem
	ticker int // _Py_Ticker: ticks left before the next release; the holder's
	stats      // the shared accounting; its methods make OldGIL a WaitAccounter
}

// NewOldGIL returns a free old GIL whose holder releases it every
// checks+1 ticks, as CPython 2 does at sys.setcheckinterval(checks).
func NewOldGIL(checks int) *OldGIL {
	return &OldGIL{checks: checks, ticker: checks, sem: newSem()}
}

// Name returns "gil-old".
func (*OldGIL) Name() string { return "gil-old" }

// Thread returns the handle of one new goroutine.
func (g *OldGIL) Thread() Thread {
	return &oldThread{g: g, st: g.stats.newThread()}
}

// Metrics returns switches/s, median tenure, wait share, median hand-off
// gap and the share of turns taken in order.
func (g *OldGIL) Metrics(wall time.Duration) []workloads.Metric {
	return g.stats.metrics(wall)
}

type oldThread struct {
	g  *OldGIL
	st *threadStats
}

func (t *oldThread) Start()   { t.st.start(); t.take() }
func (t *oldThread) Stop()    { t.drop(true); t.st.stop() }
func (t *oldThread) OpStart() {}
func (t *oldThread) OpEnd()   {}
func (t *oldThread) BeginIO() { t.drop(false) }
func (t *oldThread) EndIO()   { t.take() }

// Bracketless marks oldThread: OpStart and OpEnd do nothing, so the
// runner leaves them out (gil.Bracketless).
func (*oldThread) Bracketless() {}

// Check counts ticks down as Python/ceval.c counts _Py_Ticker: the tick
// that takes it below zero resets it to CheckInterval, and the holder
// releases the lock and asks for it again at once ("Other threads may
// run now"), so a lone CPU-bound holder releases every CheckInterval+1
// ticks.
//
// A check usually reports many ticks at once (a workload checks every
// few microseconds, CPython ticks every ~10ns). Where the count runs
// past zero the holder releases once, at this check: CPython would have
// released at the point the ticker crossed zero, and again every
// CheckInterval+1 ticks after it, but back-to-back releases with no
// work between them would give a waiter no more chances than one, since
// it is woken once per release and is not running yet. What is kept is
// the ticker's phase: the ticks past the crossing count towards the
// next release, so the releases come once every CheckInterval+1 ticks
// on average whenever a check reports fewer ticks than that, and once
// per check when it reports more.
func (t *oldThread) Check(ticks int) {
	g := t.g
	g.ticker -= max(ticks, 0)
	if g.ticker >= 0 {
		return
	}
	past := -g.ticker - 1 // ticks done after the one that crossed zero
	g.ticker = g.checks - past%(g.checks+1)
	t.drop(false)
	t.take()
}

func (t *oldThread) take() {
	if t.g.sem.TryLock() {
		t.g.stats.took(t.st, time.Now())
		return
	}
	t0 := time.Now()
	t.st.enter(PhaseWaiting, t0)
	t.g.sem.Lock()
	now := time.Now()
	t.st.wait(t0, now)
	t.g.stats.took(t.st, now)
}

func (t *oldThread) drop(final bool) {
	t.g.stats.dropped(t.st, time.Now(), final)
	t.g.sem.Unlock()
}
