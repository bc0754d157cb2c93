// Package workloads holds what parbench measures, and nothing about how
// it is measured.
//
// The data flow, for one run:
//
//  1. The runner (package bench) looks workloads up by name (Lookup) and
//     calls Start once per run with the sweep's Params. Start makes the
//     shared state: buffers, an echo server on 127.0.0.1, a temporary
//     directory.
//  2. For each goroutine of a sample, the runner calls NewWorker with an
//     Env, outside the timed region.
//  3. Inside the timed region each worker calls Op once per op. Op does
//     its work through the Env: CPU work calls Env.Check at least every
//     ~50µs, blocking work sits between Env.BeginIO and Env.EndIO. That
//     is all a simulated GIL needs to serialise the CPU work and release
//     the lock around the IO, so workloads stay unaware of locks.
//  4. Op checks its own result (a digest, a count, an echo), so a fast
//     wrong answer is an error, not a speedup.
//  5. The runner closes the workers and then the Instance, which stops
//     servers and removes files.
//
// The families are cpu/ (compute-, memory- and allocation-bound), io/
// (blocking waits of three kinds), mixed (a chosen blend) and
// latency/convoy (an IO goroutine's latency beside CPU-bound background
// goroutines, see Backgrounder).
package workloads
