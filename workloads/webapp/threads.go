package webapp

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/parbench/parbench/bench/gil"
	"github.com/parbench/parbench/workloads"
)

// threadKey is the context key of the service thread a request runs on
// (a *onThread).
type threadKey struct{}

// onThread is what a request's context carries in a sample: its thread,
// and the sample's sums of write transactions.
type onThread struct {
	th workloads.Env
	tx *txSums
}

// withThread returns ctx carrying th, the thread a request runs on, so
// that the store can release th's lock around each database call, and
// tx, where the store adds up its write transactions.
func withThread(ctx context.Context, th workloads.Env, tx *txSums) context.Context {
	return context.WithValue(ctx, threadKey{}, &onThread{th: th, tx: tx})
}

// released begins blocking IO on the thread ctx carries (BeginIO: it
// drops its lock) and returns the function that ends it (EndIO: it
// takes the lock again). Inside a write transaction (txClock), that
// function also times the wait to retake the lock. Without a thread,
// as in the in-process service, both do nothing. Use: defer
// released(ctx)().
func released(ctx context.Context) (end func()) {
	ot, _ := ctx.Value(threadKey{}).(*onThread)
	if ot == nil {
		return nop
	}
	ot.th.BeginIO()
	tc, _ := ctx.Value(txKey{}).(*txClock)
	if tc == nil {
		return ot.th.EndIO
	}
	return func() {
		t0 := time.Now()
		ot.th.EndIO()
		tc.retook(t0, time.Since(t0))
	}
}

// txKey is the context key of a write transaction's clock (a *txClock).
type txKey struct{}

// txClock times one write transaction of a request on a thread: from
// BEGIN done to its last statement (COMMIT or ROLLBACK) done, and the
// time its thread spent waiting to retake the lock after each of its
// statements before the last: time in which the thread holds the
// database's write lock (SQLite's, from BEGIN IMMEDIATE; PostgreSQL's
// row locks) but cannot run, because another thread holds the GIL,
// while the threads that want the write lock wait for it. Those are the
// two locks in a convoy. The retake after COMMIT or ROLLBACK is not
// counted: the write lock is free by then. Nor is the wait for BEGIN
// itself: SQLite's BEGIN IMMEDIATE returns once it holds the write lock,
// and a thread that waits for it (in SQLite's busy handler, one
// connection per thread) holds nothing yet. A transaction runs on one
// goroutine, so a clock needs no lock.
type txClock struct {
	start   time.Time     // BEGIN done; zero until then
	done    time.Time     // the last statement's end
	wait    time.Duration // retaking the lock, summed
	closing bool          // the last statement (COMMIT, ROLLBACK) is under way
}

// retook records a statement done at done and the wait to retake the
// lock after it.
func (tc *txClock) retook(done time.Time, wait time.Duration) {
	if tc.start.IsZero() {
		tc.start = done // BEGIN: the write lock is held from here
	}
	tc.done = done
	if !tc.closing {
		tc.wait += wait
	}
}

// txSums adds up a sample's write transactions in a service process:
// their time and their threads' waits to retake the lock (txClock), in
// nanoseconds. The tx-lock-wait share is their ratio.
type txSums struct {
	wait, time atomic.Int64
}

func (s *txSums) add(tc *txClock) {
	s.wait.Add(int64(tc.wait))
	s.time.Add(int64(tc.done.Sub(tc.start)))
}

// txClockFor starts the clock of a write transaction about to begin in
// ctx, if ctx's request runs on a thread: the context to run the
// transaction's statements in, and the function that adds the
// transaction to the sample's sums once it has ended (nil without a
// thread).
func txClockFor(ctx context.Context) (context.Context, *txClock, func()) {
	ot, _ := ctx.Value(threadKey{}).(*onThread)
	if ot == nil || ot.tx == nil {
		return ctx, nil, nil
	}
	tc := &txClock{}
	return context.WithValue(ctx, txKey{}, tc), tc, func() { ot.tx.add(tc) }
}

func nop() {}

// threads is a service process's thread pool for one sample: T threads
// of the sample's lock, like a gthread worker's, each idle in a
// released state (BeginIO) while it waits in free.
type threads struct {
	free chan gil.Thread
	// tx adds up the sample's write transactions (txClock).
	tx txSums
	// done is closed at the sample's end: a request still waiting for
	// a thread then runs without one, as outside a sample.
	done chan struct{}
}

// begin makes the sample's n threads from lock and puts them in the
// pool. It fails if a sample is already running.
func (s *server) begin(lock gil.Lock, n int) error {
	ts := &threads{free: make(chan gil.Thread, n), done: make(chan struct{})}
	for range n {
		th := lock.Thread()
		th.Start()   // a thread starts holding its lock
		th.BeginIO() // and waits for a request without it
		ts.free <- th
	}
	if !s.pool.CompareAndSwap(nil, ts) {
		// Not started into the pool: end them as end would.
		stopAll(ts, n)
		return errors.New("webapp: a sample began before the last one ended")
	}
	return nil
}

// end takes the sample's n threads back, once every request holding
// one has ended, and stops them. The caller has waited until no request
// is in flight, so none is left waiting.
func (s *server) end(n int) error {
	ts := s.pool.Swap(nil)
	if ts == nil {
		return errors.New("webapp: a sample ended that did not begin")
	}
	close(ts.done)
	stopAll(ts, n)
	return nil
}

func stopAll(ts *threads, n int) {
	for range n {
		th := <-ts.free
		th.EndIO() // a thread ends holding its lock
		th.Stop()
	}
}

// pooled runs each request on a thread of the sample's pool, the way
// a threaded Python server does, around h:
//
//   - wait for a free thread (without any lock: the request waits in
//     the server's queue);
//   - OpStart, then EndIO: the thread takes its lock to run Python;
//   - the handler's CPU work (units of workloads.Spin, checking the
//     lock as the interpreter's eval loop does), then h: routing, the
//     request's JSON, the store's calls (each database statement and
//     each wait for a connection releases the lock: released), and the
//     response encoded into the response's buffer;
//   - BeginIO, then the response written to the socket (Flush): the
//     write is IO, without the lock;
//   - OpEnd, and the thread goes back to the pool; after a panic too,
//     without its lock.
//
// Outside a sample the request runs without a thread and a lock.
func (s *server) pooled(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ts := s.pool.Load()
		if ts == nil {
			s.spin(workloads.NopEnv{})
			h.ServeHTTP(w, r)
			return
		}
		var th gil.Thread
		select {
		case th = <-ts.free:
		case <-ts.done:
			s.spin(workloads.NopEnv{})
			h.ServeHTTP(w, r)
			return
		}
		// The thread goes back to the pool without its lock even if
		// the handler panics (net/http then recovers the panic and
		// closes the connection): held says whether it has the lock
		// now. The store's brackets are deferred, so a panic inside
		// one leaves the thread holding the lock, as outside.
		held := false
		defer func() {
			if held {
				th.BeginIO()
			}
			th.OpEnd()
			ts.free <- th
		}()
		th.OpStart()
		th.EndIO()
		held = true
		s.spin(th)
		h.ServeHTTP(w, r.WithContext(withThread(r.Context(), th, &ts.tx)))
		th.BeginIO()
		held = false
		// Every response sets its Content-Length (writeJSON), so the
		// flush writes it whole, not as a chunk.
		http.NewResponseController(w).Flush()
	})
}

// spin is the handler's own CPU work: the business logic of a request,
// under env's lock.
func (s *server) spin(env workloads.Env) {
	if s.units > 0 && workloads.Spin(env, s.units) == 0 {
		panic("webapp: Spin returned 0") // keeps Spin's result live
	}
}
