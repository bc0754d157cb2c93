package procfs

import (
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// threadCPU is the CPU time of the calling thread, by its own clock.
func threadCPU(t *testing.T) time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		t.Error("CLOCK_THREAD_CPUTIME_ID:", err)
	}
	return time.Duration(ts.Nano())
}

// TestCPUOfBracketsABusyLoop: two reads of CPUOf(self) bracket a busy
// loop of 50ms on a thread of this process that then ends. They differ
// by the loop's CPU time, as the thread's own clock reads it, and by
// little more (the process's other threads are mostly idle meanwhile:
// the runtime's and the race detector's background work took up to
// 5.7ms of the window on the 2-CPU VM with four test binaries running
// beside it, so the margin is 20ms, well under the 50ms of a clock that
// counted the loop twice or a 10ms tick's error): in
// nanoseconds, not in ticks of 10ms, and the thread's time kept after
// it ended, which a sum over the live threads would drop.
func TestCPUOfBracketsABusyLoop(t *testing.T) {
	const loop, margin = 50 * time.Millisecond, 20 * time.Millisecond
	type result struct {
		tid       int
		c0, spent time.Duration
		ok0       bool
	}
	var r result
	for {
		done := make(chan result, 1)
		go func() {
			runtime.LockOSThread() // and never unlocked: the thread ends with this goroutine
			r := result{tid: unix.Gettid()}
			defer func() { done <- r }()
			if r.tid == os.Getpid() {
				// The main thread, which Go keeps (idle) rather than
				// end: the next goroutine runs on another.
				return
			}
			r.c0, r.ok0 = CPUOf(os.Getpid())
			t0 := threadCPU(t)
			for threadCPU(t)-t0 < loop {
			}
			r.spent = threadCPU(t) - t0
		}()
		if r = <-done; r.tid != os.Getpid() {
			break
		}
	}
	task := "/proc/self/task/" + strconv.Itoa(r.tid)
	for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(time.Millisecond) {
		if _, err := os.Stat(task); os.IsNotExist(err) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the locked thread (%s) did not end within 2s of its goroutine", task)
		}
	}
	c1, ok1 := CPUOf(os.Getpid())
	if !r.ok0 || !ok1 {
		t.Fatalf("CPUOf(self) = %v, %v then %v, %v", r.c0, r.ok0, c1, ok1)
	}
	t.Logf("CPUOf(self) %v then %v: %v over a loop of %v", r.c0, c1, c1-r.c0, r.spent)
	if d := c1 - r.c0; d < r.spent || d > r.spent+margin {
		t.Errorf("CPUOf(self) grew by %v over a busy loop of %v on a thread that then ended: want that and at most %v more", d, r.spent, margin)
	}
	if r.c0%time.Microsecond == 0 && c1%time.Microsecond == 0 {
		t.Errorf("CPUOf(self) = %v then %v: whole microseconds, want nanoseconds", r.c0, c1)
	}
}
