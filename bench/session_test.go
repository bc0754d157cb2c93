package bench

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parbench/parbench/results"
)

// runFile runs c into a new file in a temporary folder and reads it back.
func runFile(t *testing.T, c Config, out Output) (Outcome, *results.Run, error) {
	t.Helper()
	if out.Path == "" && out.Resume == nil {
		out.Path = filepath.Join(t.TempDir(), "r.txt")
	}
	res, err := RunFile(context.Background(), c, out)
	data, rerr := os.ReadFile(res.Path)
	if rerr != nil {
		return res, nil, err
	}
	run, rerr := results.ReadRun(res.Path, data)
	if rerr != nil {
		t.Fatalf("%s does not read back: %v", res.Path, rerr)
	}
	return res, run, err
}

func TestRunFile(t *testing.T) {
	c := testConfig(countWorkload{name: "cpu/count"})
	calibrated := false
	ended := 0
	res, run, err := runFile(t, c, Output{
		Calibrate: func(context.Context) results.Note {
			calibrated = true
			return results.Note{Key: results.NoteCalibration, Value: "timer-resolution=1ns"}
		},
		Ended: func(error) { ended++ },
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := len(c.Points()) * c.Count; res.Written != want || len(run.Samples) != want {
		t.Errorf("wrote %d samples, the file has %d; want %d", res.Written, len(run.Samples), want)
	}
	if !calibrated || ended != 1 {
		t.Errorf("Calibrate called: %v, Ended called %d times; want true, 1", calibrated, ended)
	}
	data, _ := os.ReadFile(res.Path)
	if !strings.HasPrefix(string(data), "Unit parallelism better=higher\n") {
		t.Errorf("file does not start with its unit metadata:\n%.200s", data)
	}
	if !hasNote(run.Notes, results.NoteCalibration, "") {
		t.Error("no calibration note")
	}
}

func TestRunFileRefuses(t *testing.T) {
	dir := t.TempDir()
	existing := filepath.Join(dir, "existing.txt")
	if err := os.WriteFile(existing, []byte("keep\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := testConfig(countWorkload{name: "cpu/count"})
	_, err := RunFile(context.Background(), c, Output{Path: existing})
	var fe *FileError
	if !errors.As(err, &fe) || fe.Op != OpCreate || !errors.Is(err, os.ErrExist) {
		t.Errorf("RunFile to an existing file: %v, want a create FileError matching os.ErrExist", err)
	}
	if data, _ := os.ReadFile(existing); string(data) != "keep\n" {
		t.Error("RunFile changed an existing file")
	}

	c.Count = 0
	fresh := filepath.Join(dir, "fresh.txt")
	if _, err := RunFile(context.Background(), c, Output{Path: fresh}); !errors.As(err, new(*FieldError)) {
		t.Errorf("RunFile of an invalid Config: %v, want a FieldError", err)
	}
	if _, err := os.Stat(fresh); err == nil {
		t.Error("an invalid Config left a file")
	}
}

// TestRunFileInterrupted stops a run before its first sample (no file
// left) and after one (a note that says how to continue).
func TestRunFileInterrupted(t *testing.T) {
	c := testConfig(countWorkload{name: "cpu/count"})
	stop := make(chan struct{})
	close(stop)
	c.Stop = stop
	path := filepath.Join(t.TempDir(), "r.txt")
	res, err := RunFile(context.Background(), c, Output{Path: path})
	if !errors.Is(err, ErrInterrupted) || res.Written != 0 {
		t.Fatalf("RunFile stopped at once: %v, %d written", err, res.Written)
	}
	if _, err := os.Stat(path); err == nil {
		t.Error("a run stopped before its first sample left a file")
	}

	stop = make(chan struct{})
	c.Stop = stop
	c.Progress = func(p Progress) {
		if p.SamplesDone == 1 {
			close(stop)
		}
	}
	res, run, err := runFile(t, c, Output{})
	if !errors.Is(err, ErrInterrupted) || res.Written != 1 {
		t.Fatalf("RunFile stopped after a sample: %v, %d written", err, res.Written)
	}
	n := findNote(run, results.NoteInterrupted)
	if want := "after 1 samples of this run; continue with: parbench run --resume " + res.Path; n == nil || n.Value != want {
		t.Errorf("interrupted note %v, want %q", n, want)
	}
}

func findNote(run *results.Run, key string) *results.Note {
	for i, n := range run.Notes {
		if n.Key == key {
			return &run.Notes[i]
		}
	}
	return nil
}
