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
// Served (StartService, parbench run --server-workers W --server-threads
// T), the service is a pre-fork server such as gunicorn's gthread
// workers, and a sample flows like this:
//
//  1. StartService opens and fills the database here, as Start does,
//     listens on 127.0.0.1:0 and starts W service processes (package
//     procs: this binary again), each inheriting the listening socket;
//     this process then closes its copy. Each process opens its own
//     connections to the same database (the SQLite file, or the
//     PostgreSQL schema; at most T per pool) without making anything,
//     and serves the API on the socket: the W processes accept from it
//     in turn, a keep-alive connection staying with the process that
//     accepted it. With --faults the proxy runs here, in front.
//  2. BeginSample forgets the keys and reads the sum, then has each
//     process begin: GOMAXPROCS of the point, a fresh lock (--lock),
//     and T threads of it, each started and then idle in BeginIO.
//  3. The clients run as in-process, under no lock. In a process a
//     request waits for a free thread, then on it: OpStart and EndIO
//     (the thread takes the lock); the handler's CPU work,
//     --handler-cpu of workloads.Spin, checking the lock as the
//     interpreter does; routing, the request's JSON and the store's
//     calls, each wait for a connection and each statement released
//     (BeginIO ... EndIO, through the thread the request's context
//     carries), inside a transaction too, as CPython's sqlite3 releases
//     the GIL around each step; the response encoded; BeginIO, the
//     response written to the socket; OpEnd, and the thread goes back.
//  4. EndSample waits until the proxy has no connection, then each
//     process waits until it has no request or connection left, stops
//     its threads and reports its lock's figures, its CPU time and
//     resident memory. The result has those figures (merged over the
//     processes), server-cpu-sec/op and B/server-worker first, then the
//     clients' figures as in-process, the sum read after the processes
//     are idle.
//  5. Close stops the proxy, closes the processes' pipes (each closes
//     its server and connections and exits), then the database.
//
// A request outside a sample is served without a thread or a lock.
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
// under --exec processes rather than run one service per worker. It is
// also a workloads.Served: the service's own processes are its shape,
// not the clients'.
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
