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
//     takes a port on 127.0.0.1 and starts W service processes
//     (package procs: this binary again). On Linux each process listens
//     on that address itself with SO_REUSEPORT (gunicorn --reuse-port,
//     nginx reuseport), and the kernel hashes each new connection to
//     one of them; this process holds the port with a socket that is
//     bound with SO_REUSEPORT but does not listen (a listening one
//     would take a share of the connections and never accept them)
//     until Close. Elsewhere the processes inherit one listening socket
//     made here and race to accept from it; on Linux that race was
//     lopsided (Go's netpoller drains the queue in one process's
//     accept loop: in 5 of 16 samples one process took all 16
//     keep-alive connections), which is why Linux does not share. A
//     keep-alive connection stays with the process that accepted it.
//     Each process opens its own connections to the same database (the
//     SQLite file, or the PostgreSQL schema; at most T per pool)
//     without making anything, and serves the API. With --faults the
//     proxy runs here, in front.
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
//     its server and connections and exits), releases the port, then
//     closes the database.
//
// A request outside a sample is served without a thread or a lock.
//
// --db-latency D (Params.DBLatency) puts the database on another host:
// each statement of a served request takes D more, one sleep before it
// runs, with the thread's lock released (a statement inside a
// transaction holds the transaction's locks through it). A short sleep
// oversleeps: on this project's VMs 1ms took 1.12ms (see roundTrip).
// The in-process service has none.
//
// A served sample with write transactions under a locking mode also
// reports tx-lock-wait-share (results.UnitTxLockWait): of the write
// transactions' time, from BEGIN sent to COMMIT or ROLLBACK done, the
// share their threads spent waiting to retake the lock after a
// statement. That is time in which a thread holds the database's write
// lock but cannot run, because another thread holds the GIL, while the
// threads that want the write lock wait for it: two locks in a convoy.
// Each process sends its two sums and the parent divides the merged
// sums, so that each transaction weighs by its time.
//
// A handler that panics (net/http recovers the panic and closes the
// connection) leaves its thread back in the pool without the lock, and
// its transaction rolled back.
//
// With --server-cmd (workloads.Service.Command) the service processes
// are copies of an external command, such as a CPython WSGI service,
// told their address, database and settings by PARBENCH_* variables
// (external.go has the protocol); parbench reads their CPU time (each
// one's CPU clock) and memory (/proc) on Linux, leaves both figures out
// elsewhere, and has no lock figures for them.
//
// Open loop (--rate R, in-process or served): by default each client
// sends its next op when the last one is answered (closed loop), so a
// slow service slows its own load, and the time an op would have
// waited to be sent is counted nowhere (coordinated omission). With a
// rate, a sample's ops keep one schedule, shared by all its clients:
// op k is due at t0 + k/R, t0 the moment of the sample's first op. A
// client takes the next slot, waits until it is due (blocking IO, as a
// think time is) and sends; its latency, p50-sec and p99-sec, runs
// from the due time, not the send (wrk2's correction). When every
// client is still waiting for an answer, slots fall due with nobody to
// send them; the next client free sends at once, and the lag is in the
// latency. behind-sec, the mean lag of the sends behind their due
// times, stays near 0 while the service keeps up (a timer's oversleep,
// about 0.6ms on Linux, is what is left) and grows through the sample
// when it cannot. The file's rate line says which loop. A sample of N
// ops lasts about N/R when the service keeps up, and the clients must
// be enough to keep R: each sends one op at a time. noisy-neighbor's
// heavy client stays closed loop, off the schedule. Measured on the
// 2-CPU VM (webapp/read, one service process of 4 threads under the
// GIL, --handler-cpu 1ms, 16 clients, 5 samples of 1s;
// results/vm-20261128-webservice/closed-loop.txt and open-loop.txt):
// closed loop, 794 ops/s and a p99 of 31ms; --rate 1191 (1.5 times
// that), 822 ops/s served, a p99 of 301ms (9.8 times) and behind-sec
// 0.14s.
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
