package bench

import (
	"fmt"
	"time"

	"github.com/parbench/parbench/results"
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

// opFloor is a point's op floor: what its workload's MinOps asks for, or
// one op for each goroutine (perG), whichever is more, in the unit of
// point.ops (all goroutines' ops under strong scaling, one goroutine's
// under weak), and the most time a sample may take to reach it. The
// zero value is no floor.
type opFloor struct {
	ops    int64
	budget time.Duration
	// perG says the goroutines set the floor, one op each, rather than
	// the workload's MinOps: where the budget cuts it, checkIdle warns
	// of the idle goroutines, not floorCut.
	perG bool
}

// floorOf returns pt's op floor: the larger of its workload's MinOps
// (workloads.MinOpser) and, under strong scaling, one op for each
// goroutine, so that none of a sample's goroutines is idle (a weak
// sample gives each its own ops).
func (r *runner) floorOf(pt *point) opFloor {
	var n int64
	if m, ok := pt.inst.(workloads.MinOpser); ok && m.MinOps() > 0 {
		n = int64(m.MinOps())
		if r.c.Scaling == Weak {
			g := int64(max(pt.Goroutines, 1))
			n = (n + g - 1) / g
		}
	}
	f := opFloor{ops: n}
	if g := int64(pt.Goroutines); r.c.Scaling == Strong && g > n {
		f = opFloor{ops: g, perG: true}
	}
	if f.ops <= 1 { // one op: every sample holds it already
		return opFloor{}
	}
	f.ops = min(f.ops, maxOps)
	f.budget = floorBudget(r.c.SampleTimeout)
	return f
}

// floorBudget is the most a floor (of ops or of time) may stretch one
// sample: MaxFloorTime, or a quarter of an explicit SampleTimeout if
// less.
func floorBudget(sampleTimeout time.Duration) time.Duration {
	if sampleTimeout > 0 {
		return min(MaxFloorTime, sampleTimeout/4)
	}
	return MaxFloorTime
}

// goroutineOnce is what each goroutine costs a sample once, whatever
// its ops: its release from the start channel, its first run (for
// waiting work, its first timer) and its exit. On the 2-CPU VM,
// io/sleep at 100,000 goroutines took 2.0-2.1µs of CPU per op with one
// or two ops a goroutine and 1.0-1.1µs with 21 or more: about 1µs a
// goroutine, of CPU, which the sample's procs share.
const goroutineOnce = time.Microsecond

// onceShare is the most of a sample's time that its goroutines'
// one-time costs may take: 1/100.
const onceShare = 100

// sampleGoal returns the time pt's samples are sized to: Benchtime, or
// longer where its goroutines' one-time costs (goroutineOnce each,
// shared by the CPUs its procs can use) would be more than 1/onceShare
// of Benchtime: past 2,000 goroutines at one proc and 200ms, 32,000 at
// 16 procs. At 100,000 goroutines of io/sleep, 200ms held one or two
// ops a goroutine, and the one-time costs doubled the CPU time per op.
// It is at most the floor's budget (floorBudget); want is what the
// goroutines would need, more than goal when the budget cut it.
func (r *runner) sampleGoal(pt *point) (goal, want time.Duration) {
	par := max(min(pt.Procs, results.AvailableCPUs()), 1)
	want = max(r.c.Benchtime, time.Duration(pt.Goroutines)*goroutineOnce*onceShare/time.Duration(par))
	return min(want, max(r.c.Benchtime, floorBudget(r.c.SampleTimeout))), want
}

// goalCut is the warning for a point whose goroutines would need
// samples longer than the floor's budget allows.
func goalCut(pt *point, goal, want time.Duration, sampleTimeout time.Duration) string {
	fix := "fewer goroutines"
	if sampleTimeout > 0 && want <= MaxFloorTime {
		fix = "a longer {SampleTimeout} or fewer goroutines"
	}
	return fmt.Sprintf("its samples last about %v, short of the %v that keep what its %d goroutines cost once a sample (release, first run, exit: about %v of CPU each) under 1/%d of a sample; %s would",
		goal, roundUp(want), pt.Goroutines, goroutineOnce, onceShare, fix)
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
	byTime := predict(n, d, pt.goal)
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
