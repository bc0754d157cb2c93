package gil

import "sync/atomic"

// sem is a binary semaphore that lets a running goroutine barge ahead of
// woken waiters, as a futex-based sem_t or pthread mutex does: Unlock
// frees the lock and wakes one waiter, which must then win the lock like
// anyone else. It is two locks of CPython's: the old GIL itself (Python
// 2's sem_t, oldgil.go) and the new GIL's internal mutex (gil->mutex,
// newgil.go).
//
// sync.Mutex would not do for either: once a goroutine has waited for it
// for 1ms it enters starvation mode and hands itself over in FIFO order,
// each unlock to a sleeping goroutine that must first be scheduled. With
// thousands of goroutines asking for one GIL (io/sleep at 10,000
// goroutines on 2 Ps) its queue never drained, the mode never ended, and
// every take and drop of the GIL waited for a goroutine switch.
type sem struct {
	locked  atomic.Bool
	waiters atomic.Int32
	wake    chan struct{} // holds at most one pending wake-up
}

func newSem() sem { return sem{wake: make(chan struct{}, 1)} }

// TryLock takes the lock if it is free, and reports whether it did.
func (s *sem) TryLock() bool { return s.locked.CompareAndSwap(false, true) }

// Lock takes the lock, waiting for it if it is held.
func (s *sem) Lock() {
	if s.TryLock() {
		return
	}
	s.waiters.Add(1)
	for !s.TryLock() {
		<-s.wake
	}
	s.waiters.Add(-1)
}

// Unlock frees the lock. A waiter that registered before the lock was
// freed either sees it free or gets the wake-up: the store and the load
// below are ordered against Lock's Add and CompareAndSwap.
func (s *sem) Unlock() {
	s.locked.Store(false)
	if s.waiters.Load() > 0 {
		select {
		case s.wake <- struct{}{}:
		default: // a wake-up is already pending
		}
	}
}
