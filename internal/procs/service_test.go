package procs

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/parbench/parbench/bench/gil"
	"github.com/parbench/parbench/workloads"
)

// testConfig is the test service's ServiceSpec.Config.
type testConfig struct {
	Threads int    // threads doing lock work during a sample
	Mode    string // "", or how it fails: "startfail", "crash" (at End), "closefail"
}

// Units of the test service's own figures.
const (
	unitConns    = "test-conns/s"    // connections answered in the sample, per second: summed over processes
	unitMaxProcs = "test-gomaxprocs" // its GOMAXPROCS in the sample: the mean over processes
)

// A package-level variable is initialised before every init function,
// so the service is registered before the parent role of
// service_linux_test.go starts services, as a program registers its
// services from init before main.
var _ = registerTestService()

func registerTestService() bool {
	RegisterService("test/pid", startTestService)
	return true
}

// testService answers each connection on its inherited listener (fd 3)
// with its pid and its index; during a sample its threads take turns with the lock,
// computing (Check) and sleeping outside it (BeginIO/EndIO).
type testService struct {
	cfg        testConfig
	index      int // the process's index in its pool
	ln         net.Listener
	acceptDone chan struct{}
	inSample   atomic.Bool
	served     atomic.Int64 // connections answered in the sample
	stop       chan struct{}
	threads    sync.WaitGroup
}

func startTestService(index int, config []byte, files []*os.File) (Service, error) {
	var cfg testConfig
	if err := json.Unmarshal(config, &cfg); err != nil {
		return nil, err
	}
	if cfg.Mode == "startfail" {
		fmt.Fprintln(os.Stderr, "test service: about to fail")
		return nil, errors.New("the service's own start error")
	}
	if len(files) != 1 {
		return nil, fmt.Errorf("%d inherited files, want 1", len(files))
	}
	ln, err := net.FileListener(files[0])
	files[0].Close()
	if err != nil {
		return nil, err
	}
	s := &testService{cfg: cfg, index: index, ln: ln, acceptDone: make(chan struct{})}
	go s.accept()
	return s, nil
}

func (s *testService) accept() {
	defer close(s.acceptDone)
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		if s.inSample.Load() {
			s.served.Add(1) // before the answer, which the client waits for
		}
		fmt.Fprintf(c, "%d %d\n", os.Getpid(), s.index)
		c.Close()
	}
}

func (s *testService) Begin(lock gil.Lock) error {
	s.stop = make(chan struct{})
	for range s.cfg.Threads {
		th := lock.Thread()
		s.threads.Go(func() {
			th.Start()
			defer th.Stop()
			for {
				select {
				case <-s.stop:
					return
				default:
				}
				th.OpStart()
				workloads.Spin(th, 20)
				th.BeginIO()
				time.Sleep(200 * time.Microsecond)
				th.EndIO()
				th.OpEnd()
			}
		})
	}
	s.served.Store(0)
	s.inSample.Store(true)
	return nil
}

func (s *testService) End(wall time.Duration) ([]workloads.Metric, error) {
	if s.cfg.Mode == "crash" {
		fmt.Fprintln(os.Stderr, "boom: the service crashes")
		os.Exit(3)
	}
	close(s.stop)
	s.threads.Wait()
	s.inSample.Store(false)
	return []workloads.Metric{
		{Value: float64(s.served.Load()) / wall.Seconds(), Unit: unitConns},
		{Value: float64(runtime.GOMAXPROCS(0)), Unit: unitMaxProcs},
	}, nil
}

func (s *testService) Close() error {
	s.ln.Close()
	<-s.acceptDone
	if s.cfg.Mode == "closefail" {
		return errors.New("the service's own close error")
	}
	return nil
}

// testSpec is a spec of the test service under lock gil.
func testSpec(cfg testConfig) ServiceSpec {
	b, _ := json.Marshal(cfg) // a struct of an int and a string
	return ServiceSpec{Name: "test/pid", Lock: "gil", LockOpts: gil.DefaultOptions(), Config: b}
}

// listen returns a listening socket and its file, for StartServices.
func listen(t testing.TB) (net.Listener, *os.File) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f, err := ln.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	return ln, f
}

// startServices starts n test services on a new listener, closes the
// parent's copies of it as a pre-fork server's master does, and
// returns the pool and the address.
func startServices(t *testing.T, n int, cfg testConfig) (*ServicePool, string) {
	t.Helper()
	ln, f := listen(t)
	addr := ln.Addr().String()
	p, err := StartServices(n, testSpec(cfg), []*os.File{f}, DefaultOptions())
	f.Close()
	ln.Close()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Abort)
	return p, addr
}

// askPIDs connects k times to addr and returns the pid each answer
// names, and the index each process says it has, by pid.
func askPIDs(t *testing.T, addr string, k int) ([]int, map[int]int) {
	t.Helper()
	var pids []int
	index := map[int]int{}
	for range k {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(5 * time.Second))
		line, err := bufio.NewReader(c).ReadString('\n')
		c.Close()
		var pid, i int
		_, serr := fmt.Sscanf(line, "%d %d\n", &pid, &i)
		if err != nil || serr != nil {
			t.Fatalf("connection %d: read %q, %v, %v", len(pids), line, err, serr)
		}
		pids = append(pids, pid)
		index[pid] = i
	}
	return pids, index
}

func metric(ms []workloads.Metric, unit string) (float64, bool) {
	for _, m := range ms {
		if m.Unit == unit {
			return m.Value, true
		}
	}
	return 0, false
}

// TestServicePool: two service processes accept on the one inherited
// socket, which the parent closed; each sample gives them a fresh lock
// and GOMAXPROCS, and End merges their figures.
func TestServicePool(t *testing.T) {
	const n, k = 2, 20
	p, addr := startServices(t, n, testConfig{Threads: 2})
	pids := p.PIDs()
	if len(pids) != n {
		t.Fatalf("PIDs = %v, want %d", pids, n)
	}
	// Outside a sample too: a service serves without a lock.
	got, index := askPIDs(t, addr, k)
	for _, pid := range got {
		if !slices.Contains(pids, pid) || pid == os.Getpid() {
			t.Errorf("answered by pid %d, not one of the pool's %v (this is %d)", pid, pids, os.Getpid())
		}
	}
	// Each process learnt its own index: PIDs' order.
	for pid, i := range index {
		if i < 0 || i >= n || pids[i] != pid {
			t.Errorf("pid %d says its index is %d; the pool's pids are %v", pid, i, pids)
		}
	}
	for _, procs := range []int{1, 2} {
		if err := p.Begin(procs); err != nil {
			t.Fatal(err)
		}
		askPIDs(t, addr, k)
		time.Sleep(50 * time.Millisecond) // the threads take turns
		// The wall time is given, not measured: 1s makes the summed
		// rate the count of connections.
		st, err := p.End(time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := metric(st.Metrics, unitConns); got != k {
			t.Errorf("procs %d: %v connections served in the sample over the processes, want %d (%v)", procs, got, k, st.Metrics)
		}
		if got, _ := metric(st.Metrics, unitMaxProcs); got != float64(procs) {
			t.Errorf("Begin(%d): the processes' GOMAXPROCS is %v", procs, got)
		}
		for _, u := range []string{gil.UnitSwitches, gil.UnitWait, gil.UnitTenure} {
			if _, ok := metric(st.Metrics, u); !ok {
				t.Errorf("procs %d: no lock figure %s among %v", procs, u, st.Metrics)
			}
		}
		if sw, _ := metric(st.Metrics, gil.UnitSwitches); sw <= 0 {
			t.Errorf("procs %d: %v switches/s: the two threads of a process never took turns with the lock", procs, sw)
		}
		if st.CPU <= 0 {
			t.Errorf("procs %d: the processes' CPU time over the sample is %v, want > 0 (their threads spin)", procs, st.CPU)
		}
		if len(st.RSS) != n {
			t.Errorf("RSS = %v, want one per process", st.RSS)
		}
		for i, r := range st.RSS {
			if runtime.GOOS == "linux" && r <= 0 {
				t.Errorf("process %d: RSS %d, want > 0", i, r)
			}
		}
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	noChildren(t)
}

// TestServiceFailures: a service that fails to start, crashes or fails
// to close is a *WorkerError naming its process and quoting its stderr.
func TestServiceFailures(t *testing.T) {
	t.Run("startfail", func(t *testing.T) {
		ln, f := listen(t)
		defer ln.Close()
		defer f.Close()
		_, err := StartServices(2, testSpec(testConfig{Mode: "startfail"}), []*os.File{f}, DefaultOptions())
		var we *WorkerError
		if !errors.As(err, &we) {
			t.Fatalf("StartServices = %v, want a *WorkerError", err)
		}
		if we.PID <= 0 || we.PID == os.Getpid() || we.Index < 0 || we.Index > 1 {
			t.Errorf("WorkerError names index %d, pid %d", we.Index, we.PID)
		}
		for _, w := range []string{fmt.Sprintf("worker %d (pid %d)", we.Index, we.PID), "the service's own start error", "about to fail"} {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error %q does not mention %q", err, w)
			}
		}
		noChildren(t)
	})
	t.Run("crash", func(t *testing.T) {
		p, _ := startServices(t, 2, testConfig{Mode: "crash"})
		if err := p.Begin(1); err != nil {
			t.Fatal(err)
		}
		_, err := p.End(time.Second)
		var we *WorkerError
		if !errors.As(err, &we) {
			t.Fatalf("End = %v, want a *WorkerError", err)
		}
		if pids := p.PIDs(); we.Index < 0 || we.Index >= len(pids) || we.PID != pids[we.Index] {
			t.Errorf("WorkerError names index %d, pid %d; the pool's pids are %v", we.Index, we.PID, pids)
		}
		for _, w := range []string{"exit status 3", "boom: the service crashes"} {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error %q does not mention %q", err, w)
			}
		}
		p.Abort()
		noChildren(t)
	})
	t.Run("closefail", func(t *testing.T) {
		p, _ := startServices(t, 1, testConfig{Mode: "closefail"})
		err := p.Close()
		var we *WorkerError
		if !errors.As(err, &we) || we.PID != p.PIDs()[0] {
			t.Fatalf("Close = %v, want a *WorkerError for pid %d", err, p.PIDs()[0])
		}
		for _, w := range []string{"exit status 1", "the service's own close error"} {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error %q does not mention %q", err, w)
			}
		}
		noChildren(t)
	})
}

// TestServiceBadSpec: what the parent can check it refuses before it
// starts a process.
func TestServiceBadSpec(t *testing.T) {
	good := testSpec(testConfig{})
	noSuch, badLock := good, good
	noSuch.Name = "no/such"
	badLock.Lock = "nolock"
	tests := []struct {
		name string
		n    int
		spec ServiceSpec
		want []string
	}{
		{"name", 1, noSuch, []string{`no service "no/such" is registered`, "test/pid"}},
		{"lock", 1, badLock, []string{`service "test/pid"`, `unknown lock mode "nolock"`}},
		{"n", 0, good, []string{"0 processes"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := StartServices(tt.n, tt.spec, nil, DefaultOptions())
			if err == nil {
				t.Fatal("StartServices succeeded")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			noChildren(t)
		})
	}
}

// TestServeServiceHello: a service process checks its hello itself
// (the parent may be another binary, Options.Exe), and says why on
// stderr.
func TestServeServiceHello(t *testing.T) {
	sp := testSpec(testConfig{})
	sp.Name = "no/such"
	hello, _ := json.Marshal(sp)
	var in, out, stderr bytes.Buffer
	in.Write(AppendFrame(nil, tService, hello))
	if rc := Serve(&in, &out, &stderr); rc != 1 {
		t.Errorf("Serve = %d, want 1", rc)
	}
	if !strings.Contains(stderr.String(), `no service "no/such"`) {
		t.Errorf("stderr %q does not name the service", stderr.String())
	}
}

func TestRegisterServicePanics(t *testing.T) {
	for _, tt := range []struct {
		name string
		f    ServiceFunc
	}{{"test/pid", startTestService}, {"", startTestService}, {"test/nil", nil}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("RegisterService(%q, nil func: %v) did not panic", tt.name, tt.f == nil)
				}
			}()
			RegisterService(tt.name, tt.f)
		}()
	}
}

// TestServiceKillRestart: one of three service processes killed and
// restarted serves again under its index, with the config given; the
// others are untouched, and Close leaves no process.
func TestServiceKillRestart(t *testing.T) {
	const n, victim = 3, 1
	p, addr := startServicesKeep(t, n)
	before := p.PIDs()
	if err := p.Kill(victim); err != nil {
		t.Fatal(err)
	}
	if err := p.Kill(victim); err == nil {
		t.Error("killing a killed process: no error")
	}
	if err := syscallAlive(before[victim]); err == nil {
		t.Errorf("pid %d still runs after Kill", before[victim])
	}
	// The others serve on.
	got, _ := askPIDs(t, addr, 6)
	for _, pid := range got {
		if pid == before[victim] {
			t.Fatalf("the killed process %d answered", pid)
		}
	}
	if err := p.Restart(victim, nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := p.Restart(victim, nil, nil); err == nil {
		t.Error("restarting a running process: no error")
	}
	after := p.PIDs()
	for i := range n {
		if (after[i] == before[i]) != (i != victim) {
			t.Errorf("pids %v after restarting %d, were %v", after, victim, before)
		}
	}
	// The new one answers under its index, on the inherited listener
	// the three share: ask until it is its turn.
	seen := false
	for range 100 {
		_, index := askPIDs(t, addr, 3)
		if i, ok := index[after[victim]]; ok {
			if i != victim {
				t.Fatalf("the restarted process says its index is %d, want %d", i, victim)
			}
			seen = true
			break
		}
	}
	if !seen {
		t.Fatalf("the restarted process %d never answered", after[victim])
	}
	// A sample still runs over all three.
	if err := p.Begin(1); err != nil {
		t.Fatal(err)
	}
	if _, err := p.End(time.Second); err != nil {
		t.Fatal(err)
	}
	// A process left killed at Close is not an error.
	if err := p.Kill(0); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := p.Restart(0, nil, nil); err == nil {
		t.Error("Restart after Close: no error")
	}
	noChildren(t)
}

// startServicesKeep is startServices keeping the parent's copy of the
// listener open until the test ends: Restart passes it again.
func startServicesKeep(t *testing.T, n int) (*ServicePool, string) {
	t.Helper()
	ln, f := listen(t)
	t.Cleanup(func() { f.Close(); ln.Close() })
	p, err := StartServices(n, testSpec(testConfig{Threads: 1}), []*os.File{f}, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Abort)
	return p, ln.Addr().String()
}

// syscallAlive reports nil when process pid exists.
func syscallAlive(pid int) error {
	pr, err := os.FindProcess(pid)
	if err != nil {
		return err
	}
	return pr.Signal(syscall.Signal(0))
}
