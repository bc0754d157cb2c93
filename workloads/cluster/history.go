package cluster

import (
	"cmp"
	"slices"
	"sync"
	"time"
)

// opKind is what a client asked a node for.
type opKind uint8

const (
	opIncr opKind = iota // POST /incr: add 1 to the counter
	opRead               // GET /read: the counter's value
)

func (k opKind) String() string {
	if k == opIncr {
		return "incr"
	}
	return "read"
}

// outcome is what a client learned of its request.
type outcome uint8

const (
	// outcomeOK: answered (200). An increment was applied; a read's
	// value is op.value.
	outcomeOK outcome = iota
	// outcomeRefused: the node knew the request was not applied (503
	// with outcome "refused": under cp no leader known, or the leader
	// refused before appending).
	outcomeRefused
	// outcomeUnknown: the request may or may not have been applied (504
	// with outcome "unknown", the client's request timeout, a connection
	// cut mid-request, any other error).
	outcomeUnknown
)

func (o outcome) String() string {
	switch o {
	case outcomeOK:
		return "ok"
	case outcomeRefused:
		return "refused"
	}
	return "unknown"
}

// op is one request of a client, as the client saw it.
type op struct {
	client, node int // the client's index in the sample and the node it is attached to
	kind         opKind
	invoke, ret  time.Duration // sent and answered (or failed), since the sample's t0
	outcome      outcome
	value        int64 // a read's answer (outcomeOK only)
}

// latency is the time the client waited for the answer.
func (o op) latency() time.Duration { return o.ret - o.invoke }

// history is one sample's ops. Each client appends to a log of its own,
// without a lock; the logs are merged once the clients are done, so
// recording costs a client an append, never a wait on another client.
// The zero value is ready; make one per sample.
type history struct {
	mu      sync.Mutex
	clients []*clientLog
}

// clientLog is one client's ops, in the order it sent them. It belongs
// to the client's goroutine: record is not safe for concurrent use.
type clientLog struct {
	client, node int
	ops          []op
}

// client returns a new log for the client with that index, attached to
// that node. It is safe for concurrent use (a worker calls it once, when
// it is made).
func (h *history) client(client, node int) *clientLog {
	c := &clientLog{client: client, node: node}
	h.mu.Lock()
	h.clients = append(h.clients, c)
	h.mu.Unlock()
	return c
}

// record appends one request: its kind, when it was sent and answered
// (since the sample's t0), its outcome and, for an answered read, the
// value it returned.
func (c *clientLog) record(kind opKind, invoke, ret time.Duration, out outcome, value int64) {
	c.ops = append(c.ops, op{
		client: c.client, node: c.node, kind: kind,
		invoke: invoke, ret: ret, outcome: out, value: value,
	})
}

// ops returns every client's ops, ordered by invocation time (ties by
// client, then by the client's own order). Call it after the clients
// are done: it reads their logs without their lock-free appends'
// knowledge.
func (h *history) ops() []op {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, c := range h.clients {
		n += len(c.ops)
	}
	all := make([]op, 0, n)
	for _, c := range h.clients {
		all = append(all, c.ops...)
	}
	slices.SortStableFunc(all, func(a, b op) int {
		return cmp.Or(cmp.Compare(a.invoke, b.invoke), cmp.Compare(a.client, b.client))
	})
	return all
}
