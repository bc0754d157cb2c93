package gil

import "time"

// WaitRecorder receives every wait for a lock, for a profile of where
// goroutines lost time to it (parbench run --profile gil). RecordWait is
// called on the goroutine that waited, right after the wait and before
// it runs on, from inside the lock's take: a runtime.Callers there sees
// the call site that asked for the lock (a Check, an EndIO, an OpStart)
// below gil's own frames. It may be called from many goroutines at once
// and, for the GILs, while the lock's internal mutex is held, so it must
// be quick and must not call back into the lock.
//
// With Options.Waits nil (the default) nothing is recorded and the only
// cost is one nil check per wait, on the path that has just blocked.
type WaitRecorder interface {
	RecordWait(d time.Duration)
}

// RecorderSkip is the number of frames above a WaitRecorder's
// RecordWait, its own frame excluded, that belong to gil's accounting:
// runtime.Callers(2+RecorderSkip, pcs) inside RecordWait starts at the
// lock's take.
const RecorderSkip = 1

// wait adds the wait that began at t0 to t's accounting and hands it to
// the recorder, if any.
func (t *threadStats) wait(t0 time.Time) {
	d := time.Since(t0)
	t.waited += d
	if t.rec != nil {
		t.rec.RecordWait(d)
	}
}

// setRecorder makes every Thread that l makes from now on report its
// waits to rec. The modes without accounting ignore it.
func setRecorder(l Lock, rec WaitRecorder) {
	switch l := l.(type) {
	case *GIL:
		l.stats.rec = rec
	case *OldGIL:
		l.stats.rec = rec
	case *Mutex:
		l.stats.rec = rec
	}
}

// Waited returns the time l's goroutines have spent waiting for it, by
// the lock's own accounting (the numerator of wait-share). Call it after
// every goroutine has stopped. It is 0 for mode "none".
func Waited(l Lock) time.Duration {
	var s *stats
	switch l := l.(type) {
	case *GIL:
		s = &l.stats
	case *OldGIL:
		s = &l.stats
	case *Mutex:
		s = &l.stats
	default:
		return 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var w time.Duration
	for _, t := range s.threads {
		w += t.waited
	}
	return w
}
