// Package procs runs a sample's workers as separate OS processes, the
// way CPython escapes its GIL with multiprocessing: each worker has its
// own GOMAXPROCS and its own lock (package gil), so `--lock gil --exec
// processes` is one GIL per process, and the price is start-up and
// copying every op's input through a pipe.
//
// The data flow of one sample:
//
//  1. Start re-executes this binary W times (os.Executable, first
//     argument WorkerArg, EnvWorker set), with GOMAXPROCS in the
//     environment. A worker's main calls MaybeServe, which serves the
//     protocol on stdin and stdout instead of the command line.
//  2. The parent sends each worker a Hello (the Spec, JSON); the worker
//     starts the workload, its lock and one workload worker, and
//     answers Ready. The wall time from the first exec to the last
//     Ready is Pool.Startup.
//  3. Begin starts each worker's background goroutines (latency/convoy)
//     and waits until all run.
//  4. Run is timed by the caller. One parent goroutine per worker draws
//     chunks from one atomic counter, as the in-process runner does,
//     and sends each as a Work frame: the op count, then one payload of
//     Spec.Payload bytes per op, copied in (serialised) by the parent.
//     The worker checksums each payload, runs the op under its lock and
//     answers Done. Each worker holds two frames, so it computes on one
//     while the next travels.
//  5. End sends the wall time; each worker stops, closes its worker and
//     answers Stats: ops done, its CPU time, its lock's and workload's
//     figures (merged by MergeMetrics). Close then closes the pipes and
//     waits for every process; Abort kills them first.
//
// A service process (service.go) is the other mode: a pre-fork
// server's worker, as gunicorn's, that serves requests arriving on a
// socket, not ops sent down its pipe. Its data flow:
//
//  1. StartServices re-executes this binary n times as above, each
//     inheriting the caller's files (a listening socket) as fd 3, 4, ...
//     (exec.Cmd.ExtraFiles), and sends each a service hello instead of a
//     Hello: the ServiceSpec (JSON), naming a service that the binary
//     registered with RegisterService from init. The process calls the
//     ServiceFunc with its index, the spec's opaque Config and the
//     inherited files, and answers Ready; all n run the one service on
//     the one socket, and the kernel hands each connection to one of
//     them (or, as workloads/cluster's replicas, each process serves
//     the sockets its index picks).
//  2. Begin(procs), per sample: each process sets GOMAXPROCS, makes a
//     fresh lock (gil.New of the spec's mode) and calls Service.Begin,
//     which makes its threads from it; then it reads its CPU time and
//     answers Begun. The service's threads share that lock, so n
//     processes are n GILs.
//  3. End(wall): each calls Service.End (no request in flight, threads
//     stopped), and answers Stats: its lock's figures and the
//     service's, its CPU time since Begin and its resident memory
//     (VmRSS; 0 outside Linux). The parent merges the figures
//     (MergeMetrics), sums the CPU and keeps the memory per process.
//     Between samples a service serves on, without a lock.
//  4. Close closes each stdin: the process calls Service.Close and
//     exits 0. Abort kills them.
//
// Between the start and Close, Kill(i) crashes one service process
// (SIGKILL, its Service not closed) and Restart(i, config, files)
// starts a fresh one under the same index and spec, ready as at the
// start, with the death signal like the others: workloads/cluster's
// --faults crash.
//
// Workers die with their parent: on Linux each is started with a
// parent-death signal (SIGKILL), which Linux sends when the thread that
// started it ends, and no parbench thread ends before the process
// (deathsig_linux.go); a worker also exits at once if its parent is not
// the one EnvWorker names. Elsewhere a worker whose parent was killed
// ends when its op does and it reads its closed stdin.
//
// The wire format (frame.go) is a 4-byte big-endian body length, a type
// byte and the body, at most MaxFrame bytes. A truncated, oversized or
// unexpected frame, an op's error or its worker's Close error, a crash
// or a hang past a deadline fails the sample with a *WorkerError that
// names the worker, its pid, what it said and the tail of its stderr.
// A worker reads nothing but its stdin and opens no port its workload
// does not (io/tcp's echo server is the worker's own); a service
// process also has the files it inherited. Service processes die with
// their parent the same way, and also end when their stdin does; their
// failures are *WorkerErrors too.
//
// It is internal to the module: package bench drives the parent side
// (exec.go, for points of exec=processes) and package cli's Main calls
// MaybeServe, so that the parbench binary, or a custom binary built on
// cli, is its own worker; a Served workload (webapp) drives a
// ServicePool from its instance and registers its service, and keeps
// each copy of an external service command as a Child (child.go, as
// the pools keep their processes: its stderr's tail, how it ended),
// its errors worded by FailureText as a *WorkerError is. A worker finds
// its workload by name (workloads.Lookup) and makes its lock with
// gil.New, so a new workload or lock mode needs no change here; a
// workload that is a workloads.GoroutinesOnly is never sent.
package procs
