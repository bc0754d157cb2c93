package workloads

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/parbench/parbench/results"
)

func init() { Register(convoyWorkload{}) }

// convoyBackgroundOp is the CPU work of one background op. It only sets
// how soon a background goroutine notices the end of a sample: the lock
// sees the work through Env.Check, every Spin unit.
const convoyBackgroundOp = 200 * time.Microsecond

// ---- latency/convoy ----

type convoyWorkload struct{}

func (convoyWorkload) Name() string         { return "latency/convoy" }
func (convoyWorkload) Class() results.Class { return results.ClassLatency }
func (convoyWorkload) Params() []string {
	return []string{ParamCPUGoroutines, ParamServerLatency} // its echo server is io/tcp's
}
func (convoyWorkload) Summary() string {
	return "the convoy effect: IO round trips' latency (p50-sec ... max-sec, aiming at 1000 or more per sample) while --cpu-goroutines N spin under the same lock"
}

// Start starts an echo server on 127.0.0.1 (io/tcp's, with
// --server-latency) and sizes the background goroutines' CPU work.
func (convoyWorkload) Start(p Params) (Instance, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	in, err := tcpWorkload{}.Start(p)
	if err != nil {
		return nil, fmt.Errorf("latency/convoy: %w", err)
	}
	return &convoyInstance{
		srv:   in.(*echoServer),
		cpu:   p.CPUGoroutines,
		units: SpinUnitsFor(convoyBackgroundOp),
	}, nil
}

// convoyInstance is the started workload. Its measured workers are the
// IO goroutines; its background workers (Backgrounder) are the CPU
// goroutines; its figures (Sampler) are the IO goroutines' latencies.
type convoyInstance struct {
	srv   *echoServer
	cpu   int // background CPU goroutines per sample
	units int // Spin units per background op

	mu      sync.Mutex
	workers []*convoyWorker // this sample's IO workers
}

// NewWorker returns an IO goroutine: each op is one loopback round trip
// and one zero-length wait (Python's time.sleep(0)), each a blocking
// section of its own, so each releases and re-takes the lock.
func (in *convoyInstance) NewWorker(env Env) (Worker, error) {
	tw, err := in.srv.dial("latency/convoy", env)
	if err != nil {
		return nil, err
	}
	w := &convoyWorker{tcpWorker: tw}
	in.mu.Lock()
	in.workers = append(in.workers, w)
	in.mu.Unlock()
	return w, nil
}

// Close stops the echo server.
func (in *convoyInstance) Close() error { return in.srv.Close() }

// Background returns --cpu-goroutines.
func (in *convoyInstance) Background() int { return in.cpu }

// NewBackground returns a CPU goroutine: each op is a short spin that
// checks the lock after every unit, like Python bytecode.
func (in *convoyInstance) NewBackground(env Env) (Worker, error) {
	return &spinWorker{env: env, units: in.units}, nil
}

// ConvoyMinOps is the fewest IO round trips a latency/convoy sample
// holds (its MinOps): enough for a p99 with ten latencies above it.
const ConvoyMinOps = 1000

// MinOps returns ConvoyMinOps: the runner calibrates on the IO
// goroutine's ops and sizes each sample to hold at least this many
// latencies, however long one op under a GIL takes.
func (in *convoyInstance) MinOps() int { return ConvoyMinOps }

// BeginSample forgets the previous sample's workers.
func (in *convoyInstance) BeginSample() {
	in.mu.Lock()
	in.workers = nil
	in.mu.Unlock()
}

// Units of latency/convoy's figures.
const (
	UnitP50  = "p50-sec"
	UnitP90  = "p90-sec"
	UnitP99  = "p99-sec"
	UnitMax  = "max-sec"
	UnitRate = "ops/s"
	// UnitLatencies is how many latencies the percentiles were read
	// from: a reader sees whether a p99 is there and what it rests on.
	UnitLatencies = "latencies"
)

// EndSample returns the IO ops' latency percentiles and their rate.
func (in *convoyInstance) EndSample(wall time.Duration, ops int64) []Metric {
	in.mu.Lock()
	var lat []time.Duration
	for _, w := range in.workers {
		lat = append(lat, w.lat...)
	}
	in.mu.Unlock()
	ms := LatencyMetrics(lat)
	if wall > 0 {
		ms = append(ms, Metric{Value: float64(ops) / wall.Seconds(), Unit: UnitRate})
	}
	return ms
}

// LatencyMetrics returns the p50, p90 and p99 of lat (nearest rank) in
// seconds, its max and its count (UnitLatencies), or nil for no
// latencies. It sorts lat.
//
// A percentile p is reported only when at least one latency lies above
// its rank, n*(100-p)/100 >= 1: p50 from 2 latencies, p90 from 10, p99
// from 100. Below that the nearest rank is the maximum itself, and a
// "p99" of 4 latencies would be the worst of 4 dressed up as a tail;
// the line leaves the unit out instead, as benchstat and the analysis
// read a unit missing from some lines as not measured there.
func LatencyMetrics(lat []time.Duration) []Metric {
	if len(lat) == 0 {
		return nil
	}
	slices.Sort(lat)
	n := len(lat)
	var ms []Metric
	for _, q := range []struct {
		pct  int
		unit string
	}{{50, UnitP50}, {90, UnitP90}, {99, UnitP99}} {
		if n*(100-q.pct) < 100 {
			continue
		}
		i := (q.pct*n+50)/100 - 1 // rank round(p*n), in integers
		ms = append(ms, Metric{Value: lat[min(max(i, 0), n-1)].Seconds(), Unit: q.unit})
	}
	return append(ms,
		Metric{Value: lat[n-1].Seconds(), Unit: UnitMax},
		Metric{Value: float64(n), Unit: UnitLatencies})
}

type convoyWorker struct {
	*tcpWorker
	lat []time.Duration
}

func (w *convoyWorker) Op() error {
	t0 := time.Now()
	if err := w.tcpWorker.Op(); err != nil {
		return err
	}
	w.env.BeginIO()
	time.Sleep(0)
	w.env.EndIO()
	w.lat = append(w.lat, time.Since(t0))
	return nil
}

// spinWorker is a CPU-bound background goroutine.
type spinWorker struct {
	nopCloser
	env   Env
	units int
}

func (w *spinWorker) Op() error {
	if Spin(w.env, w.units) == 0 {
		return errors.New("latency/convoy: spin returned 0") // keeps Spin's result live
	}
	return nil
}
