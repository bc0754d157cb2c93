package bench

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parbench/parbench/results"
	"github.com/parbench/parbench/workloads"
	"golang.org/x/perf/benchfmt"
)

// stallWorkload's op blocks, holding the GIL, in the first op of one
// goroutine of a sample of two: the other goroutine waits for the GIL
// and asks for it, and the watchdog finds them so.
type stallWorkload struct{ release chan struct{} }

func (stallWorkload) Name() string    { return "cpu/stall" }
func (stallWorkload) Summary() string { return "holds the GIL and blocks (test)" }
func (w stallWorkload) Start(workloads.Params) (workloads.Instance, error) {
	return &stallInstance{release: w.release}, nil
}

type stallInstance struct {
	release chan struct{}
	workers atomic.Int32
	blocked atomic.Bool
}

func (in *stallInstance) NewWorker(workloads.Env) (workloads.Worker, error) {
	in.workers.Add(1)
	return stallWorker{in}, nil
}
func (in *stallInstance) Close() error { return nil }

type stallWorker struct{ in *stallInstance }

func (w stallWorker) Op() error {
	if w.in.workers.Load() == 2 && w.in.blocked.CompareAndSwap(false, true) {
		<-w.in.release
	}
	return nil
}
func (stallWorker) Close() error { return nil }

// TestWatchdogDumpsStall checks that a hung sample's failure carries the
// lock's state and every goroutine's stack, and that they reach the
// file as stall notes after the failed note, which read back as the
// same dump.
func TestWatchdogDumpsStall(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	c := testConfig()
	c.Workloads = []workloads.Workload{stallWorkload{release}}
	c.Locks = []string{"gil"}
	c.Procs = []int{2}
	c.Goroutines = []int{2}
	c.Count = 1
	c.SampleTimeout = 500 * time.Millisecond
	var buf bytes.Buffer
	c.Note = func(n results.Note) error { return results.WriteNote(&buf, n) }
	err := Run(context.Background(), c, nil, func(*benchfmt.Result) error { return nil })
	var h *HangError
	if !errors.As(err, &h) || !errors.Is(err, ErrHung) {
		t.Fatalf("Run = %v, want a *HangError wrapping ErrHung", err)
	}
	if !strings.Contains(h.Error(), "within --sample-timeout 500ms") {
		t.Errorf("error %q does not name --sample-timeout", h)
	}
	if len(h.Stacks) == 0 || len(h.Stacks) > MaxStacks {
		t.Errorf("stacks of %d bytes, want 1 to %d", len(h.Stacks), MaxStacks)
	}
	dump := h.Dump()
	for _, want := range []string{
		// The waiter asks for the GIL once its 5ms timer fires; a
		// starved machine may fire it late, so only the field is
		// required.
		"lock gil ", "locked=true", "drop-request=",
		"thread 0: ", "thread 1: ", "holding for", "waiting for", "timer ",
		"goroutine ", "bench.stallWorker.Op", // the stuck op, in the stacks
		"process: ", "of CPU in the ", "the watchdog fired ",
	} {
		if !strings.Contains(dump, want) {
			t.Errorf("dump lacks %q:\n%s", want, dump)
		}
	}
	if _, err := os.Stat("/proc/self/task"); err == nil && !strings.Contains(dump, "threads over the sample") {
		t.Errorf("dump lacks the threads of /proc/self/task:\n%s", h.Machine)
	}
	run, err := results.ReadRun("notes.txt", buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if len(run.Notes) < 2 || run.Notes[0].Key != results.NoteFailed || run.Notes[1].Key != results.NoteStall {
		t.Fatalf("notes start %v, want a failed note then the stall notes", run.Notes[:min(2, len(run.Notes))])
	}
	stalls, err := results.Stalls(run.Notes)
	if err != nil {
		t.Fatal(err)
	}
	if len(stalls) != 1 || stalls[0].Point != run.Notes[0].Point() || stalls[0].Dump != dump {
		t.Errorf("stall notes read back as %d dumps, want the one dump of %s", len(stalls), run.Notes[0].Point())
	}
}

// TestOtherFailuresHaveNoDump checks that only a hang writes a dump.
func TestOtherFailuresHaveNoDump(t *testing.T) {
	_, notes, err := runBad(t, badWorkload{name: "cpu/panic", badG: 1, mode: "panic"})
	if err == nil {
		t.Fatal("no failure")
	}
	if hasNote(notes, results.NoteStall, "") {
		t.Errorf("a panic wrote a stall note")
	}
}
