package procs

import (
	"os"
	"os/exec"
	"strconv"
	"syscall"
)

// Worker processes die with their parent: each is started with a
// parent-death signal (prctl PR_SET_PDEATHSIG, SIGKILL), so a parent
// killed with kill -9 leaves no worker running its op to the end.
//
// Linux sends that signal when the *thread* that forked the child ends,
// not the process (golang/go#27505). That does not bite here: the Go
// runtime ends an OS thread only when a goroutine exits while locked to
// it with runtime.LockOSThread, and parbench locks none, so every
// thread lives as long as the process and the signal comes only when
// the process dies. What would make it bite is a goroutine that calls
// runtime.LockOSThread and then exits without unlocking, on the thread
// that started a worker: that worker would be killed with the thread.
// Whoever adds such a goroutine must start workers from a thread that
// is never ended instead (a goroutine locked to its thread for the life
// of the process, say).
//
// The child's own check (orphaned) covers the parent dying before the
// signal was armed.

// startWorker starts cmd with the parent-death signal set.
func startWorker(cmd *exec.Cmd) error {
	SetDeathSignal(cmd)
	return cmd.Start()
}

// SetDeathSignal arms cmd's parent-death signal (SIGKILL), before it is
// started: the child dies with this process, kill -9 included, as a
// worker does (the caveat above about the thread that starts it
// holds). Another package's children use it too (webapp's external
// service command). Outside Linux it does nothing.
func SetDeathSignal(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
}

// orphaned reports whether this worker's parent, whose pid EnvWorker
// holds, is no longer its parent: it died before the worker armed its
// parent-death signal, and the worker was adopted by another process.
func orphaned() bool {
	parent, err := strconv.Atoi(os.Getenv(EnvWorker))
	return err == nil && parent > 0 && os.Getppid() != parent
}
