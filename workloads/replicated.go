package workloads

import (
	"errors"
	"time"
)

// Replicated is a Workload whose service is a set of replicas that must
// choose between consistency and availability while partitioned
// (package workloads/cluster). The runner never calls its Start: it
// starts one Instance per design with StartReplicated, sweeps the
// designs as the points' consistency key, and runs its workers (the
// clients) as goroutines under lock none, since the replicas hold no
// simulated lock.
type Replicated interface {
	Workload
	// Consistencies returns the designs it offers, in order: "cp", "ap",
	// "quorum".
	Consistencies() []string
	// CheckReplicated reports a Params that does not suit design c
	// (even replicas under cp, ...) as a *ParamError naming the field.
	CheckReplicated(p Params, consistency string) error
	// StartReplicated starts the replicas of design c and returns an
	// Instance whose workers are the clients (they hold no lock).
	StartReplicated(p Params, consistency string) (Instance, error)
}

// Timed is implemented by an Instance whose samples last a set time,
// not a set number of ops: the runner does not calibrate its points;
// each sample's workers call Op until it returns an error wrapping
// ErrSampleDone (the Instance's clock starts at the sample's first Op).
// A sample's ops are then whatever its workers did in that time, and
// its sec/op the wall time over them as for any sample.
type Timed interface {
	// SampleTime returns how long one sample lasts from its first Op.
	SampleTime() time.Duration
}

// ErrSampleDone is wrapped by the error a Timed Instance's worker
// returns from Op once its sample's time is over: that goroutine is
// done, and the op that returned it is not counted. It is not a failure.
var ErrSampleDone = errors.New("sample done")

// The consistency designs of a Replicated workload (its Consistencies).
const (
	// ConsistencyCP keeps the replicas linearizable by a consensus log
	// (Raft): a side without a majority refuses requests.
	ConsistencyCP = "cp"
	// ConsistencyAP keeps every replica answering (CRDTs merged by
	// anti-entropy): the sides diverge while partitioned and converge
	// after.
	ConsistencyAP = "ap"
	// ConsistencyQuorum is Dynamo-style tunable quorums: a write is
	// answered once Params.WriteQuorum replicas hold it, a read once
	// ReadQuorum answered, so R+W > N reads its writes and R = W = 1
	// stays available and stale, as ap.
	ConsistencyQuorum = "quorum"
)

// The partitions of Params.Partition: which nodes the partitioned
// phase cuts off from the rest.
const (
	// PartitionMinority cuts off the last floor((N-1)/2) nodes (never a
	// cp leader): the majority keeps a quorum.
	PartitionMinority = "minority"
	// PartitionHalves cuts the first ceil(N/2) nodes from the rest.
	PartitionHalves = "halves"
	// PartitionIsolateLeader cuts the leader off alone (ap has none:
	// node 0).
	PartitionIsolateLeader = "isolate-leader"
)

// Partitions returns the valid values of Params.Partition.
func Partitions() []string {
	return []string{PartitionMinority, PartitionHalves, PartitionIsolateLeader}
}
