package procfs

import (
	"time"

	"golang.org/x/sys/unix"
)

// CPUOf is the CPU time process pid has used so far, over all its
// threads, those that have ended included, in nanoseconds: its CPU
// clock, read with clock_gettime. Linux gives each process one, whose
// id is made of the pid, (^pid<<3)|2 (CPUCLOCK_SCHED, the scheduler's
// run time, as a process's CLOCK_PROCESS_CPUTIME_ID is). ok is false
// where it cannot be read (no such process: gone and reaped).
func CPUOf(pid int) (cpu time.Duration, ok bool) {
	if pid <= 0 || pid >= 1<<28 { // beyond Linux's pids, and the clock id's 32 bits
		return 0, false
	}
	const cpuclockSched = 2
	var ts unix.Timespec
	if err := unix.ClockGettime(int32(^pid<<3|cpuclockSched), &ts); err != nil {
		return 0, false
	}
	return time.Duration(ts.Nano()), true
}
