package tempdir

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/parbench/parbench/internal/testchild"
)

// makeEnv makes this test binary a process that makes a directory in
// the folder it names, prints its path and waits to be killed.
const makeEnv = "TEMPDIR_TEST_MAKE_IN"

func init() {
	if dir := os.Getenv(makeEnv); dir != "" {
		path, err := Make(dir, "parbench-test")
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		fmt.Println(path)
		select {}
	}
}

func unixOnly(t *testing.T) {
	t.Helper()
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" {
		t.Skip("nothing is swept here")
	}
}

func TestParseName(t *testing.T) {
	tests := []struct {
		name  string
		pid   int
		start uint64
		ok    bool
	}{
		{"parbench-webapp-123-456-789", 123, 456, true},
		{"parbench-webapp-123-0-789", 123, 0, true},
		{"parbench-webapp-789", 0, 0, false}, // an older parbench's: never touched
		{"parbench-webapp-0-1-2", 0, 0, false},
		{"parbench-webapp-01-1-2", 0, 0, false},
		{"parbench-webapp-1-1-", 0, 0, false},
		{"parbench-webapp-1-1-2-3", 0, 0, false},
		{"parbench-webapp-x-1-2", 0, 0, false},
		{"parbench-webapp-99999999999-1-2", 0, 0, false},
		{"parbench-fsync-1-2-3", 0, 0, false},
		{"parbench-webappx-1-2-3", 0, 0, false},
	}
	for _, tt := range tests {
		pid, start, ok := ParseName(tt.name, "parbench-webapp")
		if pid != tt.pid || start != tt.start || ok != tt.ok {
			t.Errorf("ParseName(%q) = %d, %d, %v; want %d, %d, %v", tt.name, pid, start, ok, tt.pid, tt.start, tt.ok)
		}
	}
}

func FuzzParseName(f *testing.F) {
	f.Add("parbench-webapp-123-456-789")
	f.Add("parbench-webapp-789")
	f.Fuzz(func(t *testing.T, name string) {
		pid, start, ok := ParseName(name, "parbench-webapp")
		if !ok {
			return
		}
		if pid <= 0 || !strings.HasPrefix(name, fmt.Sprintf("parbench-webapp-%d-%d-", pid, start)) {
			t.Errorf("ParseName(%q) = %d, %d: not the name's", name, pid, start)
		}
	})
}

// deadPID returns the pid of a process that has ended and been reaped.
func deadPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

func TestSweep(t *testing.T) {
	unixOnly(t)
	dir := t.TempDir()
	self, start := os.Getpid(), selfStart()
	names := map[string]bool{ // the name: whether it stays
		fmt.Sprintf("p-%d-%d-1", self, start):       true,
		fmt.Sprintf("p-%d-0-2", self):               true, // start unknown: the pid decides
		fmt.Sprintf("p-%d-%d-3", deadPID(t), start): false,
		"p-12345": true, // not Make's name
		fmt.Sprintf("q-%d-%d-4", deadPID(t), start):  true, // another prefix
		fmt.Sprintf("p-%d-%d-5x", deadPID(t), start): true,
	}
	if runtime.GOOS == "linux" {
		names[fmt.Sprintf("p-%d-%d-6", self, start+1)] = false // the pid reused by this process
	}
	for n := range names {
		if err := os.Mkdir(filepath.Join(dir, n), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	removed := Sweep(dir, "p")
	for n, stays := range names {
		_, err := os.Stat(filepath.Join(dir, n))
		if stays != (err == nil) {
			t.Errorf("%s: stays %v, want %v", n, err == nil, stays)
		}
		if !stays && !slices.Contains(removed, filepath.Join(dir, n)) {
			t.Errorf("%s: removed but not returned (%v)", n, removed)
		}
	}
}

// TestKilledOwner kills a process with kill -9 after it made its
// directory: the next Make in that folder removes it.
func TestKilledOwner(t *testing.T) {
	unixOnly(t)
	dir := t.TempDir()
	cmd, line := testchild.Start(t, makeEnv+"="+dir)
	stale := strings.TrimSpace(line)
	if !strings.HasPrefix(stale, filepath.Join(dir, fmt.Sprintf("parbench-test-%d-", cmd.Process.Pid))) {
		t.Fatalf("the owner made %q", line)
	}
	if Sweep(dir, "parbench-test") != nil {
		t.Errorf("a live owner's directory was swept")
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	if _, err := os.Stat(stale); err != nil {
		t.Fatalf("the killed owner's directory is gone before the sweep: %v", err)
	}
	mine, err := Make(dir, "parbench-test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("the killed owner's %s is left after Make: %v", stale, err)
	}
	if _, err := os.Stat(mine); err != nil {
		t.Errorf("Make's own directory: %v", err)
	}
}
