//go:build unix && !linux

package tempdir

type procState struct {
	zombie bool
	start  uint64
}

// procStart is unknown outside Linux: a live pid keeps its directories.
func procStart(int) (procState, bool) { return procState{}, false }

func selfStart() uint64 { return 0 }
