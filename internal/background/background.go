// Package background runs a workload's background goroutines (see
// workloads.Backgrounder) during one sample, under the sample's lock:
// the CPU-bound goroutines of latency/convoy, for instance. The runner
// uses it in-process and each worker process of --exec processes uses it
// in its own process, so both modes treat them the same way.
//
// The data flow:
//
//  1. Start asks the Instance how many background goroutines it wants,
//     gives each its own Thread from the lock and its own worker, starts
//     them, and returns once all are running, so the measured goroutines
//     start into a lock that is already contended.
//  2. Each goroutine takes the lock (Thread.Start) and loops over its
//     worker's Op, between OpStart and OpEnd, until stopped.
//  3. End stops them after their current op, waits, closes their
//     workers and returns the first error (an op's, else a Close's).
//     Stop only asks them to stop, for a watchdog that cannot wait.
//
// It is internal to the module: package bench and internal/procs are
// its only users.
package background

import (
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/parbench/parbench/bench/gil"
	"github.com/parbench/parbench/workloads"
)

// Group is the background goroutines of one sample. A nil *Group (an
// Instance without background goroutines) is valid: its methods do
// nothing.
type Group struct {
	stop    atomic.Bool
	wg      sync.WaitGroup
	workers []workloads.Worker
	once    sync.Once
	errOnce sync.Once
	err     error
}

// Start starts inst's background goroutines under lock and returns once
// each one is running. It returns nil, and starts nothing, for an
// Instance without background goroutines.
func Start(inst workloads.Instance, lock gil.Lock) (*Group, error) {
	bg, ok := inst.(workloads.Backgrounder)
	if !ok || bg.Background() == 0 {
		return nil, nil
	}
	g := &Group{}
	n := bg.Background()
	threads := make([]gil.Thread, n)
	for i := range n {
		threads[i] = lock.Thread()
		w, err := bg.NewBackground(threads[i])
		if err != nil {
			_ = g.closeWorkers() // the error to report is NewBackground's
			return nil, fmt.Errorf("background goroutine: %w", err)
		}
		g.workers = append(g.workers, w)
	}
	var running sync.WaitGroup
	running.Add(n)
	g.wg.Add(n)
	for i, th := range threads {
		w := g.workers[i]
		go func() {
			defer g.wg.Done()
			running.Done()
			th.Start()
			defer th.Stop()
			for !g.stop.Load() {
				th.OpStart()
				err := w.Op()
				th.OpEnd()
				if err != nil {
					g.errOnce.Do(func() { g.err = fmt.Errorf("background goroutine: %w", err) })
					return
				}
			}
		}()
	}
	running.Wait()
	return g, nil
}

// Stop asks the goroutines to stop after their current op, without
// waiting for them.
func (g *Group) Stop() {
	if g != nil {
		g.stop.Store(true)
	}
}

// End stops the goroutines after their current op, waits for them,
// closes their workers and returns the first error: an op's, else a
// worker's Close. It may be called more than once.
func (g *Group) End() error {
	if g == nil {
		return nil
	}
	g.once.Do(func() {
		g.stop.Store(true)
		g.wg.Wait()
		if err := g.closeWorkers(); err != nil {
			g.errOnce.Do(func() { g.err = err })
		}
	})
	return g.err
}

// closeWorkers closes every worker and returns the first Close error.
func (g *Group) closeWorkers() error {
	var first error
	for _, w := range g.workers {
		if err := w.Close(); err != nil && first == nil {
			first = fmt.Errorf("background goroutine: closing its worker: %w", err)
		}
	}
	return first
}
