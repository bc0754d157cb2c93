package gil

import (
	"runtime"
	"time"
)

// The timed waits of the GIL's take (newgil.go). In CPython each waiter
// times its own wait on the condition (COND_TIMED_WAIT, a
// pthread_cond_timedwait that the kernel ends ~50-70µs after its
// deadline). Here one clock goroutine per GIL does it for all of them,
// for two reasons:
//
//   - Precision. A Go timer shorter than a millisecond fires up to a
//     millisecond late when the waiting goroutine's P is idle: the idle
//     M sleeps in the network poller, whose epoll_wait takes whole
//     milliseconds (runtime/netpoll_epoll.go rounds a 0.5ms delay up to
//     1ms, a 1.5ms one down to 1ms and then polls again). The clock
//     sleeps on an alarm (alarm_linux.go: a timerfd, which the same
//     poller wakes on as soon as the kernel fires it, 20-70µs after the
//     deadline on an idle or a busy machine; alarm.go elsewhere: a Go
//     timer, as before).
//   - Cost. A waiter whose wait ran out with the GIL still held only
//     waits again (and, the first time after a switch, sets the drop
//     request): with 10,000 waiters at a 5ms interval, one timer each
//     made two million timer wake-ups a second, and a switch cost more
//     the more goroutines waited. The clock ends every wait due at once,
//     in one batch, without waking their goroutines.
//
// The queue: the interval is fixed and each wait begins under the GIL's
// mutex, so deadlines come in the order the waits begin, and a new wait
// goes at the tail. Waits that begin together (a batch the clock timed
// out and re-armed, or one new wait) share a mark that holds their
// deadline and the switch number they began at. Ending the due waits
// costs one step per due mark, however many waiters follow each: the
// cost grows with the waits begun in the last interval, not with the
// goroutines that sit waiting. A waiter leaves the queue in O(1) when
// signalled.

// tnode is one element of the timeout queue: a waiter, or a mark that
// opens the batch of waiters after it (up to the next mark).
type tnode struct {
	prev, next *tnode
	th         *newThread // the waiter; nil for a mark and the roots
	// A mark's: the batch's deadline and the switch number (saved_switchnum)
	// when its waits began, and its neighbours among the marks.
	mark               bool
	deadline           time.Time
	saved              uint64
	prevMark, nextMark *tnode
}

// timeouts is the queue of timed waits, in deadline order.
type timeouts struct {
	root  tnode  // the list of marks and waiters (circular, through root)
	marks tnode  // the list of marks alone (through prevMark/nextMark)
	free  *tnode // unused marks, linked through next
}

func (q *timeouts) init() {
	if q.root.next == nil {
		q.root.next, q.root.prev = &q.root, &q.root
		q.marks.nextMark, q.marks.prevMark = &q.marks, &q.marks
	}
}

// push appends t's wait, due at deadline, begun at switch number saved.
func (q *timeouts) push(t *newThread, deadline time.Time, saved uint64) {
	q.init()
	if last := q.marks.prevMark; last == &q.marks || !last.deadline.Equal(deadline) || last.saved != saved {
		q.appendMark(deadline, saved)
	}
	n := &t.tn
	n.th = t
	q.insertBefore(n, &q.root)
}

// remove takes t's wait out of the queue, and its mark with it if t was
// the last of its batch, so that every mark opens a batch of one or more.
func (q *timeouts) remove(t *newThread) {
	n := &t.tn
	prev, next := n.prev, n.next
	prev.next, next.prev = next, prev
	n.prev, n.next = nil, nil
	if prev.mark && !(next != &q.root && !next.mark) {
		q.removeMark(prev)
	}
}

// next returns the earliest deadline, if any wait is queued.
func (q *timeouts) next() (time.Time, bool) {
	q.init()
	if m := q.marks.nextMark; m != &q.marks {
		return m.deadline, true
	}
	return time.Time{}, false
}

// expire removes the marks of the batches due by now and returns the
// highest switch number their waits began at. Their waiters stay at the
// front of the queue, without a mark, until rearm gives them one.
func (q *timeouts) expire(now time.Time) (saved uint64, ok bool) {
	q.init()
	for m := q.marks.nextMark; m != &q.marks && !m.deadline.After(now); m = q.marks.nextMark {
		saved, ok = m.saved, true
		q.removeMark(m)
	}
	return saved, ok
}

// first returns the waiter at the front of the queue, or nil.
func (q *timeouts) first() *newThread { return q.root.next.th }

// rearm gives the waiters that expire left at the front one new batch,
// due at deadline and begun at switch number saved, at the tail: each
// of them waits again.
func (q *timeouts) rearm(deadline time.Time, saved uint64) {
	a := q.root.next
	if a == &q.root || a.mark {
		return // none left unmarked
	}
	stop := &q.root // the node after the unmarked run
	if m := q.marks.nextMark; m != &q.marks {
		stop = m
	}
	b := stop.prev
	// Cut a..b out, append the new mark, then a..b after it.
	q.root.next, stop.prev = stop, &q.root
	q.appendMark(deadline, saved)
	last := q.root.prev
	last.next, a.prev = a, last
	b.next, q.root.prev = &q.root, b
}

// each calls f for every queued wait, in deadline order.
func (q *timeouts) each(f func(t *newThread, deadline time.Time)) {
	q.init()
	var d time.Time
	for n := q.root.next; n != &q.root; n = n.next {
		if n.mark {
			d = n.deadline
		} else {
			f(n.th, d)
		}
	}
}

func (q *timeouts) insertBefore(n, at *tnode) {
	n.prev, n.next = at.prev, at
	at.prev.next = n
	at.prev = n
}

func (q *timeouts) appendMark(deadline time.Time, saved uint64) {
	m := q.free
	if m != nil {
		q.free = m.next
	} else {
		m = &tnode{mark: true}
	}
	m.deadline, m.saved = deadline, saved
	q.insertBefore(m, &q.root)
	m.prevMark, m.nextMark = q.marks.prevMark, &q.marks
	q.marks.prevMark.nextMark = m
	q.marks.prevMark = m
}

func (q *timeouts) removeMark(m *tnode) {
	m.prev.next, m.next.prev = m.next, m.prev
	m.prevMark.nextMark, m.nextMark.prevMark = m.nextMark, m.prevMark
	*m = tnode{mark: true, next: q.free}
	q.free = m
}

// clockLinger is how long the clock goroutine outlives the last wait
// while threads still run: a GIL whose waits come and go keeps one clock
// (and, on Linux, one timerfd) rather than start one per wait. Once the
// last thread has stopped (the end of a sample) it ends at once, so the
// runner's leak check does not wait for it.
const clockLinger = 100 * time.Millisecond

// clockState is the GIL's clock goroutine, under the GIL's mutex.
type clockState struct {
	on   bool  // the goroutine runs
	idle bool  // it waits out clockLinger with no wait queued
	a    alarm // its alarm, while on
}

// startClock makes sure the clock goroutine runs and will wake by the
// deadline of a wait just queued. Called with g.mu held.
func (g *GIL) startClock() {
	switch {
	case !g.clock.on:
		g.clock.on = true
		go g.tick()
	case g.clock.idle:
		// Its alarm is set for the end of the linger; the new wait is
		// due in one interval.
		g.clock.idle = false
		g.clock.a.set(g.interval)
	}
	// Otherwise its alarm is set for a deadline no later than the new
	// one: deadlines come in order.
}

// tick is the clock goroutine: it sleeps until the earliest deadline
// and times out the waits due then, until no wait has been queued for
// clockLinger.
func (g *GIL) tick() {
	a := newAlarm()
	g.mu.Lock()
	g.clock.a = a
	var idleSince time.Time
	for {
		now := time.Now()
		if d, ok := g.timeouts.next(); ok {
			g.clock.idle, idleSince = false, time.Time{}
			if wait := d.Sub(now); wait > 0 {
				a.set(wait)
				g.mu.Unlock()
				a.wait()
				g.mu.Lock()
				continue
			}
			if g.timedOut(now) {
				// The woken waiter was readied on this P: let it run
				// rather than wait behind the clock's next sleep.
				g.mu.Unlock()
				runtime.Gosched()
				g.mu.Lock()
			}
			continue
		}
		if idleSince.IsZero() {
			idleSince = now
		}
		if now.Sub(idleSince) >= clockLinger || g.live == 0 {
			g.clock = clockState{}
			g.mu.Unlock()
			a.close()
			return
		}
		g.clock.idle = true
		a.set(clockLinger - now.Sub(idleSince))
		g.mu.Unlock()
		a.wait()
		g.mu.Lock()
	}
}

// timedOut does, at now, what take_gil's loop does in each waiter whose
// timed wait has run out: if the GIL is free, one of them goes on to
// take it; if it is held and no switch has happened since one of them
// began to wait, the drop request is set; the others wait again, one
// more interval from now. It reports whether it woke a waiter. Called
// with g.mu held.
func (g *GIL) timedOut(now time.Time) (woke bool) {
	saved, ok := g.timeouts.expire(now)
	if !ok {
		return false
	}
	if !g.locked {
		w := g.timeouts.first()
		g.unwait(w)
		w.woken = now
		w.wake <- struct{}{}
		woke = true
	} else if saved == g.switches {
		g.dropRequest.Store(true)
	}
	g.timeouts.rearm(now.Add(g.interval), g.switches)
	g.setOverdue()
	return woke
}
