package results_test

import (
	"fmt"

	"github.com/parbench/parbench/results"
)

// A sweep point's result name, and back: ParseName also reads the names
// of plain go test benchmarks, and of go test benchmarks that use
// parbench's keys (package partest).
func ExamplePoint_Name() {
	p := results.Point{
		Workload:   "cpu/sha256",
		Lock:       "gil",
		Extra:      []results.KV{{Key: "exec", Value: "processes"}},
		Goroutines: 8,
		Procs:      2,
	}
	name := p.Name()
	fmt.Println(name)

	back, err := results.ParseName("Benchmark" + name)
	fmt.Println(back.Workload, back.Lock, back.Get("exec"), back.Goroutines, back.Procs, err)

	plain, err := results.ParseName("BenchmarkShardedMap/lock=none/goroutines=2-2")
	fmt.Printf("%s lock=%s goroutines=%d procs=%d %v\n", plain.Workload, plain.Lock, plain.Goroutines, plain.Procs, err)
	// Output:
	// CPU/sha256/lock=gil/exec=processes/goroutines=8-2
	// cpu/sha256 gil processes 8 2 <nil>
	// ShardedMap lock=none goroutines=2 procs=2 <nil>
}

// Reading a small results file back: its configuration and its samples,
// in file order, and the point of each.
func ExampleReadRun() {
	const file = `goos: linux
ncpu: 2
classes: cpu/sha256=cpu

BenchmarkCPU/sha256/lock=none/goroutines=2-1  52170  7.6e-06 sec/op  1.0 parallelism
BenchmarkCPU/sha256/lock=none/goroutines=2-2  98112  3.9e-06 sec/op  1.97 parallelism
`
	run, err := results.ReadRun("small.txt", []byte(file))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range run.Config {
		fmt.Printf("%s=%s\n", c.Key, c.Value)
	}
	for _, s := range run.Samples {
		p, _ := results.ParseName(s.Name)
		fmt.Printf("line %d: %s at %d procs: %d ops, %.2gs/op\n", s.Line, p.Workload, p.Procs, s.Iters, s.SecPerOp)
	}
	// Output:
	// goos=linux
	// ncpu=2
	// classes=cpu/sha256=cpu
	// line 5: cpu/sha256 at 1 procs: 52170 ops, 7.6e-06s/op
	// line 6: cpu/sha256 at 2 procs: 98112 ops, 3.9e-06s/op
}
