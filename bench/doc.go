// Package bench is parbench's runner: it sweeps workloads over lock
// modes, exec modes (goroutines or worker processes), server shapes (a
// served workload's worker processes and threads), consistency designs
// (a replicated workload's cp and ap), goroutine counts and GOMAXPROCS,
// and emits one result in the standard Go benchmark format per sample.
//
// The data flow of Run:
//
//  1. Validate the Config (config.go), start every workload once
//     (servers, buffers, temp files) and expand the sweep into points:
//     workload x lock x exec x server shape x goroutines x GOMAXPROCS
//     (Config.plan, the one expansion that Run and Config.Points share). The
//     exec dimension (exec.go, Config.Exec) is goroutines of this
//     process under one lock, or, with --exec processes, G worker
//     processes each with its own lock, at each payload size; a sweep
//     without processes has one exec variant and no exec keys in its
//     names. A workload that is a workloads.GoroutinesOnly is refused in
//     a processes sweep before anything starts. The server shape
//     (service.go, Config.Service: --server-workers x --server-threads)
//     is for workloads.Served workloads only (webapp/*): such a sweep
//     starts one instance per workload, lock and shape with
//     StartService, whose W service processes of T threads each hold
//     the point's lock, and its names carry server-workers= and
//     server-threads= after any exec keys; a sweep without a shape has
//     no such keys. A workloads.Replicated workload (cluster/*) has the
//     consistency dimension (replicated.go, Config.Consistency: its
//     designs, all of them by default): one instance per workload and
//     design, started with StartReplicated, names with consistency=
//     after any other keys, lock none and goroutines only, and each
//     design's CheckReplicated of the Params passed before anything
//     starts.
//  2. Calibrate each point once, as `go test` does: grow the op count
//     until a run is long enough to extrapolate to Config.Benchtime, and
//     size the chunk that goroutines draw from the shared op counter so
//     that one draw is ~100µs of work (testing.B.RunParallel's grain).
//     An Instance that is a workloads.MinOpser (latency/convoy: 1,000
//     latencies) is calibrated on at least a tenth of its MinOps ops,
//     and its samples hold at least MinOps ops, or as many as fit in
//     MaxFloorTime, with a warning; a point cut so is re-sized after
//     each sample from that sample's rate (minops.go). Every goroutine
//     of a strong-scaling sample gets at least one op, and a sample of
//     many goroutines lasts at least 100 times what they cost once
//     (release, first run, exit: sampleGoal), within the same budget.
//     A point whose Instance is a workloads.Timed (a replicated
//     workload's) is not calibrated: each sample lasts its SampleTime,
//     each goroutine calling Op until it returns workloads.ErrSampleDone
//     (ops.go, untilDone), its watchdog allows at least 3 SampleTimes
//     and a minute, and the estimate prices its sample at SampleTime.
//  3. Take Config.Count samples of every point, round-robin over the
//     points in a shuffled order each round, so that drift of the machine
//     spreads over all points instead of posing as a speedup. Samples a
//     resumed file already has (Config.Prior) count. Under
//     Config.TargetCI a point drops out of the rounds as soon as the 95%
//     confidence interval of its median is narrow enough (at least
//     MinAdaptive samples); a note records why each point stopped.
//  4. Each sample (sample.go): set GOMAXPROCS, make a fresh lock (package
//     gil; lock "none" for a served point, whose clients are the load
//     generator while its instance's BeginSample gives each service
//     process a fresh lock of the point's mode) and workers, run a GC, start the workload's background
//     goroutines under the same lock (internal/background:
//     latency/convoy's CPU goroutines), start the goroutines and wait
//     until all are parked, release them together (ops.go), time until
//     the last op is done, and close the workers. A
//     point of exec=processes runs its ops in worker processes instead
//     (exec.go over internal/procs), each with its own GOMAXPROCS, lock
//     and background goroutines. Check that exactly the requested ops
//     were done (a Timed sample's goroutines did what they did in its
//     time: there is no count to check). A watchdog abandons a sample that outlives
//     Config.SampleTimeout, after writing what it saw (HangError: the
//     lock's gil.State, the process's CPU time and threads over the
//     sample, every goroutine's stack) to the file as stall notes
//     (stall.go). At each deadline it first judges the timeout just
//     past from the threads' schedstat: if the OS starved the process
//     (its threads queued for a CPU and got little of one) it waits
//     another timeout, at most 3 more, and the runner warns that it
//     did; threads that sleep or spin fail at once. A panic is caught
//     with its stack; afterwards
//     goroutines and open descriptors must be back to their level
//     before the sample. Any of these, an op's error or a worker's Close
//     error fails the point (a note names it, failure.go) and the sweep
//     goes on.
//  5. Hand the result (sec/op, CPU parallelism, the lock's figures, the
//     workload's own figures, the runtime's metrics, the CPU steal and
//     the other runnable tasks from /proc/stat) to the sink at once, so
//     an interrupted run keeps every finished sample. Closing
//     Config.Stop ends the run after the sample in flight.
//  6. Restore GOMAXPROCS and close every workload. A replicated
//     workload's (Timed) instances skip the per-sample leak check: with
//     them, the goroutines and descriptors before the first
//     StartReplicated are checked against those after every Close (a
//     *LeakError in Run's error; not after an interrupt or a hung
//     sample).
//
// Strong scaling (the default) shares a fixed total of ops among the
// goroutines; weak scaling gives each goroutine a fixed share instead.
//
// Every sample also reads the runtime's metrics and the process's CPU
// time (internal/rtmetrics) just before and just after its timed
// window: scheduler latency p50 and p99, mutex wait, GC CPU share and
// user CPU, as more "value unit" pairs. With Config.Profile set
// (package prof, parbench run --profile) each sample runs under its
// point's pprof labels, a lock that is a gil.WaitAccounter records its
// waits for the gil profile (profile.go), and one point's first sample
// is traced; without it those hooks are nil checks outside the timed
// window.
//
// RunFile (session.go) is a whole `parbench run` into one results file:
// Validate, then continue a file (ReadResume and Resume.Check,
// resume.go: same machine and settings, the samples it already has
// become Config.Prior) or create a new one (results.Create), write the
// file configuration (Config.FileConfig: each key is package results'
// own, with its role) and the calibration note, start and stop the
// profiles, Run, note an interruption, and close the file. Its errors
// name Config fields (FieldError) and the file (FileError, ResumeError),
// never a command-line flag: a command maps them to its own flags, as
// package cli does in one table.
//
// Single (point.go) is one point outside a sweep, for a caller that sizes
// its samples itself: package bench/partest, where testing.B picks each
// b.N. Each Single.Sample is a sweep's sample (step 4, the same code) at
// the caller's GOMAXPROCS, which it never changes, with a hook around
// its timed window for testing.B's timer; its chunk is sized by the
// largest sample before, with calibration's formula (chunkFor), and it
// returns the figures of a result line from the one list emit writes.
//
// The packages under the module's internal/ are the runner's parts, not
// API: internal/procs (worker processes and their pipe protocol),
// internal/background (a sample's background goroutines, in-process and
// in each worker process) and internal/rtmetrics (runtime/metrics and
// getrusage per sample).
//
// To add a workload (see package workloads for its side): implement
// workloads.Workload, Instance and Worker in a file of its family,
// Register it from an init function, and import its package from the
// main package of the binary if it is a new one: cmd/parbench/main.go
// for parbench's own, your main for a custom binary (package cli).
// Worker processes look it up by name in the same binary. Implement workloads.Classed (its class
// goes into the results file), workloads.Sampler for figures of its
// own, workloads.Backgrounder for background goroutines, and
// workloads.GoroutinesOnly if it cannot run in a worker process. The
// runner needs no change. workloads' TestEveryWorkload runs a few ops of
// every workload of package workloads under a checking Env (a package
// of its own, such as webapp, brings its own tests),
// TestEveryWorkloadClassed fails for a workload without a valid class,
// and the runner's leak check fails a point whose workers leave
// goroutines or descriptors behind.
//
// To add a lock mode (see package gil): write its Lock and Thread in
// bench/gil, embed gil's shared accounting (which makes it a
// gil.WaitAccounter, for wait-share and --profile gil) and add it to
// gil's modes table; --lock, parbench list and worker processes take it
// from there. gil's TestModesAccountWaits fails for a mode that is not
// a WaitAccounter, and its tests over lockModes check exclusion and
// the figures once the mode is listed there.
package bench
