package bench

import (
	"time"

	"github.com/parbench/parbench/internal/rtmetrics"
)

// processCPU returns the user+system CPU time this process has used.
func processCPU() time.Duration {
	_, total := rtmetrics.ProcessCPU()
	return total
}
