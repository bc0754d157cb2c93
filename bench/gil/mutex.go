package gil

import (
	"sync"
	"time"

	"github.com/parbench/parbench/workloads"
)

// Mutex is a coarse application lock: one sync.Mutex held around each
// whole op, IO included. It is the contrast to the GILs: a GIL is
// released inside an op (at checks and around IO), a Mutex never.
type Mutex struct {
	mu    sync.Mutex
	stats // the shared accounting; its methods make Mutex a WaitAccounter
}

// NewMutex returns a free Mutex mode.
func NewMutex() *Mutex { return &Mutex{} }

// Name returns "mutex".
func (*Mutex) Name() string { return "mutex" }

// Thread returns the handle of one new goroutine.
func (m *Mutex) Thread() Thread { return &mutexThread{m: m, st: m.stats.newThread()} }

// Metrics returns switches/s, median tenure (one op), wait share, median
// hand-off gap and the share of turns taken in order.
func (m *Mutex) Metrics(wall time.Duration) []workloads.Metric { return m.stats.metrics(wall) }

type mutexThread struct {
	workloads.NopEnv
	m  *Mutex
	st *threadStats
}

func (t *mutexThread) Start() { t.st.start() }

// Stop takes the goroutine out of the turn queue, under the lock that
// guards the queue.
func (t *mutexThread) Stop() {
	t.m.mu.Lock()
	t.m.stats.unqueue(t.st)
	t.m.mu.Unlock()
	t.st.stop()
}

// OpStart and OpEnd run on every op: uncontended, they do no atomic
// work but the mutex's own.
func (t *mutexThread) OpStart() {
	if t.m.mu.TryLock() {
		t.m.stats.took(t.st, time.Now())
		return
	}
	t0 := time.Now()
	t.st.enter(PhaseWaiting, t0)
	t.m.mu.Lock()
	now := time.Now()
	t.st.wait(t0, now)
	t.m.stats.took(t.st, now)
}

func (t *mutexThread) OpEnd() {
	t.m.stats.dropped(t.st, time.Now(), false)
	t.m.mu.Unlock()
}
