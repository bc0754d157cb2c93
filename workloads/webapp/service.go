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
	SQLite     string        // the SQLite file, or ""
	Postgres   string        // the PostgreSQL URL, its search_path the instance's schema; or ""
	Busy       time.Duration // the longest wait for a connection, then 503 (Faults.Busy)
	BigRows    int64         // the report's table size
	Threads    int           // threads per process
	HandlerCPU time.Duration // each request's CPU work under the thread's lock
	// IdleWait bounds how long End waits for the requests still in
	// flight: less than the parent's wait for End's answer, so that a
	// request that hangs is reported as such rather than as a process
	// that hangs.
	IdleWait time.Duration
}

// StartService opens the database and makes its data here, as Start
// does, then starts s.Workers service processes (package procs) that
// each attach to that database and serve the API with s.Threads
// threads under a lock of their own, all accepting on one listening
// socket made here: a pre-fork server. With faults, the proxy runs here
// in front of them.
func (w workload) StartService(p workloads.Params, s workloads.Service) (workloads.Instance, error) {
	if err := s.Check(); err != nil {
		return nil, err
	}
	c, err := configFrom(p)
	if err != nil {
		return nil, err
	}
	return startServed(w, c, s, procs.DefaultOptions())
}

func startServed(w workload, c config, sh workloads.Service, opt procs.Options) (_ *instance, err error) {
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
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("webapp: listen: %w", err)
	}
	addr := ln.Addr().String()
	// The service processes inherit the socket (a copy of its
	// descriptor); this process's copies close once they have it.
	f, err := ln.(*net.TCPListener).File()
	ln.Close()
	if err != nil {
		return nil, fmt.Errorf("webapp: listener's descriptor: %w", err)
	}
	defer f.Close()
	cfg, err := json.Marshal(serviceConfig{
		SQLite:     in.st.file,
		Postgres:   in.st.pgURL,
		Busy:       c.faults.Busy,
		BigRows:    in.st.bigRows,
		Threads:    sh.Threads,
		HandlerCPU: c.handlerCPU,
		IdleWait:   opt.EndTimeout / 2,
	})
	if err != nil {
		return nil, err
	}
	spec := procs.ServiceSpec{
		Name:     serviceName,
		Lock:     sh.Lock,
		LockOpts: gil.Options{SwitchInterval: sh.SwitchInterval, CheckInterval: sh.CheckInterval},
		Config:   cfg,
	}
	if in.pool, err = procs.StartServices(sh.Workers, spec, []*os.File{f}, opt); err != nil {
		return nil, fmt.Errorf("webapp: starting the service processes: %w", err)
	}
	if err = in.front(addr); err != nil {
		return nil, err
	}
	return in, nil
}

// service is the webapp service in a service process: its own pools of
// connections to the instance's database, and the HTTP server on the
// inherited socket, its requests run by a pool of threads per sample.
// It is a procs.Service.
type service struct {
	st      *store
	srv     *server
	threads int
	idle    time.Duration
}

// newService starts the service in a service process: config is a
// serviceConfig, files the listening socket.
func newService(config []byte, files []*os.File) (_ procs.Service, err error) {
	defer func() {
		for _, f := range files {
			f.Close() // the listener has its own copy
		}
	}()
	var sc serviceConfig
	if err := json.Unmarshal(config, &sc); err != nil {
		return nil, fmt.Errorf("webapp service: config: %w", err)
	}
	if len(files) != 1 {
		return nil, fmt.Errorf("webapp service: %d files, want the listening socket", len(files))
	}
	if err := (workloads.Service{Workers: 1, Threads: sc.Threads}).Check(); err != nil {
		return nil, fmt.Errorf("webapp service: %w", err)
	}
	ln, err := net.FileListener(files[0])
	if err != nil {
		return nil, fmt.Errorf("webapp service: listener: %w", err)
	}
	// One connection per thread and pool at most, as a Python thread
	// keeps its own.
	st, err := attachStore(sc.SQLite, sc.Postgres, sc.Busy, sc.BigRows, sc.Threads)
	if err != nil {
		ln.Close()
		return nil, err
	}
	srv := serve(st, ln, true, workloads.SpinUnitsFor(sc.HandlerCPU))
	return &service{st: st, srv: srv, threads: sc.Threads, idle: max(sc.IdleWait, time.Second)}, nil
}

// Begin makes the sample's threads from lock.
func (v *service) Begin(lock gil.Lock) error { return v.srv.begin(lock, v.threads) }

// End waits until no request is in flight and no connection is open
// (the clients closed theirs before the sample's end), then stops the
// threads. The lock's figures are package procs' to add.
func (v *service) End(time.Duration) ([]workloads.Metric, error) {
	ctx, cancel := context.WithTimeout(context.Background(), v.idle)
	defer cancel()
	if err := v.srv.waitIdle(ctx); err != nil {
		// A request still holds a thread: stopping the threads would
		// wait for it.
		return nil, err
	}
	return nil, v.srv.end(v.threads)
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
