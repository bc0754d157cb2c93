package cluster

import (
	"math/rand/v2"
	"reflect"
	"testing"
)

// randomCRDT is a state of kind for 3 nodes that some run could reach:
// a register's value is a function of its stamp and node, as a node
// never writes two values under one stamp.
func randomCRDT(t *testing.T, kind string, rnd *rand.Rand) crdt {
	t.Helper()
	c, err := newCRDT(kind, 3)
	if err != nil {
		t.Fatal(err)
	}
	switch c := c.(type) {
	case *pnCounter:
		for i := range c.P {
			c.P[i] = rnd.Int64N(5)
			c.N[i] = rnd.Int64N(2)
		}
	case *lwwRegister:
		c.Stamp = rnd.Int64N(4)
		c.Node = rnd.IntN(3)
		c.Value = c.Stamp*10 + int64(c.Node)
	}
	return c
}

func merged(a, b crdt) crdt {
	m := a.clone()
	m.merge(b)
	return m
}

// TestMergeLaws: merge is commutative, associative and idempotent, so
// that pushes in any order, repeated, converge.
func TestMergeLaws(t *testing.T) {
	for _, kind := range []string{kindCounter, kindRegister} {
		t.Run(kind, func(t *testing.T) {
			rnd := rand.New(rand.NewPCG(1, 2))
			for range 2000 {
				a, b, c := randomCRDT(t, kind, rnd), randomCRDT(t, kind, rnd), randomCRDT(t, kind, rnd)
				if ab, ba := merged(a, b), merged(b, a); !reflect.DeepEqual(ab, ba) {
					t.Fatalf("not commutative: %+v merge %+v = %+v, the other way %+v", a, b, ab, ba)
				}
				if l, r := merged(merged(a, b), c), merged(a, merged(b, c)); !reflect.DeepEqual(l, r) {
					t.Fatalf("not associative: (%+v %+v) %+v = %+v, %+v (%+v %+v) = %+v", a, b, c, l, a, b, c, r)
				}
				if aa := merged(a, a); !reflect.DeepEqual(aa, a) {
					t.Fatalf("not idempotent: %+v merge itself = %+v", a, aa)
				}
				if ab := merged(a, b); !reflect.DeepEqual(merged(ab, a), ab) {
					t.Fatalf("merging an older state changed %+v", ab)
				}
			}
		})
	}
}

// TestConcurrentIncrements: two sides of a partition increment from one
// state, 3 times on node 0 and then 2 times on node 2; after the merge
// the PN-counter holds all 5, the register only node 2's, later,
// increments: exactly 3 lost.
func TestConcurrentIncrements(t *testing.T) {
	tests := []struct {
		kind string
		lost int64
	}{{kindCounter, 0}, {kindRegister, 3}}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			base, _ := newCRDT(tt.kind, 3)
			now := int64(1_000_000)
			for range 4 {
				now++
				base.incr(1, now)
			}
			a, b := base.clone(), base.clone()
			for range 3 {
				now++
				a.incr(0, now)
			}
			for range 2 {
				now++
				b.incr(2, now)
			}
			if a.value() != 7 || b.value() != 6 {
				t.Fatalf("the sides hold %d and %d, want 7 and 6", a.value(), b.value())
			}
			for _, m := range []crdt{merged(a, b), merged(b, a)} {
				if got, want := m.value(), 4+5-tt.lost; got != want {
					t.Errorf("merged value %d, want %d (%d of the 5 concurrent increments lost)", got, want, tt.lost)
				}
				if !holds([]stateMsg{{Progress: m.progress()}}, maxProgress([]stateMsg{{Progress: a.progress()}, {Progress: b.progress()}})) {
					t.Errorf("merged progress %v is below a side's (%v, %v)", m.progress(), a.progress(), b.progress())
				}
			}
		})
	}
}

// TestRegisterStampMonotone: a node's increment wins over the value
// it increments even when its clock is behind that value's stamp.
func TestRegisterStampMonotone(t *testing.T) {
	r := &lwwRegister{Value: 5, Stamp: 100, Node: 2}
	before := r.clone().(*lwwRegister)
	r.incr(0, 50) // a clock behind
	if !r.newer(before) || r.Value != 6 {
		t.Errorf("after an increment at an earlier clock: %+v, not newer than %+v", r, before)
	}
}
