package cluster

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/parbench/parbench/workloads"
)

// raftError: only an entry that was never appended is refused (503);
// one that may yet commit, or whose fate the node cannot tell, is
// unknown (504).
func TestRaftError(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{raft.ErrNotLeader, outcomeRefusedText},
		{raft.ErrLeadershipTransferInProgress, outcomeRefusedText},
		{raft.ErrEnqueueTimeout, outcomeRefusedText},
		{fmt.Errorf("wrapped: %w", raft.ErrNotLeader), outcomeRefusedText},
		{raft.ErrLeadershipLost, outcomeUnknownText},
		{raft.ErrRaftShutdown, outcomeUnknownText},
		{raft.ErrAbortedByRestore, outcomeUnknownText},
		{context.DeadlineExceeded, outcomeUnknownText},
		{context.Canceled, outcomeUnknownText},
		{errors.New("something else"), outcomeUnknownText},
	} {
		got := raftError("increment", c.err)
		wantStatus := map[string]int{outcomeRefusedText: http.StatusServiceUnavailable, outcomeUnknownText: http.StatusGatewayTimeout}[c.want]
		if got.Outcome != c.want || got.Status != wantStatus {
			t.Errorf("raftError(%v) = %d %s, want %d %s", c.err, got.Status, got.Outcome, wantStatus, c.want)
		}
	}
}

// answering is a test server that answers every request with status
// and body, or, with status 0, never (until the client gives up).
func answering(t *testing.T, status int, body string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if status == 0 {
			<-r.Context().Done()
			return
		}
		w.WriteHeader(status)
		w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// A gone server: its address refuses connections.
func goneServer(t *testing.T) string {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	return strings.TrimPrefix(srv.URL, "http://")
}

var answers = []struct {
	name   string
	status int
	body   string
}{
	{"200", http.StatusOK, `{"value": 7}`},
	{"200 without a value", http.StatusOK, `oops`},
	{"503 refused", http.StatusServiceUnavailable, `{"error": "no leader", "outcome": "refused"}`},
	{"503 unknown", http.StatusServiceUnavailable, `{"error": "?", "outcome": "unknown"}`},
	{"503 without an outcome", http.StatusServiceUnavailable, `Service Unavailable`},
	{"504", http.StatusGatewayTimeout, `{"error": "not committed in time", "outcome": "unknown"}`},
	{"504 refused", http.StatusGatewayTimeout, `{"error": "?", "outcome": "refused"}`},
	{"500", http.StatusInternalServerError, `{"error": "panic"}`},
	{"no answer in time", 0, ``},
}

// The client's outcome of each answer: 200 ok, 503 "refused" refused,
// anything else unknown (the node may have applied it).
func TestClientOutcome(t *testing.T) {
	want := map[string]outcome{"200": outcomeOK, "503 refused": outcomeRefused}
	for _, a := range append(answers, struct {
		name   string
		status int
		body   string
	}{"no server", -1, ""}) {
		addr := ""
		if a.status < 0 {
			addr = goneServer(t)
		} else {
			addr = answering(t, a.status, a.body)
		}
		c := &client{base: "http://" + addr, http: &http.Client{Timeout: 50 * time.Millisecond}}
		out, v := c.send(http.MethodPost, pathIncr)
		w, ok := want[a.name]
		if !ok {
			w = outcomeUnknown
		}
		if out != w || out == outcomeOK && v != 7 {
			t.Errorf("%s: %s %d, want %s", a.name, out, v, w)
		}
		c.Close()
	}
}

// A follower's forward to the leader: the leader's answer is passed
// on, a refusal as a refusal (the leader knew it was not applied);
// every failure of the forward itself (no answer in time, a broken or
// odd answer, the leader gone) is unknown, never refused.
func TestForwardOutcome(t *testing.T) {
	want := map[string]string{"503 refused": outcomeRefusedText}
	for _, a := range append(answers, struct {
		name   string
		status int
		body   string
	}{"leader gone", -1, ""}) {
		addr := ""
		if a.status < 0 {
			addr = goneServer(t)
		} else {
			addr = answering(t, a.status, a.body)
		}
		n := &node{id: 0, cfg: nodeConfig{Peers: [][]peerAddr{{{}, {API: addr}}}}, peer: &http.Client{}}
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		v, aerr := n.forward(ctx, 1, pathIncr)
		cancel()
		n.peer.CloseIdleConnections()
		if a.name == "200" {
			if aerr != nil || v != 7 {
				t.Errorf("%s: %d %v, want 7", a.name, v, aerr)
			}
			continue
		}
		w, ok := want[a.name]
		if !ok {
			w = outcomeUnknownText
		}
		if aerr == nil || aerr.Outcome != w {
			t.Errorf("%s: forward answered %d %+v, want outcome %s", a.name, v, aerr, w)
		}
	}
}

// leaderOf: the node that claims to lead; of two, the higher term, then
// the higher applied index; a node that did not answer (zero) never.
func TestLeaderOf(t *testing.T) {
	st := func(leader bool, term uint64, applied int64) stateMsg {
		return stateMsg{Leader: leader, Term: term, Progress: []int64{applied}}
	}
	for _, c := range []struct {
		name string
		sts  []stateMsg
		want int
	}{
		{"none", []stateMsg{st(false, 2, 5), {}, st(false, 2, 5)}, -1},
		{"one", []stateMsg{st(false, 2, 5), st(true, 2, 5), {}}, 1},
		{"a deposed one of a lower term", []stateMsg{st(true, 2, 9), st(false, 3, 5), st(true, 3, 5)}, 2},
		{"same term, higher applied", []stateMsg{st(true, 3, 4), st(true, 3, 6), st(false, 3, 6)}, 1},
	} {
		if got := leaderOf(c.sts); got != c.want {
			t.Errorf("%s: leaderOf = %d, want %d", c.name, got, c.want)
		}
	}
}

// CheckReplicated names Replicas and says what is wanted.
func TestCheckReplicated(t *testing.T) {
	w := workload{kind: kindCounter}
	for _, c := range []struct {
		replicas          int
		partition, design string
		want              string // "" passes
	}{
		{1, workloads.PartitionMinority, workloads.ConsistencyAP, "partition minority cuts no replica off with 1 replica: want at least 3"},
		{2, workloads.PartitionMinority, workloads.ConsistencyAP, "partition minority cuts no replica off with 2 replicas: want at least 3"},
		{1, workloads.PartitionHalves, workloads.ConsistencyAP, "partition halves cuts no replica off with 1 replica: want at least 2"},
		{4, workloads.PartitionMinority, workloads.ConsistencyCP, "want an odd count under cp"},
		{2, workloads.PartitionHalves, workloads.ConsistencyAP, ""},
		{3, workloads.PartitionMinority, workloads.ConsistencyCP, ""},
	} {
		p := workloads.DefaultParams()
		p.Replicas, p.Partition = c.replicas, c.partition
		err := w.CheckReplicated(p, c.design)
		var pe *workloads.ParamError
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%d replicas, %s, %s: %v", c.replicas, c.partition, c.design, err)
		case c.want != "" && (!errors.As(err, &pe) || pe.Param != workloads.ParamReplicas || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%d replicas, %s, %s: %v, want a ParamError on %s saying %q", c.replicas, c.partition, c.design, err, workloads.ParamReplicas, c.want)
		}
	}
}
