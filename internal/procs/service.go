package procs

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/parbench/parbench/bench/gil"
	"github.com/parbench/parbench/internal/procfs"
	"github.com/parbench/parbench/internal/rtmetrics"
	"github.com/parbench/parbench/workloads"
)

// ServiceFunc starts a service in a service process. index is the
// process's index in its pool, 0 to n-1 (ServicePool.PIDs' order): a
// replica that needs its own identity (workloads/cluster's nodes)
// reads it here, copies of one server ignore it. config is
// ServiceSpec.Config, opaque to this package, the same for every
// process; files are the files the parent passed to StartServices,
// inherited as fd 3, 4, ... (a listening socket, say), which the
// service now owns.
type ServiceFunc func(index int, config []byte, files []*os.File) (Service, error)

// Service is what a service process runs between its start and the end
// of its stdin: a server whose threads hold a lock of their own process
// during each sample, as a pre-fork server's worker holds its GIL.
type Service interface {
	// Begin starts a sample: make the service's threads from this
	// fresh lock.
	Begin(lock gil.Lock) error
	// End ends the sample: wait until no request is in flight, stop
	// the threads and return the service's own figures (the lock's are
	// added by this package).
	End(wall time.Duration) ([]workloads.Metric, error)
	// Close stops the service; the process then exits.
	Close() error
}

var services struct {
	sync.Mutex
	m map[string]ServiceFunc
}

// RegisterService makes f the service called name, for StartServices
// in a parent and for a service process started from the same binary.
// Call it from an init function: a service process looks the name up
// before anything else runs. It panics on an empty name, a nil f or a
// name registered twice, mistakes of the program and not of its input.
func RegisterService(name string, f ServiceFunc) {
	if name == "" || f == nil {
		panic("procs: RegisterService with an empty name or a nil func")
	}
	services.Lock()
	defer services.Unlock()
	if _, dup := services.m[name]; dup {
		panic(fmt.Sprintf("procs: service %q registered twice", name))
	}
	if services.m == nil {
		services.m = map[string]ServiceFunc{}
	}
	services.m[name] = f
}

// lookupService returns the service called name, or an error that
// lists the registered names.
func lookupService(name string) (ServiceFunc, error) {
	services.Lock()
	defer services.Unlock()
	if f, ok := services.m[name]; ok {
		return f, nil
	}
	names := make([]string, 0, len(services.m))
	for n := range services.m {
		names = append(names, n)
	}
	sort.Strings(names)
	list := strings.Join(names, ", ")
	if list == "" {
		list = "none"
	}
	return nil, fmt.Errorf("no service %q is registered (registered: %s)", name, list)
}

// ServiceSpec is what each service process runs.
type ServiceSpec struct {
	Name     string          // a RegisterService name
	Lock     string          // gil mode, made fresh per sample in the process
	LockOpts gil.Options     // Waits is not sent: a recorder lives in one process
	Config   json.RawMessage // the service's own config, opaque to procs
	Index    int             // set per process
	Files    int             // set by StartServices: len(files), inherited as fd 3, 4, ...
}

// ServicePool is the processes of one service: n copies of it, each
// with its own lock per sample, sharing the files they inherited.
type ServicePool struct {
	p    *Pool
	spec ServiceSpec // as started (Index set per process): Restart's
}

// StartServices starts n service processes running spec, each
// inheriting files as fd 3, 4, ... (the parent keeps its own copies and
// may close them once this returns, unless it will Restart a process:
// Restart passes the same files again), and returns once all are ready, or
// an error once all are gone. spec.Index and spec.Files are set here.
// Each process starts at this process's GOMAXPROCS; Begin sets the
// sample's.
func StartServices(n int, spec ServiceSpec, files []*os.File, opt Options) (*ServicePool, error) {
	if n < 1 {
		return nil, fmt.Errorf("service %q: %d processes, want at least 1", spec.Name, n)
	}
	if _, err := lookupService(spec.Name); err != nil {
		return nil, err
	}
	if err := gil.Check(spec.Lock); err != nil {
		return nil, fmt.Errorf("service %q: %w", spec.Name, err)
	}
	spec.Files = len(files)
	spec.LockOpts.Waits = nil
	p := &Pool{opt: opt, service: true}
	err := p.start(n, workerEnv(runtime.GOMAXPROCS(0)), files, tService, func(i int) any {
		sp := spec
		sp.Index = i
		return sp
	})
	if err != nil {
		return nil, err
	}
	return &ServicePool{p: p, spec: spec}, nil
}

// Kill kills service process i with SIGKILL (a crash: its Service is
// not closed) and returns once it is gone. Close does not report its
// end. It is an error once the pool is closing, for an index out of
// range, and for a process already killed.
func (sp *ServicePool) Kill(i int) error {
	p := sp.p
	p.mu.Lock()
	if p.ended || i < 0 || i >= len(p.ws) || p.ws[i].killed {
		p.mu.Unlock()
		return fmt.Errorf("service %q: cannot kill process %d (of %d; closing: %v)", sp.spec.Name, i, len(p.ws), p.ended)
	}
	w := p.ws[i]
	w.killed = true
	p.mu.Unlock()
	w.Kill()
	<-w.Exited()
	w.in.Close()
	w.out.Close()
	return nil
}

// Restart starts a new service process as index i in place of the one
// Kill ended, with spec, but config in place of spec.Config unless it
// is nil and files in place of StartServices' unless nil (then the
// parent's copies must still be open), and returns once it is ready,
// as StartServices does: it then serves outside a sample (Begin is not
// called for it). A process that fails to start is killed, and stays
// index i's until the next Restart.
//
// Passing a file to a process puts its open file description, which
// every process holding a copy shares, into blocking mode (exec takes
// its os.File.Fd): a running process that accepts on a listener it
// made from its copy (net.FileListener) then blocks a thread in accept
// that closing the listener cannot wake. Pass only the files the
// restarted process will own (its listeners), and have it make its
// listener with net.FileListener, which sets the description back to
// non-blocking.
func (sp *ServicePool) Restart(i int, config json.RawMessage, files []*os.File) error {
	p := sp.p
	p.mu.Lock()
	if p.ended || i < 0 || i >= len(p.ws) || !p.ws[i].killed {
		p.mu.Unlock()
		return fmt.Errorf("service %q: cannot restart process %d (of %d; closing: %v): only a killed one", sp.spec.Name, i, len(p.ws), p.ended)
	}
	if files == nil {
		files = p.files
	}
	w, err := p.spawn(p.exe, p.env, files, i)
	if err != nil {
		p.mu.Unlock()
		return err
	}
	w.killed = true // until ready
	p.ws[i] = w
	p.mu.Unlock()
	spec := sp.spec
	spec.Index = i
	spec.Files = len(files)
	if config != nil {
		spec.Config = config
	}
	err = p.greet(w, tService, spec)
	if err != nil {
		w.Kill()
		<-w.Exited()
		w.in.Close()
		w.out.Close()
		return err
	}
	p.mu.Lock()
	w.killed = false
	p.mu.Unlock()
	return nil
}

// PIDs returns the service processes' ids, by index.
func (sp *ServicePool) PIDs() []int { return sp.p.PIDs() }

// Begin starts a sample in every process: GOMAXPROCS procs, a fresh
// lock (gil.New), Service.Begin. It returns once all have begun.
func (sp *ServicePool) Begin(procs int) error {
	if procs < 1 {
		return fmt.Errorf("service pool Begin: GOMAXPROCS %d, want at least 1", procs)
	}
	return sp.p.ask(tBegin, u64(uint64(procs)), tBegun, sp.p.opt.StartTimeout, nil)
}

// ServiceStats is what the service processes report at the end of a
// sample.
type ServiceStats struct {
	Metrics []workloads.Metric // each process's lock.Metrics(wall) + Service.End's, merged over processes (MergeMetrics)
	CPU     time.Duration      // the processes' CPU time from Begin to End, summed
	NoCPU   bool               // CPU is unknown: a process's CPU time could not be read (an external command's, outside Linux)
	RSS     []int64            // each process's resident memory (VmRSS) at End, bytes; 0 where unknown
}

// End ends the sample in every process, given its wall time, and
// returns their figures. The processes keep serving, without a lock,
// until the next Begin or Close.
func (sp *ServicePool) End(wall time.Duration) (ServiceStats, error) {
	all, err := sp.p.stats(wall)
	if err != nil {
		return ServiceStats{}, err
	}
	var st ServiceStats
	lists := make([][]workloads.Metric, len(all))
	for i, s := range all {
		st.CPU += s.CPU
		st.RSS = append(st.RSS, s.RSS)
		lists[i] = s.Metrics
	}
	st.Metrics = MergeMetrics(lists)
	return st, nil
}

// Close ends the service processes: it closes their stdin, on which
// each closes its Service and exits 0, waits up to Options.EndTimeout
// for each, kills those that do not exit, and returns an error naming
// each process killed or failed.
func (sp *ServicePool) Close() error { return sp.p.Close() }

// Abort kills every service process and waits (briefly) until each is
// gone. It may be called from another goroutine, and more than once.
func (sp *ServicePool) Abort() { sp.p.Abort() }

// serveService is a service process's life after its hello: start the
// service, then samples (Begin ... End) until stdin ends, then close
// it.
func (s *server) serveService(hello []byte) error {
	var sp ServiceSpec
	if err := json.Unmarshal(hello, &sp); err != nil {
		return fmt.Errorf("%w: service hello: %w", ErrFrame, err)
	}
	s.spec.Index = sp.Index // names this process on its stderr
	f, err := lookupService(sp.Name)
	if err != nil {
		return err
	}
	if err := gil.Check(sp.Lock); err != nil {
		return err
	}
	if sp.Files < 0 {
		return fmt.Errorf("%w: service hello: %d files", ErrFrame, sp.Files)
	}
	files := make([]*os.File, sp.Files)
	for i := range files {
		// exec.Cmd.ExtraFiles numbers them from 3, after stdin,
		// stdout and stderr.
		files[i] = os.NewFile(uintptr(3+i), "inherited fd "+strconv.Itoa(3+i))
	}
	if s.svc, err = f(sp.Index, sp.Config, files); err != nil {
		return fmt.Errorf("starting service %q: %w", sp.Name, err)
	}
	_, cpu := rtmetrics.ProcessCPU()
	if err := s.sendJSON(tReady, readyMsg{PID: os.Getpid(), CPU: cpu}); err != nil {
		return err
	}
	var (
		lock gil.Lock // the sample's; nil between samples
		cpu0 time.Duration
	)
	for {
		typ, body, err := s.r.Next()
		if err == io.EOF {
			// The parent closed the pipe (Close) or died. A sample
			// still open is not ended: nobody wants its figures.
			svc := s.svc
			s.svc = nil
			if err := svc.Close(); err != nil {
				return fmt.Errorf("closing service %q: %w", sp.Name, err)
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading from the parent: %w", err)
		}
		switch {
		case typ == tBegin && lock == nil:
			procs, err := readU64(typ, body)
			if err != nil {
				return err
			}
			if procs < 1 || procs > math.MaxInt32 {
				return fmt.Errorf("%w: begin with GOMAXPROCS %d", ErrFrame, procs)
			}
			runtime.GOMAXPROCS(int(procs))
			if lock, err = gil.New(sp.Lock, sp.LockOpts); err != nil {
				return s.opFailed(err)
			}
			if err := s.svc.Begin(lock); err != nil {
				return s.opFailed(fmt.Errorf("begin: %w", err))
			}
			_, cpu0 = rtmetrics.ProcessCPU()
			if err := s.send(tBegun, nil); err != nil {
				return err
			}
		case typ == tEnd && lock != nil:
			wall, err := readU64(typ, body)
			if err != nil {
				return err
			}
			ms, err := s.svc.End(time.Duration(wall))
			if err != nil {
				return s.opFailed(fmt.Errorf("end: %w", err))
			}
			_, cpu := rtmetrics.ProcessCPU()
			st := statsMsg{CPU: cpu - cpu0, RSS: resident(), Metrics: append(lock.Metrics(time.Duration(wall)), ms...)}
			lock = nil
			if err := s.sendJSON(tStats, st); err != nil {
				return err
			}
		default:
			return fmt.Errorf("%w: unexpected type %q from the parent (in a sample: %v)", ErrFrame, typ, lock != nil)
		}
	}
}

// resident is this process's resident memory now, in bytes, or 0 where
// it is unknown (outside Linux): what a service process costs, read at
// the end of each sample. ServiceStats.RSS says 0 is unknown.
func resident() int64 {
	n, _ := procfs.Resident()
	return n
}
