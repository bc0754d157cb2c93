package bench

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/parbench/parbench/results"
	"golang.org/x/perf/benchfmt"
)

// TestFailedShownAtOnce checks that a failing point reaches
// Config.Failed as it fails, with its coordinates, and that the
// progress after it counts it as failed rather than shrinking the
// sample total.
func TestFailedShownAtOnce(t *testing.T) {
	c := testConfig(countWorkload{name: "cpu/fails", fail: true})
	c.Procs, c.Goroutines = []int{1}, []int{1, 2}
	var (
		failures []Failure
		last     Progress
		atFail   int // samples done when the failure was reported
	)
	c.Failed = func(f Failure) { failures, atFail = append(failures, f), last.SamplesDone }
	c.Progress = func(p Progress) {
		if len(failures) > 0 && p.Samples != 2*c.Count {
			t.Errorf("progress %+v: the sample total fell from %d", p, 2*c.Count)
		}
		last = p
	}
	err := Run(context.Background(), c, nil, func(*benchfmt.Result) error { return nil })
	var fe *FailedError
	if !errors.As(err, &fe) || len(fe.Failures) != 1 || len(failures) != 1 {
		t.Fatalf("Run = %v; Failed got %v: want one failure, reported once", err, failures)
	}
	f := failures[0]
	if f.At.Workload != "cpu/fails" || f.At.Goroutines != 1 || f.At.Procs != 1 || f.Point != f.At.Name() || atFail != 0 {
		t.Errorf("Failed got %+v after %d samples, want the first point, before any sample", f, atFail)
	}
	if last.Failed != 1 || last.SamplesFailed != c.Count || last.SamplesDone != c.Count || last.Done != last.Total {
		t.Errorf("last progress %+v: want 1 failed point, %d samples failed, %d done, Done == Total", last, c.Count, c.Count)
	}
}

// TestIdleGoroutinesWarn checks that a point whose calibrated ops are
// fewer than its goroutines warns once, in the notes and to
// Config.Warn, naming a Benchtime that would give each goroutine an op,
// and that a point without idle goroutines does not. The op floor
// gives each goroutine its ops (minops.go) unless its budget, a quarter
// of SampleTimeout, is shorter than one op: 100ms against 150ms ops.
func TestIdleGoroutinesWarn(t *testing.T) {
	c := testConfig(lookup(t, "io/sleep"))
	c.Params.IOLatency = 150 * time.Millisecond
	c.SampleTimeout = 400 * time.Millisecond
	c.Procs, c.Goroutines, c.Count = []int{1}, []int{1, 64}, 1
	var warns []Warning
	var notes []results.Note
	c.Warn = func(w Warning) {
		if strings.Contains(w.Text, "without an op") {
			warns = append(warns, w)
		}
	}
	c.Note = func(n results.Note) error {
		if strings.Contains(n.Value, "without an op") {
			notes = append(notes, n)
		}
		return nil
	}
	if err := Run(context.Background(), c, nil, func(*benchfmt.Result) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if len(warns) != 1 || !strings.Contains(warns[0].Point, "goroutines=64") {
		t.Fatalf("warnings %v, want one, for goroutines=64", warns)
	}
	msg := warns[0].Message(func(f string) string { return "--" + strings.ToLower(f) })
	_, want, ok := strings.Cut(msg, "--benchtime ")
	d, err := time.ParseDuration(strings.Fields(want + " x")[0])
	// 42 ops (100ms of the floor's budget at 150ms per 64 ops) leave 22
	// goroutines idle: 64/42 of --benchtime gives each one an op.
	if !ok || err != nil || d <= c.Benchtime || d > time.Second {
		t.Errorf("warning %q: want a --benchtime above %v and at most 1s", msg, c.Benchtime)
	}
	n := 0
	for _, note := range notes {
		if note.Key == results.NoteWarning {
			n++
			if note.Point() != warns[0].Point || !strings.Contains(note.Value, "benchtime") {
				t.Errorf("note %q", note.Value)
			}
		}
	}
	if n != 1 {
		t.Errorf("%d warning notes, want 1: %v", n, notes)
	}
}
