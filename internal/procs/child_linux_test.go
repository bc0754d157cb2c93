package procs

import (
	"bufio"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestChildKillsItsGroup: a Child made InGroup is killed with the
// children it started (a shell that does not exec, its sleep holding
// its stdout), and Reap returns once it has killed them; without
// InGroup, Kill kills the shell alone.
func TestChildKillsItsGroup(t *testing.T) {
	for _, group := range []bool{true, false} {
		t.Run("InGroup="+strconv.FormatBool(group), func(t *testing.T) {
			c := NewChild(exec.Command("sh", "-c", "sleep 60 & echo $!; wait"))
			if group {
				c.InGroup()
			}
			c.Cmd.WaitDelay = 200 * time.Millisecond // for the sleep left without InGroup
			out, err := c.Cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Cmd.Start(); err != nil {
				t.Skip("no sh:", err)
			}
			line, _ := bufio.NewReader(out).ReadString('\n')
			sleep, err := strconv.Atoi(strings.TrimSpace(line))
			if err != nil {
				c.Cmd.Process.Kill()
				t.Fatalf("the shell printed %q, want its child's pid", line)
			}
			defer syscall.Kill(sleep, syscall.SIGKILL)
			go c.Wait()
			expired := make(chan time.Time)
			close(expired)
			if killed := c.Reap(expired); !killed {
				t.Error("Reap did not kill a shell that waits a minute")
			}
			deadline := time.Now().Add(time.Second)
			for !gone(sleep) && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			if gone(sleep) != group {
				t.Errorf("InGroup %v: the shell's child gone: %v", group, gone(sleep))
			}
		})
	}
}
