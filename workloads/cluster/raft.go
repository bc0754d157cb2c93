package cluster

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
)

// The cp design: the counter is the state machine of a Raft log
// (hashicorp/raft, in memory). An increment is a log entry; the leader
// answers it once a majority holds it and its state machine applied
// it. A read is linearizable through the log, not a lease: the leader
// commits a barrier entry (raft.Barrier) and then reads its state
// machine, so a leader cut off from the majority cannot answer a read
// with a value it does not know to be the latest. A follower forwards
// both to the leader's API through its link proxy.

// Raft's timing on loopback: elections and heartbeats in a few hundred
// milliseconds, so that a partitioned phase of a second sees a new
// leader; commits batched every 5ms.
const (
	raftHeartbeat   = 150 * time.Millisecond
	raftElection    = 150 * time.Millisecond
	raftLeaderLease = 100 * time.Millisecond
	raftCommit      = 5 * time.Millisecond
	// raftIOTimeout bounds one RPC of the transport: an RPC over a cut
	// link fails after it, and the leader retries with backoff.
	raftIOTimeout = 500 * time.Millisecond
)

// serverID is node i's Raft id and address: a logical name that the
// stream layer maps to the link proxy to node i.
func serverID(i int) raft.ServerID { return raft.ServerID("n" + strconv.Itoa(i)) }

// nodeOf is the inverse of serverID, -1 for anything else.
func nodeOf(id string) int {
	i, err := strconv.Atoi(strings.TrimPrefix(id, "n"))
	if err != nil || !strings.HasPrefix(id, "n") || i < 0 {
		return -1
	}
	return i
}

// counterFSM is the state machine: the counter, and the index of the
// last increment applied (the node's progress).
type counterFSM struct {
	mu    sync.Mutex
	value int64
	index uint64
}

// Apply applies one increment (every command is one) and returns the
// value after it.
func (f *counterFSM) Apply(l *raft.Log) any {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.value++
	f.index = l.Index
	return f.value
}

func (f *counterFSM) state() (value int64, index uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.value, f.index
}

func (f *counterFSM) Snapshot() (raft.FSMSnapshot, error) {
	v, i := f.state()
	return fsmSnapshot{v, i}, nil
}

func (f *counterFSM) Restore(r io.ReadCloser) error {
	defer r.Close()
	var b [16]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return fmt.Errorf("restoring the counter: %w", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.value = int64(binary.BigEndian.Uint64(b[:8]))
	f.index = binary.BigEndian.Uint64(b[8:])
	return nil
}

type fsmSnapshot struct {
	value int64
	index uint64
}

func (s fsmSnapshot) Persist(sink raft.SnapshotSink) error {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(s.value))
	binary.BigEndian.PutUint64(b[8:], s.index)
	if _, err := sink.Write(b[:]); err != nil {
		sink.Cancel()
		return err
	}
	return sink.Close()
}

func (fsmSnapshot) Release() {}

// streamLayer is Raft's network: it accepts on the node's inherited
// raft listener and dials peer "nJ" at the proxy of link i->J, never
// the peer itself.
type streamLayer struct {
	net.Listener
	self  int
	peers []peerAddr
}

// logicalAddr is the node's own Raft address, "nI".
type logicalAddr string

func (logicalAddr) Network() string  { return "parbench-cluster" }
func (a logicalAddr) String() string { return string(a) }

// Addr is the node's logical address: Raft's configuration names nodes
// by it.
func (s *streamLayer) Addr() net.Addr { return logicalAddr(serverID(s.self)) }

func (s *streamLayer) Dial(address raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	j := nodeOf(string(address))
	if j < 0 || j >= len(s.peers) || j == s.self {
		return nil, fmt.Errorf("raft: no link from node %d to %q", s.self, address)
	}
	return net.DialTimeout("tcp", s.peers[j].Raft, timeout)
}

// cpReplica is a node of the cp design.
type cpReplica struct {
	n       *node
	fsm     *counterFSM
	raft    *raft.Raft
	trans   *raft.NetworkTransport
	timeout time.Duration // the node's budget for one request
}

// startCP starts node's Raft on its raft listener, bootstrapped with
// the configuration of all the nodes (each node is given the same one,
// so any of them may win the first election).
func startCP(n *node, ln net.Listener) (*cpReplica, error) {
	logger := hclog.New(&hclog.LoggerOptions{Name: "raft", Output: io.Discard, Level: hclog.Off})
	conf := raft.DefaultConfig()
	conf.LocalID = serverID(n.id)
	conf.HeartbeatTimeout = raftHeartbeat
	conf.ElectionTimeout = raftElection
	conf.LeaderLeaseTimeout = raftLeaderLease
	conf.CommitTimeout = raftCommit
	conf.Logger = logger
	trans := raft.NewNetworkTransportWithConfig(&raft.NetworkTransportConfig{
		Stream:  &streamLayer{Listener: ln, self: n.id, peers: n.cfg.Peers[n.id]},
		MaxPool: 3,
		Timeout: raftIOTimeout,
		Logger:  logger,
	})
	logs := raft.NewInmemStore()
	var servers []raft.Server
	for j := range n.cfg.Replicas {
		servers = append(servers, raft.Server{Suffrage: raft.Voter, ID: serverID(j), Address: raft.ServerAddress(serverID(j))})
	}
	snaps := raft.NewInmemSnapshotStore()
	// A restarted node (--faults crash) lost its log: it starts with no
	// configuration, so it never campaigns, and waits for the leader to
	// send it the log (or a snapshot) as to a new follower. Bootstrapping
	// it again would be refused by nobody and could split the cluster.
	// Its vote of the current term is lost too (the store is in memory,
	// where Raft assumes stable storage): it may vote a second time in a
	// term it voted in before the crash. parbench accepts that risk; a
	// second leader would show in porcupine's verdict.
	if n.cfg.Incarnation == 0 {
		if err := raft.BootstrapCluster(conf, logs, logs, snaps, trans, raft.Configuration{Servers: servers}); err != nil {
			trans.Close()
			return nil, fmt.Errorf("raft bootstrap: %w", err)
		}
	}
	fsm := &counterFSM{}
	r, err := raft.NewRaft(conf, fsm, logs, logs, snaps, trans)
	if err != nil {
		trans.Close()
		return nil, fmt.Errorf("raft: %w", err)
	}
	return &cpReplica{n: n, fsm: fsm, raft: r, trans: trans, timeout: n.budget()}, nil
}

// leader returns the node the Raft leader is, as far as this node
// knows, or -1.
func (c *cpReplica) leader() int {
	_, id := c.raft.LeaderWithID()
	if id == "" {
		return -1
	}
	return nodeOf(string(id))
}

// await waits for f up to the node's budget: raft's own timeout bounds
// only the enqueueing of an entry, not its commit.
func await(ctx context.Context, f raft.Future) error {
	done := make(chan error, 1)
	go func() { done <- f.Error() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// raftError maps an error of Apply or Barrier to the API's outcome:
// refused when the entry was never appended (this node is not the
// leader, or could not take the entry in time), unknown when it may
// yet be committed.
func raftError(what string, err error) *apiError {
	switch {
	case errors.Is(err, raft.ErrNotLeader), errors.Is(err, raft.ErrLeadershipTransferInProgress), errors.Is(err, raft.ErrEnqueueTimeout):
		return refused("%s: %v", what, err)
	case errors.Is(err, context.DeadlineExceeded):
		return unknown("%s: not committed in time", what)
	}
	return unknown("%s: %v", what, err)
}

func (c *cpReplica) incr(ctx context.Context, forwarded bool) (int64, *apiError) {
	if l, aerr := c.route(forwarded); aerr != nil || l != c.n.id {
		if aerr != nil {
			return 0, aerr
		}
		return c.n.forward(ctx, l, pathIncr)
	}
	f := c.raft.Apply([]byte{1}, c.timeout)
	if err := await(ctx, f); err != nil {
		return 0, raftError("increment", err)
	}
	return f.Response().(int64), nil
}

func (c *cpReplica) read(ctx context.Context, forwarded bool) (int64, *apiError) {
	if c.n.cfg.StaleFollowerReads && c.raft.State() != raft.Leader {
		v, _ := c.fsm.state() // broken on purpose (tests): no forward
		return v, nil
	}
	if l, aerr := c.route(forwarded); aerr != nil || l != c.n.id {
		if aerr != nil {
			return 0, aerr
		}
		return c.n.forward(ctx, l, pathRead)
	}
	if err := await(ctx, c.raft.Barrier(c.timeout)); err != nil {
		return 0, raftError("read barrier", err)
	}
	v, _ := c.fsm.state()
	return v, nil
}

// route returns the node that serves a request: this one if it leads,
// else the leader it knows. A request forwarded here by a follower is
// not forwarded again (no loops between two nodes that each think the
// other leads).
func (c *cpReplica) route(forwarded bool) (int, *apiError) {
	if c.raft.State() == raft.Leader {
		return c.n.id, nil
	}
	l := c.leader()
	switch {
	case l < 0:
		return 0, refused("node %d knows no leader", c.n.id)
	case forwarded || l == c.n.id:
		return 0, refused("node %d is not the leader", c.n.id)
	}
	return l, nil
}

func (c *cpReplica) state() stateMsg {
	v, i := c.fsm.state()
	return stateMsg{Value: v, Progress: []int64{int64(i)}, Leader: c.raft.State() == raft.Leader, Term: c.raft.CurrentTerm()}
}

func (c *cpReplica) sync([]byte) *apiError {
	return &apiError{Status: 404, Outcome: outcomeRefusedText, Msg: "cp nodes do not sync: the log replicates"}
}

func (c *cpReplica) close() error {
	err := c.raft.Shutdown().Error()
	return errors.Join(err, c.trans.Close())
}
