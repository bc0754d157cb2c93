//go:build !linux

package tempdir

// procState is a process's life as /proc would tell it on Linux.
type procState struct {
	zombie bool
	start  uint64
}

// procStart is unknown outside Linux: a live pid keeps its directories,
// and a directory's start is 0.
func procStart(int) (procState, bool) { return procState{}, false }
