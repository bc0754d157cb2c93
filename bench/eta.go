package bench

import "time"

// eta estimates the time a run has left by pricing the work still to do
// at what the same work has cost so far, rather than dividing the
// elapsed time by a count of units: a calibration costs far less than a
// sample, and the calibrations come first, so a count of units reads
// low early in a run and then climbs.
//
//   - A calibration left costs the mean of those measured (Benchtime/2
//     before the first).
//   - A sample left of a point that has samples costs that point's mean
//     cost per sample (every sample of a point asks for the same ops).
//   - A sample of a point without one yet costs its plan, the sample's
//     wall time predicted by its calibration plus the calibration's
//     own overhead (goroutines, workers, GC), scaled by how far the
//     measured samples' cost exceeds their plans so far.
//
// A sample's cost is the wall time from the end of the previous unit of
// work to the end of this one: the notes, the results file and the
// runner's own work between samples are included.
type eta struct {
	benchtime time.Duration
	count     int

	calibs    int
	calibCost time.Duration
	// The measured samples: their cost and the plans of their points.
	sampleCost time.Duration
	samplePlan time.Duration
}

// calibrated records a calibration that cost d.
func (e *eta) calibrated(d time.Duration) {
	e.calibs++
	e.calibCost += d
}

// sampled records a sample of pt that cost d.
func (e *eta) sampled(pt *point, d time.Duration) {
	e.sampleCost += d
	e.samplePlan += e.plan(pt)
	pt.cost += d
	pt.costN++
}

// plan is the planned cost of one sample of pt.
func (e *eta) plan(pt *point) time.Duration {
	if pt.plan > 0 {
		return pt.plan
	}
	return e.benchtime
}

// left estimates the time that calibsLeft calibrations and the samples
// that pts still want will take.
func (e *eta) left(pts []*point, calibsLeft int) time.Duration {
	perCalib := float64(e.benchtime) / 2
	if e.calibs > 0 {
		perCalib = float64(e.calibCost) / float64(e.calibs)
	}
	left := float64(calibsLeft) * perCalib
	scale := 1.0 // measured cost over plan
	if e.samplePlan > 0 {
		scale = float64(e.sampleCost) / float64(e.samplePlan)
	}
	for _, pt := range pts {
		n := e.count - len(pt.secs)
		if pt.over || n <= 0 {
			continue
		}
		per := float64(e.plan(pt)) * scale
		if pt.costN > 0 {
			per = float64(pt.cost) / float64(pt.costN)
		}
		left += float64(n) * per
	}
	return time.Duration(left)
}
