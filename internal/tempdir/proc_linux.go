package tempdir

import (
	"strconv"

	"github.com/parbench/parbench/internal/procfs"
)

// procState is what /proc/<pid>/stat says of a process's life.
type procState struct {
	zombie bool
	start  uint64 // clock ticks after boot
}

// procStart reads /proc/<pid>/stat: its state and its start time (the
// fields procfs.Stat numbers 0 and 19); known is false where it cannot.
func procStart(pid int) (st procState, known bool) {
	f, ok := procfs.Stat("/proc/" + strconv.Itoa(pid) + "/stat")
	if !ok || len(f) < 20 {
		return st, false
	}
	start, err := strconv.ParseUint(f[19], 10, 64)
	if err != nil {
		return st, false
	}
	return procState{zombie: f[0] == "Z" || f[0] == "X", start: start}, true
}
