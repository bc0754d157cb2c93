package procs

import (
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// Child is a child process as its parent keeps it: the command, the
// tail of its stderr and, once it has ended, how. A worker and a
// service process are each one, and so is each copy of a command that
// another package starts (webapp's external service command), so that
// their errors read alike.
type Child struct {
	Cmd    *exec.Cmd
	Stderr *Tail         // cmd.Stderr: its last 4 KiB
	exited chan struct{} // closed once Wait returned
	werr   error         // Wait's error
	group  bool          // InGroup: Kill kills its process group
}

// NewChild makes cmd a Child, sending its stderr to a Tail. Start cmd,
// then call Wait from a goroutine of its own.
func NewChild(cmd *exec.Cmd) *Child {
	c := &Child{Cmd: cmd, Stderr: NewTail(4 << 10), exited: make(chan struct{})}
	cmd.Stderr = c.Stderr
	return c
}

// Wait waits for the started process to exit and records how (after a
// StdoutPipe has been read to its end, as exec.Cmd.Wait wants). Call it
// once.
func (c *Child) Wait() {
	c.werr = c.Cmd.Wait()
	close(c.exited)
}

// InGroup makes the process, once started, the leader of a process
// group of its own (on Unix; elsewhere it does nothing), so that Kill
// kills the children it started and left in it too: a command run
// through a shell wrapper that does not exec, say, whose child would
// otherwise outlive it holding its stdout and stderr. Call it before
// Start; set Cmd.WaitDelay too, for a child that leaves the group.
func (c *Child) InGroup() {
	setGroup(c.Cmd)
	c.group = true
}

// Kill kills the started process with SIGKILL, and with it its process
// group where InGroup made one. Once Wait has returned it does nothing:
// the process is gone, and its pid may come to be another's.
func (c *Child) Kill() {
	select {
	case <-c.exited:
		return
	default:
	}
	if c.group {
		killGroup(c.Cmd)
		return
	}
	c.Cmd.Process.Kill()
}

// PID is the started process's id.
func (c *Child) PID() int { return c.Cmd.Process.Pid }

// Exited is closed once the process has exited and Wait returned.
func (c *Child) Exited() <-chan struct{} { return c.exited }

// ExitErr is Wait's error: nil until Exited is closed, and nil after
// an exit with status 0.
func (c *Child) ExitErr() error {
	select {
	case <-c.exited:
		return c.werr
	default:
		return nil
	}
}

// Ended returns err once the process has exited or a second has passed
// (a broken pipe comes just before the exit), saying how it exited if
// it has.
func (c *Child) Ended(err error) error {
	select {
	case <-c.exited:
	case <-time.After(time.Second):
	}
	select {
	case <-c.exited:
		if c.werr != nil {
			err = fmt.Errorf("%w (it exited: %v)", err, c.werr)
		} else {
			err = fmt.Errorf("%w (it exited with status 0)", err)
		}
	default:
	}
	return err
}

// Reap waits for the process to exit until deadline fires, then kills
// it (Kill: its group too, after InGroup) and waits for Wait to
// return; it reports whether it killed it.
func (c *Child) Reap(deadline <-chan time.Time) (killed bool) {
	select {
	case <-c.exited:
		return false
	case <-deadline:
		c.Kill()
		<-c.exited
		return true
	}
}

// FailureText is the message of a child process's error: who failed
// ("worker 2"), its pid, what went wrong and, on the same line, the
// tail of its stderr.
func FailureText(who string, pid int, err error, stderr string) string {
	msg := fmt.Sprintf("%s (pid %d): %v", who, pid, err)
	if s := strings.TrimSpace(stderr); s != "" {
		msg += "; its stderr: " + strings.ReplaceAll(s, "\n", " | ")
	}
	return msg
}

// Tail keeps the last max bytes written to it: a child's stderr.
type Tail struct {
	mu  sync.Mutex
	max int
	b   []byte
}

// NewTail returns a Tail that keeps max bytes.
func NewTail(max int) *Tail { return &Tail{max: max} }

func (t *Tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = append(t.b[:0], t.b[len(t.b)-t.max:]...)
	}
	return len(p), nil
}

// String is what it keeps.
func (t *Tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}
