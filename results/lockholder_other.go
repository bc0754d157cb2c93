//go:build !linux && (darwin || dragonfly || freebsd || netbsd || openbsd)

package results

import "os"

// lockHolder is 0 (unknown): only Linux lists its locks' holders.
func lockHolder(*os.File) int { return 0 }
