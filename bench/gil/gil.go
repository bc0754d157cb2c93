// Package gil holds the lock modes of parbench's --lock sweep dimension:
// what stands between a goroutine and the CPU, the way CPython's Global
// Interpreter Lock stands between a thread and the interpreter.
//
// The data flow, for one sample:
//
//  1. The runner makes a Lock for the sample with New(mode, opts).
//  2. Each worker goroutine gets its own Thread from Lock.Thread. The
//     Thread is the workloads.Env the workload sees.
//  3. The goroutine calls Start when it begins running (a Python thread
//     takes the GIL to run bytecode), then OpStart/OpEnd around each op
//     (left out where every Thread is Bracketless), while the workload
//     calls Check inside CPU work and BeginIO/EndIO around blocking
//     calls. Stop ends the goroutine's turn.
//  4. After the sample the runner reads Metrics, which become extra
//     "value unit" pairs on the result line.
//
// Mode "none" is a Lock whose every method is empty, and its Thread is
// Bracketless: the runner's cost with no lock is one increment and one
// call of the worker's Op per op. Mode "gil" (GIL,
// newgil.go) is CPython's GIL since 3.2, "gil-old" (OldGIL, oldgil.go)
// CPython 2's, and "mutex" (Mutex, mutex.go) a coarse application lock.
// The three locking modes share one accounting (stats.go) that the
// holder updates as it takes and drops the lock: switches per second,
// median tenure, wait share, median hand-off gap and turn order. Each
// embeds it, which makes it a WaitAccounter (waits.go): the time waited,
// and a WaitRecorder for parbench run --profile gil. Each is also a
// Stater (state.go): a snapshot of holder, waiters and timers that the
// runner's watchdog writes to the results file when a sample hangs.
//
// To add a mode: write its Lock and Thread in a file of its own, embed
// stats and call its took, dropped and threadStats.wait where the lock
// changes hands and where a goroutine has waited (and threadStats.enter
// with PhaseWaiting where it begins to wait), give it a State method,
// and add the mode to the modes table in gil.go (its name is then valid
// for --lock). TestModesAccountWaits fails for a mode that is not a
// WaitAccounter, TestStateModes for one that is not a Stater, and the
// tests over lockModes (gil_test.go) check the exclusion and
// the figures once the mode is listed there.
package gil

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/parbench/parbench/workloads"
)

// Lock is one lock mode, fresh for each sample.
type Lock interface {
	// Name is the mode, as written in result names (lock=<Name>).
	Name() string
	// Thread returns the handle of one new worker goroutine.
	Thread() Thread
	// Metrics returns the figures of the sample now ended, given its
	// wall time. A mode with nothing to report returns nil.
	Metrics(wall time.Duration) []workloads.Metric
}

// Thread is one goroutine's view of the lock. It is the Env handed to
// the goroutine's workload worker.
type Thread interface {
	workloads.Env
	// Start is called once when the goroutine begins its share of the
	// sample, Stop once when it ends (also after an error).
	Start()
	Stop()
	// OpStart and OpEnd bracket each op.
	OpStart()
	OpEnd()
}

// Bracketless is a Thread whose OpStart and OpEnd do nothing. When
// every Thread of a sample is Bracketless, the runner skips them: its
// loop is then one increment and one call of the worker's Op per op,
// near testing.B's (bench/ops.go). A mode whose OpStart or OpEnd does
// work (mutex: it takes the lock around the op) does not implement it,
// and a Thread that does not is always bracketed.
type Bracketless interface {
	Thread
	// Bracketless does nothing: it marks a Thread whose OpStart and
	// OpEnd do nothing, so that leaving them out changes nothing but
	// the cost.
	Bracketless()
}

// Options configures the modes that have knobs. Start from
// DefaultOptions; more fields come with more modes.
type Options struct {
	// SwitchInterval is how long a waiter waits before it asks the
	// holder to drop the lock (CPython's sys.setswitchinterval).
	SwitchInterval time.Duration
	// CheckInterval is how many ticks (workloads.TickTime) a holder runs
	// before it releases and re-takes the lock, at the tick after them
	// (CPython 2's sys.setcheckinterval).
	CheckInterval int
	// Waits, if set, receives every wait for the lock (see
	// WaitRecorder), in the modes that are a WaitAccounter: parbench's
	// --profile gil. Nil costs nothing.
	Waits WaitRecorder
}

// DefaultOptions returns CPython's defaults: a 5ms switch interval and a
// check interval of 100 ticks.
func DefaultOptions() Options {
	return Options{SwitchInterval: 5 * time.Millisecond, CheckInterval: 100}
}

// ErrUnknownMode is wrapped by New's error for a mode that does not exist.
var ErrUnknownMode = errors.New("unknown lock mode")

// modes maps each mode name to its constructor and one line on it.
var modes = map[string]struct {
	summary string
	make    func(Options) Lock
}{
	"none": {"no global lock: goroutines run in parallel (free-threaded CPython, PEP 703)", func(Options) Lock { return None{} }},
	"gil": {"CPython 3.2+ GIL: waiters ask the holder to drop it after --switch-interval, forced hand-off",
		func(o Options) Lock { return NewGIL(o.SwitchInterval) }},
	"gil-old": {"CPython 2 GIL: a plain lock released and re-taken every --check-interval ticks of work, no hand-off",
		func(o Options) Lock { return NewOldGIL(o.CheckInterval) }},
	"mutex": {"one sync.Mutex held around each whole op, IO included: a coarse application lock",
		func(Options) Lock { return NewMutex() }},
}

// Modes returns the valid mode names, sorted.
func Modes() []string {
	names := make([]string, 0, len(modes))
	for n := range modes {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Summary returns the one-line description of mode, or "".
func Summary(mode string) string { return modes[mode].summary }

// Check reports whether mode is valid, with an error that lists the
// valid ones.
func Check(mode string) error {
	if _, ok := modes[mode]; !ok {
		return fmt.Errorf("%w %q (valid: %s)", ErrUnknownMode, mode, strings.Join(Modes(), ", "))
	}
	return nil
}

// New returns a fresh Lock of the given mode.
func New(mode string, opts Options) (Lock, error) {
	if err := Check(mode); err != nil {
		return nil, err
	}
	l := modes[mode].make(opts)
	if a, ok := l.(WaitAccounter); ok && opts.Waits != nil {
		a.SetRecorder(opts.Waits)
	}
	return l, nil
}

// None is the mode without a lock. Its methods do nothing.
type None struct{}

// Name returns "none".
func (None) Name() string { return "none" }

// Thread returns a Thread that does nothing.
func (None) Thread() Thread { return noneThread{} }

// Metrics returns nil: there is nothing to report.
func (None) Metrics(time.Duration) []workloads.Metric { return nil }

type noneThread struct{ workloads.NopEnv }

func (noneThread) Start()   {}
func (noneThread) Stop()    {}
func (noneThread) OpStart() {}
func (noneThread) OpEnd()   {}

// Bracketless marks noneThread: OpStart and OpEnd do nothing.
func (noneThread) Bracketless() {}
