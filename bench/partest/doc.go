// Package partest runs your own code under parbench's sweep from a
// benchmark in your _test.go: one sub-benchmark per lock mode and
// goroutine count, each reporting every figure a parbench run reports,
// so that go test's output goes straight to parbench report (and to
// benchstat).
//
//	func BenchmarkShardedMap(b *testing.B) {
//		m := NewShardedMap()
//		partest.Run(b, partest.Sweep{Class: "cpu"}, func(env partest.Env) (func() error, error) {
//			r := rand.New(rand.NewPCG(rand.Uint64(), 0)) // one per goroutine
//			return func() error {
//				m.Add(r.IntN(1<<16), 1)
//				return nil
//			}, nil
//		})
//	}
//
// Then, from the package's directory:
//
//	go test -run '^$' -bench ShardedMap -cpu 1,2,4,8 -count 10 > out.txt
//	parbench report out.txt
//
// The report gives a verdict per lock mode, goroutine count and
// GOMAXPROCS; `go tool benchstat -col /gomaxprocs out.txt` reads the
// same file.
//
// The data flow of Run:
//
//  1. Check the Sweep, filling in its defaults (goroutines 1, 2, 8 and
//     64; locks none and gil); a bad field fails the benchmark with its
//     name and what would be valid. Write to os.Stdout the file
//     configuration lines of a parbench run that apply (the machine:
//     cpu, ncpu, cpu-quota, host, go, parbench's version; the date;
//     scaling; the lock options; the classes line if Sweep.Class is
//     set), each once per process unless its value changes, before the
//     first sub-benchmark's line.
//  2. For each lock mode, for each goroutine count G, run a
//     sub-benchmark named lock=<mode>/goroutines=<G> (result names
//     BenchmarkShardedMap/lock=gil/goroutines=8-2 at -cpu 2), the keys
//     parbench run writes (package results).
//  3. Each time testing calls it with a b.N, take one sample of b.N ops
//     through parbench's own runner (bench.Single): a fresh lock, newOp
//     called once per goroutine with its Env outside the timed window,
//     a GC, the G goroutines released together to draw the b.N ops from
//     one shared counter, testing's timer running only around that
//     window, the check that exactly b.N ops were done, and the leak
//     check (goroutines and descriptors back to their count before the
//     sample). A watchdog fails a sample that runs past its timeout,
//     at least a minute (20 times the time the largest call before
//     predicts, when that is longer), with the lock's state and every
//     goroutine's stack. An op's error, a panic or a leak fails
//     the benchmark with it.
//  4. Report the sample: ns/op is the timed window over b.N, and every
//     other figure goes through b.ReportMetric.
//
// RunWorkload does the same for a workloads.Workload, parbench's or
// your own: your workloads run under go test and, registered, under a
// parbench binary of your own (package cli) with every other feature.
//
// # The figures
//
// Beside ns/op (and B/op, allocs/op with -benchmem), each line carries
// what a parbench run's line does. Times are written in ns, as testing
// prints at most seven decimals; benchstat and parbench report read
// "ns" as "sec" (a cpu-ns/op is a cpu-sec/op):
//
//   - cpu-ns/op: the process's CPU time (user and system) over the
//     window, per op;
//   - parallelism: that CPU time over the window's wall time, the cores
//     the sample kept busy on average (1 for one goroutine spinning);
//   - under a simulated lock: switches/s (holder changes per second),
//     tenure-p50-ns, wait-share (the share of the goroutines' time spent
//     waiting for the lock), handoff-ns and in-order-share (package
//     gil);
//   - the runtime's metrics over the window: sched-p50-ns and
//     sched-p99-ns (how long a runnable goroutine waited to run),
//     mutex-wait-ns/op (time blocked in sync.Mutex and sync.RWMutex,
//     your own locks, and in the runtime's own locks, channels' among
//     them, which the runtime counts with them), gc-cpu-share,
//     user-ns/op, and B/goroutine from 10,000 goroutines;
//   - steal-frac and other-runnable from /proc/stat: the machine's
//     noise during the window.
//
// A figure undefined for a sample (no scheduler latency sampled, no GC)
// is left out of its line. Only a sub-benchmark's last call is reported
// by testing, so each line is one sample.
//
// # Strong scaling
//
// The G goroutines of a sub-benchmark share b.N ops, as
// testing.B.RunParallel's share theirs: the work of a line does not grow
// with G, so ns/op falls with G where the goroutines run in parallel and
// stays where they queue. Each goroutine draws chunks of ops sized to
// about 100µs of its work by the rate of the largest call before, so
// the shared counter is not a bottleneck. Under -benchtime=Nx that call
// is testing's one-op probe, whose time is mostly the goroutines'
// start: its rate overstates an op's time, so the chunks hold less
// than 100µs of work. When b.N is below G (-benchtime=1x or a few x)
// some goroutines get no op.
//
// # The switch between ops
//
// After each op, Run calls env.Check(1): a switch point between ops, as
// CPython's eval loop checks its eval breaker after a call into C that
// held the GIL for the whole call (one CALL bytecode is one tick of
// CPython 2's _Py_Ticker). So an op that marks nothing is simulated as a
// C extension function: the GIL changes hands only between ops, never
// inside one, and never for IO. An op that calls env.Check inside its
// CPU work (with the ticks that work stands for: workloads.TickTime,
// workloads.Spin) and brackets its blocking calls with env.BeginIO and
// env.EndIO gets the faithful simulated GIL: CPU work serialised, the
// lock released around IO. RunWorkload adds no Check: a workload marks
// its own work, as under parbench run.
//
// # GOMAXPROCS and the probe call
//
// GOMAXPROCS is go test's -cpu value (or the process's own without
// -cpu): partest never sets it, with one exception. testing calls each
// sub-benchmark once with b.N = 1 before its -cpu loop (run1), at the
// GOMAXPROCS the previous benchmark left; with -cpu 1,2 that is 2 for
// every sub-benchmark but the first, and under -benchtime=1x that call
// is the one reported as -1 (golang/go#49980). So partest runs the first
// call of each sub-benchmark at the first value of -cpu and restores
// GOMAXPROCS after it: every line is measured at the GOMAXPROCS its
// name says, -benchtime=1x included. Under testing.Benchmark (a B
// without a name, whose output is discarded) partest neither does this
// nor writes configuration lines.
//
// partest uses b.N, not b.Loop. A b.Loop benchmark runs its whole ramp
// of b.N inside testing's first call, so under -cpu 1,2 the first
// sample of every sub-benchmark after the first is measured in that call
// at the GOMAXPROCS the previous benchmark left (2) while labelled -1;
// with b.N only that call's b.N = 1 probe is at stake, and it is
// reported only under -benchtime=1x, which the fix above covers.
//
// # What is not measured
//
// Only the ops between the goroutines' release and the last op's end
// are timed: newOp, starting the goroutines, the GC and reading the
// metrics are not. A sample's goroutines must not outlive it: anything
// newOp starts must end by the end of the sample, or the leak check
// fails the benchmark.
package partest
