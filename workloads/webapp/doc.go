// Package webapp measures a "monolithic" web application as what it is: a
// distributed system. Its workloads run an HTTP JSON service on loopback in
// front of a real database, and drive it with concurrent clients that each
// have their own connection.
//
// One sample flows like this:
//
//  1. Start opens the database (an embedded SQLite file in a temporary
//     directory, WAL mode, or PostgreSQL with --db postgres://...), makes
//     the schema and the documents, starts the service on 127.0.0.1:0 and,
//     with --faults, a fault-injecting TCP proxy in front of it.
//  2. BeginSample reads the sum of the counters straight from the database.
//  3. Each worker is a client with its own http.Transport. An op is one
//     logical action (an increment, a read, a report), retried with
//     backoff and the same idempotency key until the service acknowledges
//     it; every HTTP round trip and every backoff sleep is bracketed by
//     Env.BeginIO and Env.EndIO.
//  4. EndSample waits until the proxy and the service have no connection
//     left, reads the sum again, and reports latency percentiles, conflicts
//     and retries per op, errors by kind, and the lost and duplicated
//     updates: increments acknowledged to clients minus the change of the
//     sum, counted exactly.
//  5. Close stops the proxy and the service, waits for their goroutines,
//     closes the database and removes the temporary directory (or drops
//     the PostgreSQL schema).
//
// The three ways to increment a shared counter:
//
//   - naive: GET the document, add one, PUT it back: no transaction, no
//     version check, so concurrent clients overwrite each other.
//   - pessimistic: POST /docs/{id}/increment; the service locks before it
//     reads (SQLite BEGIN IMMEDIATE, PostgreSQL SELECT ... FOR UPDATE).
//   - optimistic: GET returns an ETag (the version); PUT with If-Match
//     updates WHERE version = ?, or answers 409 Conflict and the client
//     reads again. (RFC 9110 would answer a failed If-Match with 412; the
//     service answers 409 so that a version conflict has one status
//     whether it was sent as a header or found in the database.)
//
// Every webapp workload is a workloads.GoroutinesOnly: its clients,
// service and database share one process, so the runner refuses it
// under --exec processes rather than run one service per worker.
//
// Fault spec (--faults): "on" is the default mix; otherwise comma-separated
// key=value pairs:
//
//	latency=1ms   one-way delay the proxy adds to each chunk it forwards
//	jitter=1ms    plus a uniform random delay in [0, jitter)
//	drop=0.005    chance per chunk that the proxy closes both sides (FIN)
//	reset=0.005   chance per chunk that the proxy aborts both sides (RST)
//	bad=0.02      chance per op that the client first sends a bad request
//	              (malformed JSON, an oversized body, an unknown document)
//	busy=5ms      the longest a request waits for a database connection
//	              before the service answers 503 (bad state)
//	timeout=2s    the client's limit on one attempt
//	seed=1        the proxy's random seed
package webapp
