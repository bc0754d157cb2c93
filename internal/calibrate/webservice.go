package calibrate

import (
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/perf/benchfmt"

	"github.com/parbench/parbench/bench"
	"github.com/parbench/parbench/results"
)

// The webservice behaviour: the served webapp (a pre-fork service of W
// worker processes of T threads under the simulated GIL) beside a real
// one, python/webservice.py: gunicorn gthread's shape (a selector loop
// that hands each request to a ThreadPoolExecutor of T threads), a WSGI
// app with the same handler CPU (a pure-Python loop calibrated with
// time.thread_time), the same SQL on sqlite3 (one connection per
// thread) and the same database latency (time.sleep before each
// statement, the GIL released). Both are driven by parbench's own
// clients, which run free (lock none); parbench's service runs under
// lock gil (--server-cmd's points under lock none: the interpreter's
// own GIL is the lock).
//
// What is compared, and what may differ and why:
//
//   - the curve shapes, ops/s at each shape over ops/s at T=1, W=1 on
//     the same side ("read@t4w1"): absolute throughput differs, as
//     CPython's HTTP parsing, WSGI environ, routing and json cost more
//     than Go's;
//   - each side's server CPU per request at T=1, W=1 ("read-cpu@t1w1",
//     server-cpu-sec/op), which shows by how much.
//
// Both sides hold their lock for the handler's CPU and release it for
// the database and the socket, so the curves have the same mechanism;
// they differ where the framework's CPU weighs. CPython's framework
// CPU (0.2-0.7ms a request measured here) runs under its GIL, while
// parbench's HTTP parsing (Go's net/http) runs outside the simulated
// lock: the share of a request spent waiting, f, is smaller on CPython,
// and its read curve levels off lower, near (c+w)/c with c its measured
// CPU per request and w the database's latency: the model row, from
// CPython's measured c, says where. The write curve is the database's
// (a transaction holds SQLite's one write lock for 6 statements'
// latency) on both sides, and on both each thread has a connection of
// its own and waits in SQLite's busy handler, which sleeps 1, 2, 5, 10
// ms... between tries (with one write connection per process, queueing
// in database/sql, parbench's write curve stayed flat where CPython's
// fell: results/vm-20261128-webservice/calibrate-one-writer.txt). A figure that differs by more than CPython's
// spread (or 10%) reads DIFFERS, as elsewhere: for this behaviour read
// it against those two causes before the lock's.
var (
	webThreads = []int{1, 2, 4, 8}
	webWorkers = []int{1, 2}
	webMixes   = []struct{ name, workload string }{
		{"read", "webapp/read"},
		{"incr", "webapp/update-pessimistic"},
	}
	// webHandlerCPU and webDBLatency: a read is 2ms of CPU and one
	// statement of 1ms (f about 1/3 on parbench's side); a locked
	// increment 2ms of CPU and 6 statements inside the transaction.
	webHandlerCPU = 2 * time.Millisecond
	webDBLatency  = time.Millisecond
	// webClients keep every shape busy: more than the most threads of
	// all workers (16).
	webClients   = 24
	webBenchtime = 200 * time.Millisecond
)

// webSweep is one mix's sweep over the shapes, under lock, with the
// service command cmd (nil: parbench's own service).
func webSweep(workload, lock string, ncpu int, cmd []string) bench.Config {
	c := newSweep(workload, lock, ncpu, []int{webClients}, webBenchtime)
	c.Service = bench.ServiceConfig{Workers: webWorkers, Threads: webThreads, Command: cmd}
	c.Params.HandlerCPU = webHandlerCPU
	c.Params.DBLatency = webDBLatency
	// A shape's start (W interpreters) and a sample of a slow shape:
	// well within this.
	c.SampleTimeout = 30 * time.Second
	return c
}

// served returns the line of one side's sweep tagged tag for workload
// at w workers of t threads, nil if there is none.
func (l lines) served(tag, workload string, w, t int) *benchfmt.Result {
	for k, r := range l {
		name, ok := strings.CutPrefix(k, tag+" ")
		if !ok {
			continue
		}
		p, err := results.ParseName(name)
		if err == nil && p.Workload == workload && p.Get(results.KeyServerWorkers) == strconv.Itoa(w) &&
			p.Get(results.KeyServerThreads) == strconv.Itoa(t) {
			return r
		}
	}
	return nil
}

// value is r's value of unit, NaN without r or the unit.
func value(r *benchfmt.Result, unit string) float64 {
	if r != nil {
		if v, ok := r.Value(unit); ok {
			return v
		}
	}
	return math.NaN()
}

// webFigures are one side's figures of one round: each shape's
// throughput relative to T=1, W=1, and the server CPU per request at
// T=1, W=1, per mix.
func webFigures(impl string, l lines) []figure {
	var out []figure
	for _, m := range webMixes {
		base := l.served(m.name, m.workload, 1, 1)
		for _, w := range webWorkers {
			for _, t := range webThreads {
				if w == 1 && t == 1 {
					continue
				}
				out = append(out, figure{fmt.Sprintf("%s@t%dw%d", m.name, t, w), impl, "x",
					value(base, "sec/op") / value(l.served(m.name, m.workload, w, t), "sec/op")})
			}
		}
		out = append(out, figure{m.name + "-cpu@t1w1", impl, "sec", value(base, results.UnitServerCPU)})
	}
	return out
}

var webserviceBehaviour = Behaviour{
	Name: "webservice",
	About: "a served web app, W worker processes (1, 2) of T threads (1, 2, 4, 8), reads and locked increments " +
		"with 2ms of handler CPU and 1ms a database statement: parbench's service under gil beside a real CPython " +
		"WSGI service (python/webservice.py, gthread's shape, sqlite3), both driven by parbench's clients; " +
		"throughput relative to T=1, W=1, and server CPU per request (CPython 3 only)",
	pythonSweeps: func(in Interpreter, dir string, ncpu int) []sweep {
		var out []sweep
		for _, m := range webMixes {
			out = append(out, sweep{m.name, webSweep(m.workload, "none", ncpu, []string{in.Path, filepath.Join(dir, "webservice.py")})})
		}
		return out
	},
	parbench: func(in Interpreter, ncpu int) []sweep {
		var out []sweep
		for _, m := range webMixes {
			out = append(out, sweep{m.name, webSweep(m.workload, in.Lock(), ncpu, nil)})
		}
		return out
	},
	figures: func(in Interpreter, ncpu int, py, pb lines) []figure {
		out := append(webFigures(results.ImplCPython, py), webFigures(results.ImplParbench, pb)...)
		// The read curve at W=1 by min(T, (c+w)/c), c CPython's measured
		// server CPU per request, w the one statement's latency.
		c := value(py.served("read", "webapp/read", 1, 1), results.UnitServerCPU)
		if c > 0 {
			for _, t := range webThreads[1:] {
				out = append(out, model(fmt.Sprintf("read@t%dw1", t), "x", math.Min(float64(t), (c+webDBLatency.Seconds())/c)))
			}
		}
		return out
	},
	minMajor: 3,
	needs:    []string{"webapp/read", "webapp/update-pessimistic"},
	cost:     [2]time.Duration{40 * time.Second, 0},
}
