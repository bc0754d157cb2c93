//go:build !linux

package procfs

import "time"

// CPUOf reports false outside Linux, which alone gives each process a
// CPU clock that another process can read.
func CPUOf(pid int) (cpu time.Duration, ok bool) { return 0, false }
