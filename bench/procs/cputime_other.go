//go:build !unix

package procs

import "time"

// processCPU is not available here; a worker then reports 0.
func processCPU() time.Duration { return 0 }
