// Command plainsleep is the goroutines measure's reference (package
// internal/selfbench): io/sleep's work as a plain Go program does it,
// with none of parbench's harness, in a fresh process as each `parbench
// run` is. It writes one result line in the standard Go benchmark
// format, named as parbench names the point:
//
//	plainsleep -goroutines 100000 -ops 100 -procs 2 -latency 1ms
//	BenchmarkIO/sleep/lock=none/goroutines=100000-2 10000000 5.4e-07 sec/op
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/parbench/parbench/internal/selfbench"
)

func main() {
	g := flag.Int("goroutines", 10_000, "goroutines")
	ops := flag.Int("ops", 100, "sleeps each goroutine does")
	procs := flag.Int("procs", 1, "GOMAXPROCS")
	latency := flag.Duration("latency", selfbench.GoroutinesLatency, "each sleep")
	flag.Parse()
	if *g < 1 || *ops < 1 || *procs < 1 || *latency < 0 || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "plainsleep: want -goroutines, -ops and -procs of at least 1, a -latency of at least 0, and no arguments")
		os.Exit(2)
	}
	fmt.Println(selfbench.PlainResult(*g, *ops, *procs, *latency))
}
