package results

import (
	"errors"
	"fmt"
	"strings"
)

// Class is what bounds a workload's ops, as the workload itself says
// (the runner writes it from workloads.Classed): the analysis and the
// plots choose their rules by it, never by the workload's name.
type Class string

// The classes. The zero Class is unknown: go test output, or a workload
// that states none.
const (
	ClassUnknown Class = ""
	// ClassCPU work computes: more procs help until the CPUs run out,
	// and goroutines beyond the procs only add scheduling.
	ClassCPU Class = "cpu"
	// ClassMemory work computes too, but streams through memory whose
	// bandwidth the cores share (cpu/stream): it stops scaling before
	// the CPUs run out.
	ClassMemory Class = "memory"
	// ClassIO work waits (a timer, a socket, the disk): concurrency
	// gains up to G times with no parallelism at all.
	ClassIO Class = "io"
	// ClassMixed work computes for a set share of each op and waits for
	// the rest.
	ClassMixed Class = "mixed"
	// ClassLatency workloads measure the latency of single ops beside
	// other work (percentile units such as p50-sec), not a throughput
	// curve.
	ClassLatency Class = "latency"
	// ClassWebapp workloads are a service: HTTP clients, a server and a
	// database in one process.
	ClassWebapp Class = "webapp"
)

// Classes returns the known classes, ClassUnknown aside.
func Classes() []Class {
	return []Class{ClassCPU, ClassMemory, ClassIO, ClassMixed, ClassLatency, ClassWebapp}
}

// Computes reports whether c's work is computation (cpu or memory):
// work whose goroutines beyond the procs can only queue, and whose low
// parallelism is not waiting.
func (c Class) Computes() bool { return c == ClassCPU || c == ClassMemory }

// String returns the class as the classes line writes it, "unknown" for
// ClassUnknown.
func (c Class) String() string {
	if c == ClassUnknown {
		return "unknown"
	}
	return string(c)
}

// ErrBadClass is wrapped by the errors of ParseClass and ParseClasses.
var ErrBadClass = errors.New("bad workload class")

// ParseClass parses a class as String writes it.
func ParseClass(s string) (Class, error) {
	if s == "unknown" {
		return ClassUnknown, nil
	}
	for _, c := range Classes() {
		if string(c) == s {
			return c, nil
		}
	}
	return ClassUnknown, fmt.Errorf("%w %q (valid: %s)", ErrBadClass, s, validClasses())
}

// validClasses lists the classes for an error message.
func validClasses() string {
	names := []string{ClassUnknown.String()}
	for _, c := range Classes() {
		names = append(names, c.String())
	}
	return strings.Join(names, ", ")
}

// WorkloadClass is one workload of a sweep and its class.
type WorkloadClass struct {
	Workload string
	Class    Class
}

// FormatClasses writes the value of the classes line (KeyClasses): the
// sweep's workloads in order, each with its class,
//
//	classes: cpu/sha256=cpu,cpu/stream=memory,io/sleep=io,mixed=mixed
//
// The line is not part of the result names, so that adding it changed
// no name and no benchstat table.
func FormatClasses(ws []WorkloadClass) string {
	parts := make([]string, len(ws))
	for i, w := range ws {
		parts[i] = w.Workload + "=" + w.Class.String()
	}
	return strings.Join(parts, ",")
}

// ClassMap is a file's classes line read back: each workload's class.
// A nil ClassMap is a file without the line (see ClassMap.Of).
type ClassMap map[string]Class

// ParseClasses parses the value of the classes line. Entries that do not
// parse are named in the error, which wraps ErrBadClass; the others are
// still returned.
func ParseClasses(s string) (ClassMap, error) {
	m := ClassMap{}
	var bad []string
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		w, c, ok := strings.Cut(part, "=")
		if !ok || w == "" {
			bad = append(bad, fmt.Sprintf("%q is not workload=class", part))
			continue
		}
		class, err := ParseClass(c)
		if err != nil {
			bad = append(bad, fmt.Sprintf("%s: class %q", w, c))
			continue
		}
		m[w] = class
	}
	if len(bad) > 0 {
		return m, fmt.Errorf("%w: %s (valid classes: %s)", ErrBadClass, strings.Join(bad, "; "), validClasses())
	}
	return m, nil
}

// Of returns the class of workload. A file with a classes line says the
// class of each of its workloads, and a workload it does not list is
// ClassUnknown; a file without one (nil m) was written before the line
// existed, or by go test, and gets LegacyClass.
//
// The line's name and the result names' may differ in case alone (a
// workload registered as myCache/get is written MyCache/get, which
// ParseName reads as written): a name of no exact entry takes the class
// of the one entry equal to it but for case.
func (m ClassMap) Of(workload string) Class {
	if m == nil {
		return LegacyClass(workload)
	}
	if c, ok := m[workload]; ok {
		return c
	}
	var c Class
	n := 0
	for w, wc := range m {
		if strings.EqualFold(w, workload) {
			c, n = wc, n+1
		}
	}
	if n != 1 {
		return ClassUnknown
	}
	return c
}

// LegacyClass returns the class of one of parbench's own workloads by
// its name, for files written before the classes line (KeyClasses):
// every committed reference run, and go test output of parbench's
// benchmarks. It is the only place where a name means a class, and it
// serves old files only; a file with the line says its classes itself.
// Names of no parbench family (anyone's go test output) are
// ClassUnknown.
func LegacyClass(workload string) Class {
	cpu := workload == "cpu" || strings.HasPrefix(workload, "cpu/")
	switch {
	case cpu && strings.Contains(workload, "stream"):
		return ClassMemory
	case cpu:
		return ClassCPU
	case strings.HasPrefix(workload, "io/"):
		return ClassIO
	case workload == "mixed":
		return ClassMixed
	case workload == "latency/convoy":
		return ClassLatency
	case strings.HasPrefix(workload, "webapp/"):
		return ClassWebapp
	}
	return ClassUnknown
}
