package procs

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"time"

	"github.com/parbench/parbench/internal/background"
	"github.com/parbench/parbench/internal/rtmetrics"

	"github.com/parbench/parbench/bench/gil"
	"github.com/parbench/parbench/workloads"
)

// EnvWorker is the environment variable that marks a worker process:
// the parbench binary (or a test binary) started with it set serves the
// pipe protocol instead of its command line. Its value is the parent's
// process id, so a process list shows whose worker it is.
const EnvWorker = "PARBENCH_WORKER"

// WorkerArg is the first argument of a worker's command line: it only
// makes worker processes easy to tell apart in ps; EnvWorker decides.
const WorkerArg = "__worker"

// IsWorker reports whether this process was started as a worker.
func IsWorker() bool { return os.Getenv(EnvWorker) != "" }

// MaybeServe serves the protocol on stdin and stdout and exits if this
// process is a worker, and returns otherwise. A binary that can be a
// worker (parbench, a test binary of a package that runs workers) calls
// it first, after every workload is registered.
func MaybeServe() {
	if IsWorker() {
		if orphaned() {
			fmt.Fprintf(os.Stderr, "parbench worker: parent %s is gone, exiting\n", os.Getenv(EnvWorker))
			os.Exit(1)
		}
		os.Exit(Serve(os.Stdin, os.Stdout, os.Stderr))
	}
}

// Serve is a worker's life: read a Hello, start the workload, then do
// Work frames until an End, report, and return the exit status. A first
// frame that is a service hello makes it a service process instead
// (serveService), which lives until its stdin closes. It
// reads nothing but in. Errors go to stderr (which the parent keeps the
// tail of) and, for an op's error, to the parent as an Error frame.
func Serve(in io.Reader, out io.Writer, stderr io.Writer) int {
	w := &server{r: NewReader(in, MaxFrame), out: out}
	err := w.serve()
	w.close()
	if err != nil {
		fmt.Fprintf(stderr, "parbench worker %d: %v\n", w.spec.Index, err)
		return 1
	}
	return 0
}

type server struct {
	r    *Reader
	out  io.Writer
	spec Spec

	inst    workloads.Instance
	lock    gil.Lock
	th      gil.Thread
	worker  workloads.Worker
	bg      *background.Group
	started bool
	ops     int64
	closed  bool

	svc Service // a service process's Service (service.go), until closed
}

func (s *server) send(typ byte, body []byte) error {
	if err := WriteFrame(s.out, typ, body); err != nil {
		return fmt.Errorf("writing to the parent: %w", err)
	}
	return nil
}

func (s *server) sendJSON(typ byte, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return s.send(typ, b)
}

func (s *server) serve() error {
	typ, body, err := s.r.Next()
	if err != nil {
		return fmt.Errorf("reading the hello: %w", err)
	}
	if typ == tService {
		return s.serveService(body)
	}
	if typ != tHello {
		return fmt.Errorf("%w: got type %q before the hello", ErrFrame, typ)
	}
	if err := json.Unmarshal(body, &s.spec); err != nil {
		return fmt.Errorf("%w: hello: %w", ErrFrame, err)
	}
	if err := s.start(); err != nil {
		return err
	}
	_, cpu := rtmetrics.ProcessCPU()
	if err := s.sendJSON(tReady, readyMsg{PID: os.Getpid(), CPU: cpu}); err != nil {
		return err
	}
	for {
		typ, body, err := s.r.Next()
		if err == io.EOF {
			return errors.New("the parent closed the pipe before the end of the sample")
		}
		if err != nil {
			return fmt.Errorf("reading from the parent: %w", err)
		}
		switch typ {
		case tBegin:
			if err := s.begin(); err != nil {
				return err
			}
		case tWork:
			if err := s.work(body); err != nil {
				return err
			}
		case tEnd:
			wall, err := readU64(typ, body)
			if err != nil {
				return err
			}
			return s.end(time.Duration(wall))
		default:
			return fmt.Errorf("%w: unexpected type %q from the parent", ErrFrame, typ)
		}
	}
}

// start makes everything outside the timed region: GOMAXPROCS, the
// workload's instance, the lock and the one measured worker.
func (s *server) start() error {
	sp := s.spec
	if sp.Procs < 1 || sp.Payload < 0 || sp.Payload > MaxPayload {
		return fmt.Errorf("bad spec: procs %d, payload %d", sp.Procs, sp.Payload)
	}
	runtime.GOMAXPROCS(sp.Procs)
	ws, err := workloads.Lookup(sp.Workload)
	if err != nil || len(ws) != 1 || ws[0].Name() != sp.Workload {
		return fmt.Errorf("workload %q: not one registered workload", sp.Workload)
	}
	s.inst, err = ws[0].Start(sp.Params)
	if err != nil {
		return fmt.Errorf("starting %s: %w", sp.Workload, err)
	}
	if s.lock, err = gil.New(sp.Lock, sp.LockOpts); err != nil {
		return err
	}
	if sm, ok := s.inst.(workloads.Sampler); ok {
		sm.BeginSample()
	}
	s.th = s.lock.Thread()
	if s.worker, err = s.inst.NewWorker(s.th); err != nil {
		return fmt.Errorf("%s: new worker: %w", sp.Workload, err)
	}
	return nil
}

func (s *server) begin() error {
	var err error
	if s.bg, err = background.Start(s.inst, s.lock); err != nil {
		return err
	}
	return s.send(tBegun, nil)
}

// work does one Work frame: for each op, check its payload, then run it
// under the lock, as the runner's goroutines do in-process.
func (s *server) work(body []byte) error {
	if len(body) < 8 {
		return fmt.Errorf("%w: work frame of %d bytes", ErrFrame, len(body))
	}
	n, _ := readU64(tWork, body[:8])
	p := s.spec.Payload
	if n == 0 || n > MaxFrame || uint64(len(body)-8) != n*uint64(p) {
		return fmt.Errorf("%w: work frame of %d ops carries %d payload bytes, want %d each", ErrFrame, n, len(body)-8, p)
	}
	if !s.started {
		s.started = true
		s.th.Start()
	}
	data := body[8:]
	for i := range int(n) {
		// Reading the input is part of the op, under the lock, as
		// unpickling a task's arguments holds the GIL.
		s.th.OpStart()
		var err error
		if p > 0 {
			if sum := Checksum(data[i*p : (i+1)*p]); sum != s.spec.PayloadCRC {
				err = fmt.Errorf("payload of op %d: checksum %08x, want %08x", s.ops, sum, s.spec.PayloadCRC)
			}
		}
		if err == nil {
			err = s.worker.Op()
		}
		s.th.OpEnd()
		if err != nil {
			return s.opFailed(err)
		}
		s.ops++
	}
	return s.send(tDone, u64(n))
}

// opFailed tells the parent what went wrong before the worker exits.
func (s *server) opFailed(err error) error {
	if serr := s.send(tError, []byte(err.Error())); serr != nil {
		return errors.Join(err, serr)
	}
	return err
}

func (s *server) end(wall time.Duration) error {
	if s.started {
		s.th.Stop()
		s.started = false
	}
	bgErr := s.bg.End()
	closeErr := s.worker.Close()
	s.worker = nil
	if bgErr != nil {
		return s.opFailed(bgErr)
	}
	if closeErr != nil {
		return s.opFailed(fmt.Errorf("closing the worker: %w", closeErr))
	}
	_, cpu := rtmetrics.ProcessCPU()
	st := statsMsg{Ops: s.ops, CPU: cpu, Metrics: s.lock.Metrics(wall)}
	if sm, ok := s.inst.(workloads.Sampler); ok {
		st.Metrics = append(st.Metrics, sm.EndSample(wall, s.ops)...)
	}
	return s.sendJSON(tStats, st)
}

// close releases whatever start made, whatever happened.
func (s *server) close() {
	if s.closed {
		return
	}
	s.closed = true
	if s.started {
		s.th.Stop()
	}
	s.bg.End()
	if s.worker != nil {
		s.worker.Close()
	}
	if s.inst != nil {
		s.inst.Close()
	}
	if s.svc != nil {
		s.svc.Close()
	}
}
