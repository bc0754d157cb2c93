package bench

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parbench/parbench/bench/gil"
	"github.com/parbench/parbench/internal/background"
	"github.com/parbench/parbench/internal/rtmetrics"
	"github.com/parbench/parbench/results"
	"github.com/parbench/parbench/workloads"
	"golang.org/x/perf/benchfmt"
)

// sampleResult is what one sample measured.
type sampleResult struct {
	ops  int64         // ops done in all
	wall time.Duration // the timed ops, start-up excluded
	// startup is the worker processes' start-up that
	// ExecConfig.IncludeStartup adds to the sample's time (0
	// otherwise). It is added where the sample is reported (timed),
	// never where its op count is sized (calibrate, resize): the
	// start-up does not grow with the ops, so an op count sized on a
	// time that includes it would hold a few ops at --benchtime.
	startup time.Duration
	cpu     time.Duration
	metrics []workloads.Metric
	noise   noise
	rt      rtmetrics.Delta // the runtime's metrics (sched latency, GC share, ...)
}

// errAborted is sample's error when Run's ctx was cancelled mid-sample.
var errAborted = errors.New("sample abandoned: run cancelled")

// abandon is shared by a sample and its watchdog. Once the watchdog
// gives up on the sample it sets stop; everything the sample started
// checks it and winds down at its next chance, and the runner never
// touches the sample's state again.
type abandon struct {
	stop atomic.Bool
	mu   sync.Mutex
	fns  []func() // to call on abandoning: stop background goroutines
	lock gil.Lock // the sample's lock once made, for the watchdog's dump
}

// setLock makes lock the one the watchdog dumps if it fires.
func (a *abandon) setLock(lock gil.Lock) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.lock = lock
}

// hung returns the watchdog's error for a sample it gives up on, with
// the sample's lock state and every goroutine's stack.
func (a *abandon) hung(d *watchdog, start sampleStart) *HangError {
	a.mu.Lock()
	lock := a.lock
	a.mu.Unlock()
	return newHangError(d, lock, start)
}

func (a *abandon) onAbandon(f func()) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.stop.Load() {
		f()
		return
	}
	a.fns = append(a.fns, f)
}

func (a *abandon) abandon() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.stop.Store(true)
	for _, f := range a.fns {
		f()
	}
}

// HangError is the error of a sample that the watchdog gave up on; it
// wraps ErrHung. It carries what the watchdog saw when it fired, for
// the results file's stall note (results.NoteStall): the sample's lock
// and the stacks of every goroutine of the process.
type HangError struct {
	Timeout time.Duration // the watchdog's limit
	// Extended is how many more Timeouts the watchdog waited because
	// the OS starved the process (stall.go), at most 3.
	Extended int
	// Lock is the lock's gil.State, printed; "" for a mode without
	// state (none) or a lock that lives in worker processes.
	Lock string
	// Machine is the process's CPU time over the sample, the machine's
	// load, each thread's scheduler state and the watchdog's judgement
	// of its last timeout: whether the process ran at all while the
	// sample hung.
	Machine string
	// Stacks is runtime.Stack of all goroutines, cut at MaxStacks bytes.
	Stacks []byte
}

// MaxStacks bounds HangError.Stacks: a sweep with thousands of
// goroutines still writes a note of readable size.
const MaxStacks = 256 << 10

func (e *HangError) Error() string {
	if e.Extended > 0 {
		return fmt.Sprintf("%v within --sample-timeout %v and %d more while the OS starved it; its goroutines are abandoned", ErrHung, e.Timeout, e.Extended)
	}
	return fmt.Sprintf("%v within --sample-timeout %v; its goroutines are abandoned", ErrHung, e.Timeout)
}

// Unwrap returns ErrHung.
func (e *HangError) Unwrap() error { return ErrHung }

// Dump returns the lock's state, the machine's and the goroutines'
// stacks as one text.
func (e *HangError) Dump() string {
	var b strings.Builder
	for _, part := range []string{e.Lock, e.Machine} {
		if part != "" {
			b.WriteString(part)
			b.WriteString("\n\n")
		}
	}
	b.Write(e.Stacks)
	return b.String()
}

// newHangError takes the snapshot: the lock first, then the machine,
// then the stacks (stopping the world to take them changes the rest).
func newHangError(d *watchdog, lock gil.Lock, start sampleStart) *HangError {
	e := &HangError{Timeout: d.timeout, Extended: d.extended}
	if s, ok := lock.(gil.Stater); ok {
		e.Lock = s.State().String()
	}
	e.Machine = start.machineDump(d.due) + "\n" + d.judgement()
	buf := make([]byte, MaxStacks)
	n := runtime.Stack(buf, true)
	e.Stacks = buf[:n]
	if n == len(buf) {
		e.Stacks = append(e.Stacks[:n-len(stacksCut)], stacksCut...)
	}
	return e
}

const stacksCut = "\n... (cut at MaxStacks)\n"

// sample runs ops ops (strong) or ops per goroutine (weak) at pt under
// the watchdog: a panic anywhere in it becomes a *PanicError, a sample
// that outlives the timeout is abandoned with ErrHung, and after it the
// process must hold no more goroutines or descriptors than before (a
// *LeakError otherwise). A sample that the OS starved gets up to
// maxExtensions more timeouts (stall.go), and a warning says so.
func (r *runner) sample(pt *point, ops int64) (sampleResult, error) {
	before := takeResources()
	runtime.GOMAXPROCS(pt.Procs)
	start := startSample()
	type outcome struct {
		s   sampleResult
		err error
	}
	ab := new(abandon)
	ch := make(chan outcome, 1) // buffered: an abandoned sample still finishes its send
	go func() {
		var o outcome
		defer func() {
			if v := recover(); v != nil {
				o.err = &PanicError{Value: v, Stack: debug.Stack()}
			}
			ch <- o
		}()
		r.profiled(pt, func() { o.s, o.err = r.measure(pt, ops, ab) })
	}()
	timeout := r.timeout
	if pt.timeout > 0 { // its op floor stretched its samples (minops.go)
		timeout = pt.timeout
	}
	wd := newWatchdog(timeout, runtime.NumCPU(), start)
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		select {
		case o := <-ch:
			// The sample came back, after all, in the time the
			// watchdog gave it: say if that was more than its timeout.
			if text := wd.warning(); text != "" {
				if err := r.warn(pt, text); err != nil {
					return sampleResult{}, err
				}
			}
			if o.err != nil {
				return o.s, o.err
			}
			// A replicated workload's fault proxy lives in this
			// process, and the links its replicas redial through it
			// after each heal differ in number from one sample to the
			// next: its Close, not its samples, must leave nothing
			// (runValid checks it once all instances are closed).
			if pt.sampleTime > 0 {
				return o.s, nil
			}
			return o.s, checkLeaks(before, pt.Workload)
		case <-timer.C:
			if wd.expired(time.Now(), watchdogThreads()) {
				timer.Reset(timeout)
				continue
			}
			err := ab.hung(wd, start) // before abandon: the state as it hung
			ab.abandon()
			return sampleResult{}, err
		case <-r.ctx.Done():
			ab.abandon()
			return sampleResult{}, errAborted
		}
	}
}

// measure is one sample, run by sample's goroutine. It checks ab before
// each step that the runner would regret after abandoning it.
func (r *runner) measure(pt *point, ops int64, ab *abandon) (sampleResult, error) {
	if pt.x.processes {
		return r.measureProcs(pt, ops, ab)
	}
	// A served point's lock is in its service's processes, each its
	// own (the Instance's BeginSample makes them); the clients run free.
	lock, err := gil.New(pt.clientLock(), r.lockOptions(pt))
	if err != nil {
		return sampleResult{}, err
	}
	ab.setLock(lock)
	g := pt.Goroutines
	threads := make(threadSet, g)
	workers := make([]workloads.Worker, g)
	// closeWorkers closes the workers made so far and returns the first
	// error. A sample that ran calls it before EndSample, as Sampler
	// promises, and fails with its error like with an op's. A sample
	// that failed already closes its workers deferred and keeps its own
	// error, the one its point's note names.
	closeWorkers := func() error {
		var first error
		for i, w := range workers {
			if w == nil {
				continue
			}
			if err := w.Close(); err != nil && first == nil {
				first = fmt.Errorf("closing worker %d: %w", i, err)
			}
			workers[i] = nil
		}
		return first
	}
	defer func() { _ = closeWorkers() }()
	sampler, _ := pt.inst.(workloads.Sampler)
	if sampler != nil {
		sampler.BeginSample()
	}
	for i := range g {
		if ab.stop.Load() {
			return sampleResult{}, ErrHung
		}
		threads[i] = lock.Thread()
		w, err := pt.inst.NewWorker(threads[i])
		if err != nil {
			return sampleResult{}, err
		}
		workers[i] = withPayload(w, pt.x.payload)
	}
	if ab.stop.Load() {
		return sampleResult{}, ErrHung
	}
	runtime.GC()
	bg, err := background.Start(pt.inst, lock)
	if err != nil {
		return sampleResult{}, err
	}
	defer bg.End()
	if bg != nil {
		ab.onAbandon(bg.Stop)
	}
	stat0 := readProcStat()
	var cpu0, cpu1 time.Duration
	// Around the timed window, outside it: the runtime's metrics and,
	// for the traced point, the trace.
	var rt0, rt1 rtmetrics.Snapshot
	var traceStop func()
	// A Single's window hook (point.go) wraps all of it, so that the
	// caller's own bookkeeping (testing.B's timer) falls in no figure.
	mark := func(start bool) {
		if start {
			if pt.window != nil {
				pt.window(true)
			}
			rt0 = rtmetrics.Read()
			traceStop = r.traceStart(pt, ops)
			_, cpu0 = rtmetrics.ProcessCPU()
		} else {
			_, cpu1 = rtmetrics.ProcessCPU()
			if traceStop != nil {
				traceStop()
			}
			rt1 = rtmetrics.Read()
			if pt.window != nil {
				pt.window(false)
			}
		}
	}
	weak := r.c.Scaling == Weak
	run := sampleOps(threads, workers)
	n, chunk, perWorker := ops, pt.chunk, weak
	if pt.sampleTime > 0 {
		// A Timed sample: each goroutine runs its ops one at a time
		// until its Op says the sample is done (untilDone).
		n, chunk, perWorker, run = math.MaxInt64, 1, true, untilDone(run)
	}
	mem0 := rtmetrics.Read() // before the goroutines start: B/goroutine
	done, wall, err := divide(&ab.stop, g, n, chunk, perWorker, mark,
		threads.start, threads.stop, run)
	stat1 := readProcStat()
	if bgErr := bg.End(); err == nil {
		err = bgErr
	}
	if err == nil && ab.stop.Load() {
		err = ErrHung
	}
	if err != nil {
		return sampleResult{}, err
	}
	var sum int64
	if pt.sampleTime > 0 {
		sum, err = checkTimedOps(done)
	} else {
		sum, err = checkOps(done, ops, g, weak)
	}
	if err != nil {
		return sampleResult{}, err
	}
	if err := closeWorkers(); err != nil {
		return sampleResult{}, err
	}
	metrics := lock.Metrics(wall)
	r.lockDone(lock)
	if sampler != nil {
		metrics = append(metrics, sampler.EndSample(wall, sum)...)
	}
	return sampleResult{ops: sum, wall: wall, cpu: cpu1 - cpu0 + serviceCPU(metrics, sum), metrics: metrics, noise: noiseBetween(stat0, stat1), rt: rt1.Sub(rt0).PerGoroutine(mem0, rt0, g)}, nil
}

// timed is the sample's reported time: its timed ops, plus the
// start-up when it is included.
func (s sampleResult) timed() time.Duration { return s.wall + s.startup }

// emit writes one sample as a result line: sec/op, then its figures.
func (r *runner) emit(pt *point, s sampleResult) error {
	res := &r.res
	res.Name = append(res.Name[:0], pt.Name()...)
	res.Iters = int(s.ops)
	res.Values = append(res.Values[:0],
		benchfmt.Value{Value: s.timed().Seconds() / float64(s.ops), Unit: "sec/op"})
	res.Values = s.appendFigures(res.Values)
	return r.sink(res)
}

// appendFigures appends every figure of s beyond sec/op, in the order
// of its result line: CPU time per op and parallelism, the lock's and
// the workload's figures, the runtime's metrics, the CPU steal and the
// other runnable tasks. It is the one list of them: emit writes it, and
// a Single's Sample returns it (point.go).
func (s sampleResult) appendFigures(dst []benchfmt.Value) []benchfmt.Value {
	dst = append(dst,
		benchfmt.Value{Value: s.cpu.Seconds() / float64(s.ops), Unit: "cpu-sec/op"},
		benchfmt.Value{Value: s.cpu.Seconds() / s.timed().Seconds(), Unit: "parallelism"},
	)
	for _, m := range s.metrics {
		dst = append(dst, benchfmt.Value{Value: m.Value, Unit: m.Unit})
	}
	dst = s.rt.AppendValues(dst, s.ops)
	if s.noise.ok {
		dst = append(dst,
			benchfmt.Value{Value: s.noise.steal, Unit: "steal-frac"},
			benchfmt.Value{Value: s.noise.others, Unit: "other-runnable"},
		)
	}
	return dst
}

// threadSet is a sample's lock handles, one per goroutine. Its methods
// are named (not closures) so that a profile of lock waits names the
// place a goroutine first asked for the lock: bench.threadSet.start.
type threadSet []gil.Thread

func (ts threadSet) start(w int) { ts[w].Start() }
func (ts threadSet) stop(w int)  { ts[w].Stop() }

// stallNotes writes the watchdog's dump after a hung sample's failed
// note: the lock's state and every goroutine's stack, as
// results.NoteStall notes. Other errors have no dump.
func (r *runner) stallNotes(pt *point, err error) error {
	var h *HangError
	if !errors.As(err, &h) || r.c.Note == nil {
		return nil
	}
	for _, n := range results.StallNotes(pt.Name(), h.Dump()) {
		if err := r.c.Note(n); err != nil {
			return err
		}
	}
	return nil
}

// serviceCPU is the CPU time of a served point's service processes in
// the sample, from the workload's figure of it (results.UnitServerCPU),
// or 0: cpu-sec/op and parallelism count every process of the point,
// as a processes point's count its workers', so that a service busy in
// its own processes is not read as a point whose CPUs sat idle.
func serviceCPU(ms []workloads.Metric, ops int64) time.Duration {
	for _, m := range ms {
		if m.Unit == results.UnitServerCPU && m.Value > 0 {
			return time.Duration(m.Value * float64(ops) * float64(time.Second))
		}
	}
	return 0
}
