package analysis_test

import (
	"fmt"
	"os"
	"strings"

	"github.com/parbench/parbench/analysis"
)

// A results file from a 2-CPU machine: six samples at GOMAXPROCS 1 and 2.
const twoCPUs = `ncpu: 2
cpu: Example CPU
BenchmarkCPU/sha256/lock=none/goroutines=2-1 1000 2.00e-06 sec/op
BenchmarkCPU/sha256/lock=none/goroutines=2-2 1000 1.03e-06 sec/op
BenchmarkCPU/sha256/lock=none/goroutines=2-1 1000 2.02e-06 sec/op
BenchmarkCPU/sha256/lock=none/goroutines=2-2 1000 1.04e-06 sec/op
BenchmarkCPU/sha256/lock=none/goroutines=2-1 1000 1.98e-06 sec/op
BenchmarkCPU/sha256/lock=none/goroutines=2-2 1000 1.02e-06 sec/op
BenchmarkCPU/sha256/lock=none/goroutines=2-1 1000 2.01e-06 sec/op
BenchmarkCPU/sha256/lock=none/goroutines=2-2 1000 1.05e-06 sec/op
BenchmarkCPU/sha256/lock=none/goroutines=2-1 1000 2.03e-06 sec/op
BenchmarkCPU/sha256/lock=none/goroutines=2-2 1000 1.03e-06 sec/op
BenchmarkCPU/sha256/lock=none/goroutines=2-1 1000 1.99e-06 sec/op
BenchmarkCPU/sha256/lock=none/goroutines=2-2 1000 1.04e-06 sec/op
`

func ExampleBuilder() {
	b, err := analysis.NewBuilder(analysis.DefaultOptions())
	if err != nil {
		panic(err)
	}
	if err := b.Read(strings.NewReader(twoCPUs), "two.txt"); err != nil {
		panic(err)
	}
	rep, err := b.Report()
	if err != nil {
		panic(err)
	}
	for _, g := range rep.Groups {
		fmt.Printf("%s  %s\n", g.Label(), g.Verdict)
		fmt.Println("Amdahl:", g.Fits.Amdahl().Status)
	}
	// Output:
	// cpu/sha256  lock=none  parallel: 1.94x at 2 procs, 2 goroutines (95% CI 1.91-1.97, p=0.002), efficiency 97%
	// Amdahl: too-few-levels
}

func ExampleReport_WriteCSV() {
	b, _ := analysis.NewBuilder(analysis.DefaultOptions())
	b.Read(strings.NewReader(twoCPUs), "two.txt")
	rep, _ := b.Report()
	rep.WriteCSV(os.Stdout)
	// Output:
	// machine,workload,lock,extra,scaling,goroutines,procs,n,sec_per_op,sec_per_op_lo,sec_per_op_hi,speedup,speedup_lo,speedup_hi,efficiency,karp_flatt,p_value,concurrency,concurrency_lo,concurrency_hi,concurrency_p_value,verdict
	// "Example CPU, 2 CPUs",cpu/sha256,none,,,2,1,6,2.005e-06,1.98e-06,2.03e-06,1,1,1,1,,,,,,,parallel
	// "Example CPU, 2 CPUs",cpu/sha256,none,,,2,2,6,1.035e-06,1.02e-06,1.05e-06,1.9372,1.91346,1.96585,0.968599,0.032419,0.0021645,,,,,parallel
}

func ExampleOptions_filter() {
	opt := analysis.DefaultOptions()
	opt.Filter = "/gomaxprocs:1" // benchstat's filter syntax
	b, _ := analysis.NewBuilder(opt)
	b.Read(strings.NewReader(twoCPUs), "two.txt")
	rep, _ := b.Report()
	fmt.Println(rep.Groups[0].Verdict.Class)
	// Output:
	// one-level
}
