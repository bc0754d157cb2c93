//go:build !linux

package procs

import "os/exec"

// startWorker starts cmd. Outside Linux there is no parent-death
// signal: a worker whose parent is killed lives until its op ends and
// it reads the end of its closed stdin.
func startWorker(cmd *exec.Cmd) error { return cmd.Start() }

// SetDeathSignal does nothing outside Linux, which has no parent-death
// signal: a child whose parent is killed lives until it reads the end
// of its closed stdin.
func SetDeathSignal(*exec.Cmd) {}

// orphaned is false outside Linux, where startWorker arms no signal and
// so a dead parent is noticed at the closed stdin.
func orphaned() bool { return false }
