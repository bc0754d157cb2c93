package results

import (
	"errors"
	"fmt"
	"io"
	"strings"
)

// Note keys. A note is a remark about a run at its place in the file: a
// file configuration line that is deleted again on the next line,
//
//	parbench-stop: CPU/sha256/lock=none/goroutines=1-1 reason=ci samples=7 ci=1.3% cv=2.1%
//	parbench-stop:
//
// so it changes the configuration of no result. benchstat and any other
// benchfmt reader skip it without splitting tables; ReadRun returns it.
const (
	// NoteCalibration is written once at the start of a run: the timer
	// resolution and the per-op cost of an empty workload through the
	// runner and through testing.B.
	NoteCalibration = "parbench-calibration"
	// NoteStop says why a point took no more samples: reason=count
	// (--count reached) or reason=ci (--target-ci reached).
	NoteStop = "parbench-stop"
	// NoteFailed names a point whose sample failed (an error, a panic,
	// a hang or a leak); the point takes no more samples in this run.
	NoteFailed = "parbench-failed"
	// NoteInterrupted marks where a run was interrupted.
	NoteInterrupted = "parbench-interrupted"
	// NoteResumed marks where a run was resumed, with the new date, host
	// and commit (the results after it keep the file's configuration).
	NoteResumed = "parbench-resumed"
	// NoteWarning is a finding about a point that is not a failure, as
	// the run found it: "POINT what is wrong; what would mend it" (a
	// goroutine count that the calibrated op count leaves idle, a sample
	// the OS starved so that the watchdog waited longer for it).
	NoteWarning = "parbench-warning"
	// NoteStall is the watchdog's dump of a sample it gave up on (the
	// point's NoteFailed says so): the lock's state and every
	// goroutine's stack, over several notes (see StallNotes).
	NoteStall = "parbench-stall"
)

// IsNoteKey reports whether key is one of the note keys.
func IsNoteKey(key string) bool {
	switch key {
	case NoteCalibration, NoteStop, NoteFailed, NoteInterrupted, NoteResumed, NoteWarning, NoteStall:
		return true
	}
	return false
}

// Note is one note of a results file.
type Note struct {
	Key   string // one of the Note* keys
	Value string // one line
	Line  int    // line number in the file; 0 for a note not read from one
}

// Point returns the result name a stop or failed note is about: the
// first field of its value.
func (n Note) Point() string {
	f, _, _ := strings.Cut(n.Value, " ")
	return f
}

// Field returns the value of a key=value field of the note, or "".
func (n Note) Field(key string) string {
	for _, f := range strings.Fields(n.Value) {
		if k, v, ok := strings.Cut(f, "="); ok && k == key {
			return v
		}
	}
	return ""
}

// ErrBadNote is returned by WriteNote for a key that is not a note key.
var ErrBadNote = errors.New("bad note")

// WriteNote writes n to w as a configuration line and its deletion.
// Newlines in the value become spaces, so a note is always two lines.
func WriteNote(w io.Writer, n Note) error {
	if !IsNoteKey(n.Key) {
		return fmt.Errorf("%w: key %q", ErrBadNote, n.Key)
	}
	v := strings.Join(strings.Fields(n.Value), " ")
	if v == "" {
		v = "-"
	}
	_, err := fmt.Fprintf(w, "%s: %s\n%s:\n", n.Key, v, n.Key)
	return err
}
