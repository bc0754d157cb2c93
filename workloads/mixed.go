package workloads

import (
	"fmt"
	"sync"
	"time"

	"github.com/parbench/parbench/results"
)

func init() { Register(mixedWorkload{}) }

type mixedWorkload struct{}

func (mixedWorkload) Name() string         { return "mixed" }
func (mixedWorkload) Class() results.Class { return results.ClassMixed }
func (mixedWorkload) Params() []string     { return []string{ParamIOFraction, ParamOpTime} }
func (mixedWorkload) Summary() string {
	return "c of CPU then s of blocking wait per op (--io-fraction s/(c+s), --op-time c+s): between the two worlds"
}

func (mixedWorkload) Start(p Params) (Instance, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	cpu := time.Duration(float64(p.OpTime) * (1 - p.IOFraction))
	return &mixedInstance{
		units: SpinUnitsFor(cpu),
		wait:  p.OpTime - cpu,
	}, nil
}

type mixedInstance struct {
	nopCloser
	units int           // spin units of CPU work per op
	wait  time.Duration // blocking wait per op
}

func (in *mixedInstance) NewWorker(env Env) (Worker, error) {
	return &mixedWorker{in: in, env: env}, nil
}

type mixedWorker struct {
	nopCloser
	in  *mixedInstance
	env Env
}

func (w *mixedWorker) Op() error {
	if w.in.units > 0 {
		if got := Spin(w.env, w.in.units); got == 0 {
			return fmt.Errorf("mixed: spin returned 0") // keeps Spin's result live
		}
	}
	if w.in.wait > 0 {
		w.env.BeginIO()
		time.Sleep(w.in.wait)
		w.env.EndIO()
	}
	return nil
}

// spinUnit is a fixed amount of pure computation (an xorshift chain) of
// roughly a microsecond, the grain of Spin.
const spinUnit = 512

// spinUnitTicks is the ticks one Spin unit stands for: 1.0µs of Go work
// (BenchmarkTicks, mixed) at TickTime. Spin stands for any pure-Python
// CPU work, not for an xorshift written in Python (which ticks slowly,
// every 30ns, on Python's long integers), so it takes the median tick.
const spinUnitTicks = int(1000 * time.Nanosecond / TickTime)

// Spin does n units of CPU work, calling env.Check with the ticks of one
// unit after each (well inside the 50µs budget). CPU work must be an
// amount of work, not a length of wall time: a spin "for 1ms" would
// count the time spent waiting for a lock as work done and hide the
// lock's cost.
func Spin(env Env, n int) uint64 {
	x := uint64(88172645463325252)
	for range n {
		for range spinUnit {
			x ^= x << 13
			x ^= x >> 7
			x ^= x << 17
		}
		env.Check(spinUnitTicks)
	}
	return x | 1
}

var (
	spinOnce    sync.Once
	spinPerUnit time.Duration
)

// SpinUnitsFor returns how many Spin units take d on one idle core,
// measured once per process (the best of several short trials, so a
// busy moment does not inflate it).
func SpinUnitsFor(d time.Duration) int {
	if d <= 0 {
		return 0
	}
	spinOnce.Do(func() {
		const trial = 2000
		best := time.Duration(1<<63 - 1)
		for range 7 {
			t0 := time.Now()
			Spin(NopEnv{}, trial)
			if el := time.Since(t0); el < best {
				best = el
			}
		}
		spinPerUnit = max(best/trial, time.Nanosecond)
	})
	return max(1, int(d/spinPerUnit))
}
