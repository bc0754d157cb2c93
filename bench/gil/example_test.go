package gil_test

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parbench/parbench/bench/gil"
	"github.com/parbench/parbench/workloads"
)

// Two goroutines under a simulated CPython 3 GIL, each with its own
// Thread, as the runner drives a sample: Start when the goroutine
// begins, OpStart and OpEnd around each op, Check inside its CPU work,
// Stop at the end. Between two checks only the goroutine holding the
// GIL runs, so the stretches of work never overlap, on any number of
// cores. The lock's figures (Metrics) become extra "value unit" pairs
// of the sample's result line; their values vary from run to run.
func ExampleNew() {
	lock, err := gil.New("gil", gil.DefaultOptions())
	if err != nil {
		fmt.Println(err)
		return
	}
	const ops = 200
	done := make([]int, 2)
	var running, overlaps atomic.Int32
	var wg sync.WaitGroup
	t0 := time.Now()
	for g := range done {
		th := lock.Thread() // one Thread per goroutine, made before it starts
		wg.Go(func() {
			th.Start()
			defer th.Stop()
			for range ops {
				th.OpStart()
				if running.Add(1) > 1 {
					overlaps.Add(1)
				}
				workloads.Spin(workloads.NopEnv{}, 5) // a stretch of CPU work with no check in it
				running.Add(-1)
				th.Check(100) // the GIL may change hands here
				done[g]++
				th.OpEnd()
			}
		})
	}
	wg.Wait()
	fmt.Println("lock:", lock.Name())
	fmt.Println("ops per goroutine:", done)
	fmt.Println("stretches that overlapped:", overlaps.Load())
	for _, m := range lock.Metrics(time.Since(t0)) {
		if slices.Contains([]string{gil.UnitSwitches, gil.UnitWait}, m.Unit) {
			fmt.Println("figure:", m.Unit)
		}
	}
	// Output:
	// lock: gil
	// ops per goroutine: [200 200]
	// stretches that overlapped: 0
	// figure: switches/s
	// figure: wait-share
}
