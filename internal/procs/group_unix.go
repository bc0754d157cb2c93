//go:build unix

package procs

import (
	"os/exec"
	"syscall"
)

// setGroup makes cmd, once started, the leader of a process group of
// its own, which its children join unless they leave it.
func setGroup(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
}

// killGroup sends SIGKILL to the process group that the started cmd
// leads: cmd and the children it left in its group. Where the group is
// gone, it kills cmd alone (an error a killed or reaped one returns).
func killGroup(cmd *exec.Cmd) {
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); err != nil {
		cmd.Process.Kill()
	}
}
