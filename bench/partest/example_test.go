package partest_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parbench/parbench/bench/partest"
	"github.com/parbench/parbench/workloads"
)

// A map split into shards, each behind its own mutex, measured under
// parbench's sweep. In a _test.go the function passed to
// testing.Benchmark is a Benchmark function that go test -bench runs
// over -cpu; here testing.Benchmark runs it once.
func ExampleRun() {
	var shards [16]struct {
		sync.Mutex
		m map[int]int
	}
	for i := range shards {
		shards[i].m = map[int]int{}
	}
	var ops atomic.Int64
	testing.Benchmark(func(b *testing.B) {
		sweep := partest.Sweep{Goroutines: []int{2}, Locks: []string{"none"}, Class: "cpu"}
		partest.Run(b, sweep, func(env partest.Env) (func() error, error) {
			k := 0 // each goroutine's own state
			return func() error {
				k++
				s := &shards[k%len(shards)]
				s.Lock()
				s.m[k]++
				s.Unlock()
				ops.Add(1)
				return nil
			}, nil
		})
	})
	fmt.Println("ops ran:", ops.Load() > 0)
	// Output: ops ran: true
}

// An op that marks its work gets the faithful simulated GIL: its CPU
// work serialised (Check, with the ticks it stands for), the lock
// released around its blocking call (BeginIO, EndIO).
func ExampleRun_marked() {
	bench := func(b *testing.B) {
		partest.Run(b, partest.Sweep{Locks: []string{"none", "gil", "gil-old"}, Class: "mixed"},
			func(env partest.Env) (func() error, error) {
				return func() error {
					workloads.Spin(env, 20) // ~20µs of CPU work, calling env.Check
					env.BeginIO()
					time.Sleep(50 * time.Microsecond)
					env.EndIO()
					return nil
				}, nil
			})
	}
	_ = bench // func BenchmarkMixed(b *testing.B) { ... } in a _test.go
}

// The sub-benchmarks a Sweep makes, in the order Run runs them: here a
// zero Sweep's defaults.
func ExampleSweep_Names() {
	names, err := partest.Sweep{}.Names()
	if err != nil {
		panic(err)
	}
	for _, n := range names {
		fmt.Println(n)
	}
	// Output:
	// lock=none/goroutines=1
	// lock=none/goroutines=2
	// lock=none/goroutines=8
	// lock=none/goroutines=64
	// lock=gil/goroutines=1
	// lock=gil/goroutines=2
	// lock=gil/goroutines=8
	// lock=gil/goroutines=64
}

// A workload of the workloads API, parbench's own or a user's, under
// go test: in a _test.go this is the body of a Benchmark function.
func ExampleRunWorkload() {
	bench := func(b *testing.B) {
		ws, err := workloads.Lookup("cpu/sha256")
		if err != nil {
			b.Fatal(err)
		}
		partest.RunWorkload(b, partest.Sweep{}, ws[0], workloads.DefaultParams())
	}
	_ = bench // func BenchmarkSHA256(b *testing.B) { ... }
}
