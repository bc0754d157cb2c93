//go:build !unix

package rtmetrics

import "time"

// ProcessCPU returns 0, 0: there is no getrusage, so parallelism and
// user-sec/op are reported as 0 or left out.
func ProcessCPU() (user, total time.Duration) { return 0, 0 }
