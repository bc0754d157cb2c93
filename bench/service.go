package bench

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/parbench/parbench/results"
	"github.com/parbench/parbench/workloads"
)

// ServiceConfig is the server shape of a sweep of served workloads
// (workloads.Served: webapp/*): the --server-workers and
// --server-threads sweep dimensions, gunicorn's --workers and --threads.
// The zero value is no shape: each workload starts with Start, and a
// point's lock holds its goroutines, as before.
//
// With a shape, a point's lock is its service's: the runner starts one
// instance per workload, lock and shape (StartService), each of its
// Workers processes makes a fresh lock of the point's mode per sample,
// shared by its Threads threads, and the point's goroutines, the
// clients, run under lock "none": they are the load generator, not the
// program under test.
type ServiceConfig struct {
	// Workers is the --server-workers list: worker processes of the
	// service. nil, with Threads set, means {1}.
	Workers []int
	// Threads is the --server-threads list: threads per worker
	// process. nil, with Workers set, means {1}.
	Threads []int
}

// served reports whether the sweep has a server shape.
func (s ServiceConfig) served() bool { return s.Workers != nil || s.Threads != nil }

func (s ServiceConfig) workers() []int { return orOne(s.Workers) }
func (s ServiceConfig) threads() []int { return orOne(s.Threads) }

// orOne is xs, or {1} for a list not given: one list of the shape
// given alone sweeps against a single worker or a single thread.
func orOne(xs []int) []int {
	if xs == nil {
		return []int{1}
	}
	return xs
}

// given names the fields of the shape that were set, in braces, for an
// error's text: "{Service.Workers} and {Service.Threads}".
func (s ServiceConfig) given() (first, all string) {
	var fs []string
	if s.Workers != nil {
		fs = append(fs, "Service.Workers")
	}
	if s.Threads != nil {
		fs = append(fs, "Service.Threads")
	}
	return fs[0], "{" + strings.Join(fs, "} and {") + "}"
}

// validate checks the shape: each value within workloads.Service's
// bounds (its Check says what is valid), none twice, every workload of
// ws a workloads.Served, and the clients as goroutines of this process.
func (s ServiceConfig) validate(ws []workloads.Workload, e ExecConfig) error {
	if !s.served() {
		return nil
	}
	for _, d := range []struct {
		field string
		xs    []int
		shape func(n int) workloads.Service
	}{
		{"Service.Workers", s.workers(), func(n int) workloads.Service { return workloads.Service{Workers: n, Threads: 1} }},
		{"Service.Threads", s.threads(), func(n int) workloads.Service { return workloads.Service{Workers: 1, Threads: n} }},
	} {
		if len(d.xs) == 0 {
			return &FieldError{Field: d.field, Err: errors.New("empty list")}
		}
		seen := map[int]bool{}
		for _, x := range d.xs {
			if err := d.shape(x).Check(); err != nil {
				var pe *workloads.ParamError
				if errors.As(err, &pe) {
					return &FieldError{Field: pe.Param, Value: pe.Value, Err: pe.Err}
				}
				return &FieldError{Field: d.field, Value: strconv.Itoa(x), Err: err}
			}
			if seen[x] {
				return &FieldError{Field: d.field, Err: fmt.Errorf("%d given twice", x)}
			}
			seen[x] = true
		}
	}
	field, fields := s.given()
	for _, w := range ws {
		if _, ok := w.(workloads.Served); !ok {
			return &FieldError{Field: field, Err: fmt.Errorf("%s has no service to shape (served workloads: %s): drop it from {Workloads}, or drop %s",
				w.Name(), workloadsWhere(func(w workloads.Workload) bool { _, ok := w.(workloads.Served); return ok }), fields)}
		}
	}
	// A served workload that is not a GoroutinesOnly (Exec.validate
	// refuses those first) still has its clients here: its Instance
	// lives in this process.
	if e.processes() {
		return &FieldError{Field: "Exec.Modes", Value: ExecProcesses, Err: fmt.Errorf("the clients of a served sweep (%s) run as goroutines; its service has the processes: use {Exec.Modes} %s", fields, ExecGoroutines)}
	}
	return nil
}

// serviceShape is one value of the server shape dimension: its keys in
// the result name and the shape its instance runs. The zero value is no
// shape (a sweep without ServiceConfig).
type serviceShape struct {
	extra            []results.KV
	workers, threads int
}

func (s serviceShape) served() bool { return s.workers > 0 }

// shapes expands the server shape dimension, workers then threads. A
// sweep without a shape has one shape with no keys, so names stay as
// they were; otherwise every point carries server-workers= and
// server-threads=, the one given alone too.
func (s ServiceConfig) shapes() []serviceShape {
	if !s.served() {
		return []serviceShape{{}}
	}
	var ss []serviceShape
	for _, w := range s.workers() {
		for _, t := range s.threads() {
			ss = append(ss, serviceShape{
				extra: []results.KV{
					{Key: results.KeyServerWorkers, Value: strconv.Itoa(w)},
					{Key: results.KeyServerThreads, Value: strconv.Itoa(t)},
				},
				workers: w, threads: t,
			})
		}
	}
	return ss
}

// service is the workloads.Service of shape s under lock mode lock.
func (c *Config) service(lock string, s serviceShape) workloads.Service {
	return workloads.Service{Workers: s.workers, Threads: s.threads, Lock: lock,
		SwitchInterval: c.LockOpts.SwitchInterval, CheckInterval: c.LockOpts.CheckInterval}
}

// clientLock is the lock mode of a sample's goroutines: the point's, or
// "none" for a served point, whose lock is its service's.
func (pt *point) clientLock() string {
	if pt.shape.served() {
		return "none"
	}
	return pt.Lock
}
