package results

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// A results file has one writer at a time. Create and Open take an
// exclusive lock on the file itself (flock(2), where the system has it)
// and the lock lives as long as the returned *os.File: closing it, or the
// process ending in any way, kill -9 included, releases it, so no stale
// lock is ever left behind. ReadFile takes a shared lock for its read.
// A second writer gets a *LockedError naming the holder's process id
// (from /proc/locks on Linux; 0 where it cannot be known). On a system
// without flock the lock is a no-op (lock_other.go).

// ErrLocked matches a *LockedError: another process writes the file.
var ErrLocked = errors.New("another process is writing the file")

// LockedError is a results file that another process holds the lock
// of. PID is that process, or 0 where it cannot be known.
type LockedError struct{ PID int }

func (e *LockedError) Error() string {
	who := "another process"
	if e.PID > 0 {
		who = fmt.Sprintf("process %d", e.PID)
	}
	return who + " is writing this results file (one writer at a time: wait for it to end or stop it, or choose another file)"
}

func (e *LockedError) Unwrap() error { return ErrLocked }

// errMoved is a lock taken on a file that its path no longer names: it
// was removed or replaced while the lock was being taken.
var errMoved = errors.New("the file was replaced while it was being locked")

// Create opens a new results file at path, locked for writing. It
// refuses to overwrite an existing file unless force is set; that error
// matches os.ErrExist. A file that another process writes is refused
// with a *LockedError, force or not, and is left as it is: force
// truncates only once the lock is held.
func Create(path string, force bool) (*os.File, error) {
	flag := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if force {
		flag = os.O_WRONLY | os.O_CREATE // truncated once locked
	}
	f, err := openLocked(path, flag, 0o644, true)
	if err != nil {
		if os.IsExist(err) {
			// One being written says so: force would not help.
			if r, rerr := openLocked(path, os.O_RDONLY, 0, false); rerr == nil {
				r.Close()
			} else if le := (*LockedError)(nil); errors.As(rerr, &le) {
				return nil, le
			}
			return nil, fmt.Errorf("%s: %w (results are never overwritten: choose a new name, or replace it with force)", path, os.ErrExist)
		}
		return nil, err
	}
	if force {
		if err := f.Truncate(0); err != nil {
			f.Close() // the error that matters is Truncate's
			return nil, err
		}
	}
	return f, nil
}

// Open opens the existing results file at path for reading and
// appending, locked for writing: a file that another process writes is
// refused with an *fs.PathError holding a *LockedError.
func Open(path string) (*os.File, error) {
	return openLocked(path, os.O_RDWR, 0, true)
}

// ReadFile reads the results file at path whole under a shared lock, so
// that it is not read while another process writes it: that is refused
// with an *fs.PathError holding a *LockedError.
func ReadFile(path string) ([]byte, error) {
	f, err := openLocked(path, os.O_RDONLY, 0, false)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// openLocked opens path and takes its lock, exclusive or shared. A
// file removed or replaced meanwhile (its last writer removed it as it
// ended) is opened again.
func openLocked(path string, flag int, perm os.FileMode, exclusive bool) (*os.File, error) {
	for try := 0; ; try++ {
		f, err := os.OpenFile(path, flag, perm)
		if err != nil {
			return nil, err
		}
		err = lock(f, exclusive)
		if err == nil {
			err = samePath(f, path)
		}
		if err == nil {
			return f, nil
		}
		f.Close() // releases the lock, if taken
		if errors.Is(err, errMoved) && try < 3 {
			continue
		}
		var le *LockedError
		if errors.As(err, &le) && flag&os.O_CREATE == 0 {
			return nil, &fs.PathError{Op: "open", Path: path, Err: err}
		}
		return nil, err
	}
}

// samePath checks that path still names the file f, once f is locked.
func samePath(f *os.File, path string) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	pi, err := os.Stat(path)
	if err != nil || !os.SameFile(fi, pi) {
		return errMoved
	}
	return nil
}
