// Package bench is parbench's runner: it sweeps workloads over lock
// modes, goroutine counts and GOMAXPROCS, and emits one result in the
// standard Go benchmark format per sample.
//
// The data flow of Run:
//
//  1. Start every workload once (servers, buffers, temp files) and expand
//     the sweep into points: workload x lock x goroutines x GOMAXPROCS.
//  2. Calibrate each point once, as `go test` does: grow the op count
//     until a run is long enough to extrapolate to Config.Benchtime, and
//     size the chunk that goroutines draw from the shared op counter so
//     that one draw is ~100µs of work (testing.B.RunParallel's grain).
//  3. Take Config.Count samples of every point, round-robin over the
//     points in a shuffled order each round, so that drift of the machine
//     spreads over all points instead of posing as a speedup. Samples a
//     resumed file already has (Config.Prior) count. Under
//     Config.TargetCI a point drops out of the rounds as soon as the 95%
//     confidence interval of its median is narrow enough (at least
//     MinAdaptive samples); a note records why each point stopped.
//  4. Each sample: set GOMAXPROCS, make a fresh lock and workers, run a
//     GC, start the workload's background goroutines under the same lock
//     (package background: latency/convoy's CPU goroutines), release the
//     goroutines together, and time until the last op is done. A point
//     of --exec processes runs its ops in worker processes instead, each
//     with its own GOMAXPROCS and lock (package procs). Check that exactly the requested ops were done. A watchdog
//     abandons a sample that outlives Config.SampleTimeout; a panic is
//     caught with its stack; afterwards goroutines and open descriptors
//     must be back to their level before the sample. Any of these fails
//     the point (a note names it) and the sweep goes on.
//  5. Hand the result (sec/op, CPU parallelism, the lock's figures, the
//     CPU steal and the other runnable tasks from /proc/stat) to the
//     sink at once, so an interrupted run keeps every finished sample.
//     Closing Config.Stop ends the run after the sample in flight.
//  6. Restore GOMAXPROCS and close every workload.
//
// Strong scaling (the default) shares a fixed total of ops among the
// goroutines; weak scaling gives each goroutine a fixed share instead.
//
// Every sample also reads the runtime's metrics (package rtmetrics)
// just before and just after its timed window: scheduler latency p50
// and p99, mutex wait, GC CPU share and user CPU, as more "value unit"
// pairs. With Config.Profile set (package prof, parbench run --profile)
// each sample runs under its point's pprof labels, the lock records its
// waits for the gil profile, and one point's first sample is traced;
// without it those hooks are nil checks outside the timed window.
package bench
