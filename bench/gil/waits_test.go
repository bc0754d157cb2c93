package gil

import (
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parbench/parbench/workloads"
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
			got, want := rec.total, waited(t, l)
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

// waited returns l's own accounting of its waits.
func waited(t testing.TB, l Lock) time.Duration {
	t.Helper()
	a, ok := l.(WaitAccounter)
	if !ok {
		t.Fatalf("mode %s is not a WaitAccounter", l.Name())
	}
	return a.Waited()
}

// TestNoRecorder checks that a lock without a recorder still accounts
// its waits.
func TestNoRecorder(t *testing.T) {
	l := newLock(t, "gil", testOptions())
	var occ, violations atomic.Int32
	runThreads(t, l, 3, time.Minute, func(w int, th Thread) {
		randomOps(th, rand.New(rand.NewPCG(1, uint64(w))), 50, &occ, &violations)
	})
	if waited(t, l) == 0 {
		t.Error("gil accounted no wait under contention")
	}
}

// TestModesAccountWaits checks that every mode but "none" is a
// WaitAccounter, so that --profile gil records its waits: a new mode in
// the modes table that misses it fails here.
func TestModesAccountWaits(t *testing.T) {
	for _, mode := range Modes() {
		if mode == "none" {
			continue
		}
		t.Run(mode, func(t *testing.T) {
			if _, ok := newLock(t, mode, testOptions()).(WaitAccounter); !ok {
				t.Errorf("mode %s is not a WaitAccounter: --profile gil would record none of its waits", mode)
			}
		})
	}
}

// toyLock is a mode made the way the docs say (embed stats, report
// each wait through threadStats.wait), known to nothing but the modes
// table: every OpStart waits a fixed time.
type toyLock struct{ stats }

func (*toyLock) Name() string { return "toy" }

func (l *toyLock) Thread() Thread { return &toyThread{st: l.newThread()} }

func (l *toyLock) Metrics(wall time.Duration) []workloads.Metric { return l.metrics(wall) }

type toyThread struct {
	workloads.NopEnv
	st *threadStats
}

// toyWait is how long each of toyLock's OpStart waits.
const toyWait = 50 * time.Microsecond

func (t *toyThread) Start() { t.st.start() }
func (t *toyThread) Stop()  { t.st.stop() }
func (t *toyThread) OpStart() {
	t0 := time.Now()
	time.Sleep(toyWait)
	t.st.wait(t0, time.Now())
}
func (t *toyThread) OpEnd() {}

// TestToyModeRecorded checks that a mode added only to the modes table
// reaches the recorder through New, with no change to waits.go.
func TestToyModeRecorded(t *testing.T) {
	modes["toy"] = struct {
		summary string
		make    func(Options) Lock
	}{"a test mode", func(Options) Lock { return &toyLock{} }}
	t.Cleanup(func() { delete(modes, "toy") })
	rec := &recorder{}
	opts := testOptions()
	opts.Waits = rec
	l := newLock(t, "toy", opts)
	const g, ops = 3, 20
	runThreads(t, l, g, time.Minute, func(_ int, th Thread) {
		for range ops {
			th.OpStart()
			th.OpEnd()
		}
	})
	if rec.n != g*ops {
		t.Errorf("recorder got %d waits, want %d", rec.n, g*ops)
	}
	if got, want := rec.total, waited(t, l); got != want || want < g*ops*toyWait {
		t.Errorf("recorder got %v, the lock accounted %v, want both at least %v", got, want, g*ops*toyWait)
	}
}
