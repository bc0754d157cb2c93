// Package workloads holds what parbench measures, and nothing about how
// it is measured.
//
// The data flow, for one run:
//
//  1. Each workload registers itself (Register, from an init function).
//     The command (package cli) looks workloads up by name (Lookup: an
//     exact name, a family or "all", which leaves out the Replicated
//     cluster/ workloads: they run only where named) and hands them to the runner
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
// latencies), within a time budget. A Workload that is Replicated
// (replicated.go) is a set of replica processes with designs to choose
// from (cp, ap): the runner starts an Instance per design
// (StartReplicated, never Start) and sweeps the designs as a point's
// consistency; its Instance is Timed, so each sample lasts a set time
// (SampleTime, healthy, partitioned and healed) and its workers' Op
// returns an error wrapping ErrSampleDone when that time is over.
//
// The families are cpu/ (compute-, memory- and allocation-bound), io/
// (blocking waits of three kinds), mixed (a chosen blend) and
// latency/convoy (an IO goroutine's latency beside CPU-bound background
// goroutines, see Backgrounder), all in this package, webapp/ (an
// HTTP service over a database, package webapp) and cluster/ (a
// replicated counter under a network partition, package
// workloads/cluster).
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
//     by the binary's main package (cmd/parbench/main.go, or your own
//     main over package cli), so that both the command and its worker
//     processes have it.
//  3. Implement Classed (every workload parbench ships states its
//     class) and the optional interfaces it needs: Sampler,
//     Backgrounder, MinOpser, GoroutinesOnly, Replicated and Timed.
//     Parameters of its own go in Params,
//     with a check in Validate (bounds) or the workload's ParamChecker
//     (values only it understands, checked in the sweeps that have it).
//  4. Test it: TestEveryWorkload (workloads_test.go) runs a few ops of
//     every workload of this package on three goroutines and checks the
//     Env calls and that Close releases what Start made; a package of
//     its own brings tests of the same kind (webapp's do). bench's
//     TestEveryWorkloadClassed fails for a workload without a valid
//     class, and in a sweep the runner's leak check fails a point whose
//     workers leave goroutines or descriptors behind.
//
// Workloads of your own, outside this repository, are the same: a
// package that implements Workload, Instance and Worker, registers them
// from init under a family of its own (Register panics on a name taken
// twice, so stay out of cpu, io, mixed, latency, webapp and cluster), and a main
// package of five lines that blank-imports it and calls cli.Main. That
// binary is parbench with your workloads in it, every subcommand and
// flag included; its worker processes re-execute it, so --exec
// processes finds them too. examples/mapbench in the repository is the
// complete example, a module of its own: package mapworkloads (a
// sharded map, a single-mutex map and a JSON parse, with a test of
// each), cmd/mapbench (the binary) and a test that builds it and runs
// a short sweep. To measure code in a go test benchmark instead, with
// no Workload to write, see package partest (bench/partest), which
// hands a plain func the same Env.
//
// # Stability
//
// This package is parbench's API for workloads: Workload, Instance,
// Worker and Env, NopEnv, TickTime and Spin, Params (with ParamError
// and RegisterParamCheck), the registry (Register, Lookup, All, Names,
// Family, ClassOf), Metric, and the optional interfaces (Classed,
// ParamUser, Sampler, Backgrounder, MinOpser, GoroutinesOnly,
// Replicated and Timed, with ErrSampleDone). The
// constants of the built-in workloads (SHA256Block, ConvoyMinOps, ...)
// describe those workloads and change with them. The module is v0, so
// semantic versioning promises nothing yet; what it does keep to until
// a v1:
//
//   - The methods of Workload, Instance, Worker and Env stay as they
//     are: none is added, removed or changed, so a workload (or a test
//     Env) written against them keeps compiling and keeps its meaning.
//   - New capabilities arrive as new optional interfaces, which the
//     runner looks for with a type assertion; a workload that does not
//     implement one gets the behaviour documented beside it, the
//     behaviour it had before the interface existed.
//   - Params may gain fields for new built-in workloads: start from
//     DefaultParams and set fields by name. Its existing knobs keep
//     their meaning.
//   - What may change: TickTime's value, if a calibration on other
//     machines moves it (state your ticks as work over TickTime, as the
//     built-in workloads do, and they follow); the set of classes
//     (package results owns them and may add some); the built-in
//     workloads themselves and their figures.
//
// Everything that drives workloads is not API and stays internal or in
// package bench: how the runner schedules ops, the worker processes'
// protocol (internal/procs) and the lock modes' internals.
//
// To add a lock mode, see package gil (bench/gil): a mode is a Thread,
// which is an Env, so workloads need no change.
package workloads
