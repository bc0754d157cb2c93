package bench

import (
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/parbench/parbench/bench/gil"
	"github.com/parbench/parbench/workloads"
)

// background runs the background goroutines of one sample (see
// workloads.Backgrounder): each has its own Thread from the sample's
// lock and loops over its worker's Op until end.
type background struct {
	stop    atomic.Bool
	wg      sync.WaitGroup
	workers []workloads.Worker
	once    sync.Once
	errOnce sync.Once
	err     error
}

// startBackground starts inst's background goroutines under lock and
// returns once each one is running, so that the measured goroutines
// start into a lock that is already contended. It returns nil, and
// starts nothing, for an Instance without background goroutines.
func startBackground(inst workloads.Instance, lock gil.Lock) (*background, error) {
	bg, ok := inst.(workloads.Backgrounder)
	if !ok || bg.Background() == 0 {
		return nil, nil
	}
	b := &background{}
	n := bg.Background()
	threads := make([]gil.Thread, n)
	for i := range n {
		threads[i] = lock.Thread()
		w, err := bg.NewBackground(threads[i])
		if err != nil {
			b.closeWorkers()
			return nil, fmt.Errorf("background goroutine: %w", err)
		}
		b.workers = append(b.workers, w)
	}
	var running sync.WaitGroup
	running.Add(n)
	b.wg.Add(n)
	for i, th := range threads {
		w := b.workers[i]
		go func() {
			defer b.wg.Done()
			running.Done()
			th.Start()
			defer th.Stop()
			for !b.stop.Load() {
				th.OpStart()
				err := w.Op()
				th.OpEnd()
				if err != nil {
					b.errOnce.Do(func() { b.err = fmt.Errorf("background goroutine: %w", err) })
					return
				}
			}
		}()
	}
	running.Wait()
	return b, nil
}

// end stops the background goroutines after their current op, waits for
// them, closes their workers and returns the first error of any of
// them. It may be called more than once, and on nil.
func (b *background) end() error {
	if b == nil {
		return nil
	}
	b.once.Do(func() {
		b.stop.Store(true)
		b.wg.Wait()
		b.closeWorkers()
	})
	return b.err
}

func (b *background) closeWorkers() {
	for _, w := range b.workers {
		w.Close()
	}
}
