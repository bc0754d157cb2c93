package webapp

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"github.com/parbench/parbench/internal/testchild"

	"github.com/parbench/parbench/workloads"
)

// ownerEnv makes this test binary a web app on SQLite in the folder it
// names: it starts, prints "started" and waits to be killed.
const ownerEnv = "WEBAPP_TEST_SERVE_IN"

func init() {
	dir := os.Getenv(ownerEnv)
	if dir == "" {
		return
	}
	ws, err := workloads.Lookup("webapp/read")
	if err == nil {
		_, err = start(ws[0].(workload), config{tempDir: dir, bigRows: testBigRows})
	}
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("started")
	select {}
}

// TestKilledRunLeavesNoDirectory kills a web app with kill -9: its
// SQLite directory stays until the next web app starts in that folder.
func TestKilledRunLeavesNoDirectory(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no sweep here")
	}
	dir := t.TempDir()
	cmd, line := testchild.Start(t, ownerEnv+"="+dir)
	if line != "started" {
		t.Fatalf("the web app said %q", line)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	stale, _ := filepath.Glob(filepath.Join(dir, fmt.Sprintf("parbench-webapp-%d-*", cmd.Process.Pid)))
	if len(stale) != 1 {
		t.Fatalf("the killed web app left %v, want its one directory", stale)
	}

	in, err := start(lookup(t, "webapp/read"), config{tempDir: dir, bigRows: testBigRows})
	if err != nil {
		t.Fatal(err)
	}
	left, _ := filepath.Glob(filepath.Join(dir, "parbench-webapp-*"))
	if len(left) != 1 || !strings.HasPrefix(filepath.Base(left[0]), fmt.Sprintf("parbench-webapp-%d-", os.Getpid())) {
		t.Errorf("with a new web app started, the folder holds %v, want only its directory", left)
	}
	if err := in.Close(); err != nil {
		t.Fatal(err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "parbench-webapp-*")); len(left) != 0 {
		t.Errorf("closed, the web app left %v", left)
	}
}

// TestRefusedDBSaysItOnce: pgx tries a refused address twice (TLS, then
// plain), and the error says so once.
func TestRefusedDBSaysItOnce(t *testing.T) {
	_, err := start(lookup(t, "webapp/read"), config{dsn: "postgres://parbench@127.0.0.1:1/x?connect_timeout=5"})
	if err == nil {
		t.Fatal("a web app on a refused --db started")
	}
	if n := strings.Count(err.Error(), "connection refused"); n != 1 {
		t.Errorf("the error says %d times that the connection was refused, want once:\n%v", n, err)
	}
	var pe *workloads.ParamError
	if !errors.As(err, &pe) || pe.Param != workloads.ParamDB {
		t.Errorf("the error is not Params.DB's, for a command to name its flag: %v", err)
	}
}

func TestOnceEach(t *testing.T) {
	base := errors.New("failed:\n\ta: refused\n\ta: refused")
	got := onceEach(base)
	if got.Error() != "failed: a: refused" || !errors.Is(got, base) {
		t.Errorf("onceEach = %q (wraps it: %v)", got, errors.Is(got, base))
	}
	two := errors.New("failed:\n\ta: refused\n\tb: refused")
	if onceEach(two) != two {
		t.Errorf("onceEach changed an error without repeats: %q", onceEach(two))
	}
}
