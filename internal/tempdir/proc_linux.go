package tempdir

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"sync"
)

// procState is what /proc/<pid>/stat says of a process's life.
type procState struct {
	zombie bool
	start  uint64 // clock ticks after boot
}

// procStart reads /proc/<pid>/stat; known is false where it cannot.
func procStart(pid int) (st procState, known bool) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return st, false
	}
	return parseStat(data)
}

// parseStat parses a /proc/<pid>/stat line: pid (comm) state ppid ...,
// the start time its 22nd field. comm may hold spaces and parentheses,
// so fields are counted from the last ')'.
func parseStat(data []byte) (st procState, ok bool) {
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return st, false
	}
	f := strings.Fields(string(data[i+1:]))
	if len(f) < 20 {
		return st, false
	}
	start, err := strconv.ParseUint(f[19], 10, 64)
	if err != nil {
		return st, false
	}
	return procState{zombie: f[0] == "Z" || f[0] == "X", start: start}, true
}

var self = sync.OnceValue(func() uint64 {
	st, _ := procStart(os.Getpid())
	return st.start
})

// selfStart is this process's start time, 0 if unknown.
func selfStart() uint64 { return self() }
