package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/parbench/parbench/workloads"
)

// The quorum design (workloads.ConsistencyQuorum) is Dynamo's tunable
// quorums over ap's state: each node keeps the same CRDT as under ap
// (cluster/counter a PN-counter, cluster/register a last-writer-wins
// register) and runs ap's anti-entropy, but the node a client asks,
// the coordinator, answers only once a quorum of the N replicas (itself
// included) took part, through its link proxies to its peers:
//
//   - an increment (counter) is applied to the coordinator's state,
//     which it then pushes to its N-1 peers at once (POST /q/put: the
//     peer merges and acks); it answers 200 once W replicas hold it;
//   - a read asks the N-1 peers for their states at once (GET /q/get),
//     merges its own and the first R-1 answers, and writes the merged
//     state back to W replicas before it answers (read repair, as the
//     ABD register does: a later read's R replicas meet those W, so it
//     cannot return less, and R+W > N reads are linearizable); it
//     skips the write-back when W of the replicas that answered already
//     held the merged state;
//   - an increment of cluster/register reads the latest (stamp, value)
//     from R replicas as a read does, sets value+1 stamped max(now,
//     latest+1) and this node's id, and writes that to W replicas. A
//     read-modify-write over quorums is not atomic: two coordinators
//     that read the same latest value both write value+1, and one
//     increment replaces the other. So the register loses acknowledged
//     increments (lost-acked > 0) under concurrency even with R+W > N,
//     partition or not: quorums order reads and writes, not
//     read-modify-writes (that needs consensus: cp).
//
// A request whose quorum does not answer within the node's budget is
// 504 unknown, never 503 refused: an increment was applied at the
// coordinator (and perhaps elsewhere) and spreads by anti-entropy once
// the partition heals. Pushes and reads that are still out when the
// quorum is reached finish in the background, bounded by the request's
// deadline, so that their connections are reused rather than cut.
// With R = W = 1 everything is local, as under ap; with R+W > N a
// coordinator cut off from W (or R) replicas answers no increment (no
// read), as cp's minority, but 504 unknown rather than 503 refused.

// The quorum design's node-to-node paths.
const (
	pathQuorumPut = "/q/put" // POST a state: the peer merges it and acks (204)
	pathQuorumGet = "/q/get" // GET the peer's state
)

// quorumReplica is a node of the quorum design: an apReplica (state,
// anti-entropy, /state, /sync) whose increments and reads wait for W
// and R replicas.
type quorumReplica struct {
	*apReplica
	w, r int

	bg sync.WaitGroup // requests to peers still out after their quorum
}

// startQuorum starts a node of the quorum design; W and R are the
// config's, a majority where 0.
func startQuorum(n *node) (*quorumReplica, error) {
	p := workloads.Params{Replicas: n.cfg.Replicas, WriteQuorum: n.cfg.WriteQuorum, ReadQuorum: n.cfg.ReadQuorum}
	w, r := p.Quorums()
	if w < 1 || w > n.cfg.Replicas || r < 1 || r > n.cfg.Replicas {
		return nil, fmt.Errorf("node config: write quorum %d, read quorum %d: want 1 to %d, the replicas", w, r, n.cfg.Replicas)
	}
	a, err := startAP(n)
	if err != nil {
		return nil, err
	}
	return &quorumReplica{apReplica: a, w: w, r: r}, nil
}

// routes adds the quorum's node-to-node endpoints to the node's API.
func (q *quorumReplica) routes(mux *http.ServeMux) {
	mux.HandleFunc("POST "+pathQuorumPut, q.n.serveSync)
	mux.HandleFunc("GET "+pathQuorumGet, func(w http.ResponseWriter, _ *http.Request) {
		q.mu.Lock()
		body, err := json.Marshal(q.st)
		q.mu.Unlock()
		if err != nil {
			writeJSON(w, http.StatusInternalServerError, &apiError{Outcome: outcomeUnknownText, Msg: err.Error()})
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	})
}

// incr applies an increment at this node and writes the state to W
// replicas; cluster/register first reads the latest value from R.
func (q *quorumReplica) incr(ctx context.Context, _ bool) (int64, *apiError) {
	var latest crdt
	if q.n.cfg.Kind == kindRegister {
		var aerr *apiError
		if latest, _, aerr = q.readQuorum(ctx); aerr != nil {
			return 0, aerr
		}
	}
	q.mu.Lock()
	if latest != nil {
		q.st.merge(latest)
	}
	q.version++
	v := q.st.incr(q.n.slot(), time.Now().UnixMicro())
	body, err := json.Marshal(q.st)
	q.mu.Unlock()
	if err != nil {
		return 0, unknown("node %d: %v", q.n.id, err)
	}
	if aerr := q.writeQuorum(ctx, body, 1); aerr != nil {
		aerr.Msg = "increment applied here, " + aerr.Msg
		return 0, aerr
	}
	return v, nil
}

// read merges the states of R replicas and, unless W of them already
// held the result, writes it back to W before it answers.
func (q *quorumReplica) read(ctx context.Context, _ bool) (int64, *apiError) {
	merged, holders, aerr := q.readQuorum(ctx)
	if aerr != nil {
		return 0, aerr
	}
	if holders >= q.w {
		return merged.value(), nil
	}
	q.mu.Lock()
	q.mergeLocked(merged)
	body, err := json.Marshal(q.st)
	q.mu.Unlock()
	if err != nil {
		return 0, unknown("node %d: %v", q.n.id, err)
	}
	if aerr := q.writeQuorum(ctx, body, 1); aerr != nil {
		aerr.Msg = "read repair: " + aerr.Msg
		return 0, aerr
	}
	return merged.value(), nil
}

// mergeLocked merges o into the node's state, counting a change for
// anti-entropy if there was one; q.mu is held.
func (q *quorumReplica) mergeLocked(o crdt) {
	before, _ := json.Marshal(q.st)
	q.st.merge(o)
	if after, _ := json.Marshal(q.st); !bytes.Equal(before, after) {
		q.version++
	}
}

// peerContext is the context of one quorum's requests to the peers:
// it ends at the request's own deadline (the node's budget), not
// when the request is answered.
func peerContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if d, ok := ctx.Deadline(); ok {
		return context.WithDeadline(context.Background(), d)
	}
	return context.WithCancel(context.Background())
}

// fanOut sends one request to each of the N-1 peers at once and
// returns a channel of their answers (nil on failure), each sent once.
// The requests outlive ctx's cancellation until its deadline.
func (q *quorumReplica) fanOut(ctx context.Context, method, path string, body []byte) <-chan []byte {
	out := make(chan []byte, q.n.cfg.Replicas)
	pctx, cancel := peerContext(ctx)
	var wg sync.WaitGroup
	for j := range q.n.cfg.Replicas {
		if j == q.n.id {
			continue
		}
		wg.Add(1)
		q.bg.Add(1)
		go func() {
			defer q.bg.Done()
			defer wg.Done()
			out <- q.call(pctx, method, "http://"+q.n.cfg.Peers[q.n.id][j].API+path, body)
		}()
	}
	go func() {
		wg.Wait()
		cancel()
	}()
	return out
}

// call does one request to a peer: its body on 200 or 204, else nil.
func (q *quorumReplica) call(ctx context.Context, method, url string, body []byte) []byte {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return nil
	}
	resp, err := q.n.peer.Do(req)
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusNoContent {
		return nil
	}
	if b == nil {
		b = []byte{}
	}
	return b
}

// writeQuorum pushes a state to every peer and returns once have+acks
// replicas hold it and have+acks >= W (have: the replicas that already
// do, this node), or 504 unknown when ctx ends first.
func (q *quorumReplica) writeQuorum(ctx context.Context, body []byte, have int) *apiError {
	if have >= q.w {
		return nil
	}
	acks := q.fanOut(ctx, http.MethodPost, pathQuorumPut, body)
	for range q.n.cfg.Replicas - 1 {
		select {
		case b := <-acks:
			if b != nil {
				if have++; have >= q.w {
					return nil
				}
			}
		case <-ctx.Done():
			return unknown("node %d: %d of the write quorum %d replicas held it in time", q.n.id, have, q.w)
		}
	}
	return unknown("node %d: %d of the write quorum %d replicas held it (the rest failed)", q.n.id, have, q.w)
}

// readQuorum merges this node's state and the first R-1 peers' to
// answer, and counts the replicas of those R that already held the
// merged state; fewer than R answers before ctx ends are 504 unknown.
func (q *quorumReplica) readQuorum(ctx context.Context) (crdt, int, *apiError) {
	q.mu.Lock()
	merged := q.st.clone()
	q.mu.Unlock()
	states := []crdt{merged.clone()}
	if q.r > 1 {
		answers := q.fanOut(ctx, http.MethodGet, pathQuorumGet, nil)
	collect:
		for range q.n.cfg.Replicas - 1 {
			select {
			case b := <-answers:
				if b == nil {
					continue
				}
				st, err := decodeCRDT(q.n.cfg.Kind, q.n.cfg.Replicas, b)
				if err != nil {
					continue
				}
				merged.merge(st)
				if states = append(states, st); len(states) >= q.r {
					break collect
				}
			case <-ctx.Done():
				return nil, 0, unknown("node %d: %d of the read quorum %d replicas answered in time", q.n.id, len(states), q.r)
			}
		}
		if len(states) < q.r {
			return nil, 0, unknown("node %d: %d of the read quorum %d replicas answered (the rest failed)", q.n.id, len(states), q.r)
		}
	}
	want, _ := json.Marshal(merged)
	holders := 0
	for _, st := range states {
		if b, _ := json.Marshal(st); bytes.Equal(b, want) {
			holders++
		}
	}
	return merged, holders, nil
}

// close stops anti-entropy and waits for the requests still out.
func (q *quorumReplica) close() error {
	err := q.apReplica.close()
	q.bg.Wait()
	return err
}

// checkQuorum refuses a write or read quorum that design c cannot
// take: above the replicas under quorum, or set at all under another
// design (which has no quorums to tune).
func checkQuorum(p workloads.Params, c string) error {
	for _, q := range []struct {
		param string
		v     int
	}{{workloads.ParamWriteQuorum, p.WriteQuorum}, {workloads.ParamReadQuorum, p.ReadQuorum}} {
		var want string
		switch {
		case c == workloads.ConsistencyQuorum && q.v > p.Replicas:
			want = fmt.Sprintf("want 1 to %d, the replicas (0: a majority)", p.Replicas)
		case c != workloads.ConsistencyQuorum && q.v != 0:
			want = "applies to consistency quorum only"
		default:
			continue
		}
		return &workloads.ParamError{Param: q.param, Value: fmt.Sprint(q.v), Err: errors.New(want)}
	}
	return nil
}
