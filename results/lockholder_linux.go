package results

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// lockHolder returns the process that holds a flock on f's file, from
// /proc/locks, or 0 where none is listed. /proc/locks lists each lock
// with the process that took it and its file as major:minor:inode
// (hexadecimal device numbers, decimal inode).
func lockHolder(f *os.File) int {
	fi, err := f.Stat()
	if err != nil {
		return 0
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0
	}
	data, err := os.ReadFile("/proc/locks")
	if err != nil {
		return 0
	}
	dev := uint64(st.Dev)
	return parseLocks(data, uint64(unix.Major(dev)), uint64(unix.Minor(dev)), uint64(st.Ino))
}

// parseLocks finds in a /proc/locks listing the holder of a FLOCK on
// the file (major, minor, ino). This process is listed too when another
// of its opens holds the lock.
// A lock on the same inode of another device counts where none matches
// the device too: on some filesystems (btrfs, overlayfs) stat's device
// is not the one /proc/locks shows. Lines of waiters ("->") and
// malformed lines are skipped.
func parseLocks(data []byte, major, minor, ino uint64) int {
	byIno := 0
	for line := range bytes.Lines(data) {
		f := strings.Fields(string(line))
		// 1: FLOCK  ADVISORY  WRITE 13496 fe:00:9994287 0 EOF
		if len(f) < 6 || f[1] != "FLOCK" {
			continue
		}
		pid, err := strconv.Atoi(f[4])
		if err != nil || pid <= 0 {
			continue
		}
		id := strings.Split(f[5], ":")
		if len(id) != 3 {
			continue
		}
		i, err1 := strconv.ParseUint(id[2], 10, 64)
		ma, err2 := strconv.ParseUint(id[0], 16, 64)
		mi, err3 := strconv.ParseUint(id[1], 16, 64)
		if err1 != nil || err2 != nil || err3 != nil || i != ino {
			continue
		}
		if ma == major && mi == minor {
			return pid
		}
		if byIno == 0 {
			byIno = pid
		}
	}
	return byIno
}
