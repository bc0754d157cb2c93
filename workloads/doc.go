// Package workloads holds what parbench measures, and nothing about how
// it is measured.
//
// The data flow, for one run:
//
//  1. Each workload registers itself (Register, from an init function).
//     The command (cmd/parbench) looks workloads up by name (Lookup: an
//     exact name, a family or "all") and hands them to the runner
//     (package bench, Config.Workloads); a worker process of --exec
//     processes looks its one workload up by the same name.
//  2. The runner calls Start once per run with the sweep's Params. Start
//     makes the shared state: buffers, an echo server on 127.0.0.1, a
//     temporary directory.
//  3. For each goroutine of a sample, the runner calls NewWorker with an
//     Env, outside the timed region.
//  4. Inside the timed region each worker calls Op once per op. Op does
//     its work through the Env: CPU work calls Env.Check at least every
//     ~50µs with the ticks (bytecodes' worth, TickTime) its stretch of
//     work stands for, blocking work sits between Env.BeginIO and
//     Env.EndIO. That
//     is all a simulated GIL needs to serialise the CPU work and release
//     the lock around the IO, so workloads stay unaware of locks.
//  5. Op checks its own result (a digest, a count, an echo), so a fast
//     wrong answer is an error, not a speedup.
//  6. After each sample the runner closes the workers (a Close error
//     fails the point, as an Op error does); after the run it closes
//     the Instance, which stops servers and removes files.
//
// Interfaces say the rest, so neither the runner nor the analysis
// decides by a workload's name: a Workload that is Classed states what
// bounds it (class.go; the runner writes it into the results file for
// the analysis), and one that is a GoroutinesOnly cannot run in a
// worker process (the webapp workloads); an Instance that is a Sampler
// reports figures of its own per sample, one that is a Backgrounder
// runs goroutines beside the measured ones, and one that is a MinOpser
// gets at least MinOps ops in each sample (latency/convoy's 1,000
// latencies), within a time budget.
//
// The families are cpu/ (compute-, memory- and allocation-bound), io/
// (blocking waits of three kinds), mixed (a chosen blend) and
// latency/convoy (an IO goroutine's latency beside CPU-bound background
// goroutines, see Backgrounder), all in this package, and webapp/ (an
// HTTP service over a database, package webapp).
//
// To add a workload:
//
//  1. Implement Workload, Instance and Worker: in the file of its family
//     here (cpu.go, io.go, ...), or in a package of its own for a new
//     family with state of its own (as webapp). Name it "family/name".
//     Put every blocking call between Env.BeginIO and Env.EndIO, call
//     Env.Check inside CPU work with its ticks (measured once, see
//     TickTime; Spin does it for you), and check each op's result.
//  2. Register it from an init function. A new package must be imported
//     by cmd/parbench/main.go, so that both the command and its worker
//     processes have it.
//  3. Implement Classed (every workload parbench ships states its
//     class) and the optional interfaces it needs: Sampler,
//     Backgrounder, MinOpser, GoroutinesOnly. Parameters of its own go in Params,
//     with a check in Validate or RegisterParamCheck.
//  4. Test it: TestEveryWorkload (workloads_test.go) runs a few ops of
//     every workload of this package on three goroutines and checks the
//     Env calls and that Close releases what Start made; a package of
//     its own brings tests of the same kind (webapp's do). bench's
//     TestEveryWorkloadClassed fails for a workload without a valid
//     class, and in a sweep the runner's leak check fails a point whose
//     workers leave goroutines or descriptors behind.
//
// To add a lock mode, see package gil (bench/gil): a mode is a Thread,
// which is an Env, so workloads need no change.
package workloads
