// Command parbench measures when concurrency yields parallel speedup.
//
// Usage:
//
//	parbench run [flags]     sweep workloads over GOMAXPROCS, goroutines and lock modes
//	parbench list            list the workloads and lock modes
//	parbench report FILE...  speedup, efficiency, fits and a verdict per workload and lock
//	parbench profile [flags] profile one point: cpu, mutex, block and gil profiles, a trace, a summary
//	parbench calibrate       measure real CPython beside the simulated GIL (make calibrate)
//	parbench selfbench       measure parbench's harness beside go test and benchstat (make bench-harness)
//
// A run writes the standard Go benchmark format, one line per sample:
//
//	BenchmarkCPU/sha256/lock=none/goroutines=2-2  52170  3.8e-06 sec/op  7.5e-06 cpu-sec/op  1.97 parallelism
//
// so benchstat slices it by any key of the name:
//
//	go tool benchstat -col /gomaxprocs results/x.txt   # parallel speedup
//	go tool benchstat -col /goroutines results/x.txt   # concurrency gain
//	go tool benchstat -col /lock results/x.txt         # what the lock costs
//
// and parbench report reads it back to answer the question directly:
//
//	parbench report results/x.txt                      # verdicts, tables, Amdahl and USL fits
//	parbench report --html x.html results/x.txt        # the same as one page with plots
//
// To see parallel speedup, sweep GOMAXPROCS at a fixed goroutine count
// at least as large as the largest GOMAXPROCS; to see concurrency without
// parallelism, sweep goroutines at GOMAXPROCS=1 with an io/ workload.
// Measure at least six levels if you want to fit a scalability model.
//
// This is the official binary: package cli's Main, which is the whole
// command, plus the built-in webapp workloads (workloads/webapp, which
// pulls in SQLite and a PostgreSQL driver) and cluster workloads
// (workloads/cluster, which pulls in hashicorp/raft and porcupine). A
// binary with workloads of your own is the same few lines: see package
// cli.
package main

import (
	"github.com/parbench/parbench/cli"

	_ "github.com/parbench/parbench/workloads/cluster" // registers the cluster/ workloads and their node service
	_ "github.com/parbench/parbench/workloads/webapp"  // registers the webapp/ workloads
)

func main() { cli.Main() }
