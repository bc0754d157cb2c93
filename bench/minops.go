package bench

import (
	"fmt"
	"time"

	"github.com/parbench/parbench/workloads"
)

// MaxFloorTime is the most that a workload's op floor
// (workloads.MinOpser) stretches one sample past Config.Benchtime, with
// the default SampleTimeout. latency/convoy under gil at a 5ms switch
// interval waits about one interval per op, so its 1,000 ops take ~6s;
// at a 50ms interval they would take a minute a sample, and the floor
// gives way instead: the sample holds what fits in MaxFloorTime, the
// runner warns, and the line's latencies figure says how many it holds.
// Each later sample of such a point is sized from the rate of the one
// before (resize), not from calibration's few ops alone.
// With an explicit SampleTimeout the budget is a quarter of it, if less,
// so that a sample 4 times slower than its calibration still finishes.
const MaxFloorTime = 30 * time.Second

// floorCalibShare is the share of the floor (its ops and its time
// budget) that calibration runs on: a floor of 1,000 ops is calibrated
// on at least 100 ops, in at most a tenth of the budget.
const floorCalibShare = 10

// opFloor is a point's op floor: what its workload's MinOps asks for, in
// the unit of point.ops (all goroutines' ops under strong scaling, one
// goroutine's under weak), and the most time a sample may take to reach
// it. The zero value is no floor.
type opFloor struct {
	ops    int64
	budget time.Duration
}

// floorOf returns pt's op floor: none for a workload that is not a
// workloads.MinOpser.
func (r *runner) floorOf(pt *point) opFloor {
	m, ok := pt.inst.(workloads.MinOpser)
	if !ok || m.MinOps() <= 0 {
		return opFloor{}
	}
	n := int64(m.MinOps())
	if r.c.Scaling == Weak {
		g := int64(max(pt.Goroutines, 1))
		n = (n + g - 1) / g
	}
	budget := MaxFloorTime
	if r.c.SampleTimeout > 0 {
		budget = min(budget, r.c.SampleTimeout/4)
	}
	return opFloor{ops: min(n, maxOps), budget: budget}
}

// rated reports whether a calibration run of n ops that took d measures
// the rate well enough for the floor: it held a tenth of the floor's
// ops, or it took half of calibration's share of the budget (slower
// ops than that cannot reach the floor anyway, and the runner must not
// spend the sample's budget on calibration).
func (f opFloor) rated(n int64, d time.Duration) bool {
	return f.ops == 0 || n >= f.calibOps() || d >= f.budget/floorCalibShare/2
}

func (f opFloor) calibOps() int64 { return max((f.ops+floorCalibShare-1)/floorCalibShare, 1) }

// next is the size of the next calibration run after n ops took d, when
// they did not rate the floor: a tenth of the floor's ops, or fewer if
// those would take more than calibration's share of the budget at the
// rate just measured; always more than n.
func (f opFloor) next(n int64, d time.Duration) int64 {
	want := f.calibOps()
	if d > 0 {
		fit := int64(float64(n) * float64(f.budget/floorCalibShare) / float64(d))
		want = min(want, fit)
	}
	return min(max(want, n+1), maxOps)
}

// sized returns the ops of one sample: n, the ops of one Benchtime at
// the rate of the last calibration run (last ops in d), raised to the
// floor, or to the ops that fit its budget at that rate if fewer. cut
// says the budget held the floor back.
func (f opFloor) sized(n, last int64, d time.Duration) (ops int64, cut bool) {
	if f.ops == 0 || n >= f.ops {
		return n, false
	}
	want := f.ops
	if d > 0 {
		fit := int64(float64(last) * float64(f.budget) / float64(d))
		if fit < want {
			want, cut = fit, true
		}
	}
	return max(n, want), cut
}

// resize sizes the next sample of a point whose floor gave way to its
// budget from the rate of the sample it just took (n ops in d), as
// calibrate sizes the first: hundreds of ops, where calibration's rate
// may rest on a dozen, one of them a convoy's 0.4s wait. Other points
// keep their calibrated ops.
func (r *runner) resize(pt *point, d time.Duration) {
	n := pt.ops
	if pt.floor.ops == 0 || n >= pt.floor.ops || d <= 0 {
		return
	}
	byTime := predict(n, d, r.c.Benchtime)
	pt.ops, _ = pt.floor.sized(byTime, n, d)
	plan := time.Duration(float64(d) * float64(pt.ops) / float64(n))
	pt.plan, pt.timeout = plan, 0
	if pt.ops > byTime {
		pt.timeout = r.floorTimeout(plan)
	}
}

// floorTimeout is the watchdog of a point whose floor stretched its
// samples to plan each: DefaultSampleTimeout of the plan, as the
// default follows Benchtime, or 0 for the runner's own if that is
// longer. An explicit SampleTimeout stays as it is (the floor's budget
// was cut to fit in it).
func (r *runner) floorTimeout(plan time.Duration) time.Duration {
	if r.c.SampleTimeout > 0 || DefaultSampleTimeout(plan) <= r.timeout {
		return 0
	}
	return DefaultSampleTimeout(plan)
}

// floorCut is the warning for a point whose floor gave way to its
// budget.
func floorCut(f opFloor, ops int64, perOp time.Duration) string {
	budget := fmt.Sprintf("the %v a floor may stretch a sample", MaxFloorTime)
	if f.budget < MaxFloorTime {
		budget = fmt.Sprintf("a quarter of {SampleTimeout}, %v", f.budget)
	}
	return fmt.Sprintf("its first sample holds %d ops, not the %d its workload asks for: at the calibrated %v per op they would take %v, past %s; each later sample holds what fits by the rate of the one before, up to %d (each line's latencies figure says how many)",
		ops, f.ops, perOp.Round(time.Microsecond), roundUp(time.Duration(f.ops)*perOp), budget, f.ops)
}
