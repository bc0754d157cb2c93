package bench

import (
	"time"

	"github.com/parbench/parbench/bench/rtmetrics"
)

// processCPU returns the user+system CPU time this process has used.
func processCPU() time.Duration {
	_, total := rtmetrics.ProcessCPU()
	return total
}
