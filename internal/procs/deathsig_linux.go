package procs

import (
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"sync"
	"syscall"
)

// Worker processes die with their parent: each is started with a
// parent-death signal (prctl PR_SET_PDEATHSIG, SIGKILL), so a parent
// killed with kill -9 leaves no worker running its op to the end.
//
// Linux sends that signal when the *thread* that forked the child ends,
// not the process (golang/go#27505), and the Go runtime ends a thread
// whose goroutine exits while locked to it. So every worker is forked
// from one goroutine locked to its thread for the life of the process
// (forker), whose thread therefore never ends before the process.
// The child's own check (orphaned) covers the parent dying before the
// signal was armed.

// forkReq is one start for the forker to do.
type forkReq struct {
	cmd  *exec.Cmd
	done chan error
}

var forks = sync.OnceValue(func() chan forkReq {
	ch := make(chan forkReq)
	go func() {
		runtime.LockOSThread() // never unlocked: this thread lives as long as the process
		for r := range ch {
			r.done <- r.cmd.Start()
		}
	}()
	return ch
})

// The forker starts with the process, not with its first worker: a
// goroutine that appeared during a sample would count as the sample's
// leak. A worker process starts none (it starts no workers).
func init() {
	if !IsWorker() {
		forks()
	}
}

// startWorker starts cmd with the parent-death signal set, from the
// forker's thread.
func startWorker(cmd *exec.Cmd) error {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	r := forkReq{cmd: cmd, done: make(chan error, 1)}
	forks() <- r
	return <-r.done
}

// orphaned reports whether this worker's parent, whose pid EnvWorker
// holds, is no longer its parent: it died before the worker armed its
// parent-death signal, and the worker was adopted by another process.
func orphaned() bool {
	parent, err := strconv.Atoi(os.Getenv(EnvWorker))
	return err == nil && parent > 0 && os.Getppid() != parent
}
