package bench

import (
	"github.com/parbench/parbench/bench/gil"
	"github.com/parbench/parbench/bench/prof"
)

// The runner's side of profiling (package prof). With Config.Profile nil
// every hook here is a nil check outside the timed window: the sample
// runs exactly as without profiling.

// labels returns pt's pprof labels.
func (pt *point) labels() prof.Labels {
	return prof.Labels{Workload: pt.Workload, Lock: pt.Lock, Goroutines: pt.Goroutines, Procs: pt.Procs}
}

// profiled runs f, one sample of pt, under pt's pprof labels when
// profiling, so that the sample's worker and background goroutines,
// started inside f, carry them.
func (r *runner) profiled(pt *point, f func()) {
	if r.c.Profile == nil {
		f()
		return
	}
	r.c.Profile.Do(pt.labels(), f)
}

// lockOptions returns the options of a sample's lock: the sweep's, plus
// the gil profile's recorder for pt when profiling.
func (r *runner) lockOptions(pt *point) gil.Options {
	o := r.c.LockOpts
	if r.c.Profile != nil {
		o.Waits = r.c.Profile.Waits(pt.labels())
	}
	return o
}

// traceStart starts the trace if this is the first measured sample (not
// a calibration run) of the traced point; traceStop ends it.
func (r *runner) traceStart(pt *point, ops int64) (stop func()) {
	if r.c.Profile == nil || pt.ops == 0 || ops != pt.ops {
		return nil
	}
	return r.c.Profile.TraceSample(pt.Name())
}

// lockDone hands the lock's own wait accounting of a finished sample to
// the gil profile, which states both totals. A mode that is not a
// gil.WaitAccounter ("none") has no waits to add.
func (r *runner) lockDone(lock gil.Lock) {
	if r.c.Profile == nil || !r.c.Profile.Has(prof.GIL) {
		return
	}
	if a, ok := lock.(gil.WaitAccounter); ok {
		r.c.Profile.Accounted(a.Waited())
	}
}
