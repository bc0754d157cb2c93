package cluster

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/parbench/parbench/results"
	"github.com/parbench/parbench/workloads"
)

// defaultCheckTimeout bounds porcupine's linearizability check of one
// sample when sampleEnd.checkTimeout is 0. The check is NP-hard in
// general; past the bound it answers Unknown and the sample has no
// linearizable metric. On the 2-core VM a linearizable history of
// 20,000 ops by 8 clients took 0.3-1.2s with up to ten increments of
// unknown outcome, about 10s with a hundred.
const defaultCheckTimeout = 10 * time.Second

// sampleEnd is what evaluate needs besides the ops: what the instance
// knows of the sample.
type sampleEnd struct {
	// init is the counter's value at BeginSample (converged); final the
	// value the nodes converged to after the sample, read only when
	// converged.
	init, final int64
	// converged says every node held final after the sample: it is then
	// a read after every op, the linearizability check includes it, and
	// lost-acked is measured. Without it there is no lost-acked.
	converged bool
	// cut and heal are when the controller made and healed the
	// partition, since t0 (a little after PhaseTime and 2*PhaseTime):
	// an op invoked in [0, cut) is healthy, in [cut, heal) partitioned,
	// from heal on healed.
	cut, heal time.Duration
	// minority holds the nodes on the cut-off smaller side during the
	// partitioned phase: their clients' requests make avail-minority,
	// the others' avail-majority.
	minority map[int]bool
	// convergeSec is the time from the heal until the nodes converged;
	// below 0 (did not converge, not measured) there is no converge-sec.
	convergeSec float64
	// checkTimeout bounds porcupine's check; 0 is defaultCheckTimeout.
	checkTimeout time.Duration
}

// evaluate returns a sample's figures from its ops (history.ops):
//
//  1. per phase (by invocation time): availability, the share of the
//     requests answered (per request, not per client: see the package
//     doc), and the p50 and p99 latency of the answered
//     ones (absent for a phase with no request, or none answered);
//  2. the partitioned phase's availability split by the side a client
//     is attached to (avail-minority absent without a minority);
//  3. stale-reads, lost-acked and unknown-ops (staleReads, lostAcked);
//     lost-acked only when the nodes converged after the sample (else
//     there is no value every increment had to reach);
//  4. converge-sec as given;
//  5. linearizable, porcupine's verdict on the ops against a counter
//     (linearizability), absent when the check ran out of time. A
//     stale read, or (converged) a lost acknowledged increment, is
//     already a violation, and the check, which would take longest to
//     refute the history, is not run: linearizable is 0.
func evaluate(ops []op, s sampleEnd) []workloads.Metric {
	var ms []workloads.Metric
	add := func(unit string, v float64) {
		ms = append(ms, workloads.Metric{Value: v, Unit: unit})
	}
	type tally struct {
		sent int
		lat  []time.Duration // of the answered requests
	}
	var phases [3]tally
	var minority, majority tally
	for _, o := range ops {
		p := phaseOf(o.invoke, s.cut, s.heal)
		t := &phases[p]
		side := &majority
		if s.minority[o.node] {
			side = &minority
		}
		t.sent++
		if p == 1 {
			side.sent++
		}
		if o.outcome == outcomeOK {
			t.lat = append(t.lat, o.latency())
			if p == 1 {
				side.lat = append(side.lat, o.latency())
			}
		}
	}
	for p, name := range results.Phases {
		t := phases[p]
		if t.sent == 0 {
			continue
		}
		add(results.UnitAvail(name), float64(len(t.lat))/float64(t.sent))
		if len(t.lat) == 0 {
			continue
		}
		slices.Sort(t.lat)
		add(results.UnitP50(name), quantile(t.lat, 0.50).Seconds())
		add(results.UnitP99(name), quantile(t.lat, 0.99).Seconds())
	}
	if minority.sent > 0 {
		add(results.UnitAvailMinority, float64(len(minority.lat))/float64(minority.sent))
	}
	if majority.sent > 0 {
		add(results.UnitAvailMajority, float64(len(majority.lat))/float64(majority.sent))
	}
	byPhase := staleReadsBy(ops, s.init, func(o op) int { return phaseOf(o.invoke, s.cut, s.heal) })
	stale := byPhase[0] + byPhase[1] + byPhase[2]
	add(results.UnitStaleReads, float64(stale))
	for p, name := range results.Phases {
		if phases[p].sent > 0 {
			add(results.UnitStaleReadsIn(name), float64(byPhase[p]))
		}
	}
	lost, unknown := lostAcked(ops, s.init, s.final)
	if s.converged {
		add(results.UnitLostAcked, float64(lost))
	}
	add(results.UnitUnknownOps, float64(unknown))
	if s.convergeSec >= 0 {
		add(results.UnitConvergeSec, s.convergeSec)
	}
	verdict := porcupine.Illegal
	if stale == 0 && (lost == 0 || !s.converged) {
		verdict = linearizability(ops, s)
	}
	switch verdict {
	case porcupine.Ok:
		add(results.UnitLinearizable, 1)
	case porcupine.Illegal:
		add(results.UnitLinearizable, 0)
	}
	return ms
}

// phaseOf returns an invocation time's phase: 0 healthy (before the
// cut), 1 partitioned (from the cut to the heal), 2 healed (from the
// heal on).
func phaseOf(invoke, cut, heal time.Duration) int {
	switch {
	case invoke < cut:
		return 0
	case invoke < heal:
		return 1
	}
	return 2
}

// quantile returns the q-quantile of sorted latencies by the nearest
// rank: the smallest latency with at least q of them at or below it.
func quantile(sorted []time.Duration, q float64) time.Duration {
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// staleReads counts the answered reads that returned less than init
// plus the increments answered before the read was sent (ret strictly
// before its invoke; one that returned as the read was sent overlaps
// it, as porcupine's closed intervals have it). A linearizable history
// has none: such a read must be ordered after those increments.
func staleReads(ops []op, init int64) int {
	return staleReadsBy(ops, init, func(op) int { return 0 })[0]
}

// staleReadsBy is staleReads counted by phase: phase(o) is the read's,
// 0 to 2.
func staleReadsBy(ops []op, init int64, phase func(op) int) [3]int {
	var acked []time.Duration // the answered increments' return times
	for _, o := range ops {
		if o.kind == opIncr && o.outcome == outcomeOK {
			acked = append(acked, o.ret)
		}
	}
	slices.Sort(acked)
	var n [3]int
	for _, o := range ops {
		if o.kind != opRead || o.outcome != outcomeOK {
			continue
		}
		before, _ := slices.BinarySearch(acked, o.invoke) // rets < invoke
		if o.value < init+int64(before) {
			n[phase(o)]++
		}
	}
	return n
}

// lostAcked returns the answered increments missing from the final
// value, max(0, init + answered - final), and the increments of
// unknown outcome. Each unknown one that was applied raises final and
// may hide a lost one, so with unknown > 0 lost is a lower bound.
func lostAcked(ops []op, init, final int64) (lost, unknown int) {
	var acked int64
	for _, o := range ops {
		if o.kind != opIncr {
			continue
		}
		switch o.outcome {
		case outcomeOK:
			acked++
		case outcomeUnknown:
			unknown++
		}
	}
	return int(max(0, init+acked-final)), unknown
}

// counterModel is the sequential specification porcupine checks
// against: a counter starting at init that clients increment and read,
// whose value never exceeds max (the converged final value, when the
// history ends with it as a read; else math.MaxInt64).
//
// An increment of unknown outcome may take effect at any time after it
// was sent, or never. Given a return time of +infinity, as it is in
// principle, it would stay a candidate at every step of porcupine's
// search, and the search would try every subset of such increments
// that have not taken effect: 2^k orders, too slow past a dozen (2,000
// ops with 20 of them ran past a minute). Increments commute and only
// reads observe them, so the model holds them instead: its state is
// the range [lo, hi] of values the counter may have. An answered
// increment adds one to both, one of unknown outcome (ordered within
// its own interval) to hi only, and a read that returns x is legal when
// lo <= x <= hi and leaves [x, hi]: the x-lo unknown ones it saw took
// effect just before it. Any order of the history with each unknown
// increment at a point after its invocation (or nowhere) maps to an
// order of this model and back, so the verdicts are the same (a test
// compares the two on random histories), and the model stays
// deterministic.
func counterModel(init, max int64) porcupine.Model {
	return porcupine.Model{
		Init: func() any { return counterState{lo: init, hi: init} },
		Step: func(state, input, output any) (bool, any) {
			s := state.(counterState)
			switch input.(counterInput) {
			case inIncr:
				s.lo++
				s.hi++
			case inMaybeIncr:
				s.hi++
			default:
				x := output.(int64)
				if x < s.lo || x > s.hi {
					return false, s
				}
				s.lo = x
			}
			// lo never falls, and the final read needs lo <= max.
			return s.lo <= max, s
		},
		Hash: func(state any) uint64 {
			s := state.(counterState)
			return uint64(s.lo)*0x9e3779b97f4a7c15 ^ uint64(s.hi)
		},
		DescribeOperation: func(input, output any) string {
			switch input.(counterInput) {
			case inIncr:
				return "incr"
			case inMaybeIncr:
				return "incr (unknown)"
			}
			return fmt.Sprintf("read -> %d", output.(int64))
		},
		DescribeState: func(state any) string {
			s := state.(counterState)
			if s.lo == s.hi {
				return fmt.Sprint(s.lo)
			}
			return fmt.Sprintf("%d..%d", s.lo, s.hi)
		},
	}
}

// counterState is the state of counterModel: the least and the most
// the counter may hold, the increments of unknown outcome sent so far
// making the difference.
type counterState struct {
	lo, hi int64
}

// counterInput is an operation of counterModel.
type counterInput uint8

const (
	inIncr      counterInput = iota // an answered increment
	inMaybeIncr                     // an increment of unknown outcome
	inRead                          // an answered read (output int64)
)

// porcupineOps turns ops into counterModel's operations (times in
// nanoseconds since t0), each with its client, node and outcome as
// metadata, and returns the model's bound:
//   - an answered increment or read is itself;
//   - an increment of unknown outcome is inMaybeIncr, over its own
//     interval (see counterModel);
//   - a refused increment was not applied and is left out;
//   - a read not answered says nothing and is left out;
//   - when the nodes converged, their value is a read after all, by a
//     client of its own, and bounds the model; and when it is init
//     plus the answered increments, no increment of unknown outcome
//     took effect, and they are left out.
func porcupineOps(ops []op, s sampleEnd) ([]porcupine.Operation, porcupine.Model) {
	var acked int64
	var end time.Duration
	clients := 0
	for _, o := range ops {
		if o.kind == opIncr && o.outcome == outcomeOK {
			acked++
		}
		end = max(end, o.ret)
		clients = max(clients, o.client+1)
	}
	noneLanded := s.converged && s.final == s.init+acked
	var out []porcupine.Operation
	for _, o := range ops {
		var in counterInput
		var output any
		switch {
		case o.outcome == outcomeOK && o.kind == opRead:
			in, output = inRead, o.value
		case o.outcome == outcomeOK:
			in = inIncr
		case o.outcome == outcomeUnknown && o.kind == opIncr && !noneLanded:
			in = inMaybeIncr
		default:
			continue
		}
		out = append(out, porcupine.Operation{
			ClientId: o.client,
			Input:    in,
			Call:     int64(o.invoke),
			Output:   output,
			Return:   int64(o.ret),
			Metadata: fmt.Sprintf("client %d, node %d, %s", o.client, o.node, o.outcome),
		})
	}
	if !s.converged {
		return out, counterModel(s.init, math.MaxInt64)
	}
	out = append(out, porcupine.Operation{
		ClientId: clients,
		Input:    inRead,
		Call:     int64(end) + 1,
		Output:   s.final,
		Return:   int64(end) + 2,
		Metadata: "the nodes' converged value after the sample",
	})
	return out, counterModel(s.init, s.final)
}

// linearizability returns porcupine's verdict on ops against a counter
// from s.init (and, converged, to s.final): Ok, Illegal, or Unknown when
// the check ran past s.checkTimeout (0: defaultCheckTimeout).
func linearizability(ops []op, s sampleEnd) porcupine.CheckResult {
	pops, model := porcupineOps(ops, s)
	return porcupine.CheckOperationsTimeout(model, pops, cmp.Or(s.checkTimeout, defaultCheckTimeout))
}

// visualize writes porcupine's HTML visualisation of ops, as
// linearizability checks them, to path: the ops per client on a time
// line and, where the history is linearizable, a linearization, else
// the longest partial linearizations and the ops that could not be
// ordered. It runs the check again (the verbose one, which records what
// the picture needs, and is several times slower: 20,000 ops of 8
// clients took 11-14s on the 2-core VM, where linearizability took
// about 1s) and returns its verdict.
func visualize(path string, ops []op, s sampleEnd) (porcupine.CheckResult, error) {
	pops, model := porcupineOps(ops, s)
	res, info := porcupine.CheckOperationsVerbose(model, pops, cmp.Or(s.checkTimeout, defaultCheckTimeout))
	if err := porcupine.VisualizePath(model, info, path); err != nil {
		return res, fmt.Errorf("linearizability visualisation: %w", err)
	}
	return res, nil
}
