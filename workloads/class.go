package workloads

import "github.com/parbench/parbench/results"

// A workload's class is results.Class: what bounds its ops. The runner
// writes each workload's class into the results file (the classes
// line), and the analysis chooses its rules by it: the memory-bandwidth
// limit for memory, oversubscription for cpu and memory, the ideal
// G x X(1) throughput for io, the latency plots for latency. Package
// results owns the classes, as it owns every part of the file format.

// Classed is implemented by a Workload that says what bounds it. Every
// workload parbench ships is one (bench's TestEveryWorkloadClassed); a workload
// that is not is results.ClassUnknown, and the analysis applies none of the
// rules of a class to it.
type Classed interface {
	// Class returns the workload's class.
	Class() results.Class
}

// ClassOf returns w's class, or results.ClassUnknown if w is not Classed.
func ClassOf(w Workload) results.Class {
	if c, ok := w.(Classed); ok {
		return c.Class()
	}
	return results.ClassUnknown
}
