// Package testchild starts the running test binary again as a child
// process that plays a part in a test: a run to kill with kill -9, a
// holder of a lock, a parent of workers. The child runs no test; the
// package under test's init or TestMain sees a variable in its
// environment, does its part, prints one line and waits:
//
//	test --Start(t, "ROLE=x")--> child (init: ROLE set: do it, print "ready")
//	     <------ "ready" -------
//	test: kill the child, check what it left
package testchild

import (
	"bufio"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Start runs this test binary again with env (NAME=value pairs) added to
// its environment and returns once the child has printed its first line,
// which it returns without its newline ("" if the child printed nothing
// before it closed its output). The child is killed and waited for when
// the test ends, if it has not been already.
func Start(t testing.TB, env ...string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait() // an error: it was killed, or waited for already
	})
	line, _ := bufio.NewReader(out).ReadString('\n')
	return cmd, strings.TrimSuffix(line, "\n")
}
