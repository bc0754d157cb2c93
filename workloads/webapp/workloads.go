package webapp

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parbench/parbench/results"
	"github.com/parbench/parbench/workloads"
)

// op is what a workload's worker does per op.
type op int

const (
	opNaive       op = iota // increment the hot document: read, add, write
	opPessimistic           // increment the hot document under a lock
	opOptimistic            // increment the hot document, compare-and-set
	opSpread                // increment the client's own document under a lock
	opRead                  // read the client's own document
	opNeighbor              // light: opSpread; with noisy, worker 0 runs reports
)

type workload struct {
	name, summary string
	op            op
	noisy         bool
}

func init() {
	for _, w := range []workload{
		{"webapp/update-naive", "every client increments one document by GET, +1, PUT with no transaction: updates are lost", opNaive, false},
		{"webapp/update-pessimistic", "every client increments one document in a transaction that locks first (BEGIN IMMEDIATE / FOR UPDATE)", opPessimistic, false},
		{"webapp/update-optimistic", "every client increments one document with ETag/If-Match; 409 on a version conflict, then retry", opOptimistic, false},
		{"webapp/write-hot", "locked increments of one hot row (same op as update-pessimistic): SQLite's one writer is its GIL", opPessimistic, false},
		{"webapp/write-spread", "locked increments, each client its own row: scales on PostgreSQL's row locks, not on SQLite", opSpread, false},
		{"webapp/read", "each client reads its own row: readers run beside each other under WAL", opRead, false},
		{"webapp/noisy-neighbor", "light clients increment their own rows while one client runs a long write transaction (report)", opNeighbor, true},
		{"webapp/quiet-neighbor", "the light clients of noisy-neighbor alone, for their latency without the heavy one", opNeighbor, false},
	} {
		workloads.Register(w)
	}
}

func (w workload) Name() string    { return w.name }
func (w workload) Summary() string { return w.summary }

// Class makes every webapp workload a workloads.Classed: a service.
func (workload) Class() results.Class { return results.ClassWebapp }

// Params makes every webapp workload a workloads.ParamUser: it reads
// --db, --faults and --rate, and --handler-cpu and --db-latency when
// its service is shaped (StartService).
func (workload) Params() []string {
	return []string{workloads.ParamDB, workloads.ParamFaults, workloads.ParamHandlerCPU, workloads.ParamDBLatency, workloads.ParamRate}
}

// GoroutinesOnly makes every webapp workload a workloads.GoroutinesOnly:
// its clients, server and database share one process.
func (workload) GoroutinesOnly() string { return "its server and database live in one process" }

// Start opens the database, starts the service and, with faults, the
// proxy in front of it.
func (w workload) Start(p workloads.Params) (workloads.Instance, error) {
	c, err := configFrom(p)
	if err != nil {
		return nil, err
	}
	return start(w, c)
}

// instance is a started workload. It is a workloads.Sampler. Started
// by Start, it serves in this process (srv); by StartService, its
// service processes do (pool).
type instance struct {
	w     workload
	cfg   config
	st    *store
	srv   *server     // nil when served
	pool  servicePool // nil unless served
	px    *proxy      // nil without proxy faults
	base  string
	begun bool // the pool is in a sample (under mu)

	uids atomic.Int64 // client ids over the run, for keys and seeds
	idx  atomic.Int64 // client index within the sample

	mu      sync.Mutex
	failed  error // a broken sample's accounting: the next one fails
	sum0    int64
	n       counts
	light   []float64 // latencies of light ops, seconds
	heavy   int64     // heavy ops done
	workers int
	sched   *schedule     // the sample's open-loop schedule, nil for closed loop (open.go)
	behind  time.Duration // scheduled ops' lag behind their due times, summed
	nsched  int64         // scheduled ops
}

func start(w workload, c config) (_ *instance, err error) {
	in := &instance{w: w, cfg: c}
	defer func() {
		if err != nil {
			in.Close()
		}
	}()
	if in.st, err = openStore(c); err != nil {
		return nil, err // the runner names the workload
	}
	if in.srv, err = startServer(in.st); err != nil {
		return nil, err // the runner names the workload
	}
	if err = in.front(in.srv.addr()); err != nil {
		return nil, err
	}
	return in, nil
}

// front finishes a start with the service at addr: the proxy in front
// of it with proxy faults, the clients' base URL, and the test hook.
func (in *instance) front(addr string) (err error) {
	if in.cfg.faults.proxied() {
		if in.px, err = startProxy(addr, in.cfg.faults); err != nil {
			return err // the runner names the workload
		}
		addr = in.px.addr()
	}
	in.base = "http://" + addr
	if testHookStart != nil {
		return testHookStart(in)
	}
	return nil
}

// testHookStart, if set, runs last in a start; an error fails the start.
var testHookStart func(*instance) error

// testHookSend, if set, is told each open-loop op's due time and the
// moment its client went on to send it.
var testHookSend func(due, sent time.Time)

// Close stops the proxy, then the service (or its processes), then the
// database, and removes the temporary files.
func (in *instance) Close() error {
	var errs []error
	if in.px != nil {
		errs = append(errs, in.px.close())
	}
	if in.pool != nil {
		errs = append(errs, in.pool.Close())
	}
	if in.srv != nil {
		errs = append(errs, in.srv.close())
	}
	if in.st != nil {
		errs = append(errs, in.st.close())
	}
	return errors.Join(errs...)
}

// BeginSample forgets the previous sample's idempotency keys and reads
// the counters' sum, with nothing in flight; when served, it then
// begins the sample in each service process, at this process's
// GOMAXPROCS (the point's), with a fresh lock.
func (in *instance) BeginSample() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	in.mu.Lock()
	defer in.mu.Unlock()
	in.n, in.light, in.heavy, in.workers = counts{}, in.light[:0], 0, 0
	in.sched, in.behind, in.nsched = newSchedule(in.cfg.rate), 0, 0
	in.idx.Store(0)
	if in.failed != nil {
		return
	}
	err := quiesce(ctx, in.px, in.srv)
	if err == nil {
		err = in.st.forget(ctx)
	}
	if err == nil {
		in.sum0, err = in.st.sum(ctx)
	}
	if err == nil && in.pool != nil {
		err = in.pool.Begin(runtime.GOMAXPROCS(0))
		in.begun = err == nil
	}
	in.failed = err
}

// NewWorker makes a client with its own connection.
func (in *instance) NewWorker(env workloads.Env) (workloads.Worker, error) {
	in.mu.Lock()
	err, sched := in.failed, in.sched
	in.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", in.w.name, err)
	}
	i := in.idx.Add(1) - 1
	uid := in.uids.Add(1)
	w := &worker{
		in:    in,
		c:     newClient(in.base, env, in.cfg, uid),
		doc:   1 + i%(numDocs-1),
		heavy: in.w.noisy && i == 0,
	}
	if !w.heavy { // noisy-neighbor's heavy client stays closed loop
		w.sched = sched
	}
	return w, nil
}

// EndSample waits until nothing is in flight, reads the sum again and
// returns the sample's figures. Lost updates are increments acknowledged
// to clients that the counters do not show; duplicated updates are the
// reverse. Both are exact counts for the sample. When served, the
// service processes end the sample first (each waits until it has no
// request in flight), and their lock's figures, CPU time per op and
// mean resident memory come first (the last two each left out where a
// process's could not be read).
func (in *instance) EndSample(wall time.Duration, ops int64) []workloads.Metric {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	in.mu.Lock()
	defer in.mu.Unlock()
	var sum1 int64
	err := in.failed
	if err == nil {
		err = quiesce(ctx, in.px, in.srv)
	}
	perOp := func(n int64) float64 { return float64(n) / float64(max(ops, 1)) }
	var ms []workloads.Metric
	if in.begun {
		// Ended even after a failure, so that a process is never left
		// in a sample.
		in.begun = false
		st, perr := in.pool.End(wall)
		if perr == nil {
			ms = append(ms, txShare(st.Metrics)...)
			if !st.NoCPU {
				ms = append(ms, workloads.Metric{Value: st.CPU.Seconds() / float64(max(ops, 1)), Unit: results.UnitServerCPU})
			}
			if rss, ok := meanKnown(st.RSS); ok {
				ms = append(ms, workloads.Metric{Value: rss, Unit: results.UnitServerRSS})
			}
		}
		err = cmp.Or(err, perr)
	}
	if err == nil {
		sum1, err = in.st.sum(ctx)
	}
	in.failed = err
	if len(in.light) > 0 {
		slices.Sort(in.light)
		ms = append(ms,
			workloads.Metric{Value: quantile(in.light, 0.50), Unit: "p50-sec"},
			workloads.Metric{Value: quantile(in.light, 0.99), Unit: "p99-sec"})
	}
	if in.cfg.rate > 0 {
		ms = append(ms, workloads.Metric{Value: in.behind.Seconds() / float64(max(in.nsched, 1)), Unit: results.UnitBehind})
	}
	ms = append(ms, workloads.Metric{Value: perOp(in.n.retries), Unit: "retries/op"})
	switch in.w.op {
	case opNaive, opPessimistic, opOptimistic:
		ms = append(ms, workloads.Metric{Value: perOp(in.n.conflicts), Unit: "conflicts/op"})
	case opNeighbor:
		ms = append(ms, workloads.Metric{Value: float64(in.heavy), Unit: "heavy-ops"})
	}
	if in.w.op != opRead && err == nil {
		diff := in.n.acked - (sum1 - in.sum0)
		ms = append(ms,
			workloads.Metric{Value: float64(max(diff, 0)), Unit: "lost-updates"},
			workloads.Metric{Value: float64(max(-diff, 0)), Unit: "dup-updates"})
	}
	if in.cfg.faults.On() {
		ms = append(ms,
			workloads.Metric{Value: perOp(in.n.resets), Unit: "err-reset/op"},
			workloads.Metric{Value: perOp(in.n.drops), Unit: "err-drop/op"},
			workloads.Metric{Value: perOp(in.n.timeouts), Unit: "err-timeout/op"},
			workloads.Metric{Value: perOp(in.n.otherErrs), Unit: "err-other/op"},
			workloads.Metric{Value: perOp(in.n.busy), Unit: "err-busy/op"},
			workloads.Metric{Value: perOp(in.n.bad), Unit: "bad-req/op"})
	}
	return ms
}

// meanKnown is the mean of xs, each a process's resident memory; ok is
// false for none, or where one is 0, unknown: a figure then is left
// out, not reported as 0.
func meanKnown(xs []int64) (mean float64, ok bool) {
	if len(xs) == 0 || slices.Contains(xs, 0) {
		return 0, false
	}
	var sum float64
	for _, x := range xs {
		sum += float64(x)
	}
	return sum / float64(len(xs)), true
}

// quantile is the q-quantile of sorted xs, by the nearest rank.
func quantile(xs []float64, q float64) float64 {
	i := int(math.Ceil(q*float64(len(xs)))) - 1
	return xs[min(max(i, 0), len(xs)-1)]
}

// worker is one client of a sample.
type worker struct {
	in     *instance
	c      *client
	doc    int64 // the client's own document
	heavy  bool
	lat    []float64
	nops   int64
	sched  *schedule     // open loop: the sample's schedule; nil: closed loop
	behind time.Duration // open loop: the lag of its sends behind their due times, summed
	nsched int64         // open loop: the ops it sent on the schedule
}

func (w *worker) Op() error {
	if err := w.c.maybeBad(); err != nil {
		return fmt.Errorf("%s: %w", w.in.w.name, err)
	}
	// Latency runs from the send, or in open loop from the due time.
	t0 := time.Now()
	if w.sched != nil {
		var behind time.Duration
		t0, behind = w.c.await(w.sched)
		w.behind += behind
		w.nsched++
		if testHookSend != nil {
			testHookSend(t0, time.Now())
		}
	}
	var err error
	switch {
	case w.heavy:
		err = w.c.report()
	case w.in.w.op == opNaive:
		err = w.c.incrNaive(hotDoc)
	case w.in.w.op == opPessimistic:
		err = w.c.incrPessimistic(hotDoc)
	case w.in.w.op == opOptimistic:
		err = w.c.incrOptimistic(hotDoc)
	case w.in.w.op == opSpread, w.in.w.op == opNeighbor:
		err = w.c.incrPessimistic(w.doc)
	case w.in.w.op == opRead:
		err = w.c.read(w.doc)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", w.in.w.name, err)
	}
	w.nops++
	if !w.heavy {
		w.lat = append(w.lat, time.Since(t0).Seconds())
	}
	return nil
}

// Close closes the client's connection and adds its tallies to the
// sample's.
func (w *worker) Close() error {
	w.c.close()
	in := w.in
	in.mu.Lock()
	defer in.mu.Unlock()
	in.n.add(w.c.n)
	in.light = append(in.light, w.lat...)
	in.behind += w.behind
	in.nsched += w.nsched
	if w.heavy {
		in.heavy += w.nops
	}
	in.workers++
	return nil
}
