//go:build parbenchhang

// This file is built only with -tags parbenchhang: TestMakeBenchQuickFailsSoft
// (makefile_test.go) builds parbench with it, so that one point of
// `make bench-quick` fails for sure and the test can check that make
// still writes the tables, the report and the HTML page.

package main

import (
	"errors"
	"sync"

	"github.com/parbench/parbench/results"
	"github.com/parbench/parbench/workloads"
)

func init() { workloads.Register(hangWorkload{}) }

// hangWorkload's op blocks until its instance is closed: every sample
// outlives --sample-timeout, and the runner fails the point.
type hangWorkload struct{}

func (hangWorkload) Name() string         { return "test/hang" }
func (hangWorkload) Class() results.Class { return results.ClassCPU }
func (hangWorkload) Params() []string     { return nil }
func (hangWorkload) Summary() string {
	return "an op that never finishes (built only with -tags parbenchhang, for tests)"
}

func (hangWorkload) Start(workloads.Params) (workloads.Instance, error) {
	return &hangInstance{stop: make(chan struct{})}, nil
}

type hangInstance struct {
	stop chan struct{}
	once sync.Once
}

func (in *hangInstance) NewWorker(workloads.Env) (workloads.Worker, error) {
	return hangWorker{in.stop}, nil
}

// Close releases the abandoned ops, so that the run ends without a
// goroutine stuck for good.
func (in *hangInstance) Close() error {
	in.once.Do(func() { close(in.stop) })
	return nil
}

type hangWorker struct{ stop <-chan struct{} }

func (w hangWorker) Op() error {
	<-w.stop
	return errors.New("test/hang: released by Close")
}

func (hangWorker) Close() error { return nil }
