package procs

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parbench/parbench/workloads"
)

// Options configures a Pool beyond its Spec. Start from DefaultOptions.
type Options struct {
	// Exe is the binary to run as a worker; "" means os.Executable.
	Exe string
	// StartTimeout bounds how long a worker may take to be ready, and
	// EndTimeout how long it may take to report and exit.
	StartTimeout, EndTimeout time.Duration
}

// DefaultOptions returns generous timeouts: only a hung worker trips them.
func DefaultOptions() Options {
	return Options{StartTimeout: 30 * time.Second, EndTimeout: 10 * time.Second}
}

// Pool is the worker processes of one sample.
type Pool struct {
	spec    Spec
	opt     Options
	ws      []*proc
	tmpl    []byte // one op's payload
	aborted atomic.Bool
	closed  sync.Once
	service bool // its processes run a Service (service.go), not ops
	// What start used, for a service process's Restart.
	exe   string
	env   []string
	files []*os.File
	mu    sync.Mutex // ws's entries against Kill and Restart
	ended bool       // Close or Abort began: no Restart
	// Startup is the wall time from the first exec to the last worker
	// ready: process start, Go runtime start, the workload's Start.
	Startup time.Duration
}

// proc is one worker process and the parent's ends of its pipes.
type proc struct {
	*Child
	idx  int
	in   *os.File // its stdin
	out  *os.File // its stdout
	r    *Reader
	cpu0 time.Duration
	buf  []byte // the Work frame being built
	// killed: ServicePool.Kill ended it on purpose; Close does not
	// report its exit.
	killed bool
}

// WorkerError is a worker's failure: which worker, what went wrong, and
// the last lines it wrote to stderr.
type WorkerError struct {
	Index  int
	PID    int
	Err    error
	Stderr string // its stderr's tail
}

func (e *WorkerError) Error() string {
	return FailureText(fmt.Sprintf("worker %d", e.Index), e.PID, e.Err, e.Stderr)
}

func (e *WorkerError) Unwrap() error { return e.Err }

// Start starts n worker processes running spec, each with its own
// GOMAXPROCS and lock, and returns once all are ready (or one failed,
// and all are gone). spec.Index is set per worker.
func Start(n int, spec Spec, opt Options) (*Pool, error) {
	if spec.Payload < 0 || spec.Payload > MaxPayload {
		return nil, fmt.Errorf("Spec.Payload %d: want 0 to %d bytes", spec.Payload, MaxPayload)
	}
	p := &Pool{spec: spec, opt: opt}
	p.tmpl, p.spec.PayloadCRC = Payload(spec.Payload)
	err := p.start(n, workerEnv(spec.Procs), nil, tHello, func(i int) any {
		sp := p.spec
		sp.Index = i
		return sp
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// start re-executes the worker binary n times, each with env and files
// (inherited as fd 3, 4, ...), sends each a first frame of type typ
// holding hello(index) as JSON, and waits until every one is Ready. It
// sets Startup; on an error every process is gone.
func (p *Pool) start(n int, env []string, files []*os.File, typ byte, hello func(i int) any) error {
	exe := p.opt.Exe
	if exe == "" {
		var err error
		if exe, err = os.Executable(); err != nil {
			return fmt.Errorf("finding this binary to run workers: %w", err)
		}
	}
	p.exe, p.env, p.files = exe, env, files
	t0 := time.Now()
	for i := range n {
		w, err := p.spawn(exe, env, files, i)
		if err != nil {
			p.Abort()
			return err
		}
		p.ws = append(p.ws, w)
	}
	err := p.each(func(w *proc) error { return p.greet(w, typ, hello(w.idx)) })
	p.Startup = time.Since(t0)
	if err != nil {
		p.Abort()
	}
	return err
}

// workerEnv is this process's environment with the worker marker and
// the worker's GOMAXPROCS.
func workerEnv(procs int) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GOMAXPROCS=") && !strings.HasPrefix(kv, EnvWorker+"=") {
			env = append(env, kv)
		}
	}
	return append(env, EnvWorker+"="+strconv.Itoa(os.Getpid()), "GOMAXPROCS="+strconv.Itoa(procs))
}

func (p *Pool) spawn(exe string, env []string, files []*os.File, i int) (*proc, error) {
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return nil, err
	}
	w := &proc{Child: NewChild(exec.Command(exe, WorkerArg)), idx: i, in: inW, out: outR}
	w.r = NewReader(outR, MaxFrame)
	w.Cmd.Env = env
	w.Cmd.Stdin, w.Cmd.Stdout = inR, outW
	w.Cmd.ExtraFiles = files // fd 3, 4, ... in the child
	err = startWorker(w.Cmd) // it dies with this process (deathsig_linux.go)
	inR.Close()              // the child has its own copies now
	outW.Close()
	if err != nil {
		inW.Close()
		outR.Close()
		return nil, fmt.Errorf("starting worker %d: %w", i, err)
	}
	go w.Wait()
	return w, nil
}

// each runs f for every worker at once and returns the first error.
func (p *Pool) each(f func(w *proc) error) error {
	ws := p.procs()
	errs := make([]error, len(ws))
	var wg sync.WaitGroup
	for i, w := range ws {
		wg.Go(func() { errs[i] = f(w) })
	}
	wg.Wait()
	return firstError(errs)
}

// firstError prefers a worker's own report (an op's error, a crash)
// over the broken pipes it caused elsewhere.
func firstError(errs []error) error {
	var first error
	for _, err := range errs {
		var we *WorkerError
		if errors.As(err, &we) && !errors.Is(err, errAborted) {
			return err
		}
		if first == nil {
			first = err
		}
	}
	return first
}

var errAborted = errors.New("workers aborted")

// fail turns err about w into a *WorkerError. When the pipe broke, it
// waits a moment for w to exit, so the error says how it ended.
func (p *Pool) fail(w *proc, err error) error {
	if p.aborted.Load() {
		err = fmt.Errorf("%w: %w", errAborted, err)
	}
	return w.workerError(w.Ended(err))
}

// workerError is err about w as a *WorkerError.
func (w *proc) workerError(err error) error {
	return &WorkerError{Index: w.idx, PID: w.PID(), Err: err, Stderr: w.Stderr.String()}
}

// next reads w's next frame. A worker's Error frame becomes the error;
// so does garbage, a closed pipe and the deadline d (if above 0).
func (p *Pool) next(w *proc, d time.Duration) (byte, []byte, error) {
	if d > 0 {
		w.out.SetReadDeadline(time.Now().Add(d))
		defer w.out.SetReadDeadline(time.Time{})
	}
	typ, body, err := w.r.Next()
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		w.Cmd.Process.Kill()
		return 0, nil, p.fail(w, fmt.Errorf("no reply within %v: killed", d))
	case errors.Is(err, ErrFrame):
		w.Cmd.Process.Kill()
		return 0, nil, p.fail(w, fmt.Errorf("wrote garbage: %w", err))
	case err != nil:
		return 0, nil, p.fail(w, fmt.Errorf("reading its pipe: %w", err))
	case typ == tError && p.service:
		return 0, nil, p.fail(w, fmt.Errorf("service failed: %s", body))
	case typ == tError:
		return 0, nil, p.fail(w, fmt.Errorf("op failed: %s", body))
	}
	return typ, body, nil
}

func (p *Pool) expect(w *proc, want byte, d time.Duration) ([]byte, error) {
	typ, body, err := p.next(w, d)
	if err != nil {
		return nil, err
	}
	if typ != want {
		w.Cmd.Process.Kill()
		return nil, p.fail(w, fmt.Errorf("wrote garbage: %w: type %q, want %q", ErrFrame, typ, want))
	}
	return body, nil
}

func (p *Pool) expectJSON(w *proc, want byte, v any, d time.Duration) error {
	body, err := p.expect(w, want, d)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(body, v); err != nil {
		w.Cmd.Process.Kill()
		return p.fail(w, fmt.Errorf("wrote garbage: %w: %q frame: %w", ErrFrame, want, err))
	}
	return nil
}

// Begin starts every worker's background goroutines (see
// workloads.Backgrounder) and returns once all run: outside the timing.
func (p *Pool) Begin() error {
	return p.ask(tBegin, nil, tBegun, p.opt.StartTimeout, nil)
}

// ask sends every worker a frame of type typ and body and reads its
// answer, which must be of type want within d; into, if not nil, gives
// where to decode the answer's JSON for worker i.
func (p *Pool) ask(typ byte, body []byte, want byte, d time.Duration, into func(i int) any) error {
	return p.each(func(w *proc) error {
		if err := WriteFrame(w.in, typ, body); err != nil {
			return p.fail(w, fmt.Errorf("sending frame %q: %w", typ, err))
		}
		if into == nil {
			_, err := p.expect(w, want, d)
			return err
		}
		return p.expectJSON(w, want, into(w.idx), d)
	})
}

// inFlight is how many Work frames a worker may hold: two, so that it
// works on one while the next one travels.
const inFlight = 2

// Run shares ops [0, n) among the workers, chunk ops per Work frame
// drawn from one counter (strong scaling) or, with perWorker, gives
// each worker n ops of its own (weak scaling). It returns how many ops
// each worker did. The caller times it. After a worker fails the others
// finish the frames they hold and stop.
func (p *Pool) Run(n, chunk int64, perWorker bool) ([]int64, error) {
	chunk = chunkFor(chunk, p.spec.Payload)
	done := make([]int64, len(p.ws))
	var next atomic.Int64
	var failed atomic.Bool
	err := p.each(func(w *proc) error {
		var mine int64 // perWorker: ops claimed
		claim := func() int64 {
			if failed.Load() || p.aborted.Load() {
				return 0
			}
			if perWorker {
				k := min(chunk, n-mine)
				mine += k
				return max(k, 0)
			}
			hi := next.Add(chunk)
			lo := hi - chunk
			return max(min(hi, n)-lo, 0)
		}
		var sent []int64 // counts of the frames in flight, oldest first
		send := func() error {
			k := claim()
			if k == 0 {
				return nil
			}
			w.buf = p.workFrame(w.buf[:0], k)
			if _, err := w.in.Write(w.buf); err != nil {
				return p.fail(w, fmt.Errorf("sending work: %w", err))
			}
			sent = append(sent, k)
			return nil
		}
		err := func() error {
			for range inFlight {
				if err := send(); err != nil {
					return err
				}
			}
			for len(sent) > 0 {
				body, err := p.expect(w, tDone, 0)
				if err != nil {
					return err
				}
				k, err := readU64(tDone, body)
				if err != nil || int64(k) != sent[0] {
					w.Cmd.Process.Kill()
					return p.fail(w, fmt.Errorf("wrote garbage: done %d ops, sent %d (%v)", k, sent[0], err))
				}
				done[w.idx] += sent[0]
				sent = sent[1:]
				if err := send(); err != nil {
					return err
				}
			}
			return nil
		}()
		if err != nil {
			failed.Store(true)
		}
		return err
	})
	return done, err
}

// workFrame appends a Work frame of k ops, each with its payload copied
// in: the serialisation every op pays, as pickling does.
func (p *Pool) workFrame(dst []byte, k int64) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(8+int(k)*len(p.tmpl)))
	dst = append(dst, tWork)
	dst = binary.BigEndian.AppendUint64(dst, uint64(k))
	for range k {
		dst = append(dst, p.tmpl...)
	}
	return dst
}

// Stats is what the workers report at the end of a sample.
type Stats struct {
	Ops     []int64            // ops each worker says it did
	CPU     time.Duration      // the workers' CPU time since ready, summed
	Metrics []workloads.Metric // merged over workers (see MergeMetrics)
}

// End tells each worker the sample's wall time, collects its figures,
// and lets it exit.
func (p *Pool) End(wall time.Duration) (Stats, error) {
	all, err := p.stats(wall)
	if err != nil {
		return Stats{}, err
	}
	var st Stats
	lists := make([][]workloads.Metric, len(all))
	for i, s := range all {
		st.Ops = append(st.Ops, s.Ops)
		st.CPU += s.CPU - p.ws[i].cpu0
		lists[i] = s.Metrics
	}
	st.Metrics = MergeMetrics(lists)
	return st, nil
}

// stats sends every worker an End frame of the sample's wall time and
// collects its Stats frame.
func (p *Pool) stats(wall time.Duration) ([]statsMsg, error) {
	all := make([]statsMsg, len(p.ws))
	err := p.ask(tEnd, u64(uint64(wall)), tStats, p.opt.EndTimeout, func(i int) any { return &all[i] })
	return all, err
}

// MergeMetrics merges the workers' figures unit by unit, in order of
// first appearance: a rate (unit "ops/s" or ending "/s") and a count of
// latencies (workloads.UnitLatencies) are summed over the workers, a
// maximum (unit starting "max") is the largest, and
// every other figure is the mean over the workers that report it. The
// mean of per-worker percentiles is not the percentile of all ops: it
// is an approximation, good when the workers are alike. A percentile
// (workloads.UnitP50, UnitP90, UnitP99) is kept only when every worker
// that counted latencies reports it: a worker with too few latencies for
// a p99 leaves it out, and the mean of the others would not stand for
// the summed count.
func MergeMetrics(lists [][]workloads.Metric) []workloads.Metric {
	var units []string
	vals := map[string][]float64{}
	for _, ms := range lists {
		for _, m := range ms {
			if _, ok := vals[m.Unit]; !ok {
				units = append(units, m.Unit)
			}
			vals[m.Unit] = append(vals[m.Unit], m.Value)
		}
	}
	out := make([]workloads.Metric, 0, len(units))
	counted := len(vals[workloads.UnitLatencies])
	for _, u := range units {
		vs := vals[u]
		switch u {
		case workloads.UnitP50, workloads.UnitP90, workloads.UnitP99:
			if len(vs) < counted {
				continue
			}
		}
		var x float64
		switch {
		case strings.HasSuffix(u, "/s") || u == workloads.UnitLatencies:
			for _, v := range vs {
				x += v
			}
		case strings.HasPrefix(u, "max"):
			x = vs[0]
			for _, v := range vs {
				x = max(x, v)
			}
		default:
			for _, v := range vs {
				x += v
			}
			x /= float64(len(vs))
		}
		out = append(out, workloads.Metric{Value: x, Unit: u})
	}
	return out
}

// Abort kills every worker at once and waits (briefly) until each is
// gone. It may be called from another goroutine while Run is blocked,
// and more than once.
func (p *Pool) Abort() {
	p.aborted.Store(true)
	p.mu.Lock()
	p.ended = true
	p.mu.Unlock()
	for _, w := range p.procs() {
		w.Cmd.Process.Kill()
	}
	p.Close()
}

// Close ends the workers: it closes their stdin, waits up to
// EndTimeout for each to exit, kills those that do not, and waits for
// them. It returns an error naming a worker that had to be killed or
// exited with a failure status, unless the pool was aborted.
func (p *Pool) Close() error {
	var errs []error
	p.closed.Do(func() {
		p.mu.Lock()
		p.ended = true
		p.mu.Unlock()
		ws := p.procs()
		for _, w := range ws {
			w.in.Close()
		}
		for _, w := range ws {
			p.mu.Lock()
			killed := w.killed
			p.mu.Unlock()
			if killed {
				w.Reap(time.After(p.opt.EndTimeout))
				continue
			}
			if w.Reap(time.After(p.opt.EndTimeout)) {
				errs = append(errs, w.workerError(fmt.Errorf("did not exit within %v: killed", p.opt.EndTimeout)))
			}
			w.out.Close()
			if werr := w.ExitErr(); werr != nil && !p.aborted.Load() {
				errs = append(errs, w.workerError(fmt.Errorf("exited: %w", werr)))
			}
		}
	})
	if p.aborted.Load() {
		return nil
	}
	return errors.Join(errs...)
}

// PIDs returns the workers' process ids.
func (p *Pool) PIDs() []int {
	ws := p.procs()
	pids := make([]int, len(ws))
	for i, w := range ws {
		pids[i] = w.PID()
	}
	return pids
}

// procs returns the workers now (Restart replaces one).
func (p *Pool) procs() []*proc {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]*proc(nil), p.ws...)
}

// greet sends a started process its hello, of frame type typ, and
// waits until it is ready.
func (p *Pool) greet(w *proc, typ byte, hello any) error {
	b, err := json.Marshal(hello)
	if err != nil {
		return err
	}
	if err := WriteFrame(w.in, typ, b); err != nil {
		return p.fail(w, fmt.Errorf("sending the hello: %w", err))
	}
	var rd readyMsg
	if err := p.expectJSON(w, tReady, &rd, p.opt.StartTimeout); err != nil {
		return err
	}
	w.cpu0 = rd.CPU
	return nil
}
