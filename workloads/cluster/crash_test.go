package cluster

import (
	"slices"
	"testing"
	"time"

	"github.com/parbench/parbench/results"
	"github.com/parbench/parbench/workloads"
)

// TestCrash: --faults crash kills the cut-off side's nodes for the
// partitioned phase and restarts them at the heal under the same
// index. Under cp with isolate-leader the leader dies: the survivors
// elect another (election-sec), the history stays linearizable and
// nothing acknowledged is lost; the restarted node rejoins and is
// caught up, so the next sample starts from the value all agree on.
// Under ap (minority: node 2) the restarted node starts empty and
// merges from its peers until all agree.
func TestCrash(t *testing.T) {
	for _, c := range []struct {
		name, design, partition string
	}{
		{"cp", workloads.ConsistencyCP, workloads.PartitionIsolateLeader},
		{"ap", workloads.ConsistencyAP, workloads.PartitionMinority},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := testParams()
			// Room for an election (a few hundred ms, more under -race
			// on a busy machine) inside the partitioned phase.
			p.PhaseTime = 1500 * time.Millisecond
			p.Faults = faultsCrash
			p.Partition = c.partition
			in := startTest(t, kindCounter, c.design, p)
			before := in.pool.PIDs()
			ms := runSample(t, in, 2*in.n)
			s := in.s
			t.Logf("%s: %v", c.name, ms)
			if !s.converged {
				t.Fatal("the nodes did not agree after the sample")
			}
			after := in.pool.PIDs()
			if len(s.cutOff) != 1 {
				t.Fatalf("cut off %v, want one node", s.cutOff)
			}
			for k := range in.n {
				if (before[k] != after[k]) != s.cutOff[k] {
					t.Errorf("pids %v before the sample, %v after: want only the cut-off %v's changed", before, after, s.cutOff)
				}
				if want := map[bool]int{true: 1}[s.cutOff[k]]; in.incarnation[k] != want {
					t.Errorf("node %d: incarnation %d, want %d", k, in.incarnation[k], want)
				}
			}
			if len(in.dead) != 0 {
				t.Errorf("nodes %v left dead after the heal", in.dead)
			}
			// The dead node's clients got (nearly) nothing.
			if got := metricOf(t, ms, results.UnitAvailMinority); got > 0.2 {
				t.Errorf("the crashed node's clients' availability %v, want near 0", got)
			}
			if c.design == workloads.ConsistencyCP {
				if e := metricOf(t, ms, results.UnitElectionSec); e <= 0 || e > p.PhaseTime.Seconds() {
					t.Errorf("election-sec %v, want within the partitioned phase (%v)", e, p.PhaseTime)
				}
				lin := metricOf(t, ms, results.UnitLinearizable)
				lost := metricOf(t, ms, results.UnitLostAcked)
				if lin != 1 || lost != 0 {
					t.Errorf("cp after a leader crash: linearizable %v, lost-acked %v; want 1 and 0", lin, lost)
				}
			} else if slices.ContainsFunc(ms, func(m workloads.Metric) bool { return m.Unit == results.UnitElectionSec }) {
				t.Errorf("ap has no leader, yet election-sec in %v", ms)
			}
			// The restarted node serves the next sample, which starts
			// from the value all agreed on.
			final := s.final
			runSample(t, in, in.n)
			if in.s.err != nil || in.s.init != final {
				t.Errorf("the next sample: %v, starts from %d, want %d", in.s.err, in.s.init, final)
			}
		})
	}
}

// TestRestartedSlot: a restarted ap node counts its increments in a
// fresh PN-counter slot, so merging into peers that hold its previous
// incarnation's count keeps them (in the old slot, the merge's maximum
// would drop them).
func TestRestartedSlot(t *testing.T) {
	const n = 3
	peer := &pnCounter{P: []int64{5, 7, 3}, N: make([]int64, n)}
	restarted := &node{id: 2, cfg: nodeConfig{Replicas: n, Incarnation: 1}}
	if s := restarted.slot(); s < n {
		t.Fatalf("a restarted node's slot %d reuses a first incarnation's (0 to %d)", s, n-1)
	}
	fresh, _ := newCRDT(kindCounter, n)
	fresh.incr(restarted.slot(), 0)
	fresh.incr(restarted.slot(), 0)
	peer.merge(fresh)
	fresh.merge(peer)
	if peer.value() != 17 || fresh.value() != 17 {
		t.Errorf("after 2 increments of the restarted node: %d at the peer, %d at it; want 17 (15 + 2)", peer.value(), fresh.value())
	}
	if got := peer.progress(); len(got) != 2*len(peer.P) || len(peer.P) != len(peer.N) {
		t.Errorf("progress %v: P %v and N %v of different lengths", got, peer.P, peer.N)
	}
	first := &node{id: 2, cfg: nodeConfig{Replicas: n}}
	if first.slot() != 2 {
		t.Errorf("a first incarnation's slot %d, want its index 2", first.slot())
	}
}
