package webapp

import (
	"sync"
	"sync/atomic"
	"time"
)

// schedule is an open-loop sample's send times (--rate R): one for all
// its clients, made fresh by BeginSample. Op k of the sample is due at
// t0 + k/R, t0 being the moment of the sample's first op. A client
// takes the next slot, waits until it is due and sends; its latency is
// measured from the due time. When every client is still waiting for
// an answer, slots fall due with nobody to send them: the next client
// free sends at once, late, and the lag is in its latency, as wrk2
// counts it (coordinated omission corrected). A closed-loop sample has
// none (nil).
type schedule struct {
	rate  float64 // ops per second
	start sync.Once
	t0    time.Time    // set by the first slot
	next  atomic.Int64 // the next slot to take
}

// newSchedule returns the schedule of a sample at rate ops per second,
// or nil for closed loop (rate 0).
func newSchedule(rate float64) *schedule {
	if rate <= 0 {
		return nil
	}
	return &schedule{rate: rate}
}

// slot takes the next slot and returns its due time.
func (s *schedule) slot() time.Time {
	s.start.Do(func() { s.t0 = time.Now() })
	return s.due(s.next.Add(1) - 1)
}

// due is the due time of slot k: t0 + k/R.
func (s *schedule) due(k int64) time.Time {
	return s.t0.Add(time.Duration(float64(k) / s.rate * float64(time.Second)))
}

// await takes the client's next slot of s and waits, as blocking IO,
// until it is due. It returns the due time, from which the op's latency
// is measured, and how late the client is to send: 0 when it took the
// slot early enough, else the time since the slot fell due.
func (c *client) await(s *schedule) (due time.Time, behind time.Duration) {
	due = s.slot()
	c.pause(time.Until(due))
	return due, max(time.Since(due), 0)
}
