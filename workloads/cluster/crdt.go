package cluster

import (
	"encoding/json"
	"fmt"
)

// crdt is an ap node's state: a conflict-free replicated data type
// whose merge is commutative, associative and idempotent, so that
// nodes that push their states to each other in any order, any number
// of times, end with the same state (anti-entropy).
type crdt interface {
	// incr counts one increment at node (now: the wall clock in µs)
	// and returns the value after it.
	incr(node int, now int64) int64
	value() int64
	// progress is comparable elementwise: a state that holds all
	// another held has each entry at least the other's.
	progress() []int64
	// merge folds in another state of the same kind.
	merge(o crdt)
	clone() crdt
}

// newCRDT returns the zero state of kind for n nodes.
func newCRDT(kind string, n int) (crdt, error) {
	switch kind {
	case kindCounter:
		return &pnCounter{P: make([]int64, n), N: make([]int64, n)}, nil
	case kindRegister:
		return &lwwRegister{}, nil
	}
	return nil, fmt.Errorf("no CRDT %q (want %s or %s)", kind, kindCounter, kindRegister)
}

// decodeCRDT reads a state of kind sent by a peer (POST /sync).
func decodeCRDT(kind string, n int, b []byte) (crdt, error) {
	c, err := newCRDT(kind, n)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, c); err != nil {
		return nil, fmt.Errorf("a %s state: %w", kind, err)
	}
	return c, nil
}

// pnCounter is a state-based PN-counter (Shapiro et al., "A
// comprehensive study of Convergent and Commutative Replicated Data
// Types", 2011, §3.1.3): P[i] counts node i's increments, N[i] its
// decrements (none here: clients only increment, the N vector is kept
// for the type's shape), the value is ΣP - ΣN, and merge takes the
// elementwise maximum. Each node writes only its own entry, so
// increments made on both sides of a partition are all kept.
type pnCounter struct {
	P []int64 `json:"p"`
	N []int64 `json:"n"`
}

// incr counts an increment in slot node (a node's id, or a restarted
// node's fresh slot, node.slot: the vectors grow to hold it).
func (c *pnCounter) incr(node int, _ int64) int64 {
	c.grow(node + 1)
	c.P[node]++
	return c.value()
}

// grow makes P and N at least n long and as long as each other, so
// that progress (P then N) lines up between nodes.
func (c *pnCounter) grow(n int) {
	n = max(n, len(c.P), len(c.N))
	for len(c.P) < n {
		c.P = append(c.P, 0)
	}
	for len(c.N) < n {
		c.N = append(c.N, 0)
	}
}

func (c *pnCounter) value() int64 {
	var v int64
	for i := range c.P {
		v += c.P[i]
	}
	for i := range c.N {
		v -= c.N[i]
	}
	return v
}

func (c *pnCounter) progress() []int64 {
	return append(append([]int64(nil), c.P...), c.N...)
}

func (c *pnCounter) merge(o crdt) {
	oc := o.(*pnCounter)
	c.P = maxInto(c.P, oc.P)
	c.N = maxInto(c.N, oc.N)
	c.grow(0)
}

func (c *pnCounter) clone() crdt {
	return &pnCounter{P: append([]int64(nil), c.P...), N: append([]int64(nil), c.N...)}
}

// maxInto sets a to the elementwise maximum of a and b, growing it to
// b's length.
func maxInto(a, b []int64) []int64 {
	for len(a) < len(b) {
		a = append(a, 0)
	}
	for i, v := range b {
		a[i] = max(a[i], v)
	}
	return a
}

// lwwRegister is a last-writer-wins register (Shapiro et al. 2011,
// §3.2.1) holding the counter's value: an increment sets it to the
// node's value + 1, stamped (wall-clock µs, node id), and merge keeps
// the higher stamp, the node id breaking ties. Increments made on the
// two sides of a partition are not merged but one side's value
// replaces the other's: the losing side's increments are lost.
type lwwRegister struct {
	Value int64 `json:"value"`
	Stamp int64 `json:"stamp"` // wall clock, µs since the epoch
	Node  int   `json:"node"`
}

// incr stamps the new value with now, or with one more than the
// current stamp if the clock has not moved past it (two increments in
// one µs, or a peer's stamp from a clock ahead): a node's own
// increment always wins over the value it increments.
func (r *lwwRegister) incr(node int, now int64) int64 {
	r.Value++
	r.Stamp = max(now, r.Stamp+1)
	r.Node = node
	return r.Value
}

func (r *lwwRegister) value() int64 { return r.Value }

func (r *lwwRegister) progress() []int64 { return []int64{r.Stamp} }

// newer reports whether r's stamp beats o's.
func (r *lwwRegister) newer(o *lwwRegister) bool {
	return r.Stamp > o.Stamp || r.Stamp == o.Stamp && r.Node > o.Node
}

func (r *lwwRegister) merge(o crdt) {
	if or := o.(*lwwRegister); or.newer(r) {
		*r = *or
	}
}

func (r *lwwRegister) clone() crdt {
	c := *r
	return &c
}
