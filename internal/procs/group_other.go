//go:build !unix

package procs

import "os/exec"

// setGroup does nothing where there are no process groups (Windows):
// a killed child's own children live on, and Cmd.WaitDelay bounds how
// long they can hold its pipes open.
func setGroup(*exec.Cmd) {}

// killGroup kills the started cmd alone.
func killGroup(cmd *exec.Cmd) { cmd.Process.Kill() }
