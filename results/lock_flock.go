//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package results

import (
	"errors"
	"os"
	"syscall"
)

// lock takes f's flock, exclusive or shared, without waiting: a lock
// that another open file holds is a *LockedError. A flock belongs to
// the open file, so two opens in one process exclude each other too.
func lock(f *os.File, exclusive bool) error {
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	for {
		err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, syscall.EINTR):
			continue
		case errors.Is(err, syscall.EWOULDBLOCK):
			return &LockedError{PID: lockHolder(f)}
		default:
			return &os.PathError{Op: "flock", Path: f.Name(), Err: err}
		}
	}
}
