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
//     spreads over all points instead of posing as a speedup.
//  4. Each sample: set GOMAXPROCS, make a fresh lock and workers, run a
//     GC, release the goroutines together, and time until the last op is
//     done. Check that exactly the requested ops were done.
//  5. Hand the result (sec/op, CPU parallelism, the lock's figures) to the
//     sink at once, so an interrupted run keeps every finished sample.
//  6. Restore GOMAXPROCS and close every workload.
//
// Strong scaling (the default) shares a fixed total of ops among the
// goroutines; weak scaling gives each goroutine a fixed share instead.
package bench
