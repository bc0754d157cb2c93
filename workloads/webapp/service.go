package webapp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/parbench/parbench/bench/gil"
	"github.com/parbench/parbench/internal/procs"
	"github.com/parbench/parbench/results"
	"github.com/parbench/parbench/workloads"
)

// serviceName is the webapp service's name with package procs.
const serviceName = "webapp"

func init() { procs.RegisterService(serviceName, newService) }

// Every webapp workload can run its service as a pre-fork server.
var _ workloads.Served = workload{}

// serviceConfig is what a service process needs: where the database
// is, and how to serve. It travels as JSON (procs.ServiceSpec.Config).
type serviceConfig struct {
	// Listen is the address to listen on with SO_REUSEPORT, beside
	// the other processes (listening); "" means the listening socket
	// is the one inherited file.
	Listen     string
	SQLite     string        // the SQLite file, or ""
	Postgres   string        // the PostgreSQL URL, its search_path the instance's schema; or ""
	Busy       time.Duration // the longest wait for a connection, then 503 (Faults.Busy)
	BigRows    int64         // the report's table size
	Threads    int           // threads per process
	HandlerCPU time.Duration // each request's CPU work under the thread's lock
	DBLatency  time.Duration // added to each database statement, the lock released
	// IdleWait bounds how long End waits for the requests still in
	// flight: less than the parent's wait for End's answer, so that a
	// request that hangs is reported as such rather than as a process
	// that hangs.
	IdleWait time.Duration
}

// StartService opens the database and makes its data here, as Start
// does, then starts s.Workers service processes (package procs) that
// each attach to that database and serve the API with s.Threads
// threads under a lock of their own, all accepting on one address (see
// listening): a pre-fork server. With faults, the proxy runs here in
// front of them. With s.Command, the processes are copies of that
// command instead, on the same database and address (external.go).
func (w workload) StartService(p workloads.Params, s workloads.Service) (workloads.Instance, error) {
	c, err := configFrom(p)
	if err != nil {
		return nil, err
	}
	return startServed(w, c, s, procs.DefaultOptions())
}

// startServed is StartService with its config and options. It checks
// the shape (a command's lock among it) before it makes the database.
func startServed(w workload, c config, sh workloads.Service, opt procs.Options) (_ *instance, err error) {
	if err := sh.Check(); err != nil {
		return nil, err
	}
	in := &instance{w: w, cfg: c}
	defer func() {
		if err != nil {
			in.Close()
		}
	}()
	// This process reads the counters' sum and forgets the keys between
	// samples: one connection is enough.
	own := c
	own.conns = 1
	if in.st, err = openStore(own); err != nil {
		return nil, err // the runner names the workload
	}
	if len(sh.Command) > 0 {
		ext, err := startExternal(in, sh, opt)
		if err != nil {
			return nil, err
		}
		in.pool = ext
		if err = in.front(ext.ls.addr); err != nil {
			return nil, err
		}
		return in, nil
	}
	ls, err := listen()
	if err != nil {
		return nil, err
	}
	sc := serviceConfig{
		SQLite:     in.st.file,
		Postgres:   in.st.pgURL,
		Busy:       c.faults.Busy,
		BigRows:    in.st.bigRows,
		Threads:    sh.Threads,
		HandlerCPU: c.handlerCPU,
		DBLatency:  c.dbLatency,
		IdleWait:   opt.EndTimeout / 2,
	}
	if ls.reserve != nil {
		sc.Listen = ls.addr
	}
	cfg, err := json.Marshal(sc)
	if err != nil {
		ls.close()
		return nil, err
	}
	spec := procs.ServiceSpec{
		Name:     serviceName,
		Lock:     sh.Lock,
		LockOpts: gil.Options{SwitchInterval: sh.SwitchInterval, CheckInterval: sh.CheckInterval},
		Config:   cfg,
	}
	sp, err := procs.StartServices(sh.Workers, spec, ls.files(), opt)
	ls.started()
	if err != nil {
		ls.close()
		return nil, fmt.Errorf("webapp: starting the service processes: %w", err)
	}
	in.pool = &ownPool{ServicePool: sp, ls: ls}
	if err = in.front(ls.addr); err != nil {
		return nil, err
	}
	return in, nil
}

// service is the webapp service in a service process: its own pools of
// connections to the instance's database, and the HTTP server on its
// listening socket (its own, bound with SO_REUSEPORT on Linux; the
// inherited one elsewhere: see listening), its requests run by a pool
// of threads per sample.
// It is a procs.Service.
type service struct {
	locking bool // the sample's lock is not "none"
	st      *store
	srv     *server
	threads int
	idle    time.Duration
}

// newService starts the service in a service process: config is a
// serviceConfig, files the listening socket when it is shared (no
// Listen address).
func newService(_ int, config []byte, files []*os.File) (_ procs.Service, err error) {
	defer func() {
		for _, f := range files {
			f.Close() // the listener has its own copy
		}
	}()
	var sc serviceConfig
	if err := json.Unmarshal(config, &sc); err != nil {
		return nil, fmt.Errorf("webapp service: config: %w", err)
	}
	if err := (workloads.Service{Workers: 1, Threads: sc.Threads}).Check(); err != nil {
		return nil, fmt.Errorf("webapp service: %w", err)
	}
	var ln net.Listener
	switch {
	case sc.Listen != "" && len(files) == 0:
		if ln, err = listenReusePort(sc.Listen); err != nil {
			return nil, fmt.Errorf("webapp service: listen: %w", err)
		}
	case sc.Listen == "" && len(files) == 1:
		if ln, err = net.FileListener(files[0]); err != nil {
			return nil, fmt.Errorf("webapp service: listener: %w", err)
		}
	default:
		return nil, fmt.Errorf("webapp service: listen address %q and %d files: want an address or the listening socket", sc.Listen, len(files))
	}
	// One connection per thread and pool at most, as a Python thread
	// keeps its own.
	st, err := attachStore(sc.SQLite, sc.Postgres, sc.Busy, sc.BigRows, sc.Threads)
	if err != nil {
		ln.Close()
		return nil, err
	}
	st.latency = sc.DBLatency
	srv := serve(st, ln, true, workloads.SpinUnitsFor(sc.HandlerCPU))
	return &service{st: st, srv: srv, threads: sc.Threads, idle: max(sc.IdleWait, time.Second)}, nil
}

// Begin makes the sample's threads from lock.
func (v *service) Begin(lock gil.Lock) error {
	v.locking = lock.Name() != "none"
	return v.srv.begin(lock, v.threads)
}

// End waits until no request is in flight and no connection is open
// (the clients closed theirs before the sample's end), then stops the
// threads. The lock's figures are package procs' to add. Under a
// locking mode, with write transactions in the sample, it reports
// their sums (txSums), which the parent turns into the tx-lock-wait
// share (txShare).
func (v *service) End(time.Duration) ([]workloads.Metric, error) {
	ctx, cancel := context.WithTimeout(context.Background(), v.idle)
	defer cancel()
	if err := v.srv.waitIdle(ctx); err != nil {
		// A request still holds a thread: stopping the threads would
		// wait for it.
		return nil, err
	}
	var ms []workloads.Metric
	if ts := v.srv.pool.Load(); ts != nil && v.locking && ts.tx.time.Load() > 0 {
		ms = []workloads.Metric{
			{Value: time.Duration(ts.tx.wait.Load()).Seconds(), Unit: unitTxWaitSum},
			{Value: time.Duration(ts.tx.time.Load()).Seconds(), Unit: unitTxTimeSum},
		}
	}
	return ms, v.srv.end(v.threads)
}

// The sums of a service process's write transactions in a sample
// (txSums), in seconds: what it reports at End for the parent's
// tx-lock-wait share. They never reach a result line.
const (
	unitTxWaitSum = "webapp-tx-lock-wait-sec-sum"
	unitTxTimeSum = "webapp-tx-sec-sum"
)

// txShare replaces the service processes' transaction sums in ms,
// merged over the processes, by the tx-lock-wait share
// (results.UnitTxLockWait). procs.MergeMetrics takes the mean of each
// over the processes that report them, and a process reports both or
// neither, so their ratio is the ratio of the sums over all the
// processes' transactions: each transaction weighs by its time, not
// each process alike.
func txShare(ms []workloads.Metric) []workloads.Metric {
	var wait, total float64
	var found bool
	out := ms[:0:0]
	for _, m := range ms {
		switch m.Unit {
		case unitTxWaitSum:
			wait, found = m.Value, true
		case unitTxTimeSum:
			total = m.Value
		default:
			out = append(out, m)
		}
	}
	if found && total > 0 {
		out = append(out, workloads.Metric{Value: wait / total, Unit: results.UnitTxLockWait})
	}
	return out
}

// Close ends a sample still running (the parent is gone), stops the
// server and closes the connections.
func (v *service) Close() error {
	var errs []error
	if v.srv.pool.Load() != nil {
		errs = append(errs, v.srv.end(v.threads))
	}
	errs = append(errs, v.srv.close(), v.st.close())
	return errors.Join(errs...)
}
