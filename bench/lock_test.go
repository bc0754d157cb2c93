package bench

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/parbench/parbench/results"
)

// wantLocked fails t unless err is a *FileError of op holding a
// *results.LockedError that names this process.
func wantLocked(t *testing.T, what string, err error, op string) {
	t.Helper()
	var fe *FileError
	var le *results.LockedError
	if !errors.As(err, &fe) || fe.Op != op || !errors.As(err, &le) {
		t.Errorf("%s: %v, want a %s *FileError holding a *results.LockedError", what, err, op)
		return
	}
	if runtime.GOOS == "linux" && le.PID != os.Getpid() {
		t.Errorf("%s: holder pid %d, want this process, %d", what, le.PID, os.Getpid())
	}
}

// TestRunFileOneWriter runs two writers of one file at once, each with
// Force: the second, started while the first holds the file, is refused
// and changes nothing; the file reads back whole and resumes. A resume
// while a run writes the file is refused the same way.
func TestRunFileOneWriter(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no file lock here")
	}
	c := testConfig(countWorkload{name: "cpu/count"})
	path := filepath.Join(t.TempDir(), "r.txt")
	if err := os.WriteFile(path, []byte("old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var second error
	var secondOut Outcome
	res, run, err := runFile(t, c, Output{Path: path, Force: true,
		Calibrate: func(ctx context.Context) results.Note {
			// The first writer holds the file now.
			secondOut, second = RunFile(ctx, c, Output{Path: path, Force: true})
			_, rerr := ReadResume(path)
			wantLocked(t, "ReadResume of a file being written", rerr, OpOpen)
			return results.Note{Key: results.NoteCalibration, Value: "x=1"}
		}})
	if err != nil {
		t.Fatal(err)
	}
	wantLocked(t, "a second RunFile with Force", second, OpCreate)
	if secondOut.Written != 0 {
		t.Errorf("the refused writer wrote %d samples", secondOut.Written)
	}
	if want := len(c.Points()) * c.Count; res.Written != want || len(run.Samples) != want {
		t.Errorf("the file has %d samples, the writer wrote %d; want %d", len(run.Samples), res.Written, want)
	}

	// The file is whole: it resumes (nothing is missing), and a resume
	// that starts while another resume writes is refused.
	r, err := ReadResume(path)
	if err != nil {
		t.Fatalf("ReadResume after the runs: %v", err)
	}
	r2, err := ReadResume(path)
	if err != nil {
		t.Fatal(err)
	}
	var during error
	res, run, err = runFile(t, c, Output{Resume: r,
		Calibrate: func(ctx context.Context) results.Note {
			_, during = RunFile(ctx, c, Output{Resume: r2})
			return results.Note{Key: results.NoteCalibration, Value: "x=1"}
		}})
	if err != nil {
		t.Fatalf("resuming: %v", err)
	}
	wantLocked(t, "a second resume", during, OpOpen)
	if want := len(c.Points()) * c.Count; len(run.Samples) != want {
		t.Errorf("the resumed file has %d samples, want %d", len(run.Samples), want)
	}
}

// TestResumeRereadsUnderLock resumes a file that grew after ReadResume
// read it: what RunFile appends follows what the file holds then, and
// the earlier samples count.
func TestResumeRereadsUnderLock(t *testing.T) {
	c := testConfig(countWorkload{name: "cpu/count"})
	path := interruptedFile(t, c)
	stale, err := ReadResume(path)
	if err != nil {
		t.Fatal(err)
	}
	// Another run resumes and completes the file meanwhile.
	fresh, err := ReadResume(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := RunFile(context.Background(), c, Output{Resume: fresh}); err != nil {
		t.Fatal(err)
	}
	res, run, err := runFile(t, c, Output{Resume: stale})
	if err != nil {
		t.Fatal(err)
	}
	if want := len(c.Points()) * c.Count; res.Written != 0 || len(run.Samples) != want {
		t.Errorf("the stale resume wrote %d samples and the file has %d; want 0 and %d", res.Written, len(run.Samples), want)
	}
}
