package bench

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/parbench/parbench/results"
	"github.com/parbench/parbench/workloads"
)

// A sweep of replicated workloads (workloads.Replicated: cluster/*)
// has one more dimension, the consistency design (Config.Consistency:
// cp, ap). Each (workload, design) is one Instance (StartReplicated)
// whose workers are the replicas' clients, run as goroutines of this
// process under lock none, and whose samples are Timed: they last the
// instance's SampleTime (healthy, partitioned, healed), not a number of
// ops, so the runner does not calibrate them (timedPlan).

// replicated returns w as a workloads.Replicated, or nil.
func replicated(w workloads.Workload) workloads.Replicated {
	r, _ := w.(workloads.Replicated)
	return r
}

// hasReplicated reports whether any workload of ws is replicated.
func hasReplicated(ws []workloads.Workload) bool {
	return slices.ContainsFunc(ws, func(w workloads.Workload) bool { return replicated(w) != nil })
}

// consistencies returns the designs the sweep runs w under, in order:
// Config.Consistency, or, when nil, all that w offers; nil for a
// workload that is not replicated (its points have no consistency key).
func (c *Config) consistencies(w workloads.Workload) []string {
	r := replicated(w)
	switch {
	case r == nil:
		return nil
	case c.Consistency != nil:
		return c.Consistency
	}
	return r.Consistencies()
}

// allConsistencies is the sweep's consistency list as its file records
// it: every design of its replicated workloads, in order of first
// appearance.
func (c *Config) allConsistencies() []string {
	var all []string
	for _, w := range c.Workloads {
		for _, d := range c.consistencies(w) {
			if !slices.Contains(all, d) {
				all = append(all, d)
			}
		}
	}
	return all
}

// validateReplicated checks the consistency dimension and what a
// replicated workload needs of the rest of the sweep: Consistency, if
// set, not empty, no value twice, every workload replicated and each
// value one of its designs; lock none among Locks and goroutines only
// for a sweep with a replicated workload; and each workload's CheckReplicated of
// the Params under each of its designs. All before anything runs.
func (c *Config) validateReplicated() error {
	isRepl := func(w workloads.Workload) bool { return replicated(w) != nil }
	if c.Consistency != nil {
		if len(c.Consistency) == 0 {
			return &FieldError{Field: "Consistency", Err: fmt.Errorf("empty list (valid: %s, %s)", workloads.ConsistencyCP, workloads.ConsistencyAP)}
		}
		seen := map[string]bool{}
		for _, d := range c.Consistency {
			if seen[d] {
				return &FieldError{Field: "Consistency", Err: fmt.Errorf("%s given twice", d)}
			}
			seen[d] = true
		}
		// A workload without replicas first: no design would do for it.
		for _, w := range c.Workloads {
			if !isRepl(w) {
				return &FieldError{Field: "Consistency", Value: strings.Join(c.Consistency, ","),
					Err: fmt.Errorf("%s has no replicas to choose a design for (replicated workloads: %s): drop it from {Workloads}, or drop {Consistency}",
						w.Name(), workloadsWhere(isRepl))}
			}
		}
		for _, w := range c.Workloads {
			r := replicated(w)
			for _, d := range c.Consistency {
				if !slices.Contains(r.Consistencies(), d) {
					return &FieldError{Field: "Consistency", Value: strconv.Quote(d),
						Err: fmt.Errorf("%s has no such design (valid: %s)", w.Name(), strings.Join(r.Consistencies(), ", "))}
				}
			}
		}
	}
	if !hasReplicated(c.Workloads) {
		return nil
	}
	// A replicated workload's points are planned under lock none only
	// (plan), so that a sweep of every workload under none and gil
	// still measures it once; a sweep without none cannot.
	if !slices.Contains(c.Locks, "none") {
		return &FieldError{Field: "Locks", Value: strings.Join(c.Locks, ","),
			Err: fmt.Errorf("the replicas hold no simulated lock, so their points run under none only: add none, or drop them from {Workloads} (the replicated workloads: %s)", c.replicatedNames())}
	}
	// A replicated workload that is not a GoroutinesOnly (Exec.validate
	// refuses those first) still has its clients here: its replicas'
	// processes are its own.
	if c.Exec.processes() {
		return &FieldError{Field: "Exec.Modes", Value: ExecProcesses,
			Err: fmt.Errorf("the clients of a replicated workload (%s) run as goroutines; its replicas have the processes: use {Exec.Modes} %s", c.replicatedNames(), ExecGoroutines)}
	}
	for _, w := range c.Workloads {
		r := replicated(w)
		if r == nil {
			continue
		}
		for _, d := range c.consistencies(w) {
			err := r.CheckReplicated(c.Params, d)
			var pe *workloads.ParamError
			switch {
			case errors.As(err, &pe):
				return &FieldError{Field: "Params." + pe.Param, Value: pe.Value, Err: fmt.Errorf("%s under consistency %s: %w", w.Name(), d, pe.Err)}
			case err != nil:
				return &FieldError{Field: "Consistency", Value: d, Err: fmt.Errorf("%s: %w", w.Name(), err)}
			}
		}
	}
	return nil
}

// replicatedNames names the sweep's replicated workloads.
func (c *Config) replicatedNames() string {
	var names []string
	for _, w := range c.Workloads {
		if replicated(w) != nil {
			names = append(names, w.Name())
		}
	}
	return strings.Join(names, ", ")
}

// replicatedFileConfig is the file configuration of a sweep with a
// replicated workload: the consistency list, and the settings of its
// replicas (nothing for any other sweep, so that its files read, and
// resume, as before).
func (c *Config) replicatedFileConfig() (sweep, settings []results.Config) {
	if !hasReplicated(c.Workloads) {
		return nil, nil
	}
	sweep = []results.Config{{Key: results.KeyConsistency, Value: strings.Join(c.allConsistencies(), ",")}}
	p := c.Params
	settings = []results.Config{
		{Key: results.KeyReplicas, Value: p.Value(workloads.ParamReplicas)},
		{Key: results.KeyPartition, Value: p.Value(workloads.ParamPartition)},
		{Key: results.KeyPhaseTime, Value: p.Value(workloads.ParamPhaseTime)},
		{Key: results.KeySyncInterval, Value: p.Value(workloads.ParamSyncInterval)},
		{Key: results.KeyRequestTimeout, Value: p.Value(workloads.ParamRequestTimeout)},
	}
	if slices.Contains(c.allConsistencies(), workloads.ConsistencyQuorum) {
		// The effective W and R (a majority where 0), so that a resumed
		// run sets the same; only with the quorum design, which alone
		// takes them.
		w, r := p.Quorums()
		settings = append(settings, results.Config{Key: results.KeyWriteQuorum, Value: strconv.Itoa(w)},
			results.Config{Key: results.KeyReadQuorum, Value: strconv.Itoa(r)})
	}
	return sweep, settings
}

// timedSlack is what a Timed sample's watchdog allows beyond its three
// sample times (timedPlan): an EndSample that checks a history's
// linearizability and waits for the replicas to converge.
var timedSlack = 60 * time.Second

// timedPlan plans a point whose Instance is Timed in place of its
// calibration: each sample runs its goroutines until their Op says the
// sample is done (ops is unused), its plan for the estimate is the
// sample time, and its watchdog at least 3 sample times and
// timedSlack, whatever the runner's.
func (r *runner) timedPlan(pt *point) {
	pt.ops, pt.chunk = 0, 1
	pt.plan = pt.sampleTime
	pt.goal = pt.sampleTime
	pt.timeout = max(r.timeout, 3*pt.sampleTime+timedSlack)
}
