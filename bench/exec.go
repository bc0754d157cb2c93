package bench

import (
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/parbench/parbench/internal/procs"
	"github.com/parbench/parbench/internal/rtmetrics"
	"github.com/parbench/parbench/results"
	"github.com/parbench/parbench/workloads"
)

// Execution modes: the --exec sweep dimension.
const (
	// ExecGoroutines runs a point's G workers as goroutines of this
	// process under one lock: threads in one interpreter.
	ExecGoroutines = "goroutines"
	// ExecProcesses runs them as G worker processes (package procs),
	// each with the point's GOMAXPROCS and its own lock: Python's
	// multiprocessing, one GIL per process.
	ExecProcesses = "processes"
)

// UnitStartup is the extra unit of an exec=processes sample: the wall
// time from starting the first worker process to the last one ready.
const UnitStartup = "startup-sec"

// ExecConfig is the --exec sweep dimension and its knobs. The zero
// value runs goroutines only, and names results as before --exec was.
type ExecConfig struct {
	// Modes is the --exec list; nil means goroutines only.
	Modes []string
	// Payloads is the --payload list: bytes of input each op reads
	// (checksums) before its work. A worker process gets its copy
	// through the pipe with each op; goroutines share one buffer, as
	// threads share memory. A sweep dimension only when processes is
	// in Modes; nil means {0}.
	Payloads []int
	// IncludeStartup adds the workers' start-up to each processes
	// sample's time; by default it is only reported (startup-sec).
	IncludeStartup bool
	// Worker configures the worker processes (Exe, timeouts); zero
	// fields take procs.DefaultOptions.
	Worker procs.Options
}

func (e ExecConfig) processes() bool { return slices.Contains(e.Modes, ExecProcesses) }

func (e ExecConfig) payloads() []int {
	if len(e.Payloads) == 0 {
		return []int{0}
	}
	return e.Payloads
}

// validate checks the exec fields against the selected workloads.
func (e ExecConfig) validate(ws []workloads.Workload) error {
	bad := func(field, value, format string, args ...any) error {
		return &FieldError{Field: "Exec." + field, Value: value, Err: fmt.Errorf(format, args...)}
	}
	if e.Modes != nil && len(e.Modes) == 0 {
		return bad("Modes", "", "empty list (valid: %s, %s)", ExecGoroutines, ExecProcesses)
	}
	seen := map[string]bool{}
	for _, m := range e.Modes {
		if m != ExecGoroutines && m != ExecProcesses {
			return bad("Modes", strconv.Quote(m), "unknown mode (valid: %s, %s)", ExecGoroutines, ExecProcesses)
		}
		if seen[m] {
			return bad("Modes", "", "%s given twice", m)
		}
		seen[m] = true
	}
	seenP := map[int]bool{}
	for _, p := range e.payloads() {
		if p < 0 || p > procs.MaxPayload {
			return bad("Payloads", "", "%d out of range (want 0 to %d bytes)", p, procs.MaxPayload)
		}
		if seenP[p] {
			return bad("Payloads", "", "%d given twice", p)
		}
		seenP[p] = true
	}
	if !e.processes() {
		if len(e.Payloads) > 0 && !slices.Equal(e.Payloads, []int{0}) {
			return bad("Payloads", joinInts(e.Payloads), "only {Exec.Modes} processes sends payloads (goroutines share memory)")
		}
		if e.IncludeStartup {
			return bad("IncludeStartup", "", "only {Exec.Modes} processes has a start-up to include")
		}
		return nil
	}
	for _, w := range ws {
		if g, ok := w.(workloads.GoroutinesOnly); ok {
			return &FieldError{Field: "Exec.Modes", Value: ExecProcesses, Err: fmt.Errorf("%s runs as goroutines only (%s); drop it from {Workloads} or use {Exec.Modes} %s", w.Name(), g.GoroutinesOnly(), ExecGoroutines)}
		}
	}
	return nil
}

// fileConfig is the exec part of the file configuration: nothing for a
// goroutines-only sweep, so that its files read as before.
func (e ExecConfig) fileConfig() []results.Config {
	if !e.processes() {
		return nil
	}
	return []results.Config{
		{Key: results.KeyExec, Value: strings.Join(e.Modes, ",")},
		{Key: results.KeyPayload, Value: joinInts(e.payloads())},
		{Key: results.KeyIncludeStartup, Value: strconv.FormatBool(e.IncludeStartup)},
	}
}

// execPoint is the exec part of a point.
type execPoint struct {
	processes bool
	payload   int // bytes per op, processes only
}

// execVariant is one value of the exec dimension: its keys in the
// result name and what it runs.
type execVariant struct {
	extra []results.KV
	x     execPoint
}

// variants expands the exec dimension. A sweep without processes has
// one variant with no keys, so names stay as they were; otherwise every
// point carries exec= and payload=, goroutines points too: their ops
// read the same payload, shared rather than copied, so `benchstat -col
// /exec` compares the two modes at each payload.
func (e ExecConfig) variants() []execVariant {
	if !e.processes() {
		return []execVariant{{}}
	}
	var vs []execVariant
	for _, m := range e.Modes {
		for _, p := range e.payloads() {
			vs = append(vs, execVariant{
				extra: []results.KV{{Key: "exec", Value: m}, {Key: "payload", Value: strconv.Itoa(p)}},
				x:     execPoint{processes: m == ExecProcesses, payload: p},
			})
		}
	}
	return vs
}

// procChunkScale enlarges the in-process chunk for a Work frame: a draw
// costs a pipe round trip (tens of µs), not an atomic add, so a frame
// should hold ~1ms of work rather than testing.B's ~100µs.
const procChunkScale = 10

// measureProcs is measure for an exec=processes point: start G worker
// processes (not timed unless IncludeStartup), share the ops among them
// over their pipes (timed), collect their figures, and wait for every
// one to exit. The watchdog's abandon kills them.
func (r *runner) measureProcs(pt *point, ops int64, ab *abandon) (sampleResult, error) {
	e := r.c.Exec
	opt := procs.DefaultOptions()
	if e.Worker.Exe != "" {
		opt.Exe = e.Worker.Exe
	}
	if e.Worker.StartTimeout > 0 {
		opt.StartTimeout = e.Worker.StartTimeout
	}
	if e.Worker.EndTimeout > 0 {
		opt.EndTimeout = e.Worker.EndTimeout
	}
	spec := procs.Spec{
		Workload: pt.Workload, Lock: pt.Lock, LockOpts: r.c.LockOpts,
		Procs: pt.Procs, Params: r.c.Params, Payload: pt.x.payload,
	}
	if ab.stop.Load() {
		return sampleResult{}, ErrHung
	}
	g := pt.Goroutines
	pool, err := procs.Start(g, spec, opt)
	if err != nil {
		return sampleResult{}, err
	}
	defer pool.Abort() // on every path: no worker outlives the sample
	ab.onAbandon(pool.Abort)
	if err := pool.Begin(); err != nil {
		return sampleResult{}, err
	}
	weak := r.c.Scaling == Weak
	chunk := pt.chunk * procChunkScale
	if !weak {
		chunk = min(chunk, ops/int64(4*g))
	}
	chunk = max(chunk, 1)
	runtime.GC()
	stat0 := readProcStat()
	_, cpu0 := rtmetrics.ProcessCPU()
	t0 := time.Now()
	done, err := pool.Run(ops, chunk, weak)
	wall := time.Since(t0)
	_, cpu1 := rtmetrics.ProcessCPU()
	stat1 := readProcStat()
	if err == nil && ab.stop.Load() {
		err = ErrHung
	}
	if err != nil {
		return sampleResult{}, err
	}
	st, err := pool.End(wall)
	if err != nil {
		return sampleResult{}, err
	}
	if err := pool.Close(); err != nil {
		return sampleResult{}, err
	}
	for i, d := range done {
		if st.Ops[i] != d {
			return sampleResult{}, fmt.Errorf("worker %d did %d ops, the parent sent it %d", i, st.Ops[i], d)
		}
	}
	sum, err := checkOps(done, ops, g, weak)
	if err != nil {
		return sampleResult{}, err
	}
	var startup time.Duration
	if e.IncludeStartup {
		startup = pool.Startup
	}
	metrics := append(st.Metrics, workloads.Metric{Value: pool.Startup.Seconds(), Unit: UnitStartup})
	return sampleResult{ops: sum, wall: wall, startup: startup, cpu: cpu1 - cpu0 + st.CPU, metrics: metrics, noise: noiseBetween(stat0, stat1)}, nil
}

// withPayload makes each op of w first read (checksum) a payload of n
// bytes already in memory: the in-process twin of what a worker process
// does with the copy it receives, minus the copy. n == 0 returns w.
func withPayload(w workloads.Worker, n int) workloads.Worker {
	if n == 0 {
		return w
	}
	data, sum := procs.Payload(n)
	return &payloadWorker{Worker: w, data: data, sum: sum}
}

type payloadWorker struct {
	workloads.Worker
	data []byte
	sum  uint32
}

func (w *payloadWorker) Op() error {
	if got := procs.Checksum(w.data); got != w.sum {
		return fmt.Errorf("payload: checksum %08x, want %08x", got, w.sum)
	}
	return w.Worker.Op()
}
