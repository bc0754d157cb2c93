package gil

import (
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// recorder is a WaitRecorder that sums the waits and keeps the function
// at the top of each stack it sees.
type recorder struct {
	mu    sync.Mutex
	n     int
	total time.Duration
	tops  map[string]int
}

func (r *recorder) RecordWait(d time.Duration) {
	var pcs [4]uintptr
	n := runtime.Callers(2+RecorderSkip, pcs[:])
	fr, _ := runtime.CallersFrames(pcs[:n]).Next()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.n++
	r.total += d
	if r.tops == nil {
		r.tops = map[string]int{}
	}
	r.tops[fr.Function]++
}

// TestWaitRecorder checks that every wait the lock accounts for reaches
// the recorder (all wait paths are hooked: take, the forced switch, the
// semaphore, the mutex) and that the stack it sees starts in the lock's
// own take, below which is the caller that asked.
func TestWaitRecorder(t *testing.T) {
	for _, mode := range lockModes {
		t.Run(mode, func(t *testing.T) {
			rec := &recorder{}
			opts := testOptions()
			opts.Waits = rec
			l := newLock(t, mode, opts)
			var occ, violations atomic.Int32
			runThreads(t, l, 4, time.Minute, func(w int, th Thread) {
				randomOps(th, rand.New(rand.NewPCG(7, uint64(w))), 100, &occ, &violations)
			})
			got, want := rec.total, Waited(l)
			if want == 0 {
				t.Fatal("no wait accounted: the test did not contend")
			}
			if got != want {
				t.Errorf("recorder got %v in %d waits, the lock accounted %v", got, rec.n, want)
			}
			for fn := range rec.tops {
				if !strings.Contains(fn, "/bench/gil.") {
					t.Errorf("a stack starts at %s, want a frame of package gil (RecorderSkip off?)", fn)
				}
			}
		})
	}
}

// TestNoRecorder checks that a lock without a recorder still accounts
// its waits, and that None reports none.
func TestNoRecorder(t *testing.T) {
	l := newLock(t, "gil", testOptions())
	var occ, violations atomic.Int32
	runThreads(t, l, 3, time.Minute, func(w int, th Thread) {
		randomOps(th, rand.New(rand.NewPCG(1, uint64(w))), 50, &occ, &violations)
	})
	if Waited(l) == 0 {
		t.Error("gil accounted no wait under contention")
	}
	if w := Waited(None{}); w != 0 {
		t.Errorf("Waited(None) = %v, want 0", w)
	}
}
