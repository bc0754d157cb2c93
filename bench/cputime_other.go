//go:build !unix

package bench

import "time"

// processCPU is not available here; parallelism is then reported as 0.
func processCPU() time.Duration { return 0 }
