package bench

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parbench/parbench/results"
	"github.com/parbench/parbench/workloads"
)

// TestValidateRefusesUnusedParams checks that a knob set away from its
// default is refused, naming its field, when no workload of the sweep
// reads it, and accepted when one does or when it is at its default.
func TestValidateRefusesUnusedParams(t *testing.T) {
	cpu, sleep := lookup(t, "cpu/sha256"), lookup(t, "io/sleep")
	for _, tc := range []struct {
		name  string
		ws    []workloads.Workload
		set   func(*workloads.Params)
		field string // "" for accepted
	}{
		{"io-latency on cpu", []workloads.Workload{cpu}, func(p *workloads.Params) { p.IOLatency = 5 * time.Millisecond }, "Params.IOLatency"},
		{"faults on cpu", []workloads.Workload{cpu}, func(p *workloads.Params) { p.Faults = "on" }, "Params.Faults"},
		{"db on io", []workloads.Workload{sleep}, func(p *workloads.Params) { p.DB = "postgres://u:secret@h/db" }, "Params.DB"},
		{"io-latency on io/sleep", []workloads.Workload{cpu, sleep}, func(p *workloads.Params) { p.IOLatency = 5 * time.Millisecond }, ""},
		{"faults off on cpu", []workloads.Workload{cpu}, func(p *workloads.Params) { p.Faults = "off" }, ""},
		{"defaults on cpu", []workloads.Workload{cpu}, func(*workloads.Params) {}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := testConfig(tc.ws...)
			tc.set(&c.Params)
			err := c.Validate()
			var fe *FieldError
			switch {
			case tc.field == "" && err != nil:
				t.Errorf("Validate = %v, want nil", err)
			case tc.field != "" && (!errors.As(err, &fe) || fe.Field != tc.field || !errors.Is(err, ErrInvalid)):
				t.Errorf("Validate = %v, want a *FieldError of %s", err, tc.field)
			case tc.field != "" && strings.Contains(err.Error(), "secret"):
				t.Errorf("Validate = %v: shows the password", err)
			}
		})
	}
}

// TestResumeKeepsUnusedParams checks that resuming a file that recorded
// a knob no workload reads (written before such knobs were refused) is
// not refused: its knobs are the file's.
func TestResumeKeepsUnusedParams(t *testing.T) {
	c := testConfig(lookup(t, "cpu/sha256"))
	c.Procs, c.Goroutines, c.Count = []int{1}, []int{1, 2}, 2
	path := filepath.Join(t.TempDir(), "r.txt")
	stop := make(chan struct{})
	c.Stop = stop
	c.Progress = func(p Progress) {
		if p.SamplesDone == 1 {
			select {
			case <-stop:
			default:
				close(stop)
			}
		}
	}
	if _, err := RunFile(context.Background(), c, Output{Path: path}); !errors.Is(err, ErrInterrupted) {
		t.Fatalf("first run: %v, want an interruption", err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data = []byte(strings.Replace(string(data), results.KeyIOLatency+": 1ms", results.KeyIOLatency+": 5ms", 1))
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := ReadResume(path)
	if err != nil {
		t.Fatal(err)
	}
	c.Stop, c.Progress = nil, nil
	c.Params.IOLatency = 5 * time.Millisecond
	if err := c.Validate(); err == nil {
		t.Fatal("Validate accepts --io-latency on cpu/sha256 for a new sweep")
	}
	if _, err := RunFile(context.Background(), c, Output{Resume: r}); err != nil {
		t.Errorf("resume: %v", err)
	}
}
