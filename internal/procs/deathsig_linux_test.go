package procs

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/parbench/parbench/internal/procfs"
	"github.com/parbench/parbench/internal/testchild"
)

// parentEnv makes this test binary a parent: it starts two workers on
// io/sleep with a 20s op, prints their pids and waits to be killed.
const parentEnv = "PROCS_TEST_PARENT"

func init() {
	if os.Getenv(parentEnv) == "" || IsWorker() {
		return
	}
	sp := spec("io/sleep", "none", 0)
	sp.Params.IOLatency = 20 * time.Second
	p, err := Start(2, sp, DefaultOptions())
	if err == nil {
		err = p.Begin()
	}
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	go p.Run(4, 1, false)
	time.Sleep(200 * time.Millisecond) // the ops are under way
	printPIDsAndWait(p.PIDs())
}

// printPIDsAndWait is the end of a parent role: it prints its
// children's pids on one line and waits to be killed.
func printPIDsAndWait(pids []int) {
	var s []string
	for _, pid := range pids {
		s = append(s, strconv.Itoa(pid))
	}
	fmt.Println(strings.Join(s, " "))
	select {}
}

// gone reports whether pid has exited (a zombie has).
func gone(pid int) bool {
	if err := syscall.Kill(pid, 0); err == syscall.ESRCH {
		return true
	}
	f, ok := procfs.Stat("/proc/" + strconv.Itoa(pid) + "/stat")
	return !ok || f[0] == "Z" || f[0] == "X"
}

// TestWorkersDieWithParent kills a parent with kill -9 while its
// workers are in a 20s op: within 2s no worker is left.
func TestWorkersDieWithParent(t *testing.T) {
	childrenDieWithParent(t, parentEnv, "worker")
}

// childrenDieWithParent starts this test binary as the parent that
// role (an environment variable) makes it, which prints the pids of its
// two children (what they are), kills it with kill -9, and fails t if
// a child lives 2s later.
func childrenDieWithParent(t *testing.T, role, what string) {
	cmd, line := testchild.Start(t, role+"=1")
	var pids []int
	for _, f := range strings.Fields(line) {
		pid, err := strconv.Atoi(f)
		if err != nil {
			t.Fatalf("the parent said %q", line)
		}
		pids = append(pids, pid)
	}
	if len(pids) != 2 {
		t.Fatalf("the parent said %q, want two %s pids", line, what)
	}
	for _, pid := range pids {
		if gone(pid) {
			t.Fatalf("%s %d is gone before its parent was killed", what, pid)
		}
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	deadline := time.Now().Add(2 * time.Second)
	for _, pid := range pids {
		for !gone(pid) && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if !gone(pid) {
			t.Errorf("%s %d lives 2s after its parent was killed", what, pid)
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// TestOrphanedWorkerExits: a worker whose parent is not the one its
// environment names (the parent died before the worker started) exits.
func TestOrphanedWorkerExits(t *testing.T) {
	cmd := exec.Command(os.Args[0], WorkerArg)
	cmd.Env = append(os.Environ(), EnvWorker+"=1") // pid 1 is not this test
	outb, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(outb), "parent 1 is gone") {
		t.Errorf("an orphaned worker: %v, %q; want it to exit naming its parent", err, outb)
	}
}
