package bench

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/parbench/parbench/results"
)

// simRun is a synthetic run for the estimator: the runner's order
// (every calibration, then rounds of one sample per point) with fixed
// costs, on a fake clock.
type simRun struct {
	points    int
	count     int
	benchtime time.Duration
	calib     time.Duration             // what a calibration costs
	sample    func(i int) time.Duration // what a sample of point i costs
	plan      func(i int) time.Duration // the plan its calibration measures
	estimate  func(e *eta, pts []*point, calibsLeft int) time.Duration
}

// at10 runs s and returns the estimate of the time left and the true
// time left at the first unit of work done at or past 10% of the run's
// total time.
func (s simRun) at10() (est, truth time.Duration) {
	pts := make([]*point, s.points)
	for i := range pts {
		pts[i] = &point{Point: results.Point{Workload: "sim", Goroutines: 1, Procs: i + 1}}
	}
	total := time.Duration(s.points) * s.calib
	for i := range pts {
		total += time.Duration(s.count) * s.sample(i)
	}
	e := &eta{benchtime: s.benchtime, count: s.count}
	var el time.Duration
	check := func(calibsLeft int) bool {
		if el < total/10 {
			return false
		}
		est, truth = s.estimate(e, pts, calibsLeft), total-el
		return true
	}
	for i, pt := range pts {
		el += s.calib
		pt.plan = s.plan(i)
		e.calibrated(s.calib)
		if check(s.points - i - 1) {
			return est, truth
		}
	}
	for range s.count {
		for i, pt := range pts {
			d := s.sample(i)
			el += d
			pt.secs = append(pt.secs, 1)
			e.sampled(pt, d)
			if check(0) {
				return est, truth
			}
		}
	}
	return 0, 0
}

// unitsLeft is the estimate this package had before eta: elapsed time
// per unit of work done, a calibration counting as a sample.
func unitsLeft(e *eta, pts []*point, calibsLeft int) time.Duration {
	var el time.Duration = e.calibCost + e.sampleCost
	done := e.calibs
	for _, pt := range pts {
		done += len(pt.secs) // the samples measured
	}
	total := e.calibs + calibsLeft + len(pts)*e.count
	return time.Duration(float64(el) / float64(done) * float64(total-done))
}

// TestETASettlesEarly checks that the estimate of the time left is
// within ±25% of the truth at 10% of a run, for runs whose samples cost
// 1.3x their benchtime (all points, or a third of them 3x: points of
// another kind), with calibrations a fraction of a sample; and that the
// estimate by units of work, which read ~half the truth at 10% (the
// ETA that rose from ~4 to ~8 minutes), fails the same check.
func TestETASettlesEarly(t *testing.T) {
	bt := 200 * time.Millisecond
	overhead := func(i int) time.Duration { return bt + 3*time.Millisecond } // what a calibration sees beyond its wall
	for _, tc := range []struct {
		name   string
		sample func(i int) time.Duration
	}{
		{"1.3x", func(int) time.Duration { return 13 * bt / 10 }},
		{"1.3x-and-3x", func(i int) time.Duration {
			if i%3 == 0 {
				return 3 * bt
			}
			return 13 * bt / 10
		}},
	} {
		for _, count := range []int{3, 10, 30} {
			s := simRun{points: 340, count: count, benchtime: bt, calib: 3 * bt / 10, sample: tc.sample, plan: overhead,
				estimate: func(e *eta, pts []*point, calibsLeft int) time.Duration { return e.left(pts, calibsLeft) }}
			t.Run(fmt.Sprintf("%s/count=%d", tc.name, count), func(t *testing.T) {
				est, truth := s.at10()
				ratio := float64(est) / float64(truth)
				t.Logf("at 10%%: estimate %v, truth %v (%.2fx)", est.Round(time.Second), truth.Round(time.Second), ratio)
				if math.Abs(ratio-1) > 0.25 {
					t.Errorf("estimate %v at 10%% of the run, truth %v: %.2fx, want within ±25%%", est, truth, ratio)
				}
				s.estimate = unitsLeft
				old, _ := s.at10()
				oldRatio := float64(old) / float64(truth)
				t.Logf("the estimate by units of work: %v (%.2fx)", old.Round(time.Second), oldRatio)
				if count == 10 && math.Abs(oldRatio-1) <= 0.25 {
					t.Errorf("the old estimate passes too (%.2fx): the check cannot tell them apart", oldRatio)
				}
			})
		}
	}
}

// TestETAUsesEachPointsCost checks the estimate's parts on a small case:
// a point with samples costs its own mean, one without costs its plan
// scaled by the measured cost over plan, a calibration its mean.
func TestETAUsesEachPointsCost(t *testing.T) {
	e := &eta{benchtime: time.Second, count: 3}
	a := &point{plan: time.Second}
	b := &point{plan: 2 * time.Second}
	done := &point{plan: time.Second, over: true}
	e.calibrated(400 * time.Millisecond)
	e.sampled(a, 1500*time.Millisecond) // 1.5x its plan
	a.secs = []float64{1}
	// a: 2 left at 1.5s; b: 3 left at 2s x 1.5; one calibration at 0.4s.
	want := 2*1500*time.Millisecond + 3*3*time.Second + 400*time.Millisecond
	if got := e.left([]*point{a, b, done}, 1); got != want {
		t.Errorf("left = %v, want %v", got, want)
	}
}
