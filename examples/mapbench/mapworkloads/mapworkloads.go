// Package mapworkloads registers package mapbench's code as parbench
// workloads, the way a third party adds workloads of its own to a
// custom parbench binary (cmd/mapbench):
//
//	mapbench/sharded  Mix ops on one ShardedMap shared by every goroutine
//	mapbench/mutex    Mix ops on one MutexMap shared by every goroutine
//	mapbench/json     ParseOrder of a fixed document
//
// Each is a workloads.Workload registered from init; a binary that
// imports this package (for its side effect) and calls cli.Main can
// run them, and so can its worker processes (--exec processes), which
// re-execute the same binary and so register the same workloads. Under
// --exec processes each worker process has a map of its own, as each
// process of Python's multiprocessing would: nothing is shared, so the
// mutex map's lock is never contended there.
package mapworkloads

import (
	"sync/atomic"

	"example.com/mapbench"
	"github.com/parbench/parbench/results"
	"github.com/parbench/parbench/workloads"
)

func init() {
	workloads.Register(mapWorkload{
		name:    "mapbench/sharded",
		summary: "Gets and read-modify-write Updates on a map of 64 shards, each with its own sync.Mutex, shared by every goroutine",
		newMap:  func() mapbench.Map { return mapbench.NewShardedMap(64) },
	})
	workloads.Register(mapWorkload{
		name:    "mapbench/mutex",
		summary: "Gets and read-modify-write Updates on a map behind one sync.Mutex, shared by every goroutine",
		newMap:  func() mapbench.Map { return mapbench.NewMutexMap() },
	})
	workloads.Register(jsonWorkload{})
}

// nopCloser is embedded by what has nothing to release.
type nopCloser struct{}

func (nopCloser) Close() error { return nil }

// mapWorkload is one of the two map workloads: they differ only in the
// map they make.
type mapWorkload struct {
	name, summary string
	newMap        func() mapbench.Map
}

func (w mapWorkload) Name() string    { return w.name }
func (w mapWorkload) Summary() string { return w.summary }

// Class says what bounds the ops: computation, on however many cores
// the lock lets run (workloads.Classed).
func (mapWorkload) Class() results.Class { return results.ClassCPU }

// Params says the workload reads no knob of workloads.Params, so a run
// that sets one (--io-latency, ...) for it alone is refused
// (workloads.ParamUser).
func (mapWorkload) Params() []string { return nil }

// Start makes the one map that every worker of the run shares, filled
// with every key.
func (w mapWorkload) Start(workloads.Params) (workloads.Instance, error) {
	m := w.newMap()
	mapbench.Fill(m)
	return &mapInstance{m: m}, nil
}

type mapInstance struct {
	nopCloser
	m     mapbench.Map
	seeds atomic.Uint64
}

// NewWorker gives each goroutine its own Mix (its own keys) on the
// shared map. It is called outside the timed region.
func (in *mapInstance) NewWorker(env workloads.Env) (workloads.Worker, error) {
	return &mapWorker{mix: mapbench.NewMix(in.m, in.seeds.Add(1)), env: env}, nil
}

type mapWorker struct {
	nopCloser
	mix *mapbench.Mix
	env workloads.Env
}

// Op does one Mix op. It is well under the ~50µs between checks that
// Env asks for, so one Check after it, with the ticks it stands for,
// is enough: a simulated GIL may hand over there. The map's own
// sync.Mutex is the code under test and stays as it is: parbench's
// lock modes stand beside it, they do not replace it.
func (w *mapWorker) Op() error {
	err := w.mix.Op()
	w.env.Check(mapbench.MixTicks)
	return err
}

type jsonWorkload struct{}

func (jsonWorkload) Name() string { return "mapbench/json" }
func (jsonWorkload) Summary() string {
	return "encoding/json parse of a 1 KiB order into a struct: CPU and allocation, nothing shared"
}
func (jsonWorkload) Class() results.Class { return results.ClassCPU }
func (jsonWorkload) Params() []string     { return nil }

func (jsonWorkload) Start(workloads.Params) (workloads.Instance, error) {
	if _, err := mapbench.ParseOrder(mapbench.Document); err != nil {
		return nil, err // a broken document fails the run before it is timed
	}
	return jsonInstance{}, nil
}

type jsonInstance struct{ nopCloser }

func (jsonInstance) NewWorker(env workloads.Env) (workloads.Worker, error) {
	return jsonWorker{env: env}, nil
}

type jsonWorker struct {
	nopCloser
	env workloads.Env
}

// Op parses the document once: ~12µs of CPU work, then one Check with
// the ticks it stands for. Nothing here blocks, so there is no
// BeginIO/EndIO; a workload that reads a file or a socket puts that
// call between them, so that a simulated GIL is released across it.
func (w jsonWorker) Op() error {
	_, err := mapbench.ParseOrder(mapbench.Document)
	w.env.Check(mapbench.JSONTicks)
	return err
}
