//go:build !unix

package rtmetrics

import "time"

// userCPU returns 0: there is no getrusage, and user-sec/op is left out.
func userCPU() time.Duration { return 0 }
