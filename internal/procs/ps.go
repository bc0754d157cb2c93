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
	cs, err := procfs.Children(os.Getpid())
	if err != nil {
		return nil, err
	}
	marker := []byte(EnvWorker + "=")
	var pids []int
	for _, c := range cs {
		env, _ := os.ReadFile("/proc/" + strconv.Itoa(c.PID) + "/environ")
		if c.State == "Z" || bytes.HasPrefix(env, marker) || bytes.Contains(env, append([]byte{0}, marker...)) {
			pids = append(pids, c.PID)
		}
	}
	return pids, nil
}
