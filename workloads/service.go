package workloads

import (
	"fmt"
	"time"
)

// Service is the shape of the service a Served workload runs: a
// pre-fork server such as gunicorn with --workers and --threads, the
// way a Python web service is deployed. Workers processes accept on one
// listening address; each runs Threads threads that share that
// process's lock (its GIL). The workload's own workers are then the
// load generator: they hold no lock.
type Service struct {
	// Workers is the number of worker processes, each with its own
	// lock, its own database connections and its own memory.
	Workers int
	// Threads is the number of threads per worker process: at most
	// Threads requests of a process are handled at once, and they share
	// its lock.
	Threads int
	// Lock is the lock mode each worker process's threads share (a
	// mode of package gil: "none", "gil", "gil-old", "mutex").
	Lock string
	// SwitchInterval and CheckInterval are the lock's options, as
	// package gil's Options has them.
	SwitchInterval time.Duration
	CheckInterval  int
	// Command, if set, is an external program and its arguments that
	// each worker process runs instead of the workload's own service
	// (parbench run --server-cmd): a service in another language, a
	// CPython WSGI app, say, whose interpreter has its own lock, so Lock
	// is then "none". The workload says what it tells the command (see
	// package webapp).
	Command []string
}

// Bounds of a Service's shape: more than this is a mistake, not a
// deployment (a pre-fork server runs a few workers per core, and a
// thread pool of more than a few hundred threads per process spends its
// time switching).
const (
	MaxServiceWorkers = 64
	MaxServiceThreads = 256
)

// Check reports a shape out of bounds, naming the field, and a
// Command under a lock other than none.
func (s Service) Check() error {
	switch {
	case len(s.Command) > 0 && s.Lock != "" && s.Lock != "none":
		return &ParamError{Param: "Service.Lock", Value: s.Lock, Err: fmt.Errorf("a service command (Service.Command, %q) has its interpreter's own lock: want none", s.Command[0])}
	case s.Workers < 1 || s.Workers > MaxServiceWorkers:
		return &ParamError{Param: "Service.Workers", Value: fmt.Sprint(s.Workers), Err: fmt.Errorf("want 1 to %d worker processes", MaxServiceWorkers)}
	case s.Threads < 1 || s.Threads > MaxServiceThreads:
		return &ParamError{Param: "Service.Threads", Value: fmt.Sprint(s.Threads), Err: fmt.Errorf("want 1 to %d threads per worker process", MaxServiceThreads)}
	}
	return nil
}

// Each worker process runs at the GOMAXPROCS of the point being
// measured (the Instance forwards runtime.GOMAXPROCS at BeginSample), as
// do the clients.
//
// Served is implemented by a Workload whose service can be shaped as a
// pre-fork server (Service). The runner calls StartService instead of
// Start for the points of a sweep with a server shape, once per lock
// and shape: the service's worker processes then hold the point's lock
// and the Instance's workers (the clients) run free. Its Instance is a
// Sampler whose BeginSample gives each worker process a fresh lock and
// whose EndSample reports that lock's figures, merged over the
// processes, with the service's own.
type Served interface {
	Workload
	StartService(p Params, s Service) (Instance, error)
}
