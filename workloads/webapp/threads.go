package webapp

import (
	"context"
	"errors"
	"net/http"

	"github.com/parbench/parbench/bench/gil"
	"github.com/parbench/parbench/workloads"
)

// threadKey is the context key of the service thread a request runs on.
type threadKey struct{}

// withThread returns ctx carrying th, the thread a request runs on, so
// that the store can release th's lock around each database call.
func withThread(ctx context.Context, th workloads.Env) context.Context {
	return context.WithValue(ctx, threadKey{}, th)
}

// released begins blocking IO on the thread ctx carries (BeginIO: it
// drops its lock) and returns the function that ends it (EndIO: it
// takes the lock again). Without a thread, as in the in-process
// service, both do nothing. Use: defer released(ctx)().
func released(ctx context.Context) (end func()) {
	th, _ := ctx.Value(threadKey{}).(workloads.Env)
	if th == nil {
		return nop
	}
	th.BeginIO()
	return th.EndIO
}

func nop() {}

// threads is a service process's thread pool for one sample: T threads
// of the sample's lock, like a gthread worker's, each idle in a
// released state (BeginIO) while it waits in free.
type threads struct {
	free chan gil.Thread
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
//   - OpEnd, and the thread goes back to the pool.
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
		defer func() { ts.free <- th }()
		th.OpStart()
		th.EndIO()
		s.spin(th)
		h.ServeHTTP(w, r.WithContext(withThread(r.Context(), th)))
		th.BeginIO()
		// Every response sets its Content-Length (writeJSON), so the
		// flush writes it whole, not as a chunk.
		http.NewResponseController(w).Flush()
		th.OpEnd()
	})
}

// spin is the handler's own CPU work: the business logic of a request,
// under env's lock.
func (s *server) spin(env workloads.Env) {
	if s.units > 0 && workloads.Spin(env, s.units) == 0 {
		panic("webapp: Spin returned 0") // keeps Spin's result live
	}
}
