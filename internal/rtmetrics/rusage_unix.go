//go:build unix

package rtmetrics

import (
	"syscall"
	"time"
)

// ProcessCPU returns the CPU time this process has used, user and user
// plus system, from getrusage. Both are 0 where it fails.
func ProcessCPU() (user, total time.Duration) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, 0
	}
	user = time.Duration(ru.Utime.Nano())
	return user, user + time.Duration(ru.Stime.Nano())
}
