// Package tempdir makes parbench's temporary directories and removes
// the ones a killed run left behind.
//
// A workload that needs a directory (io/fsync's files, the web app's
// SQLite database) makes it with Make, which names it for its owner:
// PREFIX-<pid>-<start>-<random>, where start is when the owning process
// started (clock ticks since boot on Linux, 0 elsewhere). The owner
// removes it when it closes; a run killed with kill -9 cannot, so the
// first Make of each prefix in a process first sweeps the folder:
//
//  1. list the folder's PREFIX-<pid>-<start>-<random> directories;
//  2. keep those whose owner lives: a process has that pid and, where
//     its start time is known, started at that time (a pid reused by a
//     later process does not keep a dead owner's directory);
//  3. remove the rest.
//
// Directories of other names (an older parbench's, another program's)
// are never touched. On systems without kill(2) nothing is swept.
package tempdir

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
)

// swept holds the folder and prefix pairs this process has swept.
var swept sync.Map

// Make creates a new directory in dir ("" means os.TempDir()) named
// prefix-<pid>-<start>-<random> for this process, and returns its path.
// The first call for a dir and prefix first removes the directories of
// that prefix whose owner is dead (Sweep).
func Make(dir, prefix string) (string, error) {
	if dir == "" {
		dir = os.TempDir()
	}
	if _, done := swept.LoadOrStore(dir+"\x00"+prefix, true); !done {
		Sweep(dir, prefix)
	}
	return os.MkdirTemp(dir, fmt.Sprintf("%s-%d-%d-", prefix, os.Getpid(), selfStart()))
}

// self is this process's start time, read once.
var self = sync.OnceValue(func() uint64 {
	st, _ := procStart(os.Getpid())
	return st.start
})

// selfStart is this process's start time, 0 if unknown (outside Linux).
func selfStart() uint64 { return self() }

// Sweep removes the directories in dir named prefix-<pid>-<start>-<random>
// whose owner is dead, and returns their paths. It is best effort: a
// directory it cannot list or remove stays.
func Sweep(dir, prefix string) []string {
	if dir == "" {
		dir = os.TempDir()
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var removed []string
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		pid, start, ok := ParseName(e.Name(), prefix)
		if !ok || alive(pid, start) {
			continue
		}
		path := filepath.Join(dir, e.Name())
		if os.RemoveAll(path) == nil {
			removed = append(removed, path)
		}
	}
	return removed
}

// ParseName returns the owner's pid and start time that the directory
// name holds, and whether it is a name Make gives for prefix.
func ParseName(name, prefix string) (pid int, start uint64, ok bool) {
	rest, found := strings.CutPrefix(name, prefix+"-")
	if !found {
		return 0, 0, false
	}
	f := strings.Split(rest, "-")
	if len(f) != 3 || f[2] == "" || strings.Trim(f[2], "0123456789") != "" {
		return 0, 0, false
	}
	p, err := strconv.ParseUint(f[0], 10, 31)
	if err != nil || p == 0 || f[0] != strconv.FormatUint(p, 10) {
		return 0, 0, false
	}
	start, err = strconv.ParseUint(f[1], 10, 64)
	if err != nil || f[1] != strconv.FormatUint(start, 10) {
		return 0, 0, false
	}
	return int(p), start, true
}
