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

// wait adds the wait from t0 to now to t's accounting, hands it to the
// recorder, if any, and puts t back in PhaseRunning: a take that waited
// is about to hold the lock, which State tells from stats.holder.
func (t *threadStats) wait(t0, now time.Time) {
	d := now.Sub(t0)
	t.waited += d
	t.enter(PhaseRunning, now)
	if t.rec != nil {
		t.rec.RecordWait(d)
	}
}

// WaitAccounter is a Lock that accounts the time its goroutines wait
// for it: every mode but "none", through the accounting they share
// (stats, which each embeds). --profile gil goes through it: New hands
// Options.Waits to SetRecorder, and the runner adds Waited to the gil
// profile after each sample. A mode without it records nothing under
// --profile gil; TestModesAccountWaits fails for any mode but "none"
// that lacks it.
type WaitAccounter interface {
	// SetRecorder makes every Thread made from now on hand its waits to
	// rec (nil: to none).
	SetRecorder(rec WaitRecorder)
	// Waited returns the time the lock's goroutines have spent waiting
	// for it (the numerator of wait-share). Call it after every
	// goroutine has stopped.
	Waited() time.Duration
}

// SetRecorder makes every Thread made from now on hand its waits to rec.
func (s *stats) SetRecorder(rec WaitRecorder) { s.rec = rec }

// Waited returns the time the lock's goroutines have spent waiting for
// it, by the lock's own accounting.
func (s *stats) Waited() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	var w time.Duration
	for _, t := range s.threads {
		w += t.waited
	}
	return w
}
