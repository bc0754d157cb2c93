package gil

import "sync/atomic"

// plainMutex is the GIL's internal mutex (CPython's gil->mutex, a
// pthread mutex): a futex-style lock that lets a running goroutine take
// it ahead of the sleepers its unlock has woken. sync.Mutex does not:
// once a goroutine has waited for it for 1ms it enters starvation mode
// and hands itself over in FIFO order, each unlock to a sleeping
// goroutine that must first be scheduled. With thousands of goroutines
// asking for one GIL (io/sleep at 10,000 goroutines on 2 Ps), its queue
// never drained, the mode never ended, and every take and drop of the
// GIL waited for a goroutine switch.
//
// The lock is Drepper's exchange-based mutex (Futexes Are Tricky, 2011): state is
// 0 free, 1 locked, 2 locked with sleepers perhaps; the futex is a
// one-token channel, so a wake-up sent before its sleeper parks is not
// lost.
type plainMutex struct {
	state atomic.Int32
	once  atomic.Pointer[chan struct{}] // the futex: made on first contention
}

// Lock takes the mutex.
func (m *plainMutex) Lock() {
	if m.state.CompareAndSwap(0, 1) {
		return
	}
	m.lockSlow()
}

func (m *plainMutex) lockSlow() {
	wake := m.wakeChan()
	for m.state.Swap(2) != 0 {
		<-wake
	}
}

// TryLock takes the mutex if it is free, and reports whether it did.
func (m *plainMutex) TryLock() bool { return m.state.CompareAndSwap(0, 1) }

// Unlock frees the mutex and, if a goroutine may sleep on it, wakes one.
func (m *plainMutex) Unlock() {
	if m.state.Add(-1) == 0 {
		return
	}
	m.state.Store(0)
	select {
	case *m.once.Load() <- struct{}{}:
	default: // a token is pending already: a sleeper will take it
	}
}

// wakeChan returns the mutex's one-token channel, made on first use.
func (m *plainMutex) wakeChan() chan struct{} {
	if p := m.once.Load(); p != nil {
		return *p
	}
	c := make(chan struct{}, 1)
	if m.once.CompareAndSwap(nil, &c) {
		return c
	}
	return *m.once.Load()
}
