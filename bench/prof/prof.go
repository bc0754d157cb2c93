// Package prof writes the profiles of a parbench run: the runtime's CPU,
// mutex and block profiles, a profile of the time goroutines waited for
// the simulated GIL (which the runtime cannot see), and an execution
// trace of one point.
//
// The data flow of a profiled run:
//
//  1. Start a Session with the kinds wanted and a folder (the results
//     file's name plus ".profiles"). Start turns on the CPU profile and
//     sets the mutex and block profile rates, only for the kinds asked.
//  2. The runner runs each sample inside Session.Do, under the pprof
//     labels of its point (workload, lock, goroutines, gomaxprocs), so
//     every goroutine it starts carries them into the CPU profile.
//  3. It hands the lock of each sample the Session's WaitRecorder for the
//     point (Session.Waits): each wait for the lock lands in the gil
//     profile with its stack and the same labels.
//  4. Around the timed window of the traced point's first sample it
//     calls Session.TraceSample and its end function.
//  5. Stop writes one file per kind (cpu.pprof, mutex.pprof,
//     block.pprof, gil.pprof, trace.out) and restores the rates.
//
// Every profile opens with `go tool pprof`; slice one with
// -tagfocus=lock=gil or -tags. The runtime's mutex and block profiles
// carry no labels (Go records labels only in CPU and goroutine
// profiles); the gil profile does.
package prof

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/parbench/parbench/bench/gil"
	"github.com/parbench/parbench/results"
	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchproc"
)

// Kind is one kind of profile.
type Kind string

// The kinds, in the order --profile lists them.
const (
	CPU   Kind = "cpu"   // runtime/pprof CPU profile, labelled
	Mutex Kind = "mutex" // contended sync.Mutex: the unlocker's stack, delay
	Block Kind = "block" // blocking on channels, mutexes, selects
	GIL   Kind = "gil"   // waits for the simulated lock, labelled
	Trace Kind = "trace" // runtime/trace of one point
)

// Kinds returns every kind but Trace, which --trace asks for.
func Kinds() []Kind { return []Kind{CPU, Mutex, Block, GIL} }

// File returns the name of k's file in the profiles folder (package
// results names them, for the readers).
func (k Kind) File() string {
	switch k {
	case CPU:
		return results.ProfileCPU
	case Mutex:
		return results.ProfileMutex
	case Block:
		return results.ProfileBlock
	case GIL:
		return results.ProfileGIL
	case Trace:
		return results.ProfileTrace
	}
	return string(k) + ".pprof"
}

// ErrUnknownKind is wrapped by ParseKinds' error for a kind that does
// not exist.
var ErrUnknownKind = errors.New("unknown profile kind")

// ParseKinds parses --profile: a comma-separated list of kinds, or
// "all" for every one but the trace.
func ParseKinds(s string) ([]Kind, error) {
	var ks []Kind
	for f := range strings.SplitSeq(s, ",") {
		f = strings.TrimSpace(f)
		switch {
		case f == "all":
			for _, k := range Kinds() {
				if !slices.Contains(ks, k) {
					ks = append(ks, k)
				}
			}
		case slices.Contains(Kinds(), Kind(f)):
			if !slices.Contains(ks, Kind(f)) {
				ks = append(ks, Kind(f))
			}
		default:
			return nil, fmt.Errorf("%w %q (valid: cpu, mutex, block, gil, all)", ErrUnknownKind, f)
		}
	}
	return ks, nil
}

// Options configures a Session. Start from DefaultOptions.
type Options struct {
	// Dir is the folder the files go to; Start makes it.
	Dir string
	// Kinds are the profiles to write; Trace among them writes a trace
	// of the first sample TracePoint matches.
	Kinds []Kind
	// MutexFraction is runtime.SetMutexProfileFraction's rate while
	// profiling: 1 records every contention.
	MutexFraction int
	// BlockRate is runtime.SetBlockProfileRate's rate while profiling:
	// a blocking event of at least BlockRate nanoseconds is always
	// recorded, a shorter one with probability duration/BlockRate.
	BlockRate int
	// TracePoint selects the traced point: nil traces the first sample.
	TracePoint func(name string) bool
	// TraceWindow caps the trace: it stops after this long even if the
	// sample goes on, so the file stays small enough for go tool trace.
	TraceWindow time.Duration
}

// DefaultOptions returns every contention in the mutex profile, blocking
// events of 10µs and more (and a sample of shorter ones) in the block
// profile, and a trace window of 100ms.
func DefaultOptions() Options {
	return Options{MutexFraction: 1, BlockRate: 10000, TraceWindow: 100 * time.Millisecond}
}

// PointFilter compiles --trace-point, a benchproc filter (benchstat's
// -filter syntax) on result names, such as "/lock:gil /goroutines:4
// /gomaxprocs:2" or ".name:CPU/sha256", into a matcher for Options.
func PointFilter(query string) (func(name string) bool, error) {
	f, err := benchproc.NewFilter(query)
	if err != nil {
		return nil, err
	}
	return func(name string) bool {
		res := &benchfmt.Result{Name: benchfmt.Name(name), Values: []benchfmt.Value{{Value: 1, Unit: "sec/op"}}}
		m, err := f.Match(res)
		return err == nil && m.Any()
	}, nil
}

// Labels are the pprof labels of one point.
type Labels struct {
	Workload, Lock    string
	Goroutines, Procs int
}

// Pairs returns the labels as key, value pairs for pprof.Labels, under
// the label keys of package results (as -tagfocus and -tags name them).
func (l Labels) Pairs() []string {
	return []string{
		results.LabelWorkload, l.Workload,
		results.LabelLock, l.Lock,
		results.LabelGoroutines, strconv.Itoa(l.Goroutines),
		results.LabelProcs, strconv.Itoa(l.Procs),
	}
}

// Session is one run's profiling. A nil *Session is profiling off: its
// methods do nothing and cost nothing.
type Session struct {
	opt       Options
	has       map[Kind]bool
	cpuFile   *os.File
	prevMutex int
	waits     *WaitProfile

	traceMu   sync.Mutex
	traceDone bool
	traceFile *os.File
	traceErr  error
	stopped   bool
}

// Start creates opt.Dir and starts the profiles of opt.Kinds. Stop
// must follow, also after an error of the run.
func Start(opt Options) (*Session, error) {
	if len(opt.Kinds) == 0 {
		return nil, errors.New("prof: no profile kind")
	}
	if err := os.MkdirAll(opt.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("profiles folder: %w", err)
	}
	s := &Session{opt: opt, has: map[Kind]bool{}}
	for _, k := range opt.Kinds {
		s.has[k] = true
	}
	if s.has[CPU] {
		f, err := os.Create(s.Path(CPU))
		if err != nil {
			return nil, fmt.Errorf("cpu profile: %w", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return nil, fmt.Errorf("cpu profile: %w", err)
		}
		s.cpuFile = f
	}
	if s.has[Mutex] {
		s.prevMutex = runtime.SetMutexProfileFraction(max(opt.MutexFraction, 1))
	}
	if s.has[Block] {
		runtime.SetBlockProfileRate(max(opt.BlockRate, 1))
	}
	if s.has[GIL] {
		s.waits = NewWaitProfile()
	}
	return s, nil
}

// Path returns where k's file goes.
func (s *Session) Path(k Kind) string { return filepath.Join(s.opt.Dir, k.File()) }

// Has reports whether s writes k.
func (s *Session) Has(k Kind) bool { return s != nil && s.has[k] }

// Do runs f under l's pprof labels; goroutines f starts inherit them.
// On a nil Session it just calls f.
func (s *Session) Do(l Labels, f func()) {
	if s == nil {
		f()
		return
	}
	pprof.Do(context.Background(), pprof.Labels(l.Pairs()...), func(context.Context) { f() })
}

// Waits returns the recorder for the waits of one sample at l, or nil
// when the gil profile is off (a nil recorder costs the lock nothing).
func (s *Session) Waits(l Labels) gil.WaitRecorder {
	if s == nil || s.waits == nil {
		return nil
	}
	return s.waits.Point(l)
}

// Accounted adds the lock's own accounting of a sample's waits
// (gil.WaitAccounter's Waited), so the gil profile can say how much of
// it it holds.
func (s *Session) Accounted(d time.Duration) {
	if s != nil && s.waits != nil {
		s.waits.Accounted(d)
	}
}

// WaitProfile returns the gil profile being collected, or nil.
func (s *Session) WaitProfile() *WaitProfile {
	if s == nil {
		return nil
	}
	return s.waits
}

// TraceSample starts the trace if name is the traced point and no trace
// was taken yet. It returns the function that ends the trace, or nil.
// The trace also ends after Options.TraceWindow.
func (s *Session) TraceSample(name string) (end func()) {
	if s == nil || !s.has[Trace] {
		return nil
	}
	s.traceMu.Lock()
	defer s.traceMu.Unlock()
	if s.traceDone || s.stopped || (s.opt.TracePoint != nil && !s.opt.TracePoint(name)) {
		return nil
	}
	s.traceDone = true
	f, err := os.Create(s.Path(Trace))
	if err == nil {
		err = trace.Start(f)
		if err != nil {
			f.Close()
		}
	}
	if err != nil {
		s.traceErr = fmt.Errorf("trace of %s: %w", name, err)
		return nil
	}
	s.traceFile = f
	t := time.AfterFunc(max(s.opt.TraceWindow, time.Millisecond), s.endTrace)
	return func() { t.Stop(); s.endTrace() }
}

// endTrace stops the trace in progress, if any, and closes its file.
func (s *Session) endTrace() {
	s.traceMu.Lock()
	defer s.traceMu.Unlock()
	s.endTraceLocked()
}

func (s *Session) endTraceLocked() {
	if s.traceFile == nil {
		return
	}
	trace.Stop()
	if err := s.traceFile.Close(); err != nil && s.traceErr == nil {
		s.traceErr = fmt.Errorf("trace: %w", err)
	}
	s.traceFile = nil
}

// Traced reports whether a trace was taken.
func (s *Session) Traced() bool {
	if s == nil {
		return false
	}
	s.traceMu.Lock()
	defer s.traceMu.Unlock()
	return s.traceDone && s.traceErr == nil
}

// Stop ends the profiles, writes their files, restores the profiling
// rates and returns the paths written. A trace still running (a sample
// abandoned mid-trace) is stopped.
func (s *Session) Stop() (files []string, err error) {
	if s == nil {
		return nil, nil
	}
	var errs []error
	if s.cpuFile != nil {
		pprof.StopCPUProfile()
		errs = append(errs, s.cpuFile.Close())
		files = append(files, s.Path(CPU))
	}
	for _, k := range []Kind{Mutex, Block} {
		if !s.has[k] {
			continue
		}
		if err := writeRuntime(s.Path(k), string(k)); err != nil {
			errs = append(errs, err)
		} else {
			files = append(files, s.Path(k))
		}
	}
	if s.has[Mutex] {
		runtime.SetMutexProfileFraction(s.prevMutex)
	}
	if s.has[Block] {
		// The runtime has no getter for the block rate; parbench never
		// sets it otherwise, so off is the state before Start.
		runtime.SetBlockProfileRate(0)
	}
	if s.waits != nil {
		if err := s.waits.WriteFile(s.Path(GIL)); err != nil {
			errs = append(errs, err)
		} else {
			files = append(files, s.Path(GIL))
		}
	}
	s.traceMu.Lock()
	s.stopped = true
	s.endTraceLocked()
	if s.traceDone && s.traceErr == nil {
		files = append(files, s.Path(Trace))
	}
	errs = append(errs, s.traceErr)
	s.traceMu.Unlock()
	return files, errors.Join(errs...)
}

func writeRuntime(path, name string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("%s profile: %w", name, err)
	}
	if err := pprof.Lookup(name).WriteTo(f, 0); err != nil {
		f.Close()
		return fmt.Errorf("%s profile: %w", name, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("%s profile: %w", name, err)
	}
	return nil
}
