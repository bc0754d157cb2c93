//go:build !(linux || darwin || dragonfly || freebsd || netbsd || openbsd)

package results

import "os"

// lock is a no-op where there is no flock(2): two runs writing one
// results file are not prevented there.
func lock(*os.File, bool) error { return nil }
