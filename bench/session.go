package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/parbench/parbench/bench/prof"
	"github.com/parbench/parbench/results"
	"golang.org/x/perf/benchfmt"
)

// Output says where RunFile writes a sweep: a new results file, or the
// file being resumed.
type Output struct {
	// Path is the new results file. It is never overwritten unless
	// Force is set. "" names it results/local/<host>-<UTC time>.txt, creating
	// the results folder.
	Path  string
	Force bool
	// Resume, if set, continues that file instead of a new one (Path
	// and Force are then unused): the file's settings must match the
	// Config (Resume.Check), and only the missing samples are taken.
	Resume *Resume
	// Profile, if set, profiles the run into ProfilesDir of the results
	// file, named in the file configuration; RunFile sets its Dir.
	Profile *prof.Options
	// Calibrate, if set, returns a note written before the first
	// result: what the numbers stand on (the timer, the harness's cost).
	Calibrate func(context.Context) results.Note
	// Ended, if set, is called with Run's error as soon as the sweep
	// ends, before the profiles are written: a progress bar comes down
	// there.
	Ended func(error)
}

// Outcome is what RunFile did, whether or not it returned an error.
type Outcome struct {
	Path     string   // the results file
	Written  int      // samples this run wrote to it
	Profiles []string // the profile files written (Output.Profile)
}

// FileError is a failure of the results file itself (creating, opening,
// writing, closing it), as opposed to the Config or the measurement.
type FileError struct {
	Op   string // what failed: OpCreate, OpMkdir, OpOpen, OpTruncate, OpAppend, OpWrite, OpClose
	Path string
	Err  error
}

// The operations of a FileError.
const (
	OpMkdir    = "mkdir"    // creating the default results folder
	OpCreate   = "create"   // creating a new file (results.Create: an existing file matches os.ErrExist)
	OpOpen     = "open"     // opening a file to resume
	OpTruncate = "truncate" // dropping a resumed file's cut-off last line
	OpAppend   = "append"   // preparing a resumed file for appending
	OpWrite    = "write"    // writing a result or a note
	OpClose    = "close"    // closing the file
)

func (e *FileError) Error() string {
	msg := e.Err.Error()
	var pe *fs.PathError
	if errors.As(e.Err, &pe) && pe.Path == e.Path {
		return msg // "open PATH: ..." says it all
	}
	return e.Op + " " + e.Path + ": " + strings.TrimPrefix(msg, e.Path+": ")
}

func (e *FileError) Unwrap() error { return e.Err }

// ProfilesDir is where the profiles of the results file at path go.
func ProfilesDir(path string) string { return path + ".profiles" }

// RunFile runs the sweep c into a results file, the whole of a
// `parbench run`:
//
//  1. validate c (a *FieldError; nothing is written);
//  2. resuming, check the file against c (a *ResumeError) and take its
//     samples as c.Prior; else create the new file;
//  3. write the header: a new file's unit metadata, or the resumption's
//     note; then the calibration note (Output.Calibrate);
//  4. start the profiles (Output.Profile);
//  5. Run, writing each result and note (c.Note) to the file;
//  6. stop the profiles; note an interruption, with the command that
//     continues the file;
//  7. close the file; a new file that got no sample is removed.
//
// c.Note and c.Profile are RunFile's to set. Errors of the file are
// *FileError; Run's errors come back as they are (ErrInterrupted,
// *FailedError), joined with any later one. The Outcome says where the
// samples are, whatever the error.
func RunFile(ctx context.Context, c Config, out Output) (res Outcome, err error) {
	if err := c.check(out.Resume == nil); err != nil { // resumed: its knobs are the file's
		return res, err
	}
	now := time.Now()
	file, fileCfg, err := out.open(&c, now, &res)
	if err != nil {
		return res, err
	}
	if c.Params.HistoryDir == "" {
		c.Params.HistoryDir = results.HistoriesDir(res.Path)
	}
	defer func() {
		if res.Written == 0 && out.Resume == nil {
			// A new run that measured nothing leaves no file; a failure
			// leaves nothing to report. Removed while still locked: once
			// closed, the path may be another run's.
			os.Remove(res.Path)
		}
		if cerr := file.Close(); cerr != nil {
			err = errors.Join(err, &FileError{Op: OpClose, Path: res.Path, Err: cerr})
		}
	}()

	c.Note = func(n results.Note) error {
		if err := results.WriteNote(file, n); err != nil {
			return &FileError{Op: OpWrite, Path: res.Path, Err: err}
		}
		return nil
	}
	w := benchfmt.NewWriter(file)
	if out.Resume == nil {
		if err := w.Write(&benchfmt.UnitMetadata{UnitMetadataKey: benchfmt.UnitMetadataKey{Unit: "parallelism", Key: "better"}, OrigUnit: "parallelism", Value: "higher"}); err != nil {
			return res, &FileError{Op: OpWrite, Path: res.Path, Err: err}
		}
	} else if err := c.Note(out.Resume.note(now)); err != nil {
		return res, err
	}
	if out.Calibrate != nil {
		if err := c.Note(out.Calibrate(ctx)); err != nil {
			return res, err
		}
	}
	if out.Profile != nil {
		opt := *out.Profile
		opt.Dir = ProfilesDir(res.Path)
		if c.Profile, err = prof.Start(opt); err != nil {
			return res, err
		}
		fileCfg = append(fileCfg[:len(fileCfg):len(fileCfg)], results.Config{Key: results.KeyProfiles, Value: filepath.Base(opt.Dir)})
	}

	err = runValid(ctx, c, fileCfg, func(r *benchfmt.Result) error {
		if err := w.Write(r); err != nil {
			return &FileError{Op: OpWrite, Path: res.Path, Err: err}
		}
		res.Written++
		return nil
	})
	if out.Ended != nil {
		out.Ended(err)
	}
	if c.Profile != nil {
		var perr error
		if res.Profiles, perr = c.Profile.Stop(); perr != nil {
			err = errors.Join(err, fmt.Errorf("profiles: %w", perr))
		}
	}
	if errors.Is(err, ErrInterrupted) && (res.Written > 0 || out.Resume != nil) {
		if nerr := c.Note(results.Note{Key: results.NoteInterrupted,
			Value: fmt.Sprintf("after %d samples of this run; continue with: parbench run --resume %s", res.Written, res.Path)}); nerr != nil {
			err = errors.Join(err, nerr)
		}
	}
	return res, err
}

// open opens the results file of a run of c, locked for writing (a
// file another process writes is a *FileError holding a
// *results.LockedError): the resumed one, read again under the lock,
// checked against c, with c.Prior set, or a new one. It returns the
// file configuration the results carry, and sets res.Path; resuming, it
// sets out.Resume to the file as read under the lock.
func (out *Output) open(c *Config, now time.Time, res *Outcome) (*os.File, []results.Config, error) {
	if r := out.Resume; r != nil {
		res.Path = r.Path
		f, err := r.open()
		if err != nil {
			return nil, nil, err
		}
		fail := func(err error) (*os.File, []results.Config, error) {
			f.Close() // the error that matters is err
			return nil, nil, err
		}
		// The file may have grown since ReadResume, by a run that ended
		// since: what is appended follows what is there now.
		data, err := io.ReadAll(f)
		if err != nil {
			return fail(&FileError{Op: OpOpen, Path: r.Path, Err: err})
		}
		if r, err = readResume(r.Path, data); err != nil {
			return fail(err)
		}
		out.Resume = r
		prior, err := r.Check(*c, now)
		if err != nil {
			return fail(err)
		}
		c.Prior = prior
		if err := r.prepare(f); err != nil {
			return fail(err)
		}
		return f, r.Run.Config, nil
	}
	res.Path = out.Path
	if res.Path == "" {
		res.Path = results.LocalPath("", now)
		if err := os.MkdirAll(filepath.Dir(res.Path), 0o755); err != nil {
			return nil, nil, &FileError{Op: OpMkdir, Path: filepath.Dir(res.Path), Err: err}
		}
	}
	f, err := results.Create(res.Path, out.Force)
	if err != nil {
		return nil, nil, &FileError{Op: OpCreate, Path: res.Path, Err: err}
	}
	return f, c.FileConfig(now), nil
}
