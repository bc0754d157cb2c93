package bench

import (
	"errors"
	"fmt"
	"strings"

	"github.com/parbench/parbench/results"
)

// ErrInterrupted is wrapped by Run's error when Config.Stop was closed or
// ctx was cancelled before the sweep was complete.
var ErrInterrupted = errors.New("interrupted")

// ErrHung is wrapped by the error of a sample that did not finish within
// Config.SampleTimeout (and the extra timeouts the watchdog grants a
// sample the OS starved: HangError.Extended). Its goroutines are abandoned: they are told to
// stop at their next chunk and nothing they touch is reused.
var ErrHung = errors.New("sample did not finish")

// PanicError is a panic in a workload, caught in the sample that raised it.
type PanicError struct {
	Value any
	Stack []byte // the panicking goroutine's stack
}

func (e *PanicError) Error() string { return fmt.Sprintf("panic: %v", e.Value) }

// LeakError says that a sample left goroutines or open files behind.
type LeakError struct {
	Workload   string
	Goroutines int      // more than before the sample
	Files      int      // more open file descriptors than before
	Details    []string // what the new descriptors are (listeners, sockets, paths)
}

func (e *LeakError) Error() string {
	var parts []string
	if e.Goroutines > 0 {
		parts = append(parts, fmt.Sprintf("%d goroutines", e.Goroutines))
	}
	if e.Files > 0 {
		parts = append(parts, fmt.Sprintf("%d open files", e.Files))
	}
	msg := fmt.Sprintf("workload %s leaked %s", e.Workload, strings.Join(parts, " and "))
	if len(e.Details) > 0 {
		msg += " (" + strings.Join(e.Details, "; ") + ")"
	}
	return msg
}

// Failure is a point that stopped early because a sample failed: an op
// error, a worker's Close error, a panic, a hang or a leak. The sweep
// goes on without it.
type Failure struct {
	Point    string // result name
	Workload string
	At       *results.Point // the point: workload, lock, extra keys, goroutines, GOMAXPROCS (a pointer keeps Failure comparable)
	Err      error
}

func (f Failure) Error() string { return f.Point + ": " + f.Err.Error() }
func (f Failure) Unwrap() error { return f.Err }

// FailedError is Run's error when the sweep finished but some points
// failed. Every other point's samples were written.
type FailedError struct{ Failures []Failure }

func (e *FailedError) Error() string {
	if len(e.Failures) == 1 {
		return "1 point failed: " + e.Failures[0].Error()
	}
	return fmt.Sprintf("%d points failed, the first: %v", len(e.Failures), e.Failures[0])
}

// Unwrap returns the failures, so errors.Is and errors.As see each one.
func (e *FailedError) Unwrap() []error {
	errs := make([]error, len(e.Failures))
	for i, f := range e.Failures {
		errs[i] = f
	}
	return errs
}
