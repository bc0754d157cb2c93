package workloads

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Env is what the runner hands each worker goroutine. A workload never
// times itself and never touches a lock: it reports the shape of its work
// through Env, and the runner's lock mode (bench/gil) decides what that
// costs. With no lock every method is an empty call.
//
// Each Env belongs to one goroutine: call it only from the goroutine
// that runs its worker's Op, never from goroutines the op starts (a
// simulated GIL's Thread is one Python thread). A workload's tests pass
// NopEnv or an Env of their own that counts the calls.
type Env interface {
	// Check marks a point inside CPU work, after ticks ticks of it
	// since the last Check. A tick is the work of one CPython bytecode
	// (see TickTime): a workload passes the ticks its stretch of work
	// stands for, a constant it measured once. Workloads call it at
	// least every ~50µs of computation; a simulated GIL hands over here,
	// the way CPython's eval loop checks its eval breaker, and CPython
	// 2's GIL counts the ticks down to its next release.
	Check(ticks int)
	// BeginIO and EndIO bracket a blocking section (a sleep, a socket
	// round trip, an fsync). A GIL is released across it.
	BeginIO()
	EndIO()
}

// TickTime is the CPU time of one tick, the unit of Env.Check: the work
// of one bytecode that counts down CPython 2's _Py_Ticker (most do; the
// cheapest, such as LOAD_FAST, skip it). CPython 2.7.18 on the 2-CPU
// VM where parbench was calibrated ticks every 5.9 to 30ns, depending
// on the code, and every 12ns at the median of the seven small kernels
// of testdata/ticks27.py, which counts the ticks from _Py_Ticker itself.
//
// A CPU workload states the ticks each of its checks stands for: the Go
// work between two checks (BenchmarkTicks, on the same machine) divided
// by the time a tick takes in a pure-Python equivalent of that work (a
// SHA-256 round for cpu/sha256, the Mandelbrot iteration for
// cpu/mandelbrot, ...), or by TickTime where there is none. The tick is
// time, not bytecodes: a pure-Python SHA-256 would take hundreds of times
// more ticks than Go's 4 KiB hash, but what shapes CPython 2's GIL is
// how often the holder releases, every 100 ticks or ~1µs of work by
// default, and Go's 3.5µs hash is ~300 ticks of that. Both sides scale
// with the CPU, so the ratios hold roughly on other machines.
const TickTime = 12 * time.Nanosecond

// NopEnv is an Env that does nothing: the environment of `go test -bench`
// and of any caller without a lock.
type NopEnv struct{}

// Check does nothing.
func (NopEnv) Check(int) {}

// BeginIO does nothing.
func (NopEnv) BeginIO() {}

// EndIO does nothing.
func (NopEnv) EndIO() {}

// Workload is one thing parbench measures. It is a value with no timing
// logic: the runner starts it once per run, asks for one Worker per
// goroutine, and calls Op as many times as the sweep point needs.
//
// A Workload is registered once and keeps no run's state: Start may be
// called again in the same process (another run, another test), and
// once in each worker process of --exec processes, each call making an
// Instance of its own.
type Workload interface {
	// Name is the workload's path, "family/name", e.g. "cpu/sha256".
	Name() string
	// Summary is one line on what the workload shows.
	Summary() string
	// Start prepares shared state (servers, files, buffers) for a run.
	Start(p Params) (Instance, error)
}

// Instance is a started workload. Close releases everything Start made
// (listeners, goroutines, temporary directories).
//
// One Instance serves every point and sample of its workload in a run,
// and the ops of its workers run on many goroutines at once: what they
// share through it must be safe for concurrent use. In a worker process
// (--exec processes) the process has its own Instance, so nothing is
// shared between processes.
type Instance interface {
	// NewWorker returns the per-goroutine state of one worker. It is
	// called outside the timed region, for each goroutine of each
	// sample, one call at a time; env is that goroutine's.
	NewWorker(env Env) (Worker, error)
	Close() error
}

// Worker does the ops of one goroutine. Its Op is called from that
// goroutine only, so a Worker need not be safe for concurrent use. The
// runner closes it after its sample.
type Worker interface {
	// Op does exactly one op and checks its result. An error (a wrong
	// result among them) aborts the sample and fails its point.
	Op() error
	// Close releases the worker's own resources (a connection, a file).
	Close() error
}

// Params holds the knobs of the parameterised workloads. The zero value
// is not useful: start from DefaultParams.
type Params struct {
	// IOLatency is io/sleep's wait per op.
	IOLatency time.Duration
	// ServerLatency is added by io/tcp's echo server before each reply.
	ServerLatency time.Duration
	// IOFraction is mixed's share of blocking wait, s/(c+s), in [0, 1].
	IOFraction float64
	// OpTime is mixed's op length c+s at GOMAXPROCS=1 with no contention.
	OpTime time.Duration
	// CPUGoroutines is how many CPU-bound goroutines latency/convoy runs
	// beside its measured IO goroutine, under the same lock (0: none,
	// the baseline).
	CPUGoroutines int
	// TempDir is where io/fsync makes its temporary directory ("" means
	// os.TempDir()).
	TempDir string
	// HistoryDir is where a workload may write what explains a sample
	// beside the numbers: the cluster workloads write porcupine's
	// picture of a history that is not linearizable there. "" writes
	// nothing. Like TempDir, a place, not a knob: the runner sets it
	// beside the results file (results.HistoriesDir).
	HistoryDir string
	// DB is the webapp workloads' database (--db): "" for an embedded
	// SQLite file in a temporary directory, or a postgres:// URL.
	DB string
	// Faults is the fault spec (--faults), which each workload that reads
	// it checks (ParamChecker): webapp's "" for none, "on" for the
	// default mix, or key=value pairs (see package webapp); cluster's
	// "", "off" or "crash" (see package cluster).
	Faults string
	// HandlerCPU is the CPU work of one request in a Served workload's
	// service handler, under the service's lock (--handler-cpu).
	HandlerCPU time.Duration
	// DBLatency is added to each database statement's round trip in a
	// Served workload's service, with the service's lock released (a
	// database on another host, --db-latency).
	DBLatency time.Duration
	// Rate is the webapp workloads' open-loop load (--rate): ops per
	// second over the whole sample, sent on one schedule that all the
	// clients share (see package webapp); 0, the default, is closed
	// loop: each client sends its next op when the last one is done.
	Rate float64
	// Replicas is how many replica processes a Replicated workload
	// runs (--replicas), 1 to MaxReplicas.
	Replicas int
	// Partition is which nodes a Replicated workload's partitioned
	// phase cuts off (--partition): PartitionMinority,
	// PartitionHalves or PartitionIsolateLeader.
	Partition string
	// PhaseTime is the length of each phase of a Replicated workload's
	// sample, healthy, partitioned and healed (--phase-time): a
	// sample lasts three.
	PhaseTime time.Duration
	// SyncInterval is how often an ap replica pushes its state to each
	// peer (anti-entropy, --sync-interval).
	SyncInterval time.Duration
	// RequestTimeout is a Replicated workload's client's timeout per
	// request, and a node's when it forwards one (--request-timeout):
	// a request not answered by then has an unknown outcome.
	RequestTimeout time.Duration
	// WriteQuorum and ReadQuorum are the quorum design's W and R
	// (--write-quorum, --read-quorum): how many replicas must hold a
	// write before it is answered, and answer a read, the coordinator
	// included; 0, the default, is a majority (Quorums). 0 to
	// MaxReplicas here; a Replicated workload refuses one above
	// Replicas, or one set under another design (CheckReplicated).
	WriteQuorum, ReadQuorum int
}

// Quorums returns the quorum design's effective W and R: WriteQuorum
// and ReadQuorum, a majority of Replicas (Replicas/2+1) where 0.
func (p Params) Quorums() (w, r int) {
	w, r = p.WriteQuorum, p.ReadQuorum
	if w == 0 {
		w = p.Replicas/2 + 1
	}
	if r == 0 {
		r = p.Replicas/2 + 1
	}
	return w, r
}

// DefaultParams returns the documented defaults.
func DefaultParams() Params {
	return Params{
		IOLatency:      time.Millisecond,
		ServerLatency:  0,
		IOFraction:     0.5,
		OpTime:         time.Millisecond,
		HandlerCPU:     300 * time.Microsecond,
		Replicas:       3,
		Partition:      PartitionMinority,
		PhaseTime:      time.Second,
		SyncInterval:   100 * time.Millisecond,
		RequestTimeout: 250 * time.Millisecond,
	}
}

// ParamError is a parameter out of range: the error of Params.Validate.
// It names the Params field, not a command-line flag, so that a command
// can name its own flag.
type ParamError struct {
	Param string // the Params field: "IOLatency", "CPUGoroutines"
	Value string // the value at fault, as text
	Err   error  // what would be valid
}

func (e *ParamError) Error() string {
	if e.Value == "" {
		return e.Param + ": " + e.Err.Error()
	}
	return e.Param + " " + e.Value + ": " + e.Err.Error()
}

func (e *ParamError) Unwrap() error { return e.Err }

// Validate reports the first parameter out of range as a *ParamError
// (the checks of RegisterParamCheck return their own errors).
func (p Params) Validate() error {
	bad := func(param string, value any, want string) error {
		return &ParamError{Param: param, Value: fmt.Sprint(value), Err: errors.New(want)}
	}
	switch {
	case p.IOLatency < 0 || p.IOLatency > time.Minute:
		return bad(ParamIOLatency, p.IOLatency, "want a duration from 0 to 1m")
	case p.ServerLatency < 0 || p.ServerLatency > time.Minute:
		return bad(ParamServerLatency, p.ServerLatency, "want a duration from 0 to 1m")
	case !(p.IOFraction >= 0 && p.IOFraction <= 1):
		return bad(ParamIOFraction, p.IOFraction, "want a number from 0 to 1")
	case p.OpTime <= 0 || p.OpTime > time.Minute:
		return bad(ParamOpTime, p.OpTime, "want a duration above 0 and at most 1m")
	case p.CPUGoroutines < 0 || p.CPUGoroutines > MaxCPUGoroutines:
		return bad(ParamCPUGoroutines, p.CPUGoroutines, fmt.Sprintf("want 0 to %d", MaxCPUGoroutines))
	case p.HandlerCPU < 0 || p.HandlerCPU > time.Second:
		return bad(ParamHandlerCPU, p.HandlerCPU, "want a duration from 0 to 1s")
	case p.DBLatency < 0 || p.DBLatency > time.Second:
		return bad(ParamDBLatency, p.DBLatency, "want a duration from 0 to 1s")
	case !(p.Rate >= 0 && p.Rate <= MaxRate):
		return bad(ParamRate, p.Rate, fmt.Sprintf("want 0 (closed loop) or ops per second above 0 and at most %d", MaxRate))
	case p.Replicas < 1 || p.Replicas > MaxReplicas:
		return bad(ParamReplicas, p.Replicas, fmt.Sprintf("want 1 to %d", MaxReplicas))
	case !slices.Contains(Partitions(), p.Partition):
		return bad(ParamPartition, strconv.Quote(p.Partition), "want one of "+strings.Join(Partitions(), ", "))
	case p.PhaseTime < 100*time.Millisecond || p.PhaseTime > time.Minute:
		return bad(ParamPhaseTime, p.PhaseTime, "want a duration from 100ms to 1m")
	case p.SyncInterval < time.Millisecond || p.SyncInterval > 10*time.Second:
		return bad(ParamSyncInterval, p.SyncInterval, "want a duration from 1ms to 10s")
	case p.RequestTimeout < time.Millisecond || p.RequestTimeout > 10*time.Second:
		return bad(ParamRequestTimeout, p.RequestTimeout, "want a duration from 1ms to 10s")
	case p.WriteQuorum < 0 || p.WriteQuorum > MaxReplicas:
		return bad(ParamWriteQuorum, p.WriteQuorum, fmt.Sprintf("want 0 (a majority) or 1 to %d", MaxReplicas))
	case p.ReadQuorum < 0 || p.ReadQuorum > MaxReplicas:
		return bad(ParamReadQuorum, p.ReadQuorum, fmt.Sprintf("want 0 (a majority) or 1 to %d", MaxReplicas))
	}
	for _, check := range paramChecks {
		if err := check(p); err != nil {
			return err
		}
	}
	return nil
}

var paramChecks []func(Params) error

// The knobs of Params, by field name: what a ParamUser declares, what
// Params.Changed returns, and what a ParamError names.
const (
	ParamIOLatency     = "IOLatency"
	ParamServerLatency = "ServerLatency"
	ParamIOFraction    = "IOFraction"
	ParamOpTime        = "OpTime"
	ParamCPUGoroutines = "CPUGoroutines"
	ParamDB            = "DB"
	ParamFaults        = "Faults"
	ParamHandlerCPU    = "HandlerCPU"
	ParamDBLatency     = "DBLatency"
	ParamRate          = "Rate"
	// The knobs of the Replicated workloads.
	ParamReplicas       = "Replicas"
	ParamPartition      = "Partition"
	ParamPhaseTime      = "PhaseTime"
	ParamSyncInterval   = "SyncInterval"
	ParamRequestTimeout = "RequestTimeout"
	ParamWriteQuorum    = "WriteQuorum"
	ParamReadQuorum     = "ReadQuorum"
)

// knobs are the Param* knobs in field order, each with its value as
// text: two Params set a knob alike when the texts are equal (Faults
// "off" is the default "").
var knobs = []struct {
	name string
	text func(Params) string
}{
	{ParamIOLatency, func(p Params) string { return p.IOLatency.String() }},
	{ParamServerLatency, func(p Params) string { return p.ServerLatency.String() }},
	{ParamIOFraction, func(p Params) string { return fmt.Sprint(p.IOFraction) }},
	{ParamOpTime, func(p Params) string { return p.OpTime.String() }},
	{ParamCPUGoroutines, func(p Params) string { return fmt.Sprint(p.CPUGoroutines) }},
	{ParamDB, func(p Params) string { return p.DB }},
	{ParamFaults, func(p Params) string { return strconv.Quote(cmp.Or(p.Faults, "off")) }},
	{ParamHandlerCPU, func(p Params) string { return p.HandlerCPU.String() }},
	{ParamDBLatency, func(p Params) string { return p.DBLatency.String() }},
	{ParamRate, func(p Params) string { return strconv.FormatFloat(p.Rate, 'g', -1, 64) }},
	{ParamReplicas, func(p Params) string { return fmt.Sprint(p.Replicas) }},
	{ParamPartition, func(p Params) string { return p.Partition }},
	{ParamPhaseTime, func(p Params) string { return p.PhaseTime.String() }},
	{ParamSyncInterval, func(p Params) string { return p.SyncInterval.String() }},
	{ParamRequestTimeout, func(p Params) string { return p.RequestTimeout.String() }},
	{ParamWriteQuorum, func(p Params) string { return fmt.Sprint(p.WriteQuorum) }},
	{ParamReadQuorum, func(p Params) string { return fmt.Sprint(p.ReadQuorum) }},
}

// Changed returns the knobs of p that differ from DefaultParams, in
// field order: what a run set on purpose. TempDir is a place, not a
// knob, and never counts.
func (p Params) Changed() []string {
	d := DefaultParams()
	var names []string
	for _, k := range knobs {
		if k.text(p) != k.text(d) {
			names = append(names, k.name)
		}
	}
	return names
}

// Value returns the knob name of p as text, as a ParamError shows it.
func (p Params) Value(name string) string {
	if name == ParamDB {
		return "(a database URL)" // never echo a password
	}
	for _, k := range knobs {
		if k.name == name {
			return k.text(p)
		}
	}
	return ""
}

// ParamUser is implemented by a Workload that says which knobs of
// Params it reads (the Param* names; none is an empty list), so that a
// run can refuse a knob that no workload of its sweep would read rather
// than record a setting that changed nothing. Every workload parbench
// ships is one (TestEveryWorkloadDeclaresParams); a workload that is not
// is taken to read them all.
type ParamUser interface {
	// Params returns the Param* names of the knobs the workload reads.
	Params() []string
}

// Uses reports whether w reads the knob name of Params: it declares it,
// or it declares nothing (it is not a ParamUser).
func Uses(w Workload, name string) bool {
	u, ok := w.(ParamUser)
	return !ok || slices.Contains(u.Params(), name)
}

// ParamChecker is implemented by a Workload that parses knobs of
// Params itself (webapp's DB and Faults, cluster's Faults): the runner
// calls CheckParams for the workloads of a sweep only, before anything
// runs, so one knob (--faults) may mean different things to different
// families, and a value one family refuses is refused only in a sweep
// that has it. A bad value is a *ParamError naming the field.
type ParamChecker interface {
	CheckParams(p Params) error
}

// RegisterParamCheck adds a check to Validate, for the parameters a
// workload package parses itself, so a bad value is a usage error
// before anything runs. Deprecated: it checks every sweep, whatever
// its workloads; implement ParamChecker instead.
func RegisterParamCheck(check func(Params) error) {
	paramChecks = append(paramChecks, check)
}

// MaxCPUGoroutines bounds Params.CPUGoroutines.
const MaxCPUGoroutines = 1024

// MaxRate bounds Params.Rate, in ops per second: a million, a slot
// every microsecond, more than a loopback HTTP service on one machine
// answers.
const MaxRate = 1_000_000

// MaxReplicas bounds Params.Replicas: each replica is a process with
// its own listeners and a proxy per link, N*(N-1) links, so more than a
// handful measures the machine's scheduler, not the design.
const MaxReplicas = 15

// ErrUnknown is wrapped by Lookup's error for a name that is not registered.
var ErrUnknown = errors.New("unknown workload")

var registry = map[string]Workload{}

// Register adds w to the registry; a second workload of the same name
// panics. Call it from an init function of the workload's package, so
// that any binary that imports the package, and each of its worker
// processes, has the workload before main runs.
func Register(w Workload) {
	if _, dup := registry[w.Name()]; dup {
		panic("workloads: duplicate workload " + w.Name())
	}
	registry[w.Name()] = w
}

// All returns every registered workload, sorted by name.
func All() []Workload {
	ws := make([]Workload, 0, len(registry))
	for _, w := range registry {
		ws = append(ws, w)
	}
	sort.Slice(ws, func(i, j int) bool { return ws[i].Name() < ws[j].Name() })
	return ws
}

// Names returns the names of every registered workload, sorted.
func Names() []string {
	var names []string
	for _, w := range All() {
		names = append(names, w.Name())
	}
	return names
}

// Lookup returns the workloads matching pattern: an exact name, a family
// ("cpu" or "cpu/*" means every cpu/ workload), or "all": every
// registered workload but the Replicated ones (cluster/*), whose
// samples last a set time of replica processes under lock none only,
// so that they run only where named, by name or family ("cluster").
// All is the whole registry.
func Lookup(pattern string) ([]Workload, error) {
	if pattern == "all" {
		var ws []Workload
		for _, w := range All() {
			if _, repl := w.(Replicated); !repl {
				ws = append(ws, w)
			}
		}
		return ws, nil
	}
	if w, ok := registry[pattern]; ok {
		return []Workload{w}, nil
	}
	family := strings.TrimSuffix(strings.TrimSuffix(pattern, "*"), "/")
	var ws []Workload
	for _, w := range All() {
		if Family(w.Name()) == family {
			ws = append(ws, w)
		}
	}
	if len(ws) == 0 {
		return nil, fmt.Errorf("%w %q (valid: all, a family such as cpu, or one of %s)",
			ErrUnknown, pattern, strings.Join(Names(), ", "))
	}
	return ws, nil
}

// Family returns the part of a workload name before the first slash.
func Family(name string) string {
	f, _, _ := strings.Cut(name, "/")
	return f
}

// Metric is one extra figure of a sample, written as a "value unit" pair
// on the result line. Unit follows the Go benchmark format: no spaces; a
// unit ending in "sec" (e.g. "p99-sec") is read as seconds by benchstat.
type Metric struct {
	Value float64
	Unit  string
}

// Sampler is implemented by an Instance that has figures of its own for
// each sample (latency percentiles, conflicts, lost updates).
type Sampler interface {
	// BeginSample is called before each sample's workers are made.
	BeginSample()
	// EndSample is called after the sample's workers are closed, with
	// the sample's wall time and ops, and returns its figures.
	EndSample(wall time.Duration, ops int64) []Metric
}

// Backgrounder is implemented by an Instance that runs goroutines of its
// own beside the measured ones (latency/convoy's CPU-bound goroutines).
// For each sample the runner makes Background() workers, each with its
// own Env from the sample's lock, starts them before the measured
// goroutines and runs their Op in a loop until the measured ops are
// done. Their ops are not counted or timed; they only load the lock and
// the cores.
type Backgrounder interface {
	// Background returns how many background goroutines a sample runs.
	Background() int
	// NewBackground returns the state of one background goroutine. It
	// is called outside the timed region, and its Close after the
	// sample.
	NewBackground(env Env) (Worker, error)
}

// MinOpser is implemented by an Instance whose figures need a least
// number of ops in every sample: latency/convoy's percentiles are
// read from one latency per op, and a p99 of fewer than 100 latencies
// is only their maximum. The runner then calibrates the point's rate
// on at least a tenth of MinOps ops, never on one long op, and runs
// max(MinOps, the ops of one --benchtime) per sample, unless that
// many would take longer than its time budget (bench.MaxFloorTime):
// then it runs what fits and warns. A workload that is not a MinOpser
// is calibrated as testing.B calibrates, on --benchtime alone.
type MinOpser interface {
	// MinOps returns the fewest ops a sample should hold, over all
	// its goroutines (or worker processes).
	MinOps() int
}

// GoroutinesOnly is implemented by a Workload that cannot run in a
// worker process (the runner's --exec processes), because what its ops
// share lives in one process: the webapp workloads' server and
// database. The runner refuses such a workload in a processes sweep
// before anything starts, with the reason in its error.
type GoroutinesOnly interface {
	// GoroutinesOnly returns why the workload runs as goroutines only, a
	// phrase such as "its server and database live in one process".
	GoroutinesOnly() string
}
