package selfbench

import (
	"os"
	"syscall"
)

// peakRSS is a finished process's peak resident memory in bytes
// (getrusage's ru_maxrss, in KiB on Linux).
func peakRSS(ps *os.ProcessState) int64 {
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok && ru != nil {
		return ru.Maxrss * 1024
	}
	return 0
}
