package gil

import (
	"math/bits"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parbench/parbench/workloads"
)

// The accounting shared by the locking modes. Every figure is updated by
// the goroutine that holds the lock, at the moment it takes or drops it,
// so the lock itself serialises the bookkeeping. What a watchdog's State
// (state.go) reads while the goroutines run is atomic, and is written
// only where a goroutine starts, stops or waits, or where the lock
// changes hands: a take or a drop that does not hand over (a mutex's
// every op, a CPU check) does no atomic work of the accounting's.

// threadStats is one goroutine's side of the accounting. Only its own
// goroutine writes begin, active and waited; the lock's holder writes
// the rest. The runner reads Metrics after every goroutine has stopped.
type threadStats struct {
	begin     time.Time
	active    time.Duration // from Start to Stop
	waited    time.Duration // blocked in take (and in a forced switch)
	heldSince time.Time
	rec       WaitRecorder // nil unless profiling (waits.go)

	// For State (state.go), read by a watchdog while the goroutine
	// runs: its index in stats.threads, what it is doing and since
	// when. Written only where the goroutine starts, stops or waits:
	// the phase never says "holding" (State derives that from
	// stats.holder), and is PhaseRunning after a wait.
	id    int
	phase atomic.Int32 // a Phase
	since atomic.Int64 // unix nanoseconds at the change of phase

	// The turn queue: goroutines that have held the lock, least
	// recently dropped first. A new holder at its front took its turn in
	// order.
	prev, next *threadStats
	queued     bool
}

func (t *threadStats) start() {
	t.begin = time.Now()
	t.enter(PhaseRunning, t.begin)
}

func (t *threadStats) stop() {
	now := time.Now()
	t.active += now.Sub(t.begin)
	t.enter(PhaseStopped, now)
}

// enter records that t's goroutine is in phase p from now on.
func (t *threadStats) enter(p Phase, now time.Time) {
	t.since.Store(now.UnixNano())
	t.phase.Store(int32(p))
}

// stats is one lock's side of the accounting. took and dropped are
// called by the holder of the lock; metrics once every goroutine has
// stopped.
type stats struct {
	rec        WaitRecorder   // handed to each new thread (Options.Waits)
	mu         sync.Mutex     // guards threads: Thread may be called at any time
	threads    []*threadStats // every thread made, for metrics
	last       *threadStats   // the last holder
	droppedAt  time.Time
	switches   atomic.Int64 // holder changes from one goroutine to another; read by State
	turns      int64        // holder changes to a goroutine that held it before
	inOrder    int64        // of those, to the goroutine whose turn it was
	tenure     hist         // one take to the next drop
	handoff    hist         // a drop to the take by another goroutine
	head, tail *threadStats
	// For State: the last holder and when it took over from another
	// goroutine, set only where the holder changes. Whether it holds
	// the lock now is the lock's to say.
	holder   atomic.Pointer[threadStats]
	holderAt atomic.Int64 // unix nanoseconds
}

func (s *stats) newThread() *threadStats {
	t := &threadStats{rec: s.rec}
	s.mu.Lock()
	defer s.mu.Unlock()
	t.id = len(s.threads)
	s.threads = append(s.threads, t)
	return t
}

// took records that t took the lock at now. Only a take by another
// goroutine than the last holder (a hand-off) does atomic work.
func (s *stats) took(t *threadStats, now time.Time) {
	if s.last != t {
		if s.last != nil {
			s.switches.Add(1)
			s.handoff.add(now.Sub(s.droppedAt))
			if t.queued {
				s.turns++
				if s.head == t {
					s.inOrder++
				}
			}
		}
		s.last = t
		s.holderAt.Store(now.UnixNano())
		s.holder.Store(t)
	}
	s.unqueue(t)
	t.heldSince = now
}

// dropped records that t dropped the lock at now. A final drop (the
// goroutine is ending) takes t out of the turn queue for good.
func (s *stats) dropped(t *threadStats, now time.Time, final bool) {
	s.tenure.add(now.Sub(t.heldSince))
	s.droppedAt = now
	if !final {
		t.prev, t.next, t.queued = s.tail, nil, true
		if s.tail != nil {
			s.tail.next = t
		} else {
			s.head = t
		}
		s.tail = t
	}
}

func (s *stats) unqueue(t *threadStats) {
	if !t.queued {
		return
	}
	if t.prev != nil {
		t.prev.next = t.next
	} else {
		s.head = t.next
	}
	if t.next != nil {
		t.next.prev = t.prev
	} else {
		s.tail = t.prev
	}
	t.prev, t.next, t.queued = nil, nil, false
}

// Units of the figures a locking mode reports.
const (
	UnitSwitches = "switches/s"     // holder changes per second of wall time
	UnitTenure   = "tenure-p50-sec" // median time from a take to its drop
	UnitWait     = "wait-share"     // share of goroutine time spent waiting for the lock
	UnitHandoff  = "handoff-sec"    // median time from a drop to another goroutine's take
	UnitInOrder  = "in-order-share" // share of turns taken by the goroutine that waited longest
)

// metrics returns the figures of a sample of the given wall time. A
// sample without a holder change has no hand-off and no turn order, and
// leaves those units out rather than report a made-up zero.
func (s *stats) metrics(wall time.Duration) []workloads.Metric {
	var active, waited time.Duration
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.threads {
		active += t.active
		waited += t.waited
	}
	share := 0.0
	if active > 0 {
		share = float64(waited) / float64(active)
	}
	switches := s.switches.Load()
	ms := []workloads.Metric{
		{Value: float64(switches) / wall.Seconds(), Unit: UnitSwitches},
		{Value: s.tenure.quantile(0.5).Seconds(), Unit: UnitTenure},
		{Value: share, Unit: UnitWait},
	}
	if switches > 0 {
		ms = append(ms, workloads.Metric{Value: s.handoff.quantile(0.5).Seconds(), Unit: UnitHandoff})
	}
	if s.turns > 0 {
		ms = append(ms, workloads.Metric{Value: float64(s.inOrder) / float64(s.turns), Unit: UnitInOrder})
	}
	return ms
}

// hist is a log-linear histogram of durations: exact below 64ns, then
// 32 buckets per power of two, so a quantile is within about 3%. It
// takes a fixed 15 KiB however many values it holds, which matters for
// IO-bound samples with millions of tenures.
type hist struct {
	n      int64
	sum    time.Duration
	counts [histBuckets]int64
}

const (
	histSubBits = 5
	histSub     = 1 << histSubBits
	histBuckets = (64-histSubBits)*histSub + histSub
)

func histBucket(v uint64) int {
	if v < 2*histSub {
		return int(v)
	}
	shift := bits.Len64(v) - histSubBits - 1
	return shift*histSub + int(v>>shift)
}

// histValue returns the middle of bucket i.
func histValue(i int) uint64 {
	if i < 2*histSub {
		return uint64(i)
	}
	shift := i/histSub - 1
	lo := uint64(i-shift*histSub) << shift
	return lo + (uint64(1)<<shift)/2
}

func (h *hist) add(d time.Duration) {
	h.n++
	h.sum += d
	h.counts[histBucket(uint64(max(d, 0)))]++
}

// quantile returns the q-quantile (nearest rank), or 0 when h is empty.
func (h *hist) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := max(int64(q*float64(h.n)+0.5), 1)
	var seen int64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return time.Duration(histValue(i))
		}
	}
	return time.Duration(histValue(histBuckets - 1))
}
