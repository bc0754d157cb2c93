// Package mapbench is the code a third party measures with parbench in
// this example: two concurrent maps, one guarded by a single sync.Mutex
// and one split into shards that each have their own, and a JSON parse.
// It knows nothing of parbench; the benchmarks (mapbench_test.go) and
// the workloads of package mapworkloads measure it from outside.
//
// Each op checks its own result, so a wrong fast answer (a lost key, a
// value of another key, a field parsed wrong) is an error, not a speedup.
package mapbench

import (
	"encoding/json"
	"fmt"
	"math"
	"math/bits"
	"sync"
)

// Map is a concurrent map from uint64 keys to uint64 values.
type Map interface {
	// Get returns the value of key and whether it is present.
	Get(key uint64) (value uint64, ok bool)
	// Put sets the value of key and returns the value it replaced, if
	// any.
	Put(key, value uint64) (old uint64, ok bool)
	// Update sets the value of key to f(old, arg), holding the key's
	// lock throughout, since the new value depends on the old one, and
	// returns the new value; ok is false, and nothing is set, if key
	// is not present.
	Update(key, arg uint64, f func(old, arg uint64) uint64) (value uint64, ok bool)
}

// MutexMap is a map behind one sync.Mutex: every Get, Put and Update of
// every goroutine takes the same lock, so on many cores they queue.
type MutexMap struct {
	mu sync.Mutex
	m  map[uint64]uint64
}

// NewMutexMap returns an empty MutexMap.
func NewMutexMap() *MutexMap {
	return &MutexMap{m: map[uint64]uint64{}}
}

// Get returns the value of key and whether it is present.
func (m *MutexMap) Get(key uint64) (uint64, bool) {
	m.mu.Lock()
	v, ok := m.m[key]
	m.mu.Unlock()
	return v, ok
}

// Put sets the value of key and returns the value it replaced, if any.
func (m *MutexMap) Put(key, value uint64) (uint64, bool) {
	m.mu.Lock()
	old, ok := m.m[key]
	m.m[key] = value
	m.mu.Unlock()
	return old, ok
}

// Update sets the value of key to f(old, arg) under the lock.
func (m *MutexMap) Update(key, arg uint64, f func(old, arg uint64) uint64) (uint64, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	old, ok := m.m[key]
	if !ok {
		return 0, false
	}
	v := f(old, arg)
	m.m[key] = v
	return v, true
}

// ShardedMap is a map split into shards by a hash of the key, each shard
// a map with its own sync.Mutex: goroutines that touch different shards
// never wait for each other.
type ShardedMap struct {
	shards []shard
	shift  uint // 64 - log2(len(shards))
	_      [64 - 32]byte
}

// shard is one lock and its map, padded to a cache line (64 bytes on
// amd64 and arm64) so that two cores taking neighbouring shards' locks
// do not pass one line back and forth.
type shard struct {
	mu sync.Mutex
	m  map[uint64]uint64
	_  [64 - 16]byte
}

// NewShardedMap returns an empty ShardedMap of n shards, n rounded up to
// a power of two (at least 1).
func NewShardedMap(n int) *ShardedMap {
	b := 0
	if n > 1 {
		b = bits.Len(uint(n - 1))
	}
	s := &ShardedMap{shards: make([]shard, 1<<b), shift: uint(64 - b)}
	for i := range s.shards {
		s.shards[i].m = map[uint64]uint64{}
	}
	return s
}

// Shards returns the number of shards.
func (s *ShardedMap) Shards() int { return len(s.shards) }

// shardOf picks key's shard by Fibonacci hashing: the top bits of key
// times 2^64/phi, so that consecutive keys spread over every shard.
func (s *ShardedMap) shardOf(key uint64) *shard {
	if len(s.shards) == 1 {
		return &s.shards[0]
	}
	return &s.shards[(key*0x9E3779B97F4A7C15)>>s.shift]
}

// Get returns the value of key and whether it is present.
func (s *ShardedMap) Get(key uint64) (uint64, bool) {
	sh := s.shardOf(key)
	sh.mu.Lock()
	v, ok := sh.m[key]
	sh.mu.Unlock()
	return v, ok
}

// Put sets the value of key and returns the value it replaced, if any.
func (s *ShardedMap) Put(key, value uint64) (uint64, bool) {
	sh := s.shardOf(key)
	sh.mu.Lock()
	old, ok := sh.m[key]
	sh.m[key] = value
	sh.mu.Unlock()
	return old, ok
}

// Update sets the value of key to f(old, arg) under its shard's lock.
func (s *ShardedMap) Update(key, arg uint64, f func(old, arg uint64) uint64) (uint64, bool) {
	sh := s.shardOf(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	old, ok := sh.m[key]
	if !ok {
		return 0, false
	}
	v := f(old, arg)
	sh.m[key] = v
	return v, true
}

// The mixed ops' shape: each op makes OpAccesses accesses to keys drawn
// from [0, KeySpace), every other one an Update that folds an event into
// the key's digest (Fold) and the others Gets.
//
// FoldRounds is a choice, not a law of maps: 256 rounds make each Update
// hold its lock for about 0.6µs, so that an op's four Updates are nearly
// all of its ~2.4µs and the comparison is of long critical sections,
// behind one lock or spread over 64. With a bare map update of a few ns under the lock the difference
// between the maps is smaller and set by cache-line traffic instead. The
// first version of this example measured just that on its 2-core VM:
// the sharded map did not scale at all, 359 ns/op at -cpu 2 against 360
// at -cpu 1 with a parallelism of 1.98, because the consecutive users of
// a shard's lock were on the other core half the time, and the lock's
// cache line moved with them. Measure your own op before concluding
// which map is faster for it.
const (
	KeySpace   = 1 << 12
	OpAccesses = 8
	FoldRounds = 256
)

// A value names its key in its top 32 bits and a writer's count in the
// low 32, so any reader can tell a value of the wrong key.
func value(key, n uint64) uint64 { return key<<32 | n&(1<<32-1) }

// Fold is the update a Mix makes: it folds event into the key's running
// digest, the low 32 bits of v, with FoldRounds rounds of a 64-bit
// mixer (about 0.6µs, all of it under the key's lock in Update), as an
// audit log folds each event into its key's digest. It keeps the key in
// the top 32 bits.
func Fold(v, event uint64) uint64 {
	d := (v ^ event) & (1<<32 - 1)
	for range FoldRounds {
		d ^= d >> 31
		d *= 0x7fb5d329728ea185
		d ^= d >> 27
	}
	return v&^(1<<32-1) | d&(1<<32-1)
}

// Fill puts every key of the key space into m, so that every Get of a
// Mix finds its key.
func Fill(m Map) {
	for k := uint64(0); k < KeySpace; k++ {
		m.Put(k, value(k, 0))
	}
}

// Mix does the mixed ops of one goroutine on a shared Map that Fill has
// filled. It is not safe for concurrent use: make one per goroutine.
type Mix struct {
	m   Map
	rng uint64
	n   uint64
	// The padding fills the allocation's 64-byte size class: without
	// it, two goroutines' Mixes share a cache line, each op's writes
	// pass it from core to core, and on two cores every op took twice
	// the CPU time (parallelism 2, no speedup).
	_ [64 - 32]byte
}

// NewMix returns a Mix on m whose keys follow seed: give each goroutine
// its own.
func NewMix(m Map, seed uint64) *Mix {
	return &Mix{m: m, rng: seed*0x9E3779B97F4A7C15 | 1}
}

// Op makes OpAccesses accesses to random keys, every other one an
// Update with Fold, and checks each: the key is present and its value
// belongs to it.
func (x *Mix) Op() error {
	rng := x.rng
	defer func() { x.rng = rng }()
	for i := range OpAccesses {
		// xorshift64: cheap, and different for each goroutine's seed.
		rng ^= rng << 13
		rng ^= rng >> 7
		rng ^= rng << 17
		k := rng % KeySpace
		var v uint64
		var ok bool
		if i%2 == 1 {
			x.n++
			v, ok = x.m.Update(k, x.n, Fold)
		} else {
			v, ok = x.m.Get(k)
		}
		if !ok {
			return fmt.Errorf("mapbench: key %d is missing", k)
		}
		if v>>32 != k {
			return fmt.Errorf("mapbench: key %d holds %#x, a value of key %d", k, v, v>>32)
		}
	}
	return nil
}

// Order is the document the JSON op parses.
type Order struct {
	ID       int     `json:"id"`
	Customer string  `json:"customer"`
	Currency string  `json:"currency"`
	Items    []Item  `json:"items"`
	Total    float64 `json:"total"`
	Paid     bool    `json:"paid"`
}

// Item is one line of an Order.
type Item struct {
	SKU   string  `json:"sku"`
	Name  string  `json:"name"`
	Qty   int     `json:"qty"`
	Price float64 `json:"price"`
}

// Document is the fixed order the JSON op parses, about 1 KiB.
var Document = []byte(`{
  "id": 4242,
  "customer": "Ada Lovelace",
  "currency": "EUR",
  "items": [
    {"sku": "A-100", "name": "analytical engine gear", "qty": 12, "price": 3.5},
    {"sku": "A-101", "name": "punched card, blank", "qty": 500, "price": 0.02},
    {"sku": "B-200", "name": "brass column", "qty": 4, "price": 27.25},
    {"sku": "B-201", "name": "carry lever", "qty": 40, "price": 1.75},
    {"sku": "C-300", "name": "store register", "qty": 2, "price": 120},
    {"sku": "C-301", "name": "mill axle", "qty": 6, "price": 18.5},
    {"sku": "D-400", "name": "printing apparatus", "qty": 1, "price": 310},
    {"sku": "D-401", "name": "stereotype mould", "qty": 3, "price": 45.5}
  ],
  "total": 1028.5,
  "paid": true
}`)

// ParseOrder parses doc into an Order and checks it: an order whose
// total is not the sum of its lines is an error.
func ParseOrder(doc []byte) (Order, error) {
	var o Order
	if err := json.Unmarshal(doc, &o); err != nil {
		return o, fmt.Errorf("mapbench: %w", err)
	}
	sum := 0.0
	for _, it := range o.Items {
		sum += float64(it.Qty) * it.Price
	}
	if o.ID == 0 || len(o.Items) == 0 || math.Abs(sum-o.Total) > 0.005 {
		return o, fmt.Errorf("mapbench: order %d: %d lines sum to %g, total says %g", o.ID, len(o.Items), sum, o.Total)
	}
	return o, nil
}

// JSONTicks is the ticks (parbench's workloads.TickTime, 12ns of CPU
// work each) that one ParseOrder of Document stands for: a plain Go
// benchmark of it took 12.5µs an op on the 2-core machine where this
// example was written (-cpu 1), and 12.5µs / 12ns is about 1,000. A
// simulated CPython 2 GIL counts ticks down to its next release; a
// CPython 3 one hands over at a check once a waiter has asked.
const JSONTicks = 1000

// MixTicks is the ticks one Mix.Op stands for, measured the same way:
// 2.4µs, on either map with one goroutine.
const MixTicks = 200
