package procs

import (
	"bytes"
	"os"
	"strconv"

	"github.com/parbench/parbench/internal/procfs"
)

// Children returns the process ids of this process's children that are
// workers (EnvWorker in their environment) or not yet reaped (zombies),
// from /proc: after a run it must be empty. Where /proc is missing it
// returns nil and the error.
func Children() ([]int, error) {
	d, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	self := os.Getpid()
	marker := []byte(EnvWorker + "=")
	var pids []int
	for _, e := range d {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		f, ok := procfs.Stat("/proc/" + e.Name() + "/stat")
		if !ok || len(f) < 2 {
			continue // gone meanwhile
		}
		if ppid, _ := strconv.Atoi(f[1]); ppid != self {
			continue
		}
		env, _ := os.ReadFile("/proc/" + e.Name() + "/environ")
		if f[0] == "Z" || bytes.HasPrefix(env, marker) || bytes.Contains(env, append([]byte{0}, marker...)) {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}
