//go:build unix

package tempdir

import (
	"errors"
	"syscall"
)

// alive reports whether the process pid that started at start (0:
// unknown) lives. Where in doubt (kill says EPERM: another user's), it
// does.
func alive(pid int, start uint64) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return false
	}
	st, known := procStart(pid)
	if !known {
		return true
	}
	return !st.zombie && (start == 0 || st.start == start)
}
