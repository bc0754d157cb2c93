package gil

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parbench/parbench/internal/procfs"
)

// qEntry is a model of one queued wait.
type qEntry struct {
	t        *newThread
	deadline time.Time
	saved    uint64
}

// checkQueue compares q with the model and checks that every mark opens
// a batch of one or more waiters, and returns the number of marks.
func checkQueue(t *testing.T, q *timeouts, model []qEntry) int {
	t.Helper()
	var got []qEntry
	q.each(func(th *newThread, d time.Time) { got = append(got, qEntry{t: th, deadline: d}) })
	if len(got) != len(model) {
		t.Fatalf("queue holds %d waits, model %d", len(got), len(model))
	}
	for i := range got {
		if got[i].t != model[i].t || !got[i].deadline.Equal(model[i].deadline) {
			t.Fatalf("wait %d: thread %d due %v, model thread %d due %v", i, got[i].t.st.id, got[i].deadline, model[i].t.st.id, model[i].deadline)
		}
	}
	marks := 0
	for n := q.root.next; n != &q.root; n = n.next {
		if n.mark {
			marks++
			if n.next == &q.root || n.next.mark {
				t.Fatalf("a mark (due %v) opens an empty batch", n.deadline)
			}
		}
	}
	d, ok := q.next()
	if ok != (len(model) > 0) || ok && !d.Equal(model[0].deadline) {
		t.Fatalf("next = %v, %v; model's first %v", d, ok, model)
	}
	return marks
}

// TestTimeoutsQueue drives the timeout queue with random pushes,
// removals and expiries against a plain list, and checks that a batch
// re-armed after its waits ran out is one mark however many waiters it
// holds: timing out many waiters costs one step per batch.
func TestTimeoutsQueue(t *testing.T) {
	const interval = time.Millisecond
	g := NewGIL(interval)
	ths := make([]*newThread, 200)
	for i := range ths {
		ths[i] = g.Thread().(*newThread)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var q timeouts
	var model []qEntry
	queued := map[*newThread]bool{}
	now := time.Unix(0, 0)
	var switches uint64
	for step := range 20000 {
		now = now.Add(time.Duration(rng.IntN(100)) * time.Microsecond)
		if rng.IntN(10) == 0 {
			switches++
		}
		switch r := rng.IntN(10); {
		case r < 5: // a new wait
			th := ths[rng.IntN(len(ths))]
			if queued[th] {
				continue
			}
			q.push(th, now.Add(interval), switches)
			model = append(model, qEntry{th, now.Add(interval), switches})
			queued[th] = true
		case r < 8 && len(model) > 0: // a signal
			i := rng.IntN(len(model))
			q.remove(model[i].t)
			delete(queued, model[i].t)
			model = slices.Delete(model, i, i+1)
		default: // the clock
			saved, ok := q.expire(now)
			due := 0
			var want uint64
			for due < len(model) && !model[due].deadline.After(now) {
				want = model[due].saved
				due++
			}
			if ok != (due > 0) || ok && saved != want {
				t.Fatalf("step %d: expire = %d, %v; want %d, %v", step, saved, ok, want, due > 0)
			}
			if due > 0 && rng.IntN(3) == 0 { // the GIL was free: the first goes on
				if f := q.first(); f != model[0].t {
					t.Fatalf("step %d: first = %v, want %v", step, f, model[0].t)
				}
				q.remove(model[0].t)
				delete(queued, model[0].t)
				model, due = model[1:], due-1
			}
			q.rearm(now.Add(interval), switches)
			again := slices.Clone(model[:due])
			for i := range again {
				again[i].deadline, again[i].saved = now.Add(interval), switches
			}
			model = append(model[due:], again...)
		}
		checkQueue(t, &q, model)
	}

	// 10,000 waits that all time out: one mark for all of them after.
	var big timeouts
	model = model[:0]
	many := make([]*newThread, 10000)
	for i := range many {
		many[i] = &newThread{st: &threadStats{id: i}}
		now = now.Add(time.Microsecond)
		big.push(many[i], now.Add(interval), 7)
		model = append(model, qEntry{t: many[i], deadline: now.Add(interval)})
	}
	if n := checkQueue(t, &big, model); n != len(many) {
		t.Fatalf("%d marks for %d waits begun apart, want one each", n, len(many))
	}
	now = now.Add(interval)
	if saved, ok := big.expire(now); !ok || saved != 7 {
		t.Fatalf("expire = %d, %v, want 7, true", saved, ok)
	}
	big.rearm(now.Add(interval), 8)
	for i := range model {
		model[i].deadline = now.Add(interval)
	}
	if n := checkQueue(t, &big, model); n != 1 {
		t.Fatalf("%d marks after re-arming one batch of %d waits, want 1", n, len(many))
	}
}

// tenureAt runs two goroutines that spin on Check under a GIL with the
// given interval on GOMAXPROCS 2 for d, and returns the median tenure.
func tenureAt(interval, d time.Duration) time.Duration {
	return tenureOn(2, interval, d)
}

// tenureOn is tenureAt on procs Ps.
func tenureOn(procs int, interval, d time.Duration) time.Duration {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
	g := NewGIL(interval)
	var stop atomic.Bool
	var wg sync.WaitGroup
	for range 2 {
		th := g.Thread()
		wg.Add(1)
		go func() {
			defer wg.Done()
			th.Start()
			defer th.Stop()
			x := 0
			for !stop.Load() {
				for range 100 {
					x++
				}
				th.Check(1)
			}
		}()
	}
	time.Sleep(d)
	stop.Store(true)
	wg.Wait()
	return g.stats.tenure.quantile(0.5)
}

// TestTenureTracksShortInterval checks that a waiter's timed wait ends
// near its deadline below a millisecond: two CPU-bound goroutines at a
// 0.5ms interval change hands every ~0.6ms (CPython 3.11 here: 0.60-0.65ms),
// not every ~1.06ms as when each waiter timed its wait with a Go
// timer. The bound, 1.6 intervals, is half-way between.
//
// The claim is about a quiet machine: when the OS keeps this process's
// threads waiting for a CPU (as CPython's would be), the holder runs on
// past its interval for reasons that are not the lock's. So a try in
// which the threads spent over a tenth of its time on a run queue does
// not count against it: any try below the bound passes (noise only
// lengthens tenures), a quiet one above it fails, and when every try
// was starved the test is skipped, saying so.
func TestTenureTracksShortInterval(t *testing.T) {
	if runtime.NumCPU() < 2 {
		t.Skip("needs 2 CPUs: the waiter's timeout runs beside the spinning holder")
	}
	if _, ok := runQueueWait(); !ok {
		t.Skip("needs /proc/self/task/*/schedstat to tell a quiet try from a starved one")
	}
	const (
		interval = 500 * time.Microsecond
		try      = 300 * time.Millisecond
		bound    = 1.6 * float64(interval)
	)
	var quiet, starved []string
	for range 5 {
		q0, _ := runQueueWait()
		ten := tenureAt(interval, try)
		q1, _ := runQueueWait()
		if float64(ten) < bound {
			return
		}
		if q1-q0 > try/10 {
			starved = append(starved, fmt.Sprintf("%v (%v queued)", ten, (q1-q0).Round(time.Millisecond)))
			continue
		}
		quiet = append(quiet, ten.String())
	}
	if len(quiet) == 0 {
		t.Skipf("machine busy: every try's threads waited over %v for a CPU: %v", try/10, starved)
	}
	t.Errorf("tenure p50 at a %v interval = %v in the quiet tries, want below 1.6 intervals (%v); starved tries: %v",
		interval, quiet, time.Duration(bound), starved)
}

// TestTenureOneP checks the holder's own time-out of an overdue wait
// (preemptAfter): on one P the clock goroutine cannot run beside a
// spinning holder, and without it two CPU-bound goroutines at a 5ms
// interval changed hands every ~40ms, whenever Go's scheduler preempted
// the holder. Now the tenure is about one interval and preemptAfter. The
// bound, 3 intervals, leaves room for a busy machine's time slices.
func TestTenureOneP(t *testing.T) {
	const (
		interval = 5 * time.Millisecond
		bound    = 3 * interval
	)
	var got []time.Duration
	for range 3 {
		ten := tenureOn(1, interval, 300*time.Millisecond)
		if ten < bound {
			return
		}
		got = append(got, ten)
	}
	t.Errorf("tenure p50 on one P at a %v interval = %v in three tries, want below %v", interval, got, bound)
}

// runQueueWait returns the time this process's threads have spent
// waiting on a CPU run queue, and false where Linux's schedstat cannot
// be read.
func runQueueWait() (time.Duration, bool) {
	paths, _ := filepath.Glob("/proc/self/task/*/schedstat")
	var sum time.Duration
	n := 0
	for _, p := range paths {
		if _, wait, ok := procfs.Schedstat(p); ok {
			sum += wait
			n++
		}
	}
	return sum, n > 0
}

// BenchmarkTenure reports the median tenure of two CPU-bound goroutines
// on 2 Ps, and its lateness past the interval, at intervals from 0.1ms
// to 5ms, on an idle machine and with two busy processes beside it (like
// two `yes >/dev/null`). One op is 100ms of running.
func BenchmarkTenure(b *testing.B) {
	for _, busy := range []int{0, 2} {
		for _, iv := range []time.Duration{100 * time.Microsecond, 500 * time.Microsecond, time.Millisecond, 5 * time.Millisecond} {
			b.Run(fmt.Sprintf("busy=%d/interval=%v", busy, iv), func(b *testing.B) {
				if busy > 0 {
					defer startBusy(b, busy)()
				}
				var tens []time.Duration
				for b.Loop() {
					tens = append(tens, tenureAt(iv, 100*time.Millisecond))
				}
				slices.Sort(tens)
				ten := tens[len(tens)/2]
				b.ReportMetric(float64(ten.Nanoseconds()), "tenure-ns")
				b.ReportMetric(float64((ten - iv).Nanoseconds()), "late-ns")
				b.ReportMetric(float64(ten)/float64(iv), "tenure/interval")
			})
		}
	}
}
