package webapp

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parbench/parbench/results"
)

// TestScheduleIsExact: slot k of a schedule at R ops per second is due
// at exactly t0 + k/R (to the nanosecond: k/R is a float, rounded to
// one), whichever goroutine takes it, and each slot is taken once.
func TestScheduleIsExact(t *testing.T) {
	if newSchedule(0) != nil {
		t.Fatal("rate 0 has a schedule: closed loop has none")
	}
	const rate, n, takers = 1000, 400, 8 // a slot every millisecond
	s := newSchedule(rate)
	var mu sync.Mutex
	var dues []time.Time
	var wg sync.WaitGroup
	for range takers {
		wg.Go(func() {
			for range n / takers {
				d := s.slot()
				mu.Lock()
				dues = append(dues, d)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	slices.SortFunc(dues, func(a, b time.Time) int { return a.Compare(b) })
	for k, d := range dues {
		if got := d.Sub(s.t0); !within1ns(got, time.Duration(k)*time.Millisecond) {
			t.Fatalf("slot %d due at t0%+v, want t0+%v", k, got, time.Duration(k)*time.Millisecond)
		}
	}
}

// within1ns reports whether got is want to the nanosecond: a duration
// made of a float is rounded to one, either way.
func within1ns(got, want time.Duration) bool { return got-want >= -1 && got-want <= 1 }

// openRun is one open- or closed-loop sample of in, as the runner runs
// it, with the wall time of its ops alone and its figures by unit.
type openRun struct {
	wall time.Duration
	m    map[string]float64
}

func runOpen(t *testing.T, in *instance, rate float64, clients, ops int) openRun {
	t.Helper()
	in.cfg.rate = rate
	in.BeginSample()
	ws := newWorkers(t, in, clients)
	t0 := time.Now()
	err := runOps(ws, ops)
	wall := time.Since(t0)
	for _, w := range ws {
		w.Close()
	}
	if err != nil {
		t.Fatalf("op: %v", err)
	}
	r := openRun{wall: wall, m: map[string]float64{}}
	for _, x := range in.EndSample(wall, int64(clients*ops)) {
		r.m[x.Unit] = x.Value
	}
	_, open := r.m[results.UnitBehind]
	if open != (rate > 0) {
		t.Errorf("rate %v: figures %v: behind-sec only for open loop", rate, r.m)
	}
	return r
}

// sends records each open-loop op's due time and send (testHookSend).
type sends struct {
	mu        sync.Mutex
	due, sent []time.Time
}

func recordSends(t *testing.T) *sends {
	s := new(sends)
	testHookSend = func(due, sent time.Time) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.due, s.sent = append(s.due, due), append(s.sent, sent)
	}
	t.Cleanup(func() { testHookSend = nil })
	return s
}

// check checks that n ops were sent, none before it was due, and that
// the dues are t0 + k/rate for k from 0 to n-1, exactly (to the
// nanosecond, as k/rate is a float).
func (s *sends) check(t *testing.T, n int, rate float64) {
	t.Helper()
	if len(s.due) != n {
		t.Fatalf("%d ops on the schedule, want %d", len(s.due), n)
	}
	for i := range s.due {
		if s.sent[i].Before(s.due[i]) {
			t.Errorf("an op sent %v before it was due", s.due[i].Sub(s.sent[i]))
		}
	}
	due := slices.SortedFunc(slices.Values(s.due), func(a, b time.Time) int { return a.Compare(b) })
	for k, d := range due {
		want := time.Duration(float64(k) / rate * float64(time.Second))
		if got := d.Sub(due[0]); !within1ns(got, want) {
			t.Fatalf("op %d due at t0+%v, want t0+%v", k, got, want)
		}
	}
	s.due, s.sent = nil, nil
}

// TestOpenLoopKeepsTheRate: well below the service's capacity (100 ops
// a second from 4 clients, a read taking well under a millisecond),
// every op is sent on its slot and never before, the throughput is the
// rate (the last op is due 59/100 s after the first, so at most 60/59
// of it), and the clients are behind their schedule by about nothing:
// the oversleep of a timer and the odd slow op, bounded at half the
// 10ms between slots (after a warm-up sample, as the runner's
// calibration is one).
func TestOpenLoopKeepsTheRate(t *testing.T) {
	const rate, clients, ops = 100, 4, 15
	in := startT(t, "webapp/read", config{})
	runOpen(t, in, 0, clients, ops)
	s := recordSends(t)
	for range 2 { // a second sample has a schedule of its own
		r := runOpen(t, in, rate, clients, ops)
		s.check(t, clients*ops, rate)
		tput := clients * ops / r.wall.Seconds()
		if tput < 0.85*rate || tput > 1.02*rate {
			t.Errorf("throughput %.1f/s at rate %d/s (wall %v)", tput, rate, r.wall)
		}
		if b := r.m[results.UnitBehind]; b > 0.5/rate {
			t.Errorf("behind-sec %.3g well below capacity, want about 0 (at most %.3g)", b, 0.5/rate)
		}
	}
}

// slowFront is a service of one thread whose every request takes 5ms
// (a sleep): 200 requests a second at most, whatever the clients. It
// answers a read of any document with that document.
func slowFront(t *testing.T) string {
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		time.Sleep(5 * time.Millisecond)
		mu.Unlock()
		id, err := strconv.ParseInt(strings.TrimPrefix(r.URL.Path, "/docs/"), 10, 64)
		if r.Method != http.MethodGet || err != nil {
			http.Error(w, `{"error":"not here","kind":"test"}`, http.StatusNotFound)
			return
		}
		w.Header().Set("ETag", `"1"`)
		fmt.Fprintf(w, `{"id":%d,"counter":0,"version":1}`, id)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestOpenLoopCountsTheLag: at 4 times the capacity of a service that
// serves one 5ms request at a time, closed-loop clients see the queue
// of their own 4 requests (p99 about 20ms), while open-loop ones see
// each op's lag behind its slot too, which grows through the sample:
// op k is due at k/800 s and sent near k/200 s. So the open-loop p99
// is many times the closed-loop one (about 15 times with 80 ops; the
// bound is 4), the throughput is the service's, far below the rate,
// and behind-sec, the mean lag, grows with the sample's length
// (doubling it about doubles the mean lag; the bound is 1.5).
func TestOpenLoopCountsTheLag(t *testing.T) {
	const clients, capacity = 4, 200
	const rate = 4 * capacity
	in := startT(t, "webapp/read", config{})
	in.base = slowFront(t)
	closed := runOpen(t, in, 0, clients, 20)
	s := recordSends(t)
	short := runOpen(t, in, rate, clients, 20)
	s.check(t, clients*20, rate)
	long := runOpen(t, in, rate, clients, 40)
	s.check(t, clients*40, rate)

	cp99, op99 := closed.m["p99-sec"], short.m["p99-sec"]
	t.Logf("closed p99 %.3gs, open p99 %.3gs (x%.1f); behind-sec %.3g, then %.3g with twice the ops",
		cp99, op99, op99/cp99, short.m[results.UnitBehind], long.m[results.UnitBehind])
	if !(op99 > 4*cp99) {
		t.Errorf("open-loop p99 %.3gs, closed-loop %.3gs: want the open one over 4 times the closed one", op99, cp99)
	}
	if tput := clients * 20 / short.wall.Seconds(); tput > rate/2 {
		t.Errorf("throughput %.1f/s over a service of %d/s at rate %d/s", tput, capacity, rate)
	}
	if b1, b2 := short.m[results.UnitBehind], long.m[results.UnitBehind]; !(b2 > 1.5*b1 && b1 > 0) {
		t.Errorf("behind-sec %.3g with %d ops, %.3g with %d: want it to grow with the sample", b1, clients*20, b2, clients*40)
	}
}

// TestOpenLoopServed: a served sweep's clients keep the schedule too,
// below the capacity of one worker process of one thread (a 1ms
// handler under its GIL), after a warm-up sample.
func TestOpenLoopServed(t *testing.T) {
	const rate, clients, ops = 100, 4, 10
	in := startServedT(t, "webapp/read", config{handlerCPU: time.Millisecond}, shape(1, 1, "gil"))
	runOpen(t, in, 0, clients, ops)
	s := recordSends(t)
	r := runOpen(t, in, rate, clients, ops)
	s.check(t, clients*ops, rate)
	if b := r.m[results.UnitBehind]; b > 0.5/rate {
		t.Errorf("behind-sec %.3g well below capacity, want about 0 (at most %.3g)", b, 0.5/rate)
	}
	if _, ok := r.m[results.UnitServerCPU]; !ok {
		t.Errorf("figures %v: not served", r.m)
	}
}

// TestNoisyHeavyClientStaysClosed: noisy-neighbor's heavy client runs
// its reports as it always has, off the schedule, which its light
// clients share.
func TestNoisyHeavyClientStaysClosed(t *testing.T) {
	in := startT(t, "webapp/noisy-neighbor", config{})
	s := recordSends(t)
	runOpen(t, in, 200, 3, 4)
	s.check(t, 2*4, 200)
	if in.heavy != 4 {
		t.Errorf("heavy ops %d, want 4", in.heavy)
	}
}
