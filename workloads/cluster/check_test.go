package cluster

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/parbench/parbench/results"
	"github.com/parbench/parbench/workloads"
)

func ms(n float64) time.Duration { return time.Duration(n * float64(time.Millisecond)) }

// incr and read build hand-made ops: client c on node c, from a to b ms.
func incr(c int, a, b float64, out outcome) op {
	return op{client: c, node: c, kind: opIncr, invoke: ms(a), ret: ms(b), outcome: out}
}

func read(c int, a, b float64, out outcome, v int64) op {
	return op{client: c, node: c, kind: opRead, invoke: ms(a), ret: ms(b), outcome: out, value: v}
}

// sorted orders hand-made ops as history.ops does.
func sorted(ops ...op) []op {
	slices.SortStableFunc(ops, func(a, b op) int { return cmp.Compare(a.invoke, b.invoke) })
	return ops
}

func metrics(ms []workloads.Metric) map[string]float64 {
	m := make(map[string]float64)
	for _, x := range ms {
		m[x.Unit] = x.Value
	}
	return m
}

// Three of the reads are stale: each returned less than init plus the
// increments answered before it was sent. An increment answered as the
// read was sent overlaps it; refused and unknown increments were never
// acknowledged; unanswered reads say nothing.
func TestStaleReads(t *testing.T) {
	const init = 10
	ops := sorted(
		incr(0, 0, 10, outcomeOK),
		incr(1, 5, 20, outcomeOK),
		incr(2, 1, 2, outcomeRefused),
		incr(2, 3, 4, outcomeUnknown),
		read(3, 15, 30, outcomeOK, 11), // 1 acked before: fresh
		read(3, 20, 25, outcomeOK, 11), // the second acked as it was sent: fresh
		read(2, 21, 22, outcomeOK, 11), // 2 acked before: stale
		read(2, 25, 26, outcomeOK, 12), // fresh
		read(2, 26, 27, outcomeOK, 13), // above: fresh (an unknown one landed)
		read(3, 40, 41, outcomeOK, 9),  // below init: stale
		read(0, 11, 12, outcomeOK, 10), // 1 acked before: stale
		read(1, 50, 90, outcomeRefused, 0),
		read(1, 90, 95, outcomeUnknown, 0),
	)
	if got := staleReads(ops, init); got != 3 {
		t.Errorf("staleReads = %d, want 3", got)
	}
	if got := staleReads(ops, init-3); got != 0 {
		t.Errorf("from init %d: staleReads = %d, want 0", init-3, got)
	}
	// By phase, of 20 each: the stale reads sent at 11, 21 and 40 fall
	// one in each phase; evaluate writes the split.
	got := metrics(evaluate(ops, sampleEnd{init: init, final: 13, cut: ms(20), heal: ms(40), convergeSec: -1}))
	for _, c := range []struct {
		phase string
		want  float64
	}{{results.PhaseHealthy, 1}, {results.PhasePartitioned, 1}, {results.PhaseHealed, 1}} {
		if g := got[results.UnitStaleReadsIn(c.phase)]; g != c.want {
			t.Errorf("%s = %v, want %v", results.UnitStaleReadsIn(c.phase), g, c.want)
		}
	}
	if got[results.UnitStaleReads] != 3 {
		t.Errorf("%s = %v, want 3", results.UnitStaleReads, got[results.UnitStaleReads])
	}
}

// lost-acked is init plus the answered increments minus the final
// value, never below 0; unknown-ops counts the increments of unknown
// outcome only.
func TestLostAcked(t *testing.T) {
	ops := sorted(
		incr(0, 0, 1, outcomeOK), incr(0, 2, 3, outcomeOK),
		incr(1, 0, 1, outcomeOK), incr(1, 2, 3, outcomeOK),
		incr(2, 0, 1, outcomeRefused),
		incr(2, 2, 250, outcomeUnknown), incr(3, 2, 250, outcomeUnknown),
		read(3, 260, 261, outcomeUnknown, 0),
	)
	for _, c := range []struct {
		final         int64
		lost, unknown int
	}{
		{final: 7, lost: 2, unknown: 2},
		{final: 9, lost: 0, unknown: 2},
		{final: 11, lost: 0, unknown: 2}, // both unknown ones landed
		{final: 5, lost: 4, unknown: 2},
	} {
		lost, unknown := lostAcked(ops, 5, c.final)
		if lost != c.lost || unknown != c.unknown {
			t.Errorf("final %d: lost %d, unknown %d; want %d, %d", c.final, lost, unknown, c.lost, c.unknown)
		}
	}
}

// Each phase's availability and latency percentiles come from the
// requests invoked in it (an op invoked at the boundary belongs to the
// later phase); the partitioned phase splits by side.
func TestEvaluatePhases(t *testing.T) {
	const p = 100 // phase time, ms
	ops := sorted(
		// healthy: 4 answered of 4; latencies 1, 2, 3, 4 ms.
		incr(0, 0, 1, outcomeOK), read(1, 10, 12, outcomeOK, 1),
		incr(0, 20, 23, outcomeOK), read(1, 99, 103, outcomeOK, 2),
		// partitioned: node 2 (the minority) answers nothing, node 0
		// and 1 answer 3 of 4, latencies 10, 30, 20 ms.
		incr(0, 100, 110, outcomeOK), read(1, 110, 140, outcomeOK, 3),
		incr(0, 150, 170, outcomeOK), read(1, 150, 400, outcomeUnknown, 0),
		incr(2, 100, 101, outcomeRefused), read(2, 120, 370, outcomeUnknown, 0),
		// healed: 2 answered of 3 (a refused read), 5 ms and 7 ms.
		read(0, 200, 205, outcomeOK, 4), incr(2, 250, 257, outcomeOK), read(1, 260, 261, outcomeRefused, 0),
	)
	s := sampleEnd{init: 0, final: 5, converged: true, cut: ms(p), heal: ms(2 * p), minority: map[int]bool{2: true}, convergeSec: 0.25, checkTimeout: time.Minute}
	got := metrics(evaluate(ops, s))
	want := map[string]float64{
		results.UnitAvail(results.PhaseHealthy):            1,
		results.UnitP50(results.PhaseHealthy):              ms(2).Seconds(),
		results.UnitP99(results.PhaseHealthy):              ms(4).Seconds(),
		results.UnitAvail(results.PhasePartitioned):        3.0 / 6,
		results.UnitP50(results.PhasePartitioned):          ms(20).Seconds(),
		results.UnitP99(results.PhasePartitioned):          ms(30).Seconds(),
		results.UnitAvail(results.PhaseHealed):             2.0 / 3,
		results.UnitP50(results.PhaseHealed):               ms(5).Seconds(),
		results.UnitP99(results.PhaseHealed):               ms(7).Seconds(),
		results.UnitAvailMinority:                          0,
		results.UnitAvailMajority:                          3.0 / 4,
		results.UnitStaleReads:                             0,
		results.UnitStaleReadsIn(results.PhaseHealthy):     0,
		results.UnitStaleReadsIn(results.PhasePartitioned): 0,
		results.UnitStaleReadsIn(results.PhaseHealed):      0,
		results.UnitLostAcked:                              0,
		results.UnitUnknownOps:                             0,
		results.UnitConvergeSec:                            0.25,
		results.UnitLinearizable:                           1,
	}
	for unit, w := range want {
		if g, ok := got[unit]; !ok || g != w {
			t.Errorf("%s = %v (present %v), want %v", unit, g, ok, w)
		}
	}
	for unit := range got {
		if _, ok := want[unit]; !ok {
			t.Errorf("unexpected %s = %v", unit, got[unit])
		}
	}
}

// A figure with nothing to measure is absent: no requests in a phase,
// none answered, no minority, convergence not measured.
func TestEvaluateAbsent(t *testing.T) {
	ops := sorted(
		read(0, 0, 1, outcomeOK, 0),
		incr(0, 150, 400, outcomeUnknown),
	)
	s := sampleEnd{final: 1, cut: ms(100), heal: ms(200), convergeSec: -1}
	got := metrics(evaluate(ops, s))
	for _, unit := range []string{
		results.UnitP50(results.PhasePartitioned), results.UnitP99(results.PhasePartitioned),
		results.UnitAvail(results.PhaseHealed), results.UnitP50(results.PhaseHealed),
		results.UnitAvailMinority, results.UnitConvergeSec,
		results.UnitLostAcked, // not converged: no final value to miss increments from
	} {
		if v, ok := got[unit]; ok {
			t.Errorf("%s = %v, want it absent", unit, v)
		}
	}
	if got[results.UnitAvail(results.PhasePartitioned)] != 0 || got[results.UnitUnknownOps] != 1 || got[results.UnitLinearizable] != 1 {
		t.Errorf("partitioned availability, unknown-ops, linearizable = %v, %v, %v; want 0, 1, 1",
			got[results.UnitAvail(results.PhasePartitioned)], got[results.UnitUnknownOps], got[results.UnitLinearizable])
	}
}

// Phases follow the controller's actual cut and heal, not multiples of
// the phase time: they come late (the leader is read first), and an op
// sent after t0+P but before the cut met a whole network.
func TestEvaluateActualPhases(t *testing.T) {
	ops := sorted(
		incr(0, 0, 1, outcomeOK),
		incr(0, 120, 121, outcomeOK),         // after P=100, before the cut: healthy
		incr(2, 135, 136, outcomeRefused),    // partitioned
		incr(2, 215, 216, outcomeRefused),    // after 2P, before the heal: partitioned
		incr(2, 230, 231, outcomeOK),         // healed
		read(1, 240, 241, outcomeUnknown, 0), // healed
	)
	s := sampleEnd{final: 3, converged: true, cut: ms(130), heal: ms(230), minority: map[int]bool{2: true}, convergeSec: -1}
	got := metrics(evaluate(ops, s))
	for unit, want := range map[string]float64{
		results.UnitAvail(results.PhaseHealthy):     1,
		results.UnitAvail(results.PhasePartitioned): 0,
		results.UnitAvail(results.PhaseHealed):      0.5,
		results.UnitAvailMinority:                   0,
		results.UnitLostAcked:                       0,
	} {
		if g, ok := got[unit]; !ok || g != want {
			t.Errorf("cut at 130ms, heal at 230ms: %s = %v (present %v), want %v", unit, g, ok, want)
		}
	}
	if g, ok := got[results.UnitAvailMajority]; ok {
		t.Errorf("%s = %v, want it absent: no majority client sent while cut", results.UnitAvailMajority, g)
	}
	// lost-acked only from a converged final value.
	s.final = 2
	if g := metrics(evaluate(ops, s))[results.UnitLostAcked]; g != 1 {
		t.Errorf("converged to 2 of 3 acknowledged: lost-acked %v, want 1", g)
	}
	s.converged = false
	if g, ok := metrics(evaluate(ops, s))[results.UnitLostAcked]; ok {
		t.Errorf("not converged: lost-acked %v, want it absent", g)
	}
}

// Hand-made histories and porcupine's verdict on each.
func TestLinearizability(t *testing.T) {
	for _, c := range []struct {
		name string
		ops  []op
		want porcupine.CheckResult
	}{
		{"concurrent increments, reads in between", sorted(
			incr(0, 0, 10, outcomeOK), incr(1, 0, 10, outcomeOK),
			read(2, 1, 2, outcomeOK, 1), read(3, 3, 4, outcomeOK, 2), // saw one, then both
			read(2, 11, 12, outcomeOK, 2),
		), porcupine.Ok},
		{"a read goes back", sorted(
			incr(0, 0, 10, outcomeOK), incr(1, 0, 10, outcomeOK),
			read(2, 1, 2, outcomeOK, 2), read(3, 3, 4, outcomeOK, 1),
		), porcupine.Illegal},
		{"stale read", sorted(
			incr(0, 0, 10, outcomeOK),
			read(1, 11, 12, outcomeOK, 0),
		), porcupine.Illegal},
		{"a read overlapping the answer", sorted(
			incr(0, 0, 10, outcomeOK),
			read(1, 10, 12, outcomeOK, 0),
		), porcupine.Ok},
		{"an unknown increment landed", sorted(
			incr(0, 0, 250, outcomeUnknown),
			read(1, 300, 301, outcomeOK, 1),
		), porcupine.Ok},
		{"an unknown increment did not land", sorted(
			incr(0, 0, 250, outcomeUnknown),
			read(1, 300, 301, outcomeOK, 0),
		), porcupine.Ok},
		{"an unknown increment landed late", sorted(
			incr(0, 0, 250, outcomeUnknown),
			read(1, 300, 301, outcomeOK, 0), incr(1, 302, 303, outcomeOK),
			read(1, 400, 401, outcomeOK, 2),
		), porcupine.Ok},
		{"an unknown increment landed twice", sorted(
			incr(0, 0, 250, outcomeUnknown),
			read(1, 300, 301, outcomeOK, 2),
		), porcupine.Illegal},
		{"a refused increment landed", sorted(
			incr(0, 0, 1, outcomeRefused),
			read(1, 300, 301, outcomeOK, 1),
		), porcupine.Illegal},
		{"unanswered reads say nothing", sorted(
			incr(0, 0, 1, outcomeOK),
			read(1, 300, 550, outcomeUnknown, 7), read(1, 600, 601, outcomeRefused, -3),
		), porcupine.Ok},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := linearizability(c.ops, sampleEnd{checkTimeout: time.Minute}); got != c.want {
				t.Errorf("verdict %s, want %s", got, c.want)
			}
		})
	}
}

// synth makes a history of n ops by clients that each send one request
// at a time to a simulated linearizable counter: each op takes effect at
// a random point between its invocation and its answer, and a read
// returns the value there. A share of the increments is refused (no
// effect) or unknown (answered after timeout; half of them take effect,
// at a random point in that time). With stale > 0, that many answered
// reads, spread over the history, are then made stale (see staleReads),
// which no linearizable counter returns. It returns the ops and the
// counter's final value.
type synth struct {
	clients, n        int
	refused, unknown  float64
	stale             int
	timeout           time.Duration
	init              int64
	seed              uint64
	lastStaleFraction float64 // where the last stale read falls, 0..1 of the history (0: 1)
}

func (s synth) ops() (ops []op, final int64) {
	rng := rand.New(rand.NewPCG(s.seed, 1))
	type timed struct {
		i       int // index in ops
		at      time.Duration
		applied bool
	}
	var all []op
	var effects []timed
	per := s.n / s.clients
	for c := range s.clients {
		at := time.Duration(rng.IntN(100)) * time.Microsecond
		for range per {
			lat := time.Duration(50+rng.ExpFloat64()*400) * time.Microsecond
			o := op{client: c, node: c % 3, kind: opKind(rng.IntN(2)), invoke: at, ret: at + lat, outcome: outcomeOK}
			applied := true
			if o.kind == opIncr {
				switch r := rng.Float64(); {
				case r < s.refused:
					o.outcome, applied = outcomeRefused, false
				case r < s.refused+s.unknown:
					o.outcome, o.ret = outcomeUnknown, at+s.timeout
					applied = rng.IntN(2) == 0
				}
			}
			effects = append(effects, timed{len(all), o.invoke + time.Duration(rng.Int64N(int64(o.ret-o.invoke)+1)), applied})
			all = append(all, o)
			at = o.ret + time.Duration(rng.IntN(50))*time.Microsecond
		}
	}
	slices.SortFunc(effects, func(a, b timed) int { return cmp.Compare(a.at, b.at) })
	v := s.init
	for _, e := range effects {
		o := &all[e.i]
		switch {
		case o.kind == opIncr && e.applied:
			v++
		case o.kind == opRead:
			o.value = v
		}
	}
	all = sorted(all...)
	if s.stale > 0 {
		s.spoil(all, rng)
	}
	return all, v
}

// spoil makes s.stale answered reads stale: each returns one less than
// init plus the increments answered before it was sent.
func (s synth) spoil(all []op, rng *rand.Rand) {
	var acked []time.Duration
	for _, o := range all {
		if o.kind == opIncr && o.outcome == outcomeOK {
			acked = append(acked, o.ret)
		}
	}
	slices.Sort(acked)
	end := len(all)
	if s.lastStaleFraction > 0 {
		end = int(float64(len(all)) * s.lastStaleFraction)
	}
	for k := range s.stale {
		// the first answered read with an increment acked before it
		// from a point spread over [0, end)
		for i := (k*end)/s.stale + rng.IntN(max(end/s.stale/2, 1)); i < len(all); i++ {
			o := &all[i]
			before, _ := slices.BinarySearch(acked, o.invoke)
			if o.kind == opRead && o.outcome == outcomeOK && before > 0 {
				o.value = s.init + int64(before) - 1
				break
			}
		}
	}
}

// On simulated concurrent histories, porcupine's verdict and the stale
// read count agree: a linearizable counter's history passes with no
// stale read, unknown increments included (some landed, some did not);
// one with stale reads fails.
func TestLinearizabilitySynthetic(t *testing.T) {
	for _, c := range []synth{
		{clients: 8, n: 2000, seed: 1},
		{clients: 6, n: 2000, refused: 0.1, unknown: 0.02, timeout: ms(5), seed: 2},
		{clients: 3, n: 600, unknown: 0.1, timeout: ms(2), init: 40, seed: 3},
		{clients: 8, n: 2000, stale: 1, seed: 4},
		{clients: 6, n: 2000, refused: 0.1, unknown: 0.02, timeout: ms(5), stale: 5, seed: 5},
		{clients: 8, n: 2000, stale: 1, lastStaleFraction: 0.1, seed: 6},
	} {
		t.Run(fmt.Sprintf("clients=%d/unknown=%v/stale=%d/seed=%d", c.clients, c.unknown, c.stale, c.seed), func(t *testing.T) {
			ops, final := c.ops()
			stale := staleReads(ops, c.init)
			if stale != c.stale {
				t.Errorf("%d stale reads, want %d", stale, c.stale)
			}
			want := porcupine.Ok
			if c.stale > 0 {
				want = porcupine.Illegal
			}
			for _, converged := range []bool{false, true} {
				s := sampleEnd{init: c.init, final: final, converged: converged, checkTimeout: time.Minute}
				if got := linearizability(ops, s); got != want {
					t.Errorf("converged %v: verdict %s with %d stale reads, want %s", converged, got, stale, want)
				}
			}
		})
	}
}

// referenceVerdict is porcupine's verdict on ops in the plain encoding
// counterModel stands for: a counter (int64); an unknown increment an
// increment whose return is +infinity; when converged, the final value
// a read after all. Exact, but exponential in the unknown increments.
func referenceVerdict(ops []op, s sampleEnd) porcupine.CheckResult {
	model := porcupine.Model{
		Init: func() any { return s.init },
		Step: func(state, input, output any) (bool, any) {
			v := state.(int64)
			if input.(opKind) == opIncr {
				return true, v + 1
			}
			return output.(int64) == v, v
		},
	}
	var pops []porcupine.Operation
	var end int64
	for _, o := range ops {
		ret := int64(o.ret)
		end = max(end, ret)
		switch {
		case o.outcome == outcomeUnknown && o.kind == opIncr:
			ret = math.MaxInt64
		case o.outcome != outcomeOK:
			continue
		}
		pops = append(pops, porcupine.Operation{ClientId: o.client, Input: o.kind, Call: int64(o.invoke), Output: o.value, Return: ret})
	}
	if s.converged {
		pops = append(pops, porcupine.Operation{Input: opRead, Call: end + 1, Output: s.final, Return: end + 2})
	}
	return porcupine.CheckOperationsTimeout(model, pops, time.Minute)
}

// On small random histories with many unknown increments, some reads
// nudged by one (legal or not), with and without a final value (true
// or nudged), counterModel's verdict is the reference encoding's.
func TestCounterModelMatchesReference(t *testing.T) {
	verdicts := map[porcupine.CheckResult]int{}
	for seed := range uint64(1500) {
		c := synth{clients: 3, n: 30, refused: 0.1, unknown: 0.3, timeout: ms(1), init: 5, seed: seed}
		ops, final := c.ops()
		rng := rand.New(rand.NewPCG(seed, 2))
		for i := range ops {
			if ops[i].kind == opRead && rng.IntN(8) == 0 {
				ops[i].value += int64(rng.IntN(3) - 1)
			}
		}
		s := sampleEnd{init: c.init, final: final + int64(rng.IntN(3)-1), converged: seed%2 == 0, checkTimeout: time.Minute}
		want := referenceVerdict(ops, s)
		if got := linearizability(ops, s); got != want {
			t.Errorf("seed %d: verdict %s, reference %s; final %d, ops %+v", seed, got, want, s.final, ops)
		}
		verdicts[want]++
	}
	if verdicts[porcupine.Ok] < 150 || verdicts[porcupine.Illegal] < 150 {
		t.Errorf("verdicts %v: want both kinds, many of each", verdicts)
	}
}

// The converged final value is a read after all: it tells whether the
// unknown increments took effect, and a lost acknowledged one makes the
// history illegal. evaluate reports a stale read or a lost acknowledged
// increment (converged) as not linearizable without the search.
func TestFinalRead(t *testing.T) {
	unknownThenRead := func(v int64) []op {
		return sorted(incr(0, 0, 250, outcomeUnknown), incr(1, 1, 2, outcomeOK), read(1, 300, 301, outcomeOK, v))
	}
	for _, c := range []struct {
		name      string
		ops       []op
		final     int64
		converged bool
		want      porcupine.CheckResult
	}{
		{"saw the unknown one, which landed", unknownThenRead(2), 2, true, porcupine.Ok},
		{"saw the unknown one, which never landed", unknownThenRead(2), 1, true, porcupine.Illegal},
		{"saw the unknown one, not converged", unknownThenRead(2), 1, false, porcupine.Ok},
		{"the unknown one landed after the read", unknownThenRead(1), 2, true, porcupine.Ok},
		{"nothing lost", unknownThenRead(1), 1, true, porcupine.Ok},
		{"an acknowledged one lost", unknownThenRead(1), 0, true, porcupine.Illegal},
		{"more than was sent", unknownThenRead(1), 3, true, porcupine.Illegal},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := sampleEnd{final: c.final, converged: c.converged, cut: time.Second, heal: 2 * time.Second, checkTimeout: time.Minute}
			if got := linearizability(c.ops, s); got != c.want {
				t.Errorf("verdict %s, want %s", got, c.want)
			}
			if got, want := metrics(evaluate(c.ops, s))[results.UnitLinearizable], map[porcupine.CheckResult]float64{porcupine.Ok: 1}[c.want]; got != want {
				t.Errorf("evaluate: linearizable %v, want %v", got, want)
			}
		})
	}
	// 40 concurrent increments, then a stale read, or a final value that
	// lost one: refuting either by search would try every subset of the
	// 40, and evaluate answers 0 at once.
	var ops []op
	for c := range 40 {
		ops = append(ops, incr(c, 0, 10, outcomeOK))
	}
	for _, c := range []struct {
		name string
		ops  []op
		s    sampleEnd
	}{
		{"stale read", append(slices.Clone(ops), read(40, 20, 21, outcomeOK, 39)), sampleEnd{final: 40, converged: false}},
		{"lost", append(slices.Clone(ops), read(40, 20, 21, outcomeOK, 40)), sampleEnd{final: 39, converged: true}},
	} {
		c.s.cut, c.s.heal, c.s.checkTimeout = time.Second, 2*time.Second, 2*time.Second
		if got, ok := metrics(evaluate(c.ops, c.s))[results.UnitLinearizable]; !ok || got != 0 {
			t.Errorf("%s: linearizable = %v (present %v), want 0", c.name, got, ok)
		}
	}
}

// evaluate reports the verdict as linearizable 1 or 0, and none when
// the check runs out of time: here 40 concurrent increments, then a read
// of one more than they make, which porcupine can only refute by trying
// every subset of them.
func TestEvaluateLinearizable(t *testing.T) {
	var ops []op
	for c := range 40 {
		ops = append(ops, incr(c, 0, 10, outcomeOK))
	}
	bad := append(slices.Clone(ops), read(40, 20, 21, outcomeOK, 41))
	good := append(slices.Clone(ops), read(40, 20, 21, outcomeOK, 40))
	s := sampleEnd{final: 40, cut: ms(100), heal: ms(200), checkTimeout: time.Minute}
	if got, ok := metrics(evaluate(good, s))[results.UnitLinearizable]; !ok || got != 1 {
		t.Errorf("good: linearizable = %v (present %v), want 1", got, ok)
	}
	small := append(slices.Clone(ops[:3]), read(40, 20, 21, outcomeOK, 4))
	if got, ok := metrics(evaluate(small, s))[results.UnitLinearizable]; !ok || got != 0 {
		t.Errorf("bad: linearizable = %v (present %v), want 0", got, ok)
	}
	s.checkTimeout = 50 * time.Millisecond
	if got, ok := metrics(evaluate(bad, s))[results.UnitLinearizable]; ok {
		t.Errorf("bad, 2^40 subsets in 50ms: linearizable = %v, want it absent (timed out)", got)
	}
}

// visualize writes porcupine's HTML page, linearizable or not.
func TestVisualize(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name string
		ops  []op
		want porcupine.CheckResult
	}{
		{"ok", sorted(read(2, 0, 1, outcomeOK, 0), incr(0, 0, 10, outcomeOK), incr(1, 5, 250, outcomeUnknown), read(2, 11, 12, outcomeOK, 2)), porcupine.Ok},
		{"illegal", sorted(incr(0, 0, 10, outcomeOK), read(1, 11, 12, outcomeOK, 0)), porcupine.Illegal},
	} {
		path := filepath.Join(dir, c.name+".html")
		res, err := visualize(path, c.ops, sampleEnd{final: 2, converged: true, checkTimeout: time.Minute})
		if err != nil || res != c.want {
			t.Fatalf("%s: visualize = %s, %v; want %s, nil", c.name, res, err, c.want)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{"<html", "client 1, node 1, ", "read -\\u003e 0"} {
			if !strings.Contains(string(b), s) {
				t.Errorf("%s: %s lacks %q", c.name, path, s)
			}
		}
	}
	if _, err := visualize(filepath.Join(dir, "no", "such.html"), nil, sampleEnd{}); err == nil {
		t.Error("visualize into a missing directory: no error")
	}
}

// BenchmarkLinearizability times porcupine's check of synthetic
// histories like a sample's (run under flock /tmp/measure.lock with
// -benchtime 1x), with the final value (converged) and without, and the
// verbose check visualize runs.
func BenchmarkLinearizability(b *testing.B) {
	for _, c := range []synth{
		{clients: 6, n: 20000, seed: 1},
		{clients: 8, n: 20000, seed: 2},
		{clients: 8, n: 20000, refused: 0.05, unknown: 0.001, timeout: ms(250), seed: 3},
		{clients: 6, n: 20000, stale: 1, seed: 4},
		{clients: 8, n: 20000, stale: 1, seed: 5},
		{clients: 8, n: 20000, stale: 1, lastStaleFraction: 0.5, seed: 6},
		{clients: 8, n: 20000, refused: 0.05, unknown: 0.001, timeout: ms(250), stale: 1, seed: 7},
	} {
		ops, final := c.ops()
		for _, converged := range []bool{false, true} {
			s := sampleEnd{init: c.init, final: final, converged: converged, checkTimeout: time.Minute}
			name := fmt.Sprintf("clients=%d/unknown=%v/stale=%d/at=%v/converged=%v", c.clients, c.unknown, c.stale, c.lastStaleFraction, converged)
			b.Run(name, func(b *testing.B) {
				for b.Loop() {
					if res := linearizability(ops, s); (res == porcupine.Ok) != (c.stale == 0) {
						b.Fatalf("verdict %s", res)
					}
				}
				b.ReportMetric(float64(len(ops)), "ops")
			})
			b.Run(name+"/verbose", func(b *testing.B) {
				for b.Loop() {
					pops, model := porcupineOps(ops, s)
					if res, _ := porcupine.CheckOperationsVerbose(model, pops, time.Minute); (res == porcupine.Ok) != (c.stale == 0) {
						b.Fatalf("verdict %s", res)
					}
				}
			})
		}
	}
}
