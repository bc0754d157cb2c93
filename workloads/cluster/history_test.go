package cluster

import (
	"slices"
	"sync"
	"testing"
	"time"
)

// The clients record concurrently, each to its own log; ops merges
// them all, ordered by invocation time, each op naming its client and
// node.
func TestHistoryMerge(t *testing.T) {
	const clients, each = 6, 200
	var h history
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			log := h.client(c, c%3)
			for i := range each {
				// client c's i-th op is sent at i*clients+c µs: the
				// merged order interleaves the clients.
				invoke := time.Duration(i*clients+c) * time.Microsecond
				log.record(opKind(i%2), invoke, invoke+time.Millisecond, outcomeOK, int64(i))
			}
		})
	}
	wg.Wait()
	ops := h.ops()
	if len(ops) != clients*each {
		t.Fatalf("%d ops, want %d", len(ops), clients*each)
	}
	for k, o := range ops {
		c, i := k%clients, k/clients
		want := op{client: c, node: c % 3, kind: opKind(i % 2),
			invoke: time.Duration(k) * time.Microsecond, outcome: outcomeOK, value: int64(i)}
		want.ret = want.invoke + time.Millisecond
		if o != want {
			t.Fatalf("op %d: %+v, want %+v", k, o, want)
		}
	}
}

// Ops sent at the same time keep the client order, then each client's
// own order.
func TestHistoryTies(t *testing.T) {
	var h history
	b, a := h.client(1, 0), h.client(0, 0)
	b.record(opRead, 0, 5, outcomeOK, 1)
	b.record(opRead, 0, 6, outcomeOK, 2)
	a.record(opRead, 0, 7, outcomeOK, 3)
	var got []int64
	for _, o := range h.ops() {
		got = append(got, o.value)
	}
	if want := []int64{3, 1, 2}; !slices.Equal(got, want) {
		t.Errorf("values in order %v, want %v", got, want)
	}
}
