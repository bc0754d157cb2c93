package bench

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/parbench/parbench/results"
)

// The configuration keys by role, as resuming needs them.
//
// The roles of the file's configuration keys are the results format's
// (results.KeyRole): the machine keys must be the same in the file and
// the run, since numbers from two machines or two Go versions do not
// belong in one sweep; the run keys describe the run, not the sweep, and
// may differ (results.KeyProfiles, the profiles folder of a profiled
// run, may also be absent: a resumed run is not profiled). Every other
// key must be equal.
var (
	machineKeys = keySet(results.MachineKeys())
	freeKeys    = keySet(results.RunKeys())
)

func keySet(keys []string) map[string]bool {
	m := make(map[string]bool, len(keys))
	for _, k := range keys {
		m[k] = true
	}
	return m
}

// Resume is a results file that a run continues: the interrupted or
// partial sweep it holds gets its missing samples, appended.
//
// The sweep's settings are the file's configuration (Run.Config): a
// caller builds its Config from them. Check refuses a Config whose
// settings differ, and a file measured on another machine or Go
// version: appending would mix two sweeps in one file. The appended
// results carry the file's own configuration, so benchstat sees one
// sweep; a note records the date, host and commit of the resumption.
//
// The steps: ReadResume, a Config from Run.Config, then RunFile with
// Output.Resume, which checks, appends and notes.
type Resume struct {
	Path string
	Run  *results.Run
}

// ResumeError is a results file that cannot continue a Config's sweep.
// It names the file, and the line or configuration key at fault.
type ResumeError struct {
	Path string
	Line int // the line at fault, or 0 where the file as a whole is
	// Key is a sweep setting (a configuration key) whose value is File
	// in the file and Run in the Config; "" where the error is not a
	// setting that differs.
	Key, File, Run string
	// Err says what is wrong. Its text may name a Config field in
	// braces, "{Count}".
	Err error
}

func (e *ResumeError) Error() string { return e.Message(goName) }

func (e *ResumeError) Unwrap() error { return e.Err }

// Message is the error with each Config field that Err names in braces
// written as name(field), as FieldError.Message does.
func (e *ResumeError) Message(name func(field string) string) string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.Path, e.Line, fieldRefs(e.Err.Error(), name))
	}
	return e.Path + ": " + fieldRefs(e.Err.Error(), name)
}

// ReadResume reads the results file at path to resume it. Errors
// reading or parsing the file come back as they are; a file without a
// result is a *ResumeError: it holds no settings to resume.
//
// A file that another process writes is a *FileError (OpOpen) holding a
// *results.LockedError: it is read under a shared lock
// (results.ReadFile), since a file being written is not yet what it
// will be.
func ReadResume(path string) (*Resume, error) {
	data, err := results.ReadFile(path)
	if errors.Is(err, results.ErrLocked) {
		return nil, &FileError{Op: OpOpen, Path: path, Err: err}
	}
	if err != nil {
		return nil, err
	}
	return readResume(path, data)
}

// readResume is ReadResume of the file's contents, data.
func readResume(path string, data []byte) (*Resume, error) {
	run, err := results.ReadRun(path, data)
	if err != nil {
		return nil, err
	}
	if len(run.Samples) == 0 {
		return nil, &ResumeError{Path: path, Err: fmt.Errorf("the file holds no results, so no settings to resume (start a new run)")}
	}
	return &Resume{Path: path, Run: run}, nil
}

// Check compares the file with the sweep c would run (its file
// configuration at now) and returns what each point already has, by
// result name, for Config.Prior. It refuses, with a *ResumeError, a
// file whose settings or samples do not fit c.
func (r *Resume) Check(c Config, now time.Time) (map[string]Prior, error) {
	refuse := func(line int, format string, args ...any) error {
		return &ResumeError{Path: r.Path, Line: line, Err: fmt.Errorf(format, args...)}
	}
	file := map[string]string{}
	for _, kv := range r.Run.Config {
		file[kv.Key] = kv.Value
	}
	here := map[string]bool{}
	for _, kv := range c.FileConfig(now) {
		here[kv.Key] = true
		fv, ok := file[kv.Key]
		switch {
		case freeKeys[kv.Key] || (ok && fv == kv.Value):
		case !ok:
			return nil, refuse(0, "the file does not record %s (another parbench version?): start a new run", kv.Key)
		case machineKeys[kv.Key]:
			return nil, refuse(0, "the file was measured with %s %q, this run has %q: resume where the sweep began, or start a new run",
				kv.Key, fv, kv.Value)
		default:
			return nil, &ResumeError{Path: r.Path, Key: kv.Key, File: fv, Run: kv.Value,
				Err: fmt.Errorf("%s is %q in the file but %q in this run: start a new run", kv.Key, fv, kv.Value)}
		}
	}
	for _, kv := range r.Run.Config {
		if !here[kv.Key] && !freeKeys[kv.Key] {
			return nil, refuse(0, "the file records %s, which this parbench does not: start a new run", kv.Key)
		}
	}

	points := map[string]bool{}
	for _, p := range c.Points() {
		points[p.Name()] = true
	}
	prior := map[string]Prior{}
	for _, s := range r.Run.Samples {
		if !points[s.Name] {
			return nil, refuse(s.Line, "%s is not a point of the sweep the file records", s.Name)
		}
		p := prior[s.Name]
		p.SecPerOp = append(p.SecPerOp, s.SecPerOp)
		if len(p.SecPerOp) > c.Count {
			return nil, refuse(s.Line, "%s has more samples than {Count} %d", s.Name, c.Count)
		}
		prior[s.Name] = p
	}
	// A stop note counts only if the point still has the samples it
	// had then: otherwise the file was edited, and sampling goes on.
	for _, n := range r.Run.Notes {
		if n.Key != results.NoteStop {
			continue
		}
		p, ok := prior[n.Point()]
		if ok && n.Field("samples") == strconv.Itoa(len(p.SecPerOp)) {
			p.Stopped = true
			prior[n.Point()] = p
		}
	}
	return prior, nil
}

// open opens the file for reading and appending, locked for writing
// (results.Open): a file that another process writes is a *FileError
// holding a *results.LockedError.
func (r *Resume) open() (*os.File, error) {
	f, err := results.Open(r.Path)
	if err != nil {
		return nil, &FileError{Op: OpOpen, Path: r.Path, Err: err}
	}
	return f, nil
}

// prepare readies the open file f for appending: it drops a cut-off
// last line and deletes configuration keys left set at the end (a
// cut-off note).
func (r *Resume) prepare(f *os.File) error {
	if err := f.Truncate(int64(r.Run.Complete)); err != nil {
		return &FileError{Op: OpTruncate, Path: r.Path, Err: err}
	}
	if _, err := f.Seek(0, io.SeekEnd); err != nil {
		return &FileError{Op: OpAppend, Path: r.Path, Err: err}
	}
	for _, k := range r.Run.Dangling {
		if _, err := fmt.Fprintf(f, "%s:\n", k); err != nil {
			return &FileError{Op: OpAppend, Path: r.Path, Err: err}
		}
	}
	return nil
}

// note is the resumption's note: this run's date, host and commit.
func (r *Resume) note(now time.Time) results.Note {
	host, _ := os.Hostname()
	_, commit := results.Build()
	return results.Note{Key: results.NoteResumed, Value: fmt.Sprintf("date=%s host=%s parbench-commit=%s samples-in-file=%d",
		now.UTC().Format(time.RFC3339), host, commit, len(r.Run.Samples))}
}
