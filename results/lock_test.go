package results

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/parbench/parbench/internal/testchild"
)

// holdEnv makes this test binary a process that creates the results
// file it names, says "locked", and waits to be killed.
const holdEnv = "RESULTS_TEST_HOLD_LOCK"

func init() {
	if path := os.Getenv(holdEnv); path != "" {
		f, err := Create(path, true)
		if err != nil {
			os.Stdout.WriteString("error: " + err.Error() + "\n")
			os.Exit(1)
		}
		f.WriteString("held\n")
		os.Stdout.WriteString("locked\n")
		time.Sleep(time.Minute)
		os.Exit(0)
	}
}

func lockTest(t *testing.T) {
	t.Helper()
	if runtime.GOOS != "linux" && runtime.GOOS != "darwin" && !strings.HasSuffix(runtime.GOOS, "bsd") {
		t.Skip("no flock(2) here: the lock is a no-op")
	}
}

// wantLocked fails t unless err is a *LockedError naming pid (any pid
// where the holder cannot be known).
func wantLocked(t *testing.T, what string, err error, pid int) {
	t.Helper()
	var le *LockedError
	if !errors.As(err, &le) || !errors.Is(err, ErrLocked) {
		t.Errorf("%s: %v, want a *LockedError", what, err)
		return
	}
	if runtime.GOOS == "linux" && le.PID != pid {
		t.Errorf("%s: holder pid %d, want %d (%v)", what, le.PID, pid, err)
	}
	if le.PID > 0 && !strings.Contains(err.Error(), "process "+strconv.Itoa(le.PID)+" is writing") {
		t.Errorf("%s: %q does not name the holder", what, err)
	}
}

func TestLockInProcess(t *testing.T) {
	lockTest(t)
	path := filepath.Join(t.TempDir(), "r.txt")
	f, err := Create(path, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("keep\n"); err != nil {
		t.Fatal(err)
	}
	self := os.Getpid()
	_, err = Create(path, true)
	wantLocked(t, "Create with force of a locked file", err, self)
	_, err = Create(path, false)
	wantLocked(t, "Create of a locked file", err, self)
	_, err = Open(path)
	wantLocked(t, "Open of a locked file", err, self)
	if !strings.HasPrefix(err.Error(), "open "+path+": ") {
		t.Errorf("Open's error %q does not name the file", err)
	}
	_, err = ReadFile(path)
	wantLocked(t, "ReadFile of a locked file", err, self)
	if data, _ := os.ReadFile(path); string(data) != "keep\n" {
		t.Errorf("a refused Create changed the file: %q", data)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	// Closed, the file is free: Open and ReadFile share nothing with a
	// writer, and force replaces it.
	if data, err := ReadFile(path); err != nil || string(data) != "keep\n" {
		t.Errorf("ReadFile = %q, %v", data, err)
	}
	g, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = ReadFile(path)
	wantLocked(t, "ReadFile while Open holds the file", err, self)
	g.Close()
	h, err := Create(path, true)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if fi, _ := os.Stat(path); fi.Size() != 0 {
		t.Errorf("Create with force left %d bytes", fi.Size())
	}
	if _, err := Create(filepath.Join(t.TempDir(), "none", "r.txt"), false); !errors.Is(err, os.ErrNotExist) || errors.Is(err, ErrLocked) {
		t.Errorf("Create in a missing folder: %v, want ErrNotExist", err)
	}
}

// TestLockOtherProcess holds the lock in another process: a writer here
// is refused naming that process, until it is killed (kill -9 leaves no
// stale lock).
func TestLockOtherProcess(t *testing.T) {
	lockTest(t)
	path := filepath.Join(t.TempDir(), "r.txt")
	cmd, line := testchild.Start(t, holdEnv+"="+path)
	if line != "locked" {
		t.Fatalf("the holder said %q", line)
	}
	_, err := Create(path, true)
	wantLocked(t, "Create with force", err, cmd.Process.Pid)
	_, err = Open(path)
	wantLocked(t, "Open", err, cmd.Process.Pid)
	if data, _ := os.ReadFile(path); string(data) != "held\n" {
		t.Errorf("a refused writer changed the file: %q", data)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	f, err := Open(path)
	if err != nil {
		t.Fatalf("Open once the holder is killed: %v", err)
	}
	f.Close()
}
