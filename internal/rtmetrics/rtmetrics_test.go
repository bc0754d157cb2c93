package rtmetrics

import (
	"math"
	"runtime"
	"sync"
	"testing"
	"time"

	"golang.org/x/perf/benchfmt"
)

func TestQuantile(t *testing.T) {
	inf := math.Inf(1)
	buckets := []float64{math.Inf(-1), 1, 2, 4, inf}
	for _, tc := range []struct {
		name   string
		counts []uint64
		q      float64
		want   float64
	}{
		{"empty", []uint64{0, 0, 0, 0}, 0.5, math.NaN()},
		{"one bucket", []uint64{0, 5, 0, 0}, 0.5, 1.5},
		{"median in second", []uint64{0, 1, 3, 0}, 0.5, 3},
		{"p99 in open top", []uint64{0, 99, 0, 1}, 0.999, 4},
		{"open bottom", []uint64{3, 0, 0, 0}, 0.5, 1},
		{"p99 below top", []uint64{0, 99, 0, 1}, 0.99, 1.5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := quantile(tc.counts, buckets, tc.q)
			if got != tc.want && !(math.IsNaN(got) && math.IsNaN(tc.want)) {
				t.Errorf("quantile(%v, %v) = %v, want %v", tc.counts, tc.q, got, tc.want)
			}
		})
	}
}

// TestDelta checks the deltas over a stretch of work that must move
// them: CPU spinning (user time), a contended sync.Mutex (mutex wait)
// and more runnable goroutines than Ps (scheduler latency).
func TestDelta(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	before := Read()
	var mu sync.Mutex
	var wg sync.WaitGroup
	var sink int
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			end := time.Now().Add(50 * time.Millisecond)
			for time.Now().Before(end) {
				mu.Lock()
				for i := range 10000 {
					sink += i
				}
				mu.Unlock()
				runtime.Gosched()
			}
		}()
	}
	wg.Wait()
	_ = sink
	d := Read().Sub(before)
	if d.User <= 0 {
		t.Errorf("user CPU %v after 50ms of spinning, want > 0", d.User)
	}
	if math.IsNaN(d.SchedP50) || d.SchedP99 < d.SchedP50 {
		t.Errorf("scheduler latency p50 %v p99 %v: want both, p99 >= p50", d.SchedP50, d.SchedP99)
	}
	if d.MutexWait < 0 {
		t.Errorf("mutex wait %v < 0", d.MutexWait)
	}
	vals := d.AppendValues(nil, 1000)
	units := map[string]float64{}
	for _, v := range vals {
		units[v.Unit] = v.Value
	}
	for _, u := range []string{UnitSchedP50, UnitSchedP99, UnitMutexWait, UnitUserPerOp} {
		if _, ok := units[u]; !ok {
			t.Errorf("no %s among %v", u, vals)
		}
	}
}

// TestUndefinedLeftOut checks that a sample with no GC and no latency
// sampled writes no gc-cpu-share and no scheduler latency, rather than
// a made-up zero.
func TestUndefinedLeftOut(t *testing.T) {
	d := Delta{SchedP50: math.NaN(), SchedP99: math.NaN(), GCShare: math.NaN(), ok: true}
	for _, v := range d.AppendValues(nil, 10) {
		switch v.Unit {
		case UnitGCShare, UnitSchedP50, UnitSchedP99:
			t.Errorf("wrote %v %s for an undefined value", v.Value, v.Unit)
		}
	}
	if vals := (Delta{}).AppendValues([]benchfmt.Value{}, 10); len(vals) != 0 {
		t.Errorf("zero Delta wrote %v", vals)
	}
}

// TestGCShare checks that a GC inside the window gives a share in (0, 1].
func TestGCShare(t *testing.T) {
	runtime.GC()
	before := Read()
	var keep [][]byte
	for range 2000 {
		keep = append(keep, make([]byte, 4096))
	}
	runtime.GC()
	_ = keep
	d := Read().Sub(before)
	if !(d.GCShare > 0 && d.GCShare <= 1) {
		t.Errorf("gc share %v across a GC, want in (0, 1]", d.GCShare)
	}
}

// TestPerGoroutine: 10,000 parked goroutines each hold at least a
// minimal stack (2 KiB, counted here from 1 KiB) and far less than a
// grown one would (64 KiB), and the figure reaches the result line.
func TestPerGoroutine(t *testing.T) {
	const n = MinGoroutinesMeasured
	runtime.GC()
	before := Read()
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	ready.Add(n)
	for range n {
		done.Add(1)
		go func() {
			defer done.Done()
			ready.Done()
			<-start
		}()
	}
	ready.Wait()
	parked := Read()
	close(start)
	done.Wait()
	d := parked.Sub(before).PerGoroutine(before, parked, n)
	if b := d.GoroutineBytes; !(b >= 1<<10 && b <= 64<<10) {
		t.Errorf("%.0f B/goroutine, want 1-64 KiB (a stack of at least 2 KiB each)", b)
	}
	found := false
	for _, v := range d.AppendValues(nil, 1) {
		found = found || v.Unit == UnitBytesPerGoroutine && v.Value == d.GoroutineBytes
	}
	if !found {
		t.Errorf("no %s on the result line", UnitBytesPerGoroutine)
	}
}

// TestPerGoroutineUndefined: no goroutines, no snapshot, or memory that
// shrank (a GC freed more than the goroutines took) is no figure.
func TestPerGoroutineUndefined(t *testing.T) {
	a, b := Read(), Read()
	const g = MinGoroutinesMeasured
	b.mem, a.mem = 1000*g, 2000*g
	for _, c := range []struct {
		name          string
		before, after Snapshot
		g             int
	}{
		{"no goroutines", b, a, 0},
		{"too few goroutines", b, a, g - 1},
		{"no snapshot", Snapshot{}, a, g},
		{"memory shrank", a, b, g},
	} {
		d := c.after.Sub(c.before).PerGoroutine(c.before, c.after, c.g)
		if !math.IsNaN(d.GoroutineBytes) {
			t.Errorf("%s: %v B/goroutine, want none", c.name, d.GoroutineBytes)
		}
		for _, v := range d.AppendValues(nil, 1) {
			if v.Unit == UnitBytesPerGoroutine {
				t.Errorf("%s: %s on the result line", c.name, v.Unit)
			}
		}
	}
	if d := a.Sub(b).PerGoroutine(b, a, g); d.GoroutineBytes != 1000 {
		t.Errorf("%d B over %d goroutines: %v B/goroutine, want 1000", 1000*g, g, d.GoroutineBytes)
	}
}
