package webapp

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/parbench/parbench/bench/gil"
	"github.com/parbench/parbench/internal/procfs"
	"github.com/parbench/parbench/internal/procs"
	"github.com/parbench/parbench/results"
	"github.com/parbench/parbench/workloads"
)

// The test binary re-executed as an external service command: with
// fakeExternalEnv set (and PARBENCH_LISTEN, which parbench sets), it
// does what the protocol asks (external.go) with webapp's own handler,
// or, by the variable's value, misbehaves:
//
//	serve  serve, print "ready", exit at stdin's end
//	stay   serve, print "ready", ignore stdin's end
//	fail   write to stderr and exit 3 before "ready"
//	hang   never print "ready"
//	chat   print something else than "ready"
//	wrap-M run the fake in mode M as a child, sharing its stdin, stdout
//	       and stderr, and wait for it: a shell wrapper that does not
//	       exec (sh -c 'app; echo done')
//
// Each copy writes its PARBENCH_ environment to fakeDirEnv/copy-I.env,
// and a wrapper its child's pid to fakeDirEnv/child-I.pid.
const (
	fakeExternalEnv = "WEBAPP_TEST_EXTERNAL"
	fakeDirEnv      = "WEBAPP_TEST_EXTERNAL_DIR"
)

func maybeFakeExternal() {
	mode := os.Getenv(fakeExternalEnv)
	if mode == "" || os.Getenv(EnvListen) == "" {
		return
	}
	if err := fakeExternal(mode); err != nil {
		fmt.Fprintln(os.Stderr, "fake service:", err)
		os.Exit(3)
	}
	os.Exit(0)
}

func fakeExternal(mode string) error {
	if dir := os.Getenv(fakeDirEnv); dir != "" {
		var b strings.Builder
		for _, kv := range os.Environ() {
			if strings.HasPrefix(kv, "PARBENCH_") {
				b.WriteString(kv + "\n")
			}
		}
		if err := os.WriteFile(filepath.Join(dir, "copy-"+os.Getenv(EnvIndex)+".env"), []byte(b.String()), 0o644); err != nil {
			return err
		}
	}
	if inner, ok := strings.CutPrefix(mode, "wrap-"); ok {
		return fakeWrapper(inner)
	}
	switch mode {
	case "fail":
		return errors.New("cannot import the app: no module named wsgi_app")
	case "hang":
		select {}
	case "chat":
		fmt.Println("Listening on", os.Getenv(EnvListen))
		select {}
	}
	var ln net.Listener
	var err error
	if os.Getenv(EnvReusePort) == "1" {
		ln, err = listenReusePort(os.Getenv(EnvListen))
	} else {
		fd, _ := strconv.Atoi(os.Getenv(EnvListenFD))
		ln, err = net.FileListener(os.NewFile(uintptr(fd), "listener"))
	}
	if err != nil {
		return err
	}
	secs := func(k string) time.Duration {
		x, err := strconv.ParseFloat(os.Getenv(k), 64)
		if err != nil {
			panic(k + ": " + err.Error())
		}
		return time.Duration(x * float64(time.Second))
	}
	threads, err := strconv.Atoi(os.Getenv(EnvThreads))
	if err != nil {
		return err
	}
	st, err := attachStore(os.Getenv(EnvSQLite), os.Getenv(EnvPostgres), secs(EnvBusy), testBigRows, threads)
	if err != nil {
		return err
	}
	st.latency = secs(EnvDBLatency)
	srv := serve(st, ln, false, 0)
	fmt.Println("ready")
	if mode == "stay" {
		select {}
	}
	io.Copy(io.Discard, os.Stdin)
	return errors.Join(srv.close(), st.close())
}

// fakeWrapper runs the fake in mode as its child, as a shell wrapper
// that does not exec would run a service, and exits as it does.
func fakeWrapper(mode string) error {
	cmd := exec.Command(os.Args[0], os.Args[1:]...)
	cmd.Env = append(os.Environ(), fakeExternalEnv+"="+mode)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if os.Getenv(EnvListenFD) != "" {
		cmd.ExtraFiles = []*os.File{os.NewFile(3, "listener")}
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	if dir := os.Getenv(fakeDirEnv); dir != "" {
		pid := strconv.Itoa(cmd.Process.Pid)
		if err := os.WriteFile(filepath.Join(dir, "child-"+os.Getenv(EnvIndex)+".pid"), []byte(pid), 0o644); err != nil {
			return err
		}
	}
	return cmd.Wait()
}

// external is a service shape of the tests that runs this test binary
// as an external command in the fake's role mode.
func external(t *testing.T, workers, threads int, mode string) workloads.Service {
	t.Setenv(fakeExternalEnv, mode)
	sh := shape(workers, threads, "none")
	sh.Command = []string{os.Args[0], "-test.run=^$"}
	return sh
}

// TestExternalService: two copies of an external command serve the
// clients on the database made here, told their place by the
// environment, which holds no PARBENCH_ variable of this process's;
// their CPU and memory are read, no lock figure is reported, no update
// is lost, and Close leaves no copy.
func TestExternalService(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(fakeDirEnv, dir)
	// A parbench run inside another, or a test, has these: the copies
	// must not see them (the fd, which a command may prefer, above all).
	t.Setenv(EnvListenFD, "9")
	t.Setenv("PARBENCH_STALE", "1")
	sh := external(t, 2, 3, "serve")
	c := config{handlerCPU: 2 * time.Millisecond, dbLatency: 500 * time.Microsecond, tempDir: t.TempDir(), bigRows: testBigRows}
	in, err := startServed(lookup(t, "webapp/update-pessimistic"), c, sh, procs.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	pids := in.pool.PIDs()
	for range 2 {
		m := mustSample(t, in, 8, 20)
		t.Logf("%v", m)
		if lost, dup := metric(t, m, "lost-updates"), metric(t, m, "dup-updates"); lost != 0 || dup != 0 {
			t.Errorf("lost %v and duplicated %v updates, want none", lost, dup)
		}
		if rss := metric(t, m, results.UnitServerRSS); rss < 1<<20 {
			t.Errorf("%s = %v, want a process's resident memory (MBs)", results.UnitServerRSS, rss)
		}
		if cpu := metric(t, m, results.UnitServerCPU); cpu < 0 || cpu > 1 {
			t.Errorf("%s = %v, want the copies' CPU per op", results.UnitServerCPU, cpu)
		}
		for _, u := range []string{gil.UnitWait, results.UnitTxLockWait} {
			if _, ok := m[u]; ok {
				t.Errorf("an external service reported %s, a lock's figure", u)
			}
		}
	}
	addr := strings.TrimPrefix(in.base, "http://")
	for i := range 2 {
		b, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("copy-%d.env", i)))
		if err != nil {
			t.Fatal(err)
		}
		env := string(b)
		for _, want := range []string{EnvListen + "=" + addr, EnvSQLite + "=" + in.st.file, EnvThreads + "=3",
			EnvHandlerCPU + "=0.002", EnvDBLatency + "=0.0005", EnvBusy + "=0", EnvIndex + "=" + strconv.Itoa(i)} {
			if !strings.Contains(env, want+"\n") {
				t.Errorf("copy %d's environment lacks %s:\n%s", i, want, env)
			}
		}
		if reusePort != strings.Contains(env, EnvReusePort+"=1\n") || reusePort == strings.Contains(env, EnvListenFD+"=3\n") {
			t.Errorf("copy %d's environment: want %s=1 on Linux, else %s=3:\n%s", i, EnvReusePort, EnvListenFD, env)
		}
		want := map[string]bool{EnvListen: true, EnvSQLite: true, EnvThreads: true, EnvHandlerCPU: true, EnvDBLatency: true, EnvBusy: true, EnvIndex: true}
		if reusePort {
			want[EnvReusePort] = true
		} else {
			want[EnvListenFD] = true
		}
		for line := range strings.Lines(env) {
			if k, _, _ := strings.Cut(line, "="); !want[k] {
				t.Errorf("copy %d's environment has %q, not the protocol's", i, strings.TrimSpace(line))
			}
		}
	}
	if err := in.Close(); err != nil {
		t.Fatal(err)
	}
	for _, pid := range pids {
		if !gone(pid) {
			t.Errorf("copy %d is still there after Close", pid)
		}
	}
}

// TestExternalServiceFailures: a command that fails, hangs or says
// something else than "ready" is an error naming the copy, with its
// stderr's tail; one that ignores its stdin's end is killed at Close,
// and named; a lock other than none is refused.
func TestExternalServiceFailures(t *testing.T) {
	opt := procs.Options{StartTimeout: 2 * time.Second, EndTimeout: time.Second}
	start := func(t *testing.T, sh workloads.Service) (*instance, error) {
		return startServed(lookup(t, "webapp/read"), config{tempDir: t.TempDir(), bigRows: testBigRows}, sh, opt)
	}
	for _, tc := range []struct {
		mode string
		want []string
	}{
		{"fail", []string{"service command, copy ", "exited or closed its stdout before printing \"ready\"", "exit status 3", "its stderr: fake service: cannot import the app"}},
		{"hang", []string{"service command, copy ", "not ready within 2s: killed"}},
		{"chat", []string{"service command, copy ", `printed "Listening on 127.0.0.1:`, `want "ready"`}},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			in, err := start(t, external(t, 2, 1, tc.mode))
			if err == nil {
				in.Close()
				t.Fatal("started")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
	t.Run("stay", func(t *testing.T) {
		in, err := start(t, external(t, 1, 1, "stay"))
		if err != nil {
			t.Fatal(err)
		}
		pid := in.pool.PIDs()[0]
		err = in.Close()
		if err == nil || !strings.Contains(err.Error(), "did not exit within 1s of its stdin's end: killed") {
			t.Errorf("Close: %v, want the copy named as killed", err)
		}
		if !gone(pid) {
			t.Errorf("copy %d is still there after Close", pid)
		}
	})
	t.Run("lock", func(t *testing.T) {
		sh := external(t, 1, 1, "serve")
		sh.Lock = "gil"
		// A temporary folder that cannot be made: the lock is refused
		// before the database is made, or this would be the error.
		c := config{tempDir: filepath.Join(t.TempDir(), "missing", "dir"), bigRows: testBigRows}
		in, err := startServed(lookup(t, "webapp/read"), c, sh, opt)
		if err == nil {
			in.Close()
			t.Fatal("started under lock gil")
		}
		for _, w := range []string{"Service.Lock gil", "Service.Command", "want none"} {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error %q lacks %q", err, w)
			}
		}
	})
}

// TestExternalWrapped: a command that runs the service as its child
// and does not exec (a shell wrapper), the child holding its stdout and
// stderr, is killed with its child: Close, Abort and a start that fails
// return in bounded time, and neither process is left.
func TestExternalWrapped(t *testing.T) {
	opt := procs.Options{StartTimeout: 2 * time.Second, EndTimeout: time.Second}
	// within runs f, failing the test if it has not returned in 15s:
	// then it kills what it can find, so that the test ends.
	within := func(t *testing.T, what string, dir string, f func()) {
		t.Helper()
		done := make(chan struct{})
		go func() {
			defer close(done)
			f()
		}()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			for _, pid := range childPIDs(t, dir) {
				syscall.Kill(pid, syscall.SIGKILL)
			}
			<-done
			t.Fatalf("%s did not return within 15s", what)
		}
	}
	start := func(t *testing.T, dir, mode string) (in *instance, err error) {
		t.Setenv(fakeDirEnv, dir)
		sh := external(t, 2, 1, mode)
		within(t, "starting", dir, func() {
			in, err = startServed(lookup(t, "webapp/read"), config{tempDir: t.TempDir(), bigRows: testBigRows}, sh, opt)
		})
		return in, err
	}
	// noneLeft checks that pids (the copies, then their children) are
	// gone: a killed child of a killed copy is reaped by init.
	noneLeft := func(t *testing.T, pids []int) {
		t.Helper()
		for _, pid := range pids {
			for deadline := time.Now().Add(2 * time.Second); !deadOrZombie(pid); time.Sleep(10 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Errorf("process %d is still there", pid)
					syscall.Kill(pid, syscall.SIGKILL)
					break
				}
			}
		}
	}
	for _, tc := range []struct {
		name, mode string
		abort      bool   // Abort, then Close
		want       string // in Close's error; "" for none
	}{
		{"serve", "wrap-serve", false, ""},
		{"stay", "wrap-stay", false, "did not exit within 1s of its stdin's end: killed"},
		{"abort", "wrap-stay", true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			in, err := start(t, dir, tc.mode)
			if err != nil {
				t.Fatal(err)
			}
			if tc.mode == "wrap-serve" {
				mustSample(t, in, 4, 5)
			}
			pids := append(in.pool.PIDs(), childPIDs(t, dir)...)
			if tc.abort {
				within(t, "Abort", dir, in.pool.Abort)
				noneLeft(t, pids)
			}
			within(t, "Close", dir, func() { err = in.Close() })
			if (tc.want == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Close: %v; want an error with %q: %v", err, tc.want, tc.want != "")
			}
			noneLeft(t, pids)
		})
	}
	t.Run("hang", func(t *testing.T) {
		dir := t.TempDir()
		in, err := start(t, dir, "wrap-hang")
		if err == nil {
			in.Close()
			t.Fatal("started")
		}
		if !strings.Contains(err.Error(), "not ready within 2s: killed") {
			t.Errorf("error %q, want the copies named as not ready", err)
		}
		noneLeft(t, childPIDs(t, dir))
	})
}

// childPIDs is the pids of the wrappers' children that wrote to dir
// (fakeWrapper), each waited for up to 5s.
func childPIDs(t *testing.T, dir string) []int {
	var pids []int
	for i := range 2 {
		file := filepath.Join(dir, fmt.Sprintf("child-%d.pid", i))
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			b, err := os.ReadFile(file)
			if pid, err2 := strconv.Atoi(string(b)); err == nil && err2 == nil {
				pids = append(pids, pid)
				break
			}
			if time.Now().After(deadline) {
				t.Errorf("no pid in %s", file)
				break
			}
		}
	}
	return pids
}

// TestExternalUnreadFigures: a copy's CPU time (at Begin or at End)
// or memory that cannot be read is left out of the sample's figures,
// not reported as 0, where it cannot be read (procFigures false:
// outside Linux); where it can (Linux), it is the sample's error,
// naming the copy.
func TestExternalUnreadFigures(t *testing.T) {
	realCPU, realRSS, realFigures := cpuOf, residentOf, procFigures
	t.Cleanup(func() { cpuOf, residentOf, procFigures = realCPU, realRSS, realFigures })
	for _, tc := range []struct {
		name     string
		cpuFails int  // the call of copy 1's CPU reader that fails: 1 at Begin, 2 at End; 0 none, -1 every one
		rss      bool // its memory is read
		want     []string
		linuxErr string
	}{
		{"neither", -1, false, nil, "its CPU time cannot be read"},
		{"no CPU at Begin", 1, true, []string{results.UnitServerRSS}, "its CPU time cannot be read"},
		{"no CPU at End", 2, true, []string{results.UnitServerRSS}, "its CPU time cannot be read"},
		{"no memory", 0, false, []string{results.UnitServerCPU}, "its resident memory (/proc/PID/status) cannot be read"},
	} {
		for _, linux := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/procFigures=%v", tc.name, linux), func(t *testing.T) {
				in, err := startServed(lookup(t, "webapp/read"), config{tempDir: t.TempDir(), bigRows: testBigRows}, external(t, 2, 1, "serve"), procs.DefaultOptions())
				if err != nil {
					t.Fatal(err)
				}
				defer func() {
					cpuOf, residentOf, procFigures = realCPU, realRSS, realFigures
					if err := in.Close(); err != nil {
						t.Error("Close:", err)
					}
				}()
				pid, calls := in.pool.PIDs()[1], 0
				cpuOf = func(p int) (time.Duration, bool) {
					if p == pid {
						if calls++; tc.cpuFails < 0 || calls == tc.cpuFails {
							return 0, false
						}
					}
					return realCPU(p)
				}
				residentOf = func(p int) (int64, bool) {
					if p == pid && !tc.rss {
						return 0, false
					}
					return realRSS(p)
				}
				procFigures = linux
				in.BeginSample()
				m := map[string]float64{}
				if in.failed == nil {
					ws := newWorkers(t, in, 2)
					if err := runOps(ws, 3); err != nil {
						t.Fatal(err)
					}
					for _, w := range ws {
						w.Close()
					}
					for _, x := range in.EndSample(time.Second, 6) {
						m[x.Unit] = x.Value
					}
				}
				if linux {
					if in.failed == nil || !strings.Contains(in.failed.Error(), "copy 1 (pid") || !strings.Contains(in.failed.Error(), tc.linuxErr) {
						t.Errorf("the sample's error: %v; want copy 1's, %q", in.failed, tc.linuxErr)
					}
					return
				}
				if in.failed != nil {
					t.Fatal(in.failed)
				}
				for _, u := range []string{results.UnitServerCPU, results.UnitServerRSS} {
					if v, ok := m[u]; ok != slices.Contains(tc.want, u) {
						t.Errorf("%s = %v, reported %v; want it reported: %v", u, v, ok, !ok)
					}
				}
			})
		}
	}
}

// externalParentEnv makes this test binary the parent of two copies
// of the fake command, its temporary files under the variable's
// folder: it prints their pids and waits to be killed.
const externalParentEnv = "WEBAPP_TEST_EXTERNAL_PARENT"

func maybeExternalParent() {
	dir := os.Getenv(externalParentEnv)
	if dir == "" || os.Getenv(EnvListen) != "" {
		return
	}
	os.Setenv(fakeExternalEnv, "stay") // only the signal ends them
	sh := shape(2, 1, "none")
	sh.Command = []string{os.Args[0], "-test.run=^$"}
	ws, _ := workloads.Lookup("webapp/read")
	in, err := startServed(ws[0].(workload), config{tempDir: dir, bigRows: testBigRows}, sh, procs.DefaultOptions())
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("pids:", strings.Trim(fmt.Sprint(in.pool.PIDs()), "[]"))
	select {}
}

// TestExternalDiesWithParent kills a parent of two copies with kill -9:
// within 2s neither copy is left. The copies ignore their stdin's end
// ("stay"), so that only the parent-death signal ends them.
func TestExternalDiesWithParent(t *testing.T) {
	if !reusePort {
		t.Skip("the parent-death signal is Linux's")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), externalParentEnv+"="+t.TempDir())
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	pidText, ok := strings.CutPrefix(strings.TrimSpace(line), "pids: ")
	if !ok {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("the parent said %q", line)
	}
	var pids []int
	for _, f := range strings.Fields(pidText) {
		pid, _ := strconv.Atoi(f)
		pids = append(pids, pid)
	}
	cmd.Process.Kill() // SIGKILL: no deferred cleanup runs
	cmd.Wait()
	for _, pid := range pids {
		deadline := time.Now().Add(2 * time.Second)
		for !deadOrZombie(pid) {
			if time.Now().After(deadline) {
				for _, pid := range pids {
					syscall.Kill(pid, syscall.SIGKILL)
				}
				t.Fatalf("copy %d of %v still runs 2s after its parent was killed", pid, pids)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// deadOrZombie reports whether process pid is gone or has exited and
// waits for its new parent to reap it.
func deadOrZombie(pid int) bool {
	if gone(pid) {
		return true
	}
	fields, ok := procfs.Stat("/proc/" + strconv.Itoa(pid) + "/stat")
	return !ok || fields[0] == "Z" || fields[0] == "X"
}
