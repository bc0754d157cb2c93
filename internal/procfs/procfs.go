// Package procfs parses the per-process files of Linux's /proc
// that parbench reads, so that each is parsed in one place:
//
//   - /proc/PID/stat and /proc/self/task/TID/stat, one line
//     "pid (comm) state ppid ... starttime ...": Stat returns the fields
//     after the command, which is in parentheses and may itself hold
//     spaces and parentheses. Of these, parbench uses [0] the state
//     (R, S, D, Z, X, ...), [1] the parent's pid and [19] the start
//     time in clock ticks after boot (proc(5) numbers them 3, 4, 22).
//   - /proc/PID/schedstat and /proc/self/task/TID/schedstat,
//     "run wait slices": Schedstat returns the first two, the time spent
//     on a CPU and the time spent waiting on a run queue.
//   - /proc/self/status and /proc/PID/status, "Key:\tvalue" lines:
//     Resident and ResidentOf return the VmRSS line, the process's
//     resident memory now, in bytes.
//
// Beside these files, CPUOf reads a process's CPU clock
// (clock_gettime of the clock Linux gives each process,
// CPUCLOCK_SCHED): the CPU time it has used so far, all its threads,
// those that have ended too, in nanoseconds, for a process parbench
// started but does not run (an external service command).
//
// The parsing is in pure functions on bytes (StatFields,
// ParseSchedstat, ParseVmRSS), so it is tested and fuzzed on every OS;
// the package builds everywhere, and outside Linux, where there is no
// /proc and no such clock, Stat, Schedstat, Resident, ResidentOf and
// CPUOf report false.
package procfs

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"time"
)

// Stat reads a /proc/PID/stat or /proc/self/task/TID/stat file and
// returns its fields after the command's closing parenthesis: [0] the
// state, [1] the parent's pid, [19] the start time in clock ticks after
// boot. ok is false where the file cannot be read or is not a stat line
// (the process is gone, or there is no /proc).
func Stat(path string) (fields []string, ok bool) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, false
	}
	return StatFields(data)
}

// StatFields parses a stat line "pid (comm) state ppid ...", returning
// the fields after the last ')': comm may hold spaces and parentheses,
// and the fields after it hold neither. ok is false where there is no
// ')' or no field after it; callers check the length they need.
func StatFields(data []byte) (fields []string, ok bool) {
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return nil, false
	}
	for _, f := range bytes.Fields(data[i+1:]) {
		fields = append(fields, string(f))
	}
	return fields, len(fields) > 0
}

// Schedstat reads a /proc/PID/schedstat or
// /proc/self/task/TID/schedstat file: run is the time the process or
// thread spent on a CPU, wait the time it spent runnable, waiting on a
// run queue. ok is false where the file cannot be read or parsed (no
// /proc, or a kernel without CONFIG_SCHEDSTATS).
func Schedstat(path string) (run, wait time.Duration, ok bool) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, 0, false
	}
	return ParseSchedstat(data)
}

// ParseSchedstat parses a schedstat line "run wait slices", the first
// two in nanoseconds. ok is false unless both are non-negative
// integers.
func ParseSchedstat(data []byte) (run, wait time.Duration, ok bool) {
	f := bytes.Fields(data)
	if len(f) < 2 {
		return 0, 0, false
	}
	r, err1 := strconv.ParseInt(string(f[0]), 10, 64)
	w, err2 := strconv.ParseInt(string(f[1]), 10, 64)
	if err1 != nil || err2 != nil || r < 0 || w < 0 {
		return 0, 0, false
	}
	return time.Duration(r), time.Duration(w), true
}

// Resident is this process's resident memory now, in bytes: the VmRSS
// line of /proc/self/status. ok is false where the file cannot be read
// or has no such line (outside Linux: getrusage's ru_maxrss would be the
// peak, not the memory now, and in bytes on some systems and KiB on
// others).
func Resident() (bytes int64, ok bool) {
	return residentAt("/proc/self/status")
}

// ResidentOf is process pid's resident memory now, in bytes: the VmRSS
// line of /proc/PID/status. ok is false where the file cannot be read
// (the process is gone, or there is no /proc) or has no such line (a
// zombie has none).
func ResidentOf(pid int) (bytes int64, ok bool) {
	return residentAt("/proc/" + strconv.Itoa(pid) + "/status")
}

func residentAt(path string) (int64, bool) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	n, err := ParseVmRSS(data)
	return n, err == nil
}

// ParseVmRSS returns the VmRSS line of a /proc/PID/status file in
// bytes ("VmRSS:\t    1234 kB").
func ParseVmRSS(status []byte) (int64, error) {
	for line := range bytes.Lines(status) {
		rest, ok := bytes.CutPrefix(line, []byte("VmRSS:"))
		if !ok {
			continue
		}
		f := bytes.Fields(rest)
		if len(f) != 2 || string(f[1]) != "kB" {
			return 0, fmt.Errorf("VmRSS line %q: want a count of kB", bytes.TrimSpace(line))
		}
		kb, err := strconv.ParseInt(string(f[0]), 10, 64)
		if err != nil || kb < 0 || kb > math.MaxInt64>>10 {
			return 0, fmt.Errorf("VmRSS line %q: want a count of kB", bytes.TrimSpace(line))
		}
		return kb << 10, nil
	}
	return 0, errors.New("no VmRSS line")
}

// RunnableThreads is the number of threads of process pid that are
// running or runnable now (state R in /proc/PID/task/TID/stat), the
// reader's own thread among them when pid is its own process. ok is
// false where there is no /proc or no such process.
func RunnableThreads(pid int) (n int, ok bool) {
	dir := "/proc/" + strconv.Itoa(pid) + "/task"
	tids, err := os.ReadDir(dir)
	if err != nil {
		return 0, false
	}
	for _, t := range tids {
		if f, ok := Stat(dir + "/" + t.Name() + "/stat"); ok && f[0] == "R" {
			n++
		}
	}
	return n, true
}

// Child is one child process: its pid and its state (stat's first
// field after the command: R, S, D, Z, ...).
type Child struct {
	PID   int
	State string
}

// Children returns parent's child processes, from a scan of /proc (the
// error where /proc cannot be read). A process that ends during the
// scan may be left out.
func Children(parent int) ([]Child, error) {
	d, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	want := strconv.Itoa(parent)
	var cs []Child
	for _, e := range d {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		f, ok := Stat("/proc/" + e.Name() + "/stat")
		if !ok || len(f) < 2 || f[1] != want {
			continue // gone meanwhile, or not a child
		}
		cs = append(cs, Child{PID: pid, State: f[0]})
	}
	return cs, nil
}

// RunnableChildren is the number of threads of parent's child processes
// that are running or runnable now (state R in
// /proc/PID/task/TID/stat): the part of /proc/stat's procs_running that
// a program's own child processes (its service's worker processes, its
// op workers) account for. It is 0 where there is no /proc.
func RunnableChildren(parent int) int {
	cs, _ := Children(parent)
	n := 0
	for _, c := range cs {
		r, _ := RunnableThreads(c.PID)
		n += r
	}
	return n
}
