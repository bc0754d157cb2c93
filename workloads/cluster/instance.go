package cluster

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parbench/parbench/internal/procs"
	"github.com/parbench/parbench/results"
	"github.com/parbench/parbench/workloads"
)

// Bounds of the parent's waits on the nodes.
const (
	// readyTimeout bounds the start: every node answering, and under
	// cp a leader elected.
	readyTimeout = 30 * time.Second
	// settleTimeout bounds EndSample's wait for the nodes to converge,
	// and BeginSample's for a cp leader.
	settleTimeout = 10 * time.Second
	// pollEvery is how often the convergence monitor reads every
	// node's state.
	pollEvery = 5 * time.Millisecond
	// leaderTimeout bounds the controller's search for the cp leader
	// before the cut: a node that does not answer, or an election under
	// way, is read again until then.
	leaderTimeout = time.Second
	// maxLeaderLead is how long before the cut the controller starts
	// reading the leader (at most a quarter of the phase): the cut then
	// comes on time unless the search takes longer.
	maxLeaderLead = 50 * time.Millisecond
	// backoff is a client's pause after an answer that was not 200: a
	// refusal comes fast, and a client that resent at once would flood
	// the refusing node and count thousands of refusals for one
	// partition.
	backoff = 10 * time.Millisecond
)

// instance is a started cluster: the node processes, the fault proxy
// in front of them, and per sample the phase controller and the
// convergence monitor. It is a workloads.Sampler and a workloads.Timed.
type instance struct {
	kind    string // kindCounter or kindRegister
	design  string // workloads.ConsistencyCP or ConsistencyAP
	p       workloads.Params
	n       int
	direct  []string // each node's api address, not through a proxy: the parent's polls
	net     *faultNet
	pool    *procs.ServicePool
	monitor *http.Client

	s      *sample // the current sample; nil before the first BeginSample
	closed bool

	// --faults crash: the listeners' files, kept open for a restarted
	// node to inherit again; the base config; how often each node was
	// restarted; and the nodes killed and not yet restarted.
	files       []*os.File
	cfg         nodeConfig
	incarnation []int
	dead        []int

	// pictured: porcupine's picture of a history that is not
	// linearizable was written (picture), once per instance.
	pictured bool
}

// startInstance starts the n node processes of design over fresh
// loopback listeners and the fault proxy, and returns once they are
// ready. mods change the nodes' config (tests: a broken mode).
func startInstance(kind, design string, p workloads.Params, opt procs.Options, mods ...func(*nodeConfig)) (_ *instance, err error) {
	in := &instance{kind: kind, design: design, p: p, n: p.Replicas,
		monitor: &http.Client{Timeout: time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 2}}}
	defer func() {
		if err != nil {
			in.Close()
		}
	}()
	var raftAddrs []string
	in.incarnation = make([]int, in.n)
	for range in.n {
		for k := range 2 {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				return nil, fmt.Errorf("cluster: listening: %w", err)
			}
			f, err := ln.(*net.TCPListener).File()
			// The nodes accept on their copies; this process never does.
			ln.Close()
			if err != nil {
				return nil, fmt.Errorf("cluster: listening: %w", err)
			}
			// Kept open until Close: a node restarted after a crash
			// inherits them again.
			in.files = append(in.files, f)
			if k == 0 {
				raftAddrs = append(raftAddrs, ln.Addr().String())
			} else {
				in.direct = append(in.direct, ln.Addr().String())
			}
		}
	}
	if in.net, err = newFaultNet(raftAddrs, in.direct); err != nil {
		return nil, fmt.Errorf("cluster: %w", err)
	}
	nc := nodeConfig{
		Design:         design,
		Kind:           kind,
		Replicas:       in.n,
		SyncInterval:   p.SyncInterval,
		RequestTimeout: p.RequestTimeout,
		Peers:          in.net.peers(),
	}
	if design == workloads.ConsistencyQuorum {
		nc.WriteQuorum, nc.ReadQuorum = p.Quorums()
	}
	for _, mod := range mods {
		mod(&nc)
	}
	in.cfg = nc
	cfg, err := json.Marshal(nc)
	if err != nil {
		return nil, err
	}
	spec := procs.ServiceSpec{Name: serviceName, Lock: "none", Config: cfg}
	if in.pool, err = procs.StartServices(in.n, spec, in.files, opt); err != nil {
		return nil, fmt.Errorf("cluster: starting %d %s nodes: %w", in.n, design, err)
	}
	if err := in.waitReady(readyTimeout); err != nil {
		return nil, fmt.Errorf("cluster: %d %s nodes: %w", in.n, design, err)
	}
	return in, nil
}

// state reads node k's /state directly.
func (in *instance) state(ctx context.Context, k int) (stateMsg, error) {
	var st stateMsg
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+in.direct[k]+pathState, nil)
	if err != nil {
		return st, err
	}
	resp, err := in.monitor.Do(req)
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("%s", resp.Status)
	}
	if err == nil {
		err = json.Unmarshal(body, &st)
	}
	if err != nil {
		return st, fmt.Errorf("node %d's state: %w", k, err)
	}
	return st, nil
}

// states reads every node's state, one after another.
func (in *instance) states(ctx context.Context) ([]stateMsg, error) {
	sts := make([]stateMsg, in.n)
	for k := range sts {
		var err error
		if sts[k], err = in.state(ctx, k); err != nil {
			return nil, err
		}
	}
	return sts, nil
}

// poll calls done with every node's state every pollEvery until it
// returns true, or the time is up: then it returns the last error, or
// one saying what it waited for.
func (in *instance) poll(timeout time.Duration, what string, done func([]stateMsg) bool) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var last error
	for {
		sts, err := in.states(ctx)
		if err == nil && done(sts) {
			return nil
		}
		if err != nil {
			last = err
		}
		select {
		case <-ctx.Done():
			if last != nil {
				return fmt.Errorf("%s: not within %v: %w", what, timeout, last)
			}
			return fmt.Errorf("%s: not within %v", what, timeout)
		case <-time.After(pollEvery):
		}
	}
}

// leaderOf returns the node that says it leads, or -1. Of two that
// say so (a deposed leader that has not yet heard of the election) it
// is the one of the higher term, then of the higher applied index.
func leaderOf(sts []stateMsg) int {
	leader := -1
	for k, s := range sts {
		if s.Leader && (leader < 0 || cmp.Or(cmp.Compare(s.Term, sts[leader].Term), slices.Compare(s.Progress, sts[leader].Progress)) > 0) {
			leader = k
		}
	}
	return leader
}

// findLeader reads every node's state until one leads, for up to
// leaderTimeout or until stop: a node that does not answer counts as
// not leading, and no leader (an election under way) is read again.
func (in *instance) findLeader(stop <-chan struct{}) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), leaderTimeout)
	defer cancel()
	var last error
	for {
		sts := make([]stateMsg, in.n)
		for k := range sts {
			st, err := in.state(ctx, k)
			if err != nil {
				last = err
				continue
			}
			sts[k] = st
		}
		if l := leaderOf(sts); l >= 0 {
			return l, nil
		}
		select {
		case <-ctx.Done():
			if last != nil {
				return -1, fmt.Errorf("no node leads within %v: %w", leaderTimeout, last)
			}
			return -1, fmt.Errorf("no node leads within %v", leaderTimeout)
		case <-stop:
			return -1, errors.New("stopped")
		case <-time.After(pollEvery):
		}
	}
}

// waitReady waits until every node answers, and under cp one leads.
func (in *instance) waitReady(timeout time.Duration) error {
	what := "every node answering"
	if in.design == workloads.ConsistencyCP {
		what += " and a leader elected"
	}
	return in.poll(timeout, what, func(sts []stateMsg) bool {
		return in.design != workloads.ConsistencyCP || leaderOf(sts) >= 0
	})
}

// settled reports whether the nodes agree: the same value and progress.
func settled(sts []stateMsg) bool {
	for _, s := range sts[1:] {
		if s.Value != sts[0].Value || !slices.Equal(s.Progress, sts[0].Progress) {
			return false
		}
	}
	return true
}

// maxProgress is the elementwise maximum of the nodes' progress.
func maxProgress(sts []stateMsg) []int64 {
	var m []int64
	for _, s := range sts {
		m = maxInto(m, s.Progress)
	}
	return m
}

// holds reports whether every node's progress is at least target,
// elementwise.
func holds(sts []stateMsg, target []int64) bool {
	for _, s := range sts {
		if len(s.Progress) < len(target) {
			return false
		}
		for i, v := range target {
			if s.Progress[i] < v {
				return false
			}
		}
	}
	return true
}

// sides returns the nodes the partitioned phase cuts off from the
// rest, by Params.Partition: minority, the last floor((N-1)/2) nodes
// other than the leader (-1: none); halves, the smaller half (of an
// even count, the one without node 0); isolate-leader, the leader
// alone (under ap, which has none, node 0).
func sides(partition string, n, leader int) map[int]bool {
	cut := map[int]bool{}
	switch partition {
	case workloads.PartitionMinority:
		for k := n - 1; k >= 0 && len(cut) < (n-1)/2; k-- {
			if k != leader {
				cut[k] = true
			}
		}
	case workloads.PartitionHalves:
		for k := (n + 1) / 2; k < n; k++ {
			cut[k] = true
		}
	case workloads.PartitionIsolateLeader:
		if n > 1 {
			cut[max(leader, 0)] = true
		}
	}
	return cut
}

// sample is one sample's clock, history and figures.
type sample struct {
	h       *history
	init    int64
	err     error         // BeginSample's failure, returned by every Op
	workers atomic.Int32  // NewWorker calls so far
	once    sync.Once     // sets t0 at the first Op
	t0      time.Time     // the clock's start
	started chan struct{} // closed at the first Op
	stop    chan struct{} // closed by EndSample: stop the controller
	done    chan struct{} // closed by the controller when it is done

	stopOnce sync.Once

	// Set by the controller before done.
	cutOff        map[int]bool
	cutAt, healAt time.Duration // since t0; never: not cut (not healed)
	convergeSec   float64       // -1: did not converge before the monitor's end
	electionSec   float64       // --faults crash, cp: the leader's kill to a new leader; -1: none

	// Set by EndSample: the value the nodes agreed on after the sample.
	final     int64
	converged bool

	// ctlErr is the controller's failure (the partition not made):
	// the next Op of every client returns it, failing the point.
	ctlErr atomic.Pointer[error]
}

func (s *sample) fail(err error) { s.ctlErr.CompareAndSwap(nil, &err) }

// never is the time of a cut or heal that did not happen.
const never = time.Duration(math.MaxInt64)

// stopSample stops the current sample's controller, waits for it to
// end and heals the network. EndSample does it, and so do BeginSample
// and Close for a sample that never got its EndSample (it failed): its
// controller must not cut the network in the next sample, nor leak.
func (in *instance) stopSample() {
	s := in.s
	if s == nil {
		return
	}
	s.stopOnce.Do(func() { close(s.stop) })
	<-s.done
	in.net.healAll()
	if !in.closed {
		// A sample stopped before its heal leaves its crashed nodes
		// dead; the next sample needs them (its start fails without).
		in.restartDead()
	}
}

// kill kills the nodes of cut (--faults crash), in order, and
// remembers them for restartDead; it returns when the leader (-1:
// none) died, or the zero time if it was not among them.
func (in *instance) kill(cut map[int]bool, leader int) (leaderDied time.Time, err error) {
	for k := range in.n {
		if !cut[k] {
			continue
		}
		if err := in.pool.Kill(k); err != nil {
			return leaderDied, err
		}
		in.dead = append(in.dead, k)
		if k == leader {
			leaderDied = time.Now()
		}
	}
	return leaderDied, nil
}

// restartDead restarts the killed nodes, at once, each with its index,
// listeners and config, but its incarnation counted up (nodeConfig's
// Incarnation: a cp node rejoins without bootstrapping, an ap or
// quorum node counts in a fresh slot), and returns once all are ready.
func (in *instance) restartDead() error {
	dead := in.dead
	in.dead = nil
	errs := make([]error, len(dead))
	var wg sync.WaitGroup
	for i, k := range dead {
		in.incarnation[k]++
		nc := in.cfg
		nc.Incarnation = in.incarnation[k]
		cfg, err := json.Marshal(nc)
		if err != nil {
			errs[i] = err
			continue
		}
		wg.Go(func() {
			// Its own listeners only: see procs.ServicePool.Restart.
			if err := in.pool.Restart(k, cfg, in.files[2*k:2*k+2]); err != nil {
				errs[i] = fmt.Errorf("restarting node %d: %w", k, err)
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// awaitElection polls the nodes outside cut until one leads, from the
// leader's death until the heal is due (until): the election's time,
// or -1 when no survivor led by then (or the sample stopped).
func (in *instance) awaitElection(s *sample, cut map[int]bool, died time.Time, until time.Duration) float64 {
	for time.Since(s.t0) < until {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		for k := range in.n {
			if cut[k] {
				continue
			}
			if st, err := in.state(ctx, k); err == nil && st.Leader {
				cancel()
				return time.Since(died).Seconds()
			}
		}
		cancel()
		select {
		case <-s.stop:
			return -1
		case <-time.After(pollEvery):
		}
	}
	return -1
}

// SampleTime is a sample's length: three phases.
func (in *instance) SampleTime() time.Duration { return 3 * in.p.PhaseTime }

// BeginSample starts a sample's history from the nodes' value, once
// they agree on it (and under cp one leads), and its controller.
func (in *instance) BeginSample() {
	in.stopSample()
	s := &sample{h: &history{}, started: make(chan struct{}), stop: make(chan struct{}), done: make(chan struct{}),
		cutAt: never, healAt: never, convergeSec: -1, electionSec: -1}
	in.s = s
	s.err = in.poll(settleTimeout, "the nodes agreeing before the sample", func(sts []stateMsg) bool {
		if !settled(sts) || in.design == workloads.ConsistencyCP && leaderOf(sts) < 0 {
			return false
		}
		s.init = sts[0].Value
		return true
	})
	if s.err != nil {
		s.err = fmt.Errorf("cluster: %w", s.err)
		close(s.done)
		return
	}
	go in.control(s)
}

// control is a sample's phase controller: from the first Op it waits
// until shortly before t0+PhaseTime, finds the cp leader to spare (the
// partitions that depend on it), cuts the partition at t0+PhaseTime,
// heals it at t0+2*PhaseTime (recording when each happened: the
// phases' bounds), and then polls the nodes until every one holds all
// that any held just after the heal (converge-sec), or EndSample gives
// up on it.
func (in *instance) control(s *sample) {
	defer close(s.done)
	select {
	case <-s.started:
	case <-s.stop:
		return
	}
	wait := func(d time.Duration) bool {
		select {
		case <-time.After(time.Until(s.t0.Add(d))):
			return true
		case <-s.stop:
			return false
		}
	}
	p := in.p.PhaseTime
	leader := -1
	// A crash of halves' side needs the leader too: was it killed?
	if in.design == workloads.ConsistencyCP && (in.p.Partition != workloads.PartitionHalves || crash(in.p)) {
		if !wait(p - min(p/4, maxLeaderLead)) {
			return
		}
		var err error
		if leader, err = in.findLeader(s.stop); err != nil {
			s.fail(fmt.Errorf("cluster: finding the leader to spare: %w", err))
			return
		}
	}
	if !wait(p) {
		return
	}
	s.cutOff = sides(in.p.Partition, in.n, leader)
	if crash(in.p) {
		// The dead nodes' links, their clients' too, hold what is sent
		// to them (as to a machine that is down) instead of queueing
		// it on the listeners kept for the restart, which the restarted
		// node would then answer.
		in.net.partition(s.cutOff)
		in.net.cutClients(s.cutOff)
		died, err := in.kill(s.cutOff, leader)
		s.cutAt = time.Since(s.t0)
		if err != nil {
			s.fail(fmt.Errorf("cluster: crashing nodes: %w", err))
		}
		if err == nil && !died.IsZero() && in.design == workloads.ConsistencyCP {
			s.electionSec = in.awaitElection(s, s.cutOff, died, 2*p)
		}
	} else {
		err := in.net.partition(s.cutOff)
		s.cutAt = time.Since(s.t0)
		if err != nil {
			s.fail(fmt.Errorf("cluster: %w", err))
		}
	}
	ok := wait(2 * p)
	if len(in.dead) > 0 && ok {
		if err := in.restartDead(); err != nil {
			s.fail(fmt.Errorf("cluster: %w", err))
		}
	}
	in.net.healAll()
	s.healAt = time.Since(s.t0)
	if !ok {
		return
	}
	var target []int64 // what the nodes held just after the heal
	for {
		sts, err := in.states(context.Background())
		if err == nil && target == nil {
			target = maxProgress(sts)
		}
		if err == nil && holds(sts, target) {
			s.convergeSec = (time.Since(s.t0) - s.healAt).Seconds()
			return
		}
		select {
		case <-s.stop:
			return
		case <-time.After(pollEvery):
		}
	}
}

// EndSample stops the sample's controller once the nodes converged
// (or after settleTimeout), waits for them to agree, reads the final
// value and returns the figures of the sample's history (evaluate).
// Nodes that do not agree within settleTimeout have no final value:
// the sample has no lost-acked.
func (in *instance) EndSample(wall time.Duration, ops int64) []workloads.Metric {
	s := in.s
	if s == nil || s.err != nil {
		return nil
	}
	select {
	case <-s.done:
	case <-time.After(settleTimeout):
	}
	in.stopSample() // heals a sample cut short before its heal
	err := in.poll(settleTimeout, "the nodes agreeing after the sample", func(sts []stateMsg) bool {
		if !settled(sts) {
			return false
		}
		s.final = sts[0].Value
		return true
	})
	s.converged = err == nil
	hist := s.h.ops()
	end := sampleEnd{
		init:        s.init,
		final:       s.final,
		converged:   s.converged, // every node held final: a read after every op
		cut:         s.cutAt,
		heal:        s.healAt,
		minority:    s.cutOff,
		convergeSec: s.convergeSec,
	}
	ms := evaluate(hist, end)
	if in.p.HistoryDir != "" && !in.pictured && !linearizable(ms) {
		in.pictured = in.picture(hist, end) == nil
	}
	if s.electionSec >= 0 {
		ms = append(ms, workloads.Metric{Value: s.electionSec, Unit: results.UnitElectionSec})
	}
	return ms
}

// NewWorker returns the sample's next client: the k-th is attached to
// node k % Replicas, through the client link of that node.
func (in *instance) NewWorker(workloads.Env) (workloads.Worker, error) {
	s := in.s
	if s == nil {
		return nil, errors.New("cluster: NewWorker before BeginSample")
	}
	k := int(s.workers.Add(1)) - 1
	node := k % in.n
	return &client{
		in:   in,
		s:    s,
		log:  s.h.client(k, node),
		base: "http://" + in.net.clientAddr(node),
		rnd:  rand.New(rand.NewPCG(uint64(k), 0x636c7573746572)),
		http: &http.Client{
			Timeout:   in.p.RequestTimeout,
			Transport: &http.Transport{MaxIdleConnsPerHost: 1, IdleConnTimeout: time.Minute},
		},
	}, nil
}

// Close stops the sample's controller, the nodes, then the proxies.
// Closing again does nothing.
func (in *instance) Close() error {
	if in.closed {
		return nil
	}
	in.closed = true
	var err error
	if in.net != nil {
		in.stopSample()
	}
	if in.pool != nil {
		err = in.pool.Close()
	}
	if in.net != nil {
		in.net.close()
	}
	for _, f := range in.files {
		f.Close()
	}
	in.monitor.CloseIdleConnections()
	return err
}

// client is one worker: an HTTP client of one node, half increments
// and half reads in a random order of its own.
type client struct {
	in     *instance
	s      *sample
	log    *clientLog
	base   string
	rnd    *rand.Rand
	http   *http.Client
	failed bool // the last answer was not 200: back off before the next
}

// Op sends one request and records it; once the sample's time is over
// it returns workloads.ErrSampleDone.
func (c *client) Op() error {
	s := c.s
	if s.err != nil {
		return s.err
	}
	if err := s.ctlErr.Load(); err != nil {
		return *err
	}
	s.once.Do(func() {
		s.t0 = time.Now()
		close(s.started)
	})
	if c.failed {
		time.Sleep(backoff)
	}
	if time.Since(s.t0) >= c.in.SampleTime() {
		return fmt.Errorf("cluster: %w", workloads.ErrSampleDone)
	}
	kind, method, path := opRead, http.MethodGet, pathRead
	if c.rnd.IntN(2) == 0 {
		kind, method, path = opIncr, http.MethodPost, pathIncr
	}
	invoke := time.Since(s.t0)
	out, v := c.send(method, path)
	c.log.record(kind, invoke, time.Since(s.t0), out, v)
	c.failed = out != outcomeOK
	return nil
}

// send does one request: ok with its value, refused when the node
// says it was not applied (503 refused), unknown otherwise (504, the
// client's timeout, a broken connection).
func (c *client) send(method, path string) (outcome, int64) {
	req, err := http.NewRequest(method, c.base+path, nil)
	if err != nil {
		return outcomeUnknown, 0
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return outcomeUnknown, 0
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return outcomeUnknown, 0
	}
	switch resp.StatusCode {
	case http.StatusOK:
		var v valueMsg
		if json.Unmarshal(body, &v) != nil {
			return outcomeUnknown, 0
		}
		return outcomeOK, v.Value
	case http.StatusServiceUnavailable:
		var e apiError
		if json.Unmarshal(body, &e) == nil && e.Outcome == outcomeRefusedText {
			return outcomeRefused, 0
		}
	}
	return outcomeUnknown, 0
}

func (c *client) Close() error {
	c.http.CloseIdleConnections()
	return nil
}

// linearizable reports whether a sample's figures hold a verdict other
// than 0: linearizable, or not decided.
func linearizable(ms []workloads.Metric) bool {
	for _, m := range ms {
		if m.Unit == results.UnitLinearizable {
			return m.Value != 0
		}
	}
	return true
}

// picture writes porcupine's picture of a sample's history to
// Params.HistoryDir, <workload>-<design>.html (results.HistoriesDir):
// the first history of this workload and design that was not
// linearizable, with the partial linearizations porcupine found and the
// ops it could not order. EndSample has no error to return: a picture
// that could not be written is tried again at the next such sample.
func (in *instance) picture(ops []op, end sampleEnd) error {
	if err := os.MkdirAll(in.p.HistoryDir, 0o755); err != nil {
		return err
	}
	name := "cluster-" + in.kind + "-" + in.design + ".html"
	_, err := visualize(filepath.Join(in.p.HistoryDir, name), ops, end)
	return err
}
