//go:build unix

package rtmetrics

import (
	"syscall"
	"time"
)

// userCPU returns the user CPU time this process has used.
func userCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano())
}
