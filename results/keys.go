package results

// The file configuration keys parbench writes, "key: value" lines at the
// top of a results file (see Machine and the runner's Config.FileConfig),
// and the role of each: what a reader may do with it. The writer and
// every reader use these names, so they cannot drift apart:
//
//   - the runner (bench) writes them;
//   - the analysis reads the machine, the settings and the classes;
//   - `parbench run --resume` refuses a file whose machine keys differ
//     and lets its run keys differ;
//   - `make compare` (the Makefile's COMPARE_IGNORE) hands the keys of
//     CompareIgnoredKeys to benchstat's -ignore.
const (
	// The machine (Machine writes them).
	KeyGOOS     = "goos"
	KeyGOARCH   = "goarch"
	KeyCPU      = "cpu"       // the processor's model name
	KeyNCPU     = "ncpu"      // runtime.NumCPU: the CPUs of the affinity mask
	KeyCPUQuota = "cpu-quota" // the cgroup CPU quota in CPUs, or "none"
	KeyGo       = "go"        // the Go version of the build
	// The run: where, when and with which build it was made.
	KeyHost            = "host"
	KeyParbenchVersion = "parbench-version"
	KeyParbenchCommit  = "parbench-commit"
	KeyDate            = "date"
	KeyProfiles        = "profiles" // the profiles folder of a --profile run, relative to the file's folder
	KeyClasses         = "classes"  // each workload's class, see FormatClasses
	// The sweep: its points and when a point has samples enough.
	KeyWorkloads  = "workloads"
	KeyProcs      = "procs"
	KeyGoroutines = "goroutines"
	KeyLocks      = "locks"
	KeyCount      = "count"
	KeyTargetCI   = "target-ci"
	KeyBenchtime  = "benchtime"
	// The server shape of a sweep of served workloads (webapp/* with
	// --server-workers, --server-threads): the lists, written only by
	// such a sweep. The result names carry each point's values under the
	// same keys (server-workers=W/server-threads=T).
	KeyServerWorkers = "server-workers"
	KeyServerThreads = "server-threads"
	// KeyConsistency is the list of consistency designs of a sweep of
	// replicated workloads (cluster/* with --consistency: cp, ap),
	// written only by a sweep with one; each such point's name carries
	// its design under the same key (consistency=cp).
	KeyConsistency = "consistency"
	// How each point is measured.
	KeyScaling        = "scaling" // "strong" or "weak"
	KeyExec           = "exec"    // goroutines, processes (written only by sweeps with worker processes)
	KeyPayload        = "payload"
	KeyIncludeStartup = "include-startup"
	// The settings of the lock modes and the workloads.
	KeySwitchInterval = "switch-interval"
	KeyCheckInterval  = "check-interval"
	KeyIOLatency      = "io-latency"
	KeyServerLatency  = "server-latency"
	KeyIOFraction     = "io-fraction"
	KeyOpTime         = "op-time"
	KeyCPUGoroutines  = "cpu-goroutines"
	KeyDatabase       = "database"
	KeyFaults         = "faults"
	KeyHandlerCPU     = "handler-cpu" // a served workload's CPU per request, under the service's lock
	// KeyDBLatency is added to each database statement of a served
	// workload's service, its lock released (--db-latency), written
	// only by a served sweep.
	KeyDBLatency = "db-latency"
	// KeyServerCmd is the external command a served sweep's service
	// processes run instead of parbench's own (--server-cmd), its words
	// quoted as the flag takes them; written only by such a sweep.
	KeyServerCmd = "server-cmd"
	// KeyRate is the webapp clients' open-loop rate (--rate), ops per
	// second over a sample, written only by an open-loop sweep: its
	// p50-sec and p99-sec are measured from each op's due time. A file
	// without it is closed loop, its latencies from each op's send.
	KeyRate = "rate"
	// The settings of the replicated workloads (cluster/*), written
	// only by a sweep with one: how many replicas, which partition the
	// partitioned phase cuts, how long each of a sample's three phases
	// lasts, how often an ap replica pushes its state to its peers, and
	// a client's timeout per request.
	KeyReplicas       = "replicas"
	KeyPartition      = "partition"
	KeyPhaseTime      = "phase-time"
	KeySyncInterval   = "sync-interval"
	KeyRequestTimeout = "request-timeout"
	// KeyWriteQuorum and KeyReadQuorum are the quorum design's W and R
	// in effect (--write-quorum, --read-quorum; a majority of the
	// replicas where not given), written only by a sweep that runs the
	// quorum design.
	KeyWriteQuorum = "write-quorum"
	KeyReadQuorum  = "read-quorum"
)

// Role is what a file configuration key says, and so what a reader may
// do with it.
type Role int

const (
	// RoleUnknown is a key parbench does not write (go test's pkg, a
	// note key, another tool's key).
	RoleUnknown Role = iota
	// RoleMachine keys describe the machine and toolchain the numbers
	// were measured with. Results that differ in one never share a
	// curve, and a run is resumed only where they are the same. (The
	// analysis also tells machines apart by host, a run key: see
	// MachineKeys.) `make compare` ignores them, so that two machines
	// compare point by point.
	RoleMachine
	// RoleRun keys say where, when and with which build the run was
	// made, where its profiles are and each workload's class: they may
	// differ between two runs of one sweep (a resumed run keeps the
	// file's), and `make compare` ignores them.
	RoleRun
	// RoleSweep keys are the sweep's lists (the points' names carry
	// the same values) and its stopping rules: `make compare` ignores
	// them, so that two sweeps of different extent compare point by
	// point; a resumed run must keep them.
	RoleSweep
	// RoleMode keys say how each point is measured (strong or weak
	// scaling, goroutines or worker processes): results that differ in
	// one measure different things. The result names carry exec and
	// payload, and the analysis reads scaling on its own.
	RoleMode
	// RoleSetting keys are settings of a lock mode or workload that
	// change what one op costs: the analysis never puts results that
	// differ in one on one curve.
	RoleSetting
)

func (r Role) String() string {
	switch r {
	case RoleMachine:
		return "machine"
	case RoleRun:
		return "run"
	case RoleSweep:
		return "sweep"
	case RoleMode:
		return "mode"
	case RoleSetting:
		return "setting"
	}
	return "unknown"
}

// keys are the file configuration keys parbench writes, by role. The
// settings are in the order the analysis lists them in a group's
// settings (analysis.Group.Settings), which the reports print.
var keys = []struct {
	key  string
	role Role
}{
	{KeyGOOS, RoleMachine},
	{KeyGOARCH, RoleMachine},
	{KeyCPU, RoleMachine},
	{KeyNCPU, RoleMachine},
	{KeyCPUQuota, RoleMachine},
	{KeyGo, RoleMachine},

	{KeyHost, RoleRun},
	{KeyParbenchVersion, RoleRun},
	{KeyParbenchCommit, RoleRun},
	{KeyDate, RoleRun},
	{KeyProfiles, RoleRun},
	{KeyClasses, RoleRun},

	{KeyWorkloads, RoleSweep},
	{KeyProcs, RoleSweep},
	{KeyGoroutines, RoleSweep},
	{KeyLocks, RoleSweep},
	{KeyCount, RoleSweep},
	{KeyTargetCI, RoleSweep},
	{KeyBenchtime, RoleSweep},
	{KeyServerWorkers, RoleSweep},
	{KeyServerThreads, RoleSweep},
	{KeyConsistency, RoleSweep},

	{KeyScaling, RoleMode},
	{KeyExec, RoleMode},
	{KeyPayload, RoleMode},
	{KeyIncludeStartup, RoleMode},

	{KeyIOLatency, RoleSetting},
	{KeyServerLatency, RoleSetting},
	{KeyIOFraction, RoleSetting},
	{KeyOpTime, RoleSetting},
	{KeySwitchInterval, RoleSetting},
	{KeyCheckInterval, RoleSetting},
	{KeyCPUGoroutines, RoleSetting},
	{KeyDatabase, RoleSetting},
	{KeyFaults, RoleSetting},
	{KeyHandlerCPU, RoleSetting},
	{KeyDBLatency, RoleSetting},
	{KeyServerCmd, RoleSetting},
	{KeyRate, RoleSetting},
	{KeyReplicas, RoleSetting},
	{KeyPartition, RoleSetting},
	{KeyPhaseTime, RoleSetting},
	{KeySyncInterval, RoleSetting},
	{KeyRequestTimeout, RoleSetting},
	{KeyWriteQuorum, RoleSetting},
	{KeyReadQuorum, RoleSetting},
}

// KeyRole returns the role of a file configuration key, RoleUnknown for
// a key parbench does not write.
func KeyRole(key string) Role {
	for _, k := range keys {
		if k.key == key {
			return k.role
		}
	}
	return RoleUnknown
}

// Keys returns every file configuration key parbench writes, grouped
// by role (machine, run, sweep, mode, setting).
func Keys() []string { return keysOf(func(Role) bool { return true }) }

// KeysOf returns the keys of role r, in the order of Keys.
func KeysOf(r Role) []string { return keysOf(func(k Role) bool { return k == r }) }

func keysOf(keep func(Role) bool) []string {
	var out []string
	for _, k := range keys {
		if keep(k.role) {
			out = append(out, k.key)
		}
	}
	return out
}

// MachineKeys returns the keys that must be the same for two results
// to come from one machine and toolchain: goos, goarch, cpu, ncpu,
// cpu-quota and go. A resumed run must match them. The analysis, which
// reads anyone's files, also keeps results of two hosts apart (KeyHost)
// but ignores the Go version, which go test output does not state.
func MachineKeys() []string { return KeysOf(RoleMachine) }

// RunKeys returns the keys that describe how a run was made rather than
// what it measured (RoleRun): two runs of one sweep may differ in them.
func RunKeys() []string { return KeysOf(RoleRun) }

// SettingKeys returns the lock and workload settings (RoleSetting):
// results that differ in one do not share a curve. The order is the
// one the analysis lists a group's settings in ("io-latency=1ms
// server-latency=0s ..."), which the reports print.
func SettingKeys() []string { return KeysOf(RoleSetting) }

// CompareIgnoredKeys returns the keys that `make compare` passes to
// benchstat's -ignore (the Makefile's COMPARE_IGNORE): the machine keys,
// the run keys and the sweep keys, which say where, when and how a run
// was made, not what a result measured. Two runs that differ only in
// these compare side by side: two runs of one machine, and two machines
// (where benchstat would otherwise print the two files one after the
// other, no row compared).
func CompareIgnoredKeys() []string {
	return keysOf(func(r Role) bool { return r == RoleMachine || r == RoleRun || r == RoleSweep })
}
