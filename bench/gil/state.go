package gil

import (
	"fmt"
	"strings"
	"time"
)

// Stater is a Lock that can say what it is doing: a watchdog that gives
// up on a sample calls State to record who held the lock, who waited
// for it and for how long, without knowing the mode. Every locking mode
// is one; "none" is not (it has no state).
type Stater interface {
	// State returns a snapshot of the lock. It may be called at any
	// time, from any goroutine, also while the lock's goroutines are
	// stuck: it never waits long for the lock's internal mutex.
	State() State
}

// State is a snapshot of a lock, for a watchdog's dump. The fields a
// mode does not have are zero; String prints only the ones it has.
type State struct {
	Mode   string
	Taken  time.Time // when the snapshot was taken
	Locked bool      // the lock is held (gil: the locked flag; gil-old: the semaphore)
	Holder int       // the holder's thread ID, or -1 for none known
	// Changes counts the lock's changes of holder from one goroutine
	// to another since the lock was made.
	Changes uint64
	// Waiters is how many goroutines the lock itself has queued: gil,
	// on its condition; gil-old, registered on the semaphore.
	Waiters int
	// DropRequest, Switches and SwitchWait are the gil's
	// gil_drop_request, switch_number and the goroutine blocked in a
	// forced switch (a thread ID, or -1).
	DropRequest bool
	Switches    uint64
	SwitchWait  int
	// PendingWake is a wake-up sent but not yet received (gil-old).
	PendingWake bool
	// Partial says why the mode's own fields are missing, when the
	// lock's internal mutex was held too long to read them.
	Partial string
	Threads []ThreadState // every goroutine the lock has made a Thread for
}

// ThreadState is one goroutine's side of a State.
type ThreadState struct {
	ID    int   // its Thread's index, in the order Thread was called
	Phase Phase // what it is doing
	// For is how long it has been doing it. The holder's is counted from
	// when it took the lock over from another goroutine: a holder that
	// drops and re-takes the lock with no one taking it meanwhile (a
	// mutex between its ops, a GIL at a check or around IO) is not
	// timed on each take, which would cost the timed path.
	For time.Duration
	// Timer is the gil's timed wait of a waiter: "due in 3ms",
	// "overdue by 2s" (the GIL's clock goroutine has not timed it out:
	// the Go runtime has not run the clock), or "signalled 1ms ago, not
	// yet running".
	Timer string
}

// Phase is what a goroutine is doing with the lock.
type Phase int32

// The phases. A goroutine is PhaseNew until Start, then holds, waits or
// runs without the lock (between ops of a mutex, in IO of a GIL), and is
// PhaseStopped after Stop.
const (
	PhaseNew     Phase = iota // made, not started
	PhaseRunning              // running without the lock
	PhaseWaiting              // blocked in take
	PhaseHolding              // holding the lock
	PhaseSwitch               // gil: dropped, waiting for another goroutine to take it (forced switch)
	PhaseStopped              // Stop was called
)

var phaseNames = [...]string{"new", "running without the lock", "waiting", "holding", "forced-switch wait", "stopped"}

func (p Phase) String() string {
	if p >= 0 && int(p) < len(phaseNames) {
		return phaseNames[p]
	}
	return fmt.Sprintf("phase(%d)", int32(p))
}

// String writes the state over several lines: the lock, then one line
// per goroutine.
func (s State) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "lock %s at %s: locked=%t holder=%s changes=%d waiters=%d",
		s.Mode, s.Taken.UTC().Format("15:04:05.000000"), s.Locked, threadID(s.Holder), s.Changes, s.Waiters)
	if s.Mode == "gil" && s.Partial == "" {
		fmt.Fprintf(&b, " drop-request=%t switch-number=%d switch-wait=%s", s.DropRequest, s.Switches, threadID(s.SwitchWait))
	}
	if s.Mode == "gil-old" {
		fmt.Fprintf(&b, " pending-wake=%t", s.PendingWake)
	}
	if s.Partial != "" {
		fmt.Fprintf(&b, " (partial: %s)", s.Partial)
	}
	for _, t := range s.Threads {
		fmt.Fprintf(&b, "\n  thread %d: %s for %v", t.ID, t.Phase, t.For.Round(time.Microsecond))
		if t.Timer != "" {
			fmt.Fprintf(&b, ", timer %s", t.Timer)
		}
	}
	return b.String()
}

func threadID(id int) string {
	if id < 0 {
		return "none"
	}
	return fmt.Sprint(id)
}

// state fills in the accounting's side of a State, given st.Locked:
// every thread's phase, and the holder when the mode has not set it.
// The phases never say holding (took does no atomic work unless the
// lock changes hands): the last goroutine to take the lock over holds
// it while the lock is locked and the goroutine has not since begun to
// wait or stopped.
func (s *stats) state(st *State) {
	st.Changes = uint64(s.switches.Load())
	holder := s.holder.Load()
	holderAt := time.Unix(0, s.holderAt.Load())
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.threads {
		p := Phase(t.phase.Load())
		since := time.Unix(0, t.since.Load())
		if t == holder && st.Locked && p == PhaseRunning && (st.Holder < 0 || st.Holder == t.id) {
			p, since = PhaseHolding, holderAt
			st.Holder = t.id
		}
		ts := ThreadState{ID: t.id, Phase: p}
		if p != PhaseNew {
			ts.For = st.Taken.Sub(since)
		}
		st.Threads = append(st.Threads, ts)
	}
}

// tryLock takes mu within about wait, polling: a watchdog must not block
// on a lock whose holder may be the stuck goroutine.
func tryLock(mu interface{ TryLock() bool }, wait time.Duration) bool {
	deadline := time.Now().Add(wait)
	for !mu.TryLock() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(100 * time.Microsecond)
	}
	return true
}

// stateWait is how long State waits for a lock's internal mutex.
const stateWait = 200 * time.Millisecond

// State returns the GIL's flags and, for each waiter, its timed wait.
func (g *GIL) State() State {
	st := State{Mode: g.Name(), Taken: time.Now(), Holder: -1, SwitchWait: -1}
	var timers []string // by thread ID: g.threads[i].st.id == i
	if tryLock(&g.mu, stateWait) {
		st.Locked = g.locked
		if g.locked && g.lastHolder != nil {
			st.Holder = g.lastHolder.st.id
		}
		st.DropRequest = g.dropRequest.Load()
		st.Switches = g.switches
		st.Waiters = len(g.waiters)
		if g.switchWait != nil {
			st.SwitchWait = g.switchWait.st.id
		}
		timers = make([]string, len(g.threads))
		// A waiter's deadline is its batch's in the clock's queue.
		g.timeouts.each(func(t *newThread, deadline time.Time) {
			if d := deadline.Sub(st.Taken); d >= 0 {
				timers[t.st.id] = "due in " + d.Round(time.Microsecond).String()
			} else {
				timers[t.st.id] = "overdue by " + (-d).Round(time.Microsecond).String()
			}
		})
		for i, t := range g.threads {
			if t.slot < 0 && !t.woken.IsZero() {
				timers[i] = "signalled " + st.Taken.Sub(t.woken).Round(time.Microsecond).String() + " ago, not yet running"
			}
		}
		g.mu.Unlock()
	} else {
		st.Partial = fmt.Sprintf("its mutex was held for over %v", stateWait)
		st.Locked = true // unknown; the phases below say more
		st.DropRequest = g.dropRequest.Load()
	}
	g.stats.state(&st)
	for i := range st.Threads {
		if id := st.Threads[i].ID; id < len(timers) {
			st.Threads[i].Timer = timers[id]
		}
	}
	return st
}

// State returns the semaphore's flag, waiter count and pending wake-up.
func (g *OldGIL) State() State {
	st := State{Mode: g.Name(), Taken: time.Now(), Holder: -1, SwitchWait: -1}
	st.Locked = g.sem.locked.Load()
	st.Waiters = int(g.sem.waiters.Load())
	st.PendingWake = len(g.sem.wake) > 0
	g.stats.state(&st)
	return st
}

// State returns the holder and the goroutines' phases; a sync.Mutex
// shows nothing more without being taken. Whether it is locked is a
// TryLock, released at once: a goroutine that asks for the mutex in
// that instant waits for it, once per dump.
func (m *Mutex) State() State {
	st := State{Mode: m.Name(), Taken: time.Now(), Holder: -1, SwitchWait: -1}
	if m.mu.TryLock() {
		m.mu.Unlock()
	} else {
		st.Locked = true
	}
	m.stats.state(&st)
	for _, t := range st.Threads {
		if t.Phase == PhaseWaiting {
			st.Waiters++
		}
	}
	return st
}
