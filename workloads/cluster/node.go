package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/parbench/parbench/bench/gil"
	"github.com/parbench/parbench/internal/procs"
	"github.com/parbench/parbench/workloads"
)

// serviceName is the node's name with package procs: each replica is
// a service process of the parent's pool, its index the node's id.
const serviceName = "cluster/node"

func init() { procs.RegisterService(serviceName, newNode) }

// The designs and the ap CRDTs, as a node's config names them.
const (
	kindCounter  = "counter"  // ap: a PN-counter
	kindRegister = "register" // ap: a last-writer-wins register
)

// The API's paths.
const (
	pathIncr  = "/incr"
	pathRead  = "/read"
	pathState = "/state"
	pathSync  = "/sync"
)

// headerForwarded marks a request a follower forwarded to the leader.
const headerForwarded = "X-Parbench-Forwarded"

// nodeConfig is what every node process is given (the same for all,
// procs.ServiceSpec.Config); the process's index picks its own parts.
type nodeConfig struct {
	Design         string // workloads.ConsistencyCP or ConsistencyAP
	Kind           string // ap: kindCounter or kindRegister
	Replicas       int
	SyncInterval   time.Duration // ap: how often a node pushes its state to each peer
	RequestTimeout time.Duration // a client's timeout; a node answers within budget() of it
	// Peers[i][j] is where node i dials to reach node j: the parent's
	// proxies of link i->j (Peers[i][i] is empty).
	Peers [][]peerAddr
	// StaleFollowerReads is a broken cp, for tests only (no flag sets
	// it): a follower answers /read from its own state machine instead
	// of forwarding it, so a follower cut off from the leader serves
	// stale values, which the checks must catch.
	StaleFollowerReads bool `json:",omitempty"`
	// WriteQuorum and ReadQuorum are the quorum design's W and R
	// (quorum.go), a majority where 0.
	WriteQuorum, ReadQuorum int `json:",omitempty"`
	// Incarnation is how many times this node was restarted (--faults
	// crash; set only in a restarted node's config, ServicePool.Restart):
	// a restarted node has lost its state. Under cp it rejoins the log
	// without bootstrapping and the leader catches it up; under ap and
	// quorum it starts empty and counts its increments in a fresh slot
	// of the PN-counter (slot), so a peer's entry for its previous
	// incarnation never masks them.
	Incarnation int `json:",omitempty"`
}

// peerAddr is the two listeners of a node as another reaches them.
type peerAddr struct{ Raft, API string }

// The outcomes of a request that failed, as the API's error body says.
const (
	outcomeRefusedText = "refused" // not applied (503)
	outcomeUnknownText = "unknown" // may have been applied (504)
)

// apiError is a request the node did not serve.
type apiError struct {
	Status  int    `json:"-"`
	Outcome string `json:"outcome"`
	Msg     string `json:"error"`
}

func refused(format string, a ...any) *apiError {
	return &apiError{http.StatusServiceUnavailable, outcomeRefusedText, fmt.Sprintf(format, a...)}
}

func unknown(format string, a ...any) *apiError {
	return &apiError{http.StatusGatewayTimeout, outcomeUnknownText, fmt.Sprintf(format, a...)}
}

// valueMsg is the answer of /incr and /read.
type valueMsg struct {
	Value int64 `json:"value"`
}

// stateMsg is the answer of /state: the node's local state, never
// forwarded.
type stateMsg struct {
	Value    int64   `json:"value"`
	Progress []int64 `json:"progress"`
	Leader   bool    `json:"leader"`
	Term     uint64  `json:"term,omitempty"` // cp: the node's Raft term
}

// replica is a design's side of a node.
type replica interface {
	incr(ctx context.Context, forwarded bool) (int64, *apiError)
	read(ctx context.Context, forwarded bool) (int64, *apiError)
	state() stateMsg
	sync(body []byte) *apiError
	close() error
}

// node is one replica process: its design's replica behind the HTTP
// API on its inherited api listener. It is a procs.Service whose
// samples do nothing: the parent measures the nodes from outside.
type node struct {
	id   int
	cfg  nodeConfig
	rep  replica
	srv  *http.Server
	done chan error // the server's end
	peer *http.Client
}

// newNode starts node index: files are every node's raft and api
// listeners (2k and 2k+1 are node k's); it keeps its own pair and
// closes the rest. A restarted node is given its own pair alone.
func newNode(index int, config []byte, files []*os.File) (_ procs.Service, err error) {
	var cfg nodeConfig
	if err := json.Unmarshal(config, &cfg); err != nil {
		return nil, fmt.Errorf("node config: %w", err)
	}
	// A restarted node (Incarnation > 0) inherits its own pair only.
	own, want := index, 2*cfg.Replicas
	if cfg.Incarnation > 0 {
		own, want = 0, 2
	}
	if index < 0 || index >= cfg.Replicas || len(files) != want || len(cfg.Peers) != cfg.Replicas {
		return nil, fmt.Errorf("node %d of %d (incarnation %d): %d inherited files and %d peer lists, want %d and %d",
			index, cfg.Replicas, cfg.Incarnation, len(files), len(cfg.Peers), want, cfg.Replicas)
	}
	var lns []net.Listener
	defer func() {
		if err != nil {
			for _, ln := range lns {
				ln.Close()
			}
		}
	}()
	for i, f := range files {
		if i/2 == own {
			ln, err := net.FileListener(f)
			if err != nil {
				return nil, fmt.Errorf("node %d: inherited listener %d: %w", index, i, err)
			}
			lns = append(lns, ln)
		}
		f.Close()
	}
	n := &node{id: index, cfg: cfg, done: make(chan error, 1)}
	n.peer = &http.Client{Transport: &http.Transport{
		MaxIdleConnsPerHost: 32,
		IdleConnTimeout:     time.Minute,
		DialContext:         (&net.Dialer{}).DialContext,
	}}
	switch cfg.Design {
	case workloads.ConsistencyCP:
		if n.rep, err = startCP(n, lns[0]); err != nil {
			return nil, err
		}
	case workloads.ConsistencyAP:
		lns[0].Close() // ap nodes sync over HTTP
		if n.rep, err = startAP(n); err != nil {
			return nil, err
		}
	case workloads.ConsistencyQuorum:
		lns[0].Close() // quorum nodes talk over HTTP
		if n.rep, err = startQuorum(n); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("node config: design %q (want %s, %s or %s)", cfg.Design, workloads.ConsistencyCP, workloads.ConsistencyAP, workloads.ConsistencyQuorum)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+pathIncr, n.serveValue(replica.incr))
	mux.HandleFunc("GET "+pathRead, n.serveValue(replica.read))
	mux.HandleFunc("GET "+pathState, func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, n.rep.state()) })
	mux.HandleFunc("POST "+pathSync, n.serveSync)
	if q, ok := n.rep.(*quorumReplica); ok {
		q.routes(mux)
	}
	n.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { n.done <- n.srv.Serve(lns[1]) }()
	return n, nil
}

// budget is how long a node works on a request before it answers 504:
// less than the client's timeout, so that the client hears the
// outcome; a forwarded request has less again, so that the leader
// answers before the follower gives up on it.
// slot is the node's entry in a PN-counter and its id in a register's
// stamp: its index, and for a restarted incarnation r index +
// Replicas*r. Reusing the index would count the new incarnation's
// increments from 0 in an entry its peers hold at the old count, and
// the merge (elementwise max) would drop them until it caught up.
func (n *node) slot() int { return n.id + n.cfg.Replicas*n.cfg.Incarnation }

func (n *node) budget() time.Duration { return n.cfg.RequestTimeout * 8 / 10 }

func (n *node) serveValue(op func(replica, context.Context, bool) (int64, *apiError)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		forwarded := r.Header.Get(headerForwarded) != ""
		b := n.budget()
		if forwarded {
			b = b * 3 / 4
		}
		ctx, cancel := context.WithTimeout(r.Context(), b)
		defer cancel()
		v, aerr := op(n.rep, ctx, forwarded)
		if aerr != nil {
			writeJSON(w, aerr.Status, aerr)
			return
		}
		writeJSON(w, http.StatusOK, valueMsg{v})
	}
}

func (n *node) serveSync(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, &apiError{Outcome: outcomeRefusedText, Msg: err.Error()})
		return
	}
	if aerr := n.rep.sync(body); aerr != nil {
		writeJSON(w, aerr.Status, aerr)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// forward sends a request on to node l's API through the link proxy
// and passes its answer back. A request that got no answer in time
// may have been applied: unknown.
func (n *node) forward(ctx context.Context, l int, path string) (int64, *apiError) {
	method := http.MethodGet
	if path == pathIncr {
		method = http.MethodPost
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://"+n.cfg.Peers[n.id][l].API+path, nil)
	if err != nil {
		return 0, unknown("forwarding to node %d: %v", l, err)
	}
	req.Header.Set(headerForwarded, "1")
	resp, err := n.peer.Do(req)
	if err != nil {
		return 0, unknown("forwarding to the leader, node %d: %v", l, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, unknown("forwarding to the leader, node %d: %v", l, err)
	}
	if resp.StatusCode == http.StatusOK {
		var v valueMsg
		if err := json.Unmarshal(body, &v); err != nil {
			return 0, unknown("node %d answered %q: %v", l, body, err)
		}
		return v.Value, nil
	}
	// Only the leader's 503 refused says it was not applied; anything
	// else may have been, and is answered 504 unknown.
	var aerr apiError
	status := resp.StatusCode
	if json.Unmarshal(body, &aerr) != nil || aerr.Outcome != outcomeRefusedText || status != http.StatusServiceUnavailable {
		aerr.Outcome, status = outcomeUnknownText, http.StatusGatewayTimeout
	}
	aerr.Status = status
	aerr.Msg = fmt.Sprintf("node %d (the leader): %s", l, aerr.Msg)
	return 0, &aerr
}

// Begin does nothing: the nodes serve the same in and out of samples.
func (n *node) Begin(gil.Lock) error { return nil }

// End has no figures: the parent measures the nodes from outside.
func (n *node) End(time.Duration) ([]workloads.Metric, error) { return nil, nil }

// Close stops the API, then the replica.
func (n *node) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	err := n.srv.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = n.srv.Close() // a request stuck on a cut link
	}
	if serr := <-n.done; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	n.peer.CloseIdleConnections()
	return errors.Join(err, n.rep.close())
}

// apReplica is a node of the ap design: a CRDT it serves from alone,
// pushed to every peer every SyncInterval (anti-entropy).
type apReplica struct {
	n *node

	mu      sync.Mutex
	st      crdt
	version uint64 // counts the changes of st
	sent    []uint64

	stop chan struct{}
	wg   sync.WaitGroup
}

// syncTimeout bounds one push: the interval, but at least 50ms, so
// that a push of a busy node on a small machine is not always late.
func (a *apReplica) syncTimeout() time.Duration {
	return max(a.n.cfg.SyncInterval, 50*time.Millisecond)
}

func startAP(n *node) (*apReplica, error) {
	st, err := newCRDT(n.cfg.Kind, n.cfg.Replicas)
	if err != nil {
		return nil, fmt.Errorf("node config: %w", err)
	}
	a := &apReplica{n: n, st: st, sent: make([]uint64, n.cfg.Replicas), stop: make(chan struct{})}
	for j := range n.cfg.Replicas {
		if j != n.id {
			a.wg.Add(1)
			go a.pushLoop(j)
		}
	}
	return a, nil
}

func (a *apReplica) incr(context.Context, bool) (int64, *apiError) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.version++
	return a.st.incr(a.n.slot(), time.Now().UnixMicro()), nil
}

func (a *apReplica) read(context.Context, bool) (int64, *apiError) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.st.value(), nil
}

func (a *apReplica) state() stateMsg {
	a.mu.Lock()
	defer a.mu.Unlock()
	return stateMsg{Value: a.st.value(), Progress: a.st.progress()}
}

// sync merges a peer's state; it counts a change only if the merge
// changed something, so that nodes in agreement stop pushing.
func (a *apReplica) sync(body []byte) *apiError {
	o, err := decodeCRDT(a.n.cfg.Kind, a.n.cfg.Replicas, body)
	if err != nil {
		return &apiError{Status: http.StatusBadRequest, Outcome: outcomeRefusedText, Msg: err.Error()}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	before, _ := json.Marshal(a.st)
	a.st.merge(o)
	if after, _ := json.Marshal(a.st); !bytes.Equal(before, after) {
		a.version++
	}
	return nil
}

// pushLoop pushes the state to peer j every SyncInterval while it has
// changed since j last took it.
func (a *apReplica) pushLoop(j int) {
	defer a.wg.Done()
	t := time.NewTicker(a.n.cfg.SyncInterval)
	defer t.Stop()
	url := "http://" + a.n.cfg.Peers[a.n.id][j].API + pathSync
	for {
		select {
		case <-a.stop:
			return
		case <-t.C:
		}
		a.mu.Lock()
		v := a.version
		body, err := json.Marshal(a.st)
		a.mu.Unlock()
		if v == a.sent[j] || err != nil {
			continue
		}
		if a.push(url, body) {
			a.sent[j] = v
		}
	}
}

func (a *apReplica) push(url string, body []byte) bool {
	ctx, cancel := context.WithTimeout(context.Background(), a.syncTimeout())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return false
	}
	resp, err := a.n.peer.Do(req)
	if err != nil {
		return false // cut, or late: the next tick tries again
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode == http.StatusNoContent
}

func (a *apReplica) close() error {
	close(a.stop)
	a.wg.Wait()
	return nil
}
