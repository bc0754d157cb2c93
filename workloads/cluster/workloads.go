package cluster

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/parbench/parbench/internal/procs"
	"github.com/parbench/parbench/results"
	"github.com/parbench/parbench/workloads"
)

func init() {
	workloads.Register(workload{kind: kindCounter, summary: "a counter on replica processes: Raft log (cp), PN-counter CRDT (ap) or its quorums (quorum), under a network partition"})
	workloads.Register(workload{kind: kindRegister, summary: "a counter on replica processes: Raft log (cp), last-writer-wins register (ap) or its quorums (quorum), under a network partition"})
}

// workload is cluster/counter or cluster/register: the two differ only
// in the ap design's CRDT.
type workload struct {
	kind    string // kindCounter or kindRegister
	summary string
}

// The interfaces a cluster workload implements.
var (
	_ workloads.Replicated     = workload{}
	_ workloads.Classed        = workload{}
	_ workloads.ParamUser      = workload{}
	_ workloads.GoroutinesOnly = workload{}
	_ workloads.ParamChecker   = workload{}
	_ workloads.Sampler        = (*instance)(nil)
	_ workloads.Timed          = (*instance)(nil)
)

func (w workload) Name() string    { return "cluster/" + w.kind }
func (w workload) Summary() string { return w.summary }

// Class is io: the clients wait on the network and the replicas.
func (workload) Class() results.Class { return results.ClassIO }

func (workload) Params() []string {
	return []string{workloads.ParamReplicas, workloads.ParamPartition, workloads.ParamPhaseTime,
		workloads.ParamSyncInterval, workloads.ParamRequestTimeout, workloads.ParamWriteQuorum, workloads.ParamReadQuorum, workloads.ParamFaults}
}

// The values of Params.Faults (--faults) the cluster workloads take:
// none, or crash (instance.go: the partitioned phase kills the cut-off
// side's nodes and the heal restarts them).
const (
	faultsOff   = "off"
	faultsCrash = "crash"
)

// CheckParams refuses a Faults spec that is not one of the cluster's
// (workloads.ParamChecker): "" or off (none), or crash.
func (workload) CheckParams(p workloads.Params) error {
	switch p.Faults {
	case "", faultsOff, faultsCrash:
		return nil
	}
	return &workloads.ParamError{Param: workloads.ParamFaults, Value: strconv.Quote(p.Faults),
		Err: errors.New("the cluster workloads' faults: want off or crash (the cut-off side's nodes killed for the partitioned phase and restarted at the heal)")}
}

// crash reports whether p asks for crashes instead of cut links.
func crash(p workloads.Params) bool { return p.Faults == faultsCrash }

func (workload) GoroutinesOnly() string {
	return "its clients share one sample's history, clock and fault proxy in one process"
}

func (workload) Consistencies() []string {
	return []string{workloads.ConsistencyCP, workloads.ConsistencyAP, workloads.ConsistencyQuorum}
}

// Start refuses: a replicated workload is started with a design.
func (w workload) Start(workloads.Params) (workloads.Instance, error) {
	return nil, fmt.Errorf("%s is replicated: start it with a consistency design (%s)",
		w.Name(), strings.Join(w.Consistencies(), ", "))
}

// CheckReplicated refuses what design c cannot measure: a design it
// does not offer, a partition that would cut no node off (too few
// replicas), and under cp an even replica count (its majority is as
// large as one more node's: halves would leave no side a quorum).
func (w workload) CheckReplicated(p workloads.Params, c string) error {
	if !slices.Contains(w.Consistencies(), c) {
		return fmt.Errorf("%s: no consistency design %q (want one of %s)", w.Name(), c, strings.Join(w.Consistencies(), ", "))
	}
	if err := checkQuorum(p, c); err != nil {
		return err
	}
	bad := func(want string) error {
		return &workloads.ParamError{Param: workloads.ParamReplicas, Value: fmt.Sprint(p.Replicas), Err: errors.New(want)}
	}
	leader := -1
	if c == workloads.ConsistencyCP {
		leader = 0
		if p.Replicas%2 == 0 {
			return bad("want an odd count under cp: an even one's majority is that of one more replica")
		}
	}
	if len(sides(p.Partition, p.Replicas, leader)) == 0 {
		noun := "replicas"
		if p.Replicas == 1 {
			noun = "replica"
		}
		return bad(fmt.Sprintf("partition %s cuts no replica off with %d %s: want at least %d", p.Partition, p.Replicas, noun, minReplicas(p.Partition)))
	}
	return nil
}

// minReplicas is the fewest replicas of which partition cuts one off.
func minReplicas(partition string) int {
	if partition == workloads.PartitionMinority {
		return 3
	}
	return 2
}

// StartReplicated starts the replicas of design c (Params.Replicas
// node processes and the fault proxy) and returns once they are ready.
func (w workload) StartReplicated(p workloads.Params, c string) (workloads.Instance, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if err := w.CheckParams(p); err != nil {
		return nil, err
	}
	if err := w.CheckReplicated(p, c); err != nil {
		return nil, err
	}
	return startInstance(w.kind, c, p, procs.DefaultOptions())
}
