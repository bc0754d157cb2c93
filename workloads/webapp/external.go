package webapp

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parbench/parbench/internal/procfs"
	"github.com/parbench/parbench/internal/procs"
	"github.com/parbench/parbench/workloads"
)

// An external service command (workloads.Service.Command, parbench run
// --server-cmd 'CMD ARGS') runs instead of parbench's own service
// processes: W copies of CMD, each told by its environment
//
//	PARBENCH_LISTEN=127.0.0.1:PORT  the address to serve on, with
//	PARBENCH_REUSEPORT=1            (Linux) listen on it yourself with SO_REUSEPORT, or
//	PARBENCH_LISTEN_FD=3            (elsewhere) accept on the inherited listening socket, fd 3
//	PARBENCH_SQLITE=/path/app.db    the database parbench made (or
//	PARBENCH_POSTGRES=url           the PostgreSQL URL, its search_path the schema as a URL
//	                                parameter, as pgx reads it; libpq (psycopg) wants options=-c search_path=...)
//	PARBENCH_THREADS=T              threads to serve with
//	PARBENCH_HANDLER_CPU=seconds    CPU work per request, under the interpreter's lock (float)
//	PARBENCH_DB_LATENCY=seconds     added to each database statement, the lock released (float)
//	PARBENCH_BUSY=seconds           the longest wait for a database connection, then 503 (float)
//	PARBENCH_INDEX=i                which copy, from 0
//
// It prints one line "ready" on its stdout once it accepts, serves the
// same HTTP API as webapp's service (GET/PUT /docs/{id} with ETag and
// If-Match, POST /docs/{id}/increment, POST /report, Idempotency-Key,
// JSON errors {"error", "kind"}) on that database, and exits when its
// stdin closes. Its environment is parbench's own, less any PARBENCH_
// variable that parbench did not set for it.
//
// parbench starts each copy as the leader of a process group of its
// own (on Unix), so that what it kills is the copy and the children it
// started (a shell wrapper that does not exec, say); it kills a copy
// that is not ready within the start timeout or has not exited within
// the end timeout after its stdin closed, and stops waiting for a
// copy's stdout and stderr to end once the end timeout has passed
// after it exited (a child that left the group may hold them). It arms
// a parent-death signal on Linux (SIGKILL, as for its own workers: see
// package procs), keeps the tail of each copy's stderr for its errors,
// and reads each copy's CPU time (its CPU clock: package procfs's
// CPUOf) and resident memory (VmRSS of /proc/PID/status) for
// server-cpu-sec/op and B/server-worker. Outside Linux it cannot read
// them, and the samples have neither figure rather than a 0. It has no
// lock figures: the command's lock is its own. The CPU and memory are
// the copy's own process's: a command should exec its server rather
// than fork it (a gunicorn master's forked workers, a shell wrapper's
// child, are not counted, and a service CPU of about 0 then reads as a
// service that only waits).
//
// The protocol's environment variables:
const (
	EnvListen     = "PARBENCH_LISTEN"
	EnvReusePort  = "PARBENCH_REUSEPORT"
	EnvListenFD   = "PARBENCH_LISTEN_FD"
	EnvSQLite     = "PARBENCH_SQLITE"
	EnvPostgres   = "PARBENCH_POSTGRES"
	EnvThreads    = "PARBENCH_THREADS"
	EnvHandlerCPU = "PARBENCH_HANDLER_CPU"
	EnvDBLatency  = "PARBENCH_DB_LATENCY"
	EnvBusy       = "PARBENCH_BUSY"
	EnvIndex      = "PARBENCH_INDEX"
)

// extPool is the copies of an external service command: a servicePool.
type extPool struct {
	opt     procs.Options
	ls      *listening
	ps      []*extProc
	aborted atomic.Bool
	closed  sync.Once
	err     error // Close's
}

// extProc is one copy of the command.
type extProc struct {
	*procs.Child
	idx   int
	stdin io.WriteCloser
	cpu0  time.Duration // its CPU time at Begin
	cpuOK bool          // cpu0 was read
}

// The readers of a copy's CPU time and resident memory, and whether
// they can read every living copy's (Linux): tests replace them.
var (
	cpuOf       = procfs.CPUOf
	residentOf  = procfs.ResidentOf
	procFigures = runtime.GOOS == "linux"
)

// ExternalError is a copy of an external service command that failed:
// which copy, what went wrong, and the tail of its stderr.
type ExternalError struct {
	Index  int
	PID    int
	Err    error
	Stderr string
}

func (e *ExternalError) Error() string {
	return procs.FailureText(fmt.Sprintf("service command, copy %d", e.Index), e.PID, e.Err, e.Stderr)
}

func (e *ExternalError) Unwrap() error { return e.Err }

// startExternal starts sh.Workers copies of sh.Command on in's
// database, each told its place by env (see above), and returns once
// each has printed "ready", or an error once all are gone.
func startExternal(in *instance, sh workloads.Service, opt procs.Options) (_ *extPool, err error) {
	if len(sh.Command) == 0 || sh.Command[0] == "" {
		return nil, errors.New("webapp: empty service command")
	}
	// (Its lock is none: startServed checked sh first.)
	ls, err := listen()
	if err != nil {
		return nil, err
	}
	p := &extPool{opt: opt, ls: ls}
	defer func() {
		if err != nil {
			p.Abort()
		}
	}()
	env := append(inheritedEnv(), EnvListen+"="+ls.addr)
	if ls.reserve != nil {
		env = append(env, EnvReusePort+"=1")
	} else {
		env = append(env, EnvListenFD+"=3")
	}
	if in.st.pgURL != "" {
		env = append(env, EnvPostgres+"="+in.st.pgURL)
	} else {
		env = append(env, EnvSQLite+"="+in.st.file)
	}
	secs := func(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'g', -1, 64) }
	env = append(env,
		EnvThreads+"="+strconv.Itoa(sh.Threads),
		EnvHandlerCPU+"="+secs(in.cfg.handlerCPU),
		EnvDBLatency+"="+secs(in.cfg.dbLatency),
		EnvBusy+"="+secs(in.cfg.faults.Busy))
	ready := make(chan error, sh.Workers)
	for i := range sh.Workers {
		x, err := startCopy(sh.Command, append(env[:len(env):len(env)], EnvIndex+"="+strconv.Itoa(i)), ls.files(), i, opt, ready)
		if err != nil {
			return nil, err
		}
		p.ps = append(p.ps, x)
	}
	ls.started()
	var errs []error
	for range p.ps {
		if err := <-ready; err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("webapp: %w", errs[0])
	}
	return p, nil
}

// inheritedEnv is this process's environment less its PARBENCH_
// variables: those a copy gets are the protocol's, set for it (a
// parbench run inside another, or a test, may have its own set).
func inheritedEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PARBENCH_") {
			env = append(env, kv)
		}
	}
	return env
}

// startCopy starts copy i of the command and sends on ready nil once it
// printed "ready", or its error (it is then killed).
func startCopy(command, env []string, files []*os.File, i int, opt procs.Options, ready chan<- error) (*extProc, error) {
	x := &extProc{Child: procs.NewChild(exec.Command(command[0], command[1:]...)), idx: i}
	x.Cmd.Env = env
	x.Cmd.ExtraFiles = files
	// Its stdout's first line is the answer; the rest is discarded as
	// it comes, so that the command never blocks on a full pipe.
	out := newFirstLine()
	x.Cmd.Stdout = out
	// A child the copy started may hold its stdout and stderr open
	// after the copy exited: Wait waits for their end only this long
	// after the exit. The copy leads a process group, so that a kill
	// (Kill, Reap) kills such children too, unless they left it.
	x.Cmd.WaitDelay = opt.EndTimeout
	x.InGroup()
	procs.SetDeathSignal(x.Cmd)
	var err error
	if x.stdin, err = x.Cmd.StdinPipe(); err != nil {
		return nil, err
	}
	if err := x.Cmd.Start(); err != nil {
		return nil, fmt.Errorf("webapp: starting service command %q (copy %d): %w", command[0], i, err)
	}
	go func() {
		x.Wait()
		out.end()
	}()
	go func() {
		select {
		case line := <-out.line:
			if strings.TrimSpace(line) == "ready" {
				ready <- nil
				return
			}
			x.Kill()
			if line == "" {
				ready <- x.fail(errors.New("exited or closed its stdout before printing \"ready\""))
			} else {
				ready <- x.fail(fmt.Errorf("printed %q, want \"ready\"", strings.TrimSpace(line)))
			}
		case <-time.After(opt.StartTimeout):
			x.Kill()
			ready <- x.fail(fmt.Errorf("not ready within %v: killed", opt.StartTimeout))
		}
	}()
	return x, nil
}

// firstLine is a copy's stdout: it sends the first line, newline
// included, on line, and discards the rest. A line longer than 4 KiB
// is cut there.
type firstLine struct {
	line chan string // one line, once
	mu   sync.Mutex
	buf  []byte
	sent bool
}

func newFirstLine() *firstLine { return &firstLine{line: make(chan string, 1)} }

func (f *firstLine) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.sent {
		return len(p), nil
	}
	f.buf = append(f.buf, p...)
	if i := bytes.IndexByte(f.buf, '\n'); i >= 0 {
		f.send(string(f.buf[:i+1]))
	} else if len(f.buf) >= 4<<10 {
		f.send(string(f.buf[:4<<10]))
	}
	return len(p), nil
}

// end sends what came without a newline, "" for nothing, if no line
// was sent: the copy has exited and its stdout is closed.
func (f *firstLine) end() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.sent {
		f.send(string(f.buf))
	}
}

func (f *firstLine) send(line string) {
	f.line <- line
	f.sent, f.buf = true, nil
}

// fail is err about copy x as an *ExternalError, once x has exited (or
// a second has passed), so that the error says how it ended.
func (x *extProc) fail(err error) error {
	return x.externalError(x.Ended(err))
}

// externalError is err about copy x as an *ExternalError.
func (x *extProc) externalError(err error) error {
	return &ExternalError{Index: x.idx, PID: x.PID(), Err: err, Stderr: x.Stderr.String()}
}

// gone reports an error for a copy that has exited.
func (x *extProc) gone() error {
	select {
	case <-x.Exited():
		return x.fail(errors.New("exited while serving"))
	default:
		return nil
	}
}

// PIDs returns the copies' process ids, by index.
func (p *extPool) PIDs() []int {
	pids := make([]int, len(p.ps))
	for i, x := range p.ps {
		pids[i] = x.PID()
	}
	return pids
}

// Begin reads each copy's CPU time so far. The command runs as it
// will: procs, the sample's GOMAXPROCS, is not a setting it has.
func (p *extPool) Begin(int) error {
	for _, x := range p.ps {
		if err := x.gone(); err != nil {
			return err
		}
		if x.cpu0, x.cpuOK = cpuOf(x.PID()); !x.cpuOK && procFigures {
			return x.unreadable("CPU time")
		}
	}
	return nil
}

// End reads each copy's CPU time since Begin, summed, and its resident
// memory now. There are no lock figures. Where a copy's CPU time could
// not be read, at Begin or now, the sum is left out (NoCPU); where its
// memory cannot be read, its RSS is 0, unknown. On Linux, where both
// can be read for a copy alive, either failing is the sample's error.
func (p *extPool) End(time.Duration) (procs.ServiceStats, error) {
	var st procs.ServiceStats
	for _, x := range p.ps {
		if err := x.gone(); err != nil {
			return procs.ServiceStats{}, err
		}
		cpu, ok := cpuOf(x.PID())
		if !ok && procFigures {
			return procs.ServiceStats{}, x.unreadable("CPU time")
		}
		rss, rok := residentOf(x.PID())
		if !rok && procFigures {
			return procs.ServiceStats{}, x.unreadable("resident memory (/proc/PID/status)")
		}
		if ok && x.cpuOK {
			st.CPU += max(cpu-x.cpu0, 0)
		} else {
			st.NoCPU = true
		}
		if !rok {
			rss = 0
		}
		st.RSS = append(st.RSS, rss)
	}
	if st.NoCPU {
		st.CPU = 0
	}
	return st, nil
}

// unreadable is the error of a copy whose figure what cannot be read
// where it can be (procFigures): the copy has exited, most likely,
// between gone and the read.
func (x *extProc) unreadable(what string) error {
	if err := x.gone(); err != nil {
		return err
	}
	return x.fail(fmt.Errorf("its %s cannot be read", what))
}

// Close closes each copy's stdin, on which it exits, waits up to the
// end timeout for each, kills those that do not exit, releases the
// port, and returns an error naming each copy killed or failed (none
// after Abort).
func (p *extPool) Close() error {
	p.closed.Do(func() {
		var errs []error
		for _, x := range p.ps {
			x.stdin.Close()
		}
		deadline := time.Now().Add(p.opt.EndTimeout) // one for all: a channel of time.After fires for one Reap
		for _, x := range p.ps {
			if x.Reap(time.After(time.Until(deadline))) {
				errs = append(errs, x.externalError(fmt.Errorf("did not exit within %v of its stdin's end: killed", p.opt.EndTimeout)))
				continue
			}
			if werr := x.ExitErr(); werr != nil && !p.aborted.Load() {
				errs = append(errs, x.externalError(fmt.Errorf("exited: %w", werr)))
			}
		}
		errs = append(errs, p.ls.close())
		p.err = errors.Join(errs...)
	})
	if p.aborted.Load() {
		return nil
	}
	return p.err
}

// Abort kills every copy and waits until each is gone.
func (p *extPool) Abort() {
	p.aborted.Store(true)
	for _, x := range p.ps {
		x.Kill()
	}
	p.Close()
}
