package calibrate

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/perf/benchfmt"

	"github.com/parbench/parbench/bench"
	"github.com/parbench/parbench/internal/procs"
	"github.com/parbench/parbench/results"
	_ "github.com/parbench/parbench/workloads/webapp" // the webservice behaviour's workloads
)

// TestMain lets this test binary be the service processes of parbench's
// served webapp (the webservice behaviour's parbench side).
func TestMain(m *testing.M) {
	procs.MaybeServe()
	os.Exit(m.Run())
}

// The CPython web service (python/webservice.py) on its own: the
// external-service protocol (environment, "ready", exit on stdin EOF,
// SO_REUSEPORT or the inherited descriptor 3), webapp's API with its
// statuses and JSON, the handler's calibrated CPU and the GIL.

// python3 returns a CPython 3 that runs, or skips the test.
func python3(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("starts CPython services")
	}
	for _, in := range interpreters(t) {
		if in.Major >= 3 {
			return in.Path
		}
	}
	t.Skip("no CPython 3 found: webservice.py needs CPython 3 (selectors, concurrent.futures)")
	return ""
}

// webDB makes a SQLite database with webapp's schema and data
// (workloads/webapp/store.go's setup, whose store is unexported: the
// same statements, run here by CPython's sqlite3), in WAL mode as
// webapp opens it.
func webDB(t *testing.T, py string) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "app.db")
	script := `import sqlite3, sys
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("PRAGMA journal_mode=WAL")
for q in [
    "CREATE TABLE docs (id BIGINT PRIMARY KEY, counter BIGINT NOT NULL, version BIGINT NOT NULL, body TEXT NOT NULL)",
    "CREATE TABLE idem (key TEXT PRIMARY KEY, doc BIGINT NOT NULL, counter BIGINT NOT NULL, version BIGINT NOT NULL)",
    "CREATE TABLE big (id BIGINT PRIMARY KEY, data TEXT NOT NULL)",
    "CREATE TABLE stats (id BIGINT PRIMARY KEY, total BIGINT NOT NULL, runs BIGINT NOT NULL)",
    "INSERT INTO stats VALUES (1, 0, 0)",
    "WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i+1 FROM s WHERE i < 4096) INSERT INTO docs SELECT i, 0, 1, 'doc' FROM s",
    "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM s WHERE i < 1000) INSERT INTO big SELECT i, hex(randomblob(96)) FROM s",
]:
    c.execute(q)
`
	if out, err := exec.Command(py, "-c", script, file).CombinedOutput(); err != nil {
		t.Fatalf("making the database: %v\n%s", err, out)
	}
	return file
}

// pyService is one running copy of webservice.py.
type pyService struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stderr bytes.Buffer
}

// startPyService starts webservice.py with env (on top of this
// process's environment) and files as descriptors 3..., and waits for
// its "ready".
func startPyService(t *testing.T, py, dir string, env []string, files ...*os.File) *pyService {
	t.Helper()
	s := &pyService{cmd: exec.Command(py, filepath.Join(dir, "webservice.py"))}
	s.cmd.Env = append(os.Environ(), env...)
	s.cmd.ExtraFiles = files
	s.cmd.Stderr = &s.stderr
	var err error
	if s.stdin, err = s.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	out, err := s.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if s.cmd.ProcessState == nil {
			s.cmd.Process.Kill()
			s.cmd.Wait()
		}
	})
	ready := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		ready <- line
		io.Copy(io.Discard, out)
	}()
	select {
	case line := <-ready:
		if line != "ready\n" {
			s.cmd.Wait()
			t.Fatalf("webservice.py printed %q, want \"ready\"; stderr:\n%s", line, s.stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("webservice.py not ready in 30s; stderr:\n%s", s.stderr.String())
	}
	return s
}

// stop closes the service's stdin and waits for it to exit: it must,
// within a few seconds. It returns the process's CPU time.
func (s *pyService) stop(t *testing.T) time.Duration {
	t.Helper()
	s.stdin.Close()
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("webservice.py: %v; stderr:\n%s", err, s.stderr.String())
		}
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		<-done
		t.Fatalf("webservice.py still running 10s after its stdin closed; stderr:\n%s", s.stderr.String())
	}
	if s.stderr.Len() > 0 {
		t.Errorf("webservice.py wrote to stderr:\n%s", s.stderr.String())
	}
	return s.cmd.ProcessState.UserTime() + s.cmd.ProcessState.SystemTime()
}

// freeAddr returns a loopback address with a port free now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// listenEnv is how a copy is told where to listen: its own
// SO_REUSEPORT socket on Linux, the inherited descriptor 3 elsewhere
// (ln, which the caller closes).
func listenEnv(t *testing.T, addr string) (env []string, files []*os.File) {
	t.Helper()
	if runtime.GOOS == "linux" {
		return []string{"PARBENCH_LISTEN=" + addr, "PARBENCH_REUSEPORT=1"}, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	f, err := ln.(*net.TCPListener).File()
	ln.Close()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return []string{"PARBENCH_LISTEN_FD=3"}, []*os.File{f}
}

// call sends one request and returns the status, the ETag and the body.
func call(t *testing.T, hc *http.Client, method, url, body string, hdr ...string) (int, string, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header.Get("ETag"), b
}

type webDoc struct {
	ID, Counter, Version int64
}

// webapp's API, statuses and JSON, as workloads/webapp's client checks
// them (client.go: want, decodeDoc, checkBad and its badRequests).
func TestWebServiceAPI(t *testing.T) {
	py := python3(t)
	dir := t.TempDir()
	if err := unpack(dir); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	env, files := listenEnv(t, addr)
	s := startPyService(t, py, dir, append(env, "PARBENCH_SQLITE="+webDB(t, py), "PARBENCH_THREADS=4",
		"PARBENCH_HANDLER_CPU=0.0001", "PARBENCH_DB_LATENCY=0.0005", "PARBENCH_BUSY=0", "PARBENCH_INDEX=0"), files...)
	base := "http://" + addr
	hc := &http.Client{Timeout: 30 * time.Second}

	// doc checks a 200 with a document and its ETag.
	doc := func(status int, tag string, b []byte) webDoc {
		t.Helper()
		var d webDoc
		if status != http.StatusOK {
			t.Fatalf("status %d, want 200: %s", status, b)
		}
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatalf("%q: %v", b, err)
		}
		if tag != `"`+strconv.FormatInt(d.Version, 10)+`"` {
			t.Errorf("ETag %s for %s", tag, b)
		}
		return d
	}
	if d := doc(call(t, hc, "GET", base+"/docs/5", "")); d != (webDoc{5, 0, 1}) {
		t.Errorf("GET /docs/5 = %+v, want {5 0 1}", d)
	}
	if d := doc(call(t, hc, "PUT", base+"/docs/5", `{"counter":7}`)); d != (webDoc{5, 7, 2}) {
		t.Errorf("PUT = %+v, want {5 7 2}", d)
	}
	// A stale If-Match: 409 with the current version, as ETag and in
	// the JSON error.
	st, tag, b := call(t, hc, "PUT", base+"/docs/5", `{"counter":8}`, "If-Match", `"1"`)
	var e struct {
		Error, Kind string
		Version     int64
	}
	if err := json.Unmarshal(b, &e); st != http.StatusConflict || tag != `"2"` || err != nil || e.Kind != "conflict" || e.Version != 2 {
		t.Errorf("stale If-Match: %d %s %s, want 409 \"2\" with kind conflict and version 2", st, tag, b)
	}
	if d := doc(call(t, hc, "PUT", base+"/docs/5", `{"counter":8}`, "If-Match", `"2"`, "Idempotency-Key", "p1")); d != (webDoc{5, 8, 3}) {
		t.Errorf("PUT If-Match \"2\" = %+v, want {5 8 3}", d)
	}
	// A replayed key returns the first result and changes nothing.
	first := doc(call(t, hc, "POST", base+"/docs/5/increment", "", "Idempotency-Key", "k1"))
	again := doc(call(t, hc, "POST", base+"/docs/5/increment", "", "Idempotency-Key", "k1"))
	if first != (webDoc{5, 9, 4}) || again != first {
		t.Errorf("increment twice with one key: %+v then %+v, want {5 9 4} twice", first, again)
	}
	if st, _, b := call(t, hc, "POST", base+"/report", ""); st != http.StatusOK || string(b) != fmt.Sprintf("{\"total\":%d}\n", 1000*192) {
		t.Errorf("report: %d %s, want 200 {\"total\":192000}", st, b)
	}
	// client.go's bad requests: each a 4xx with a JSON error.
	for _, c := range []struct {
		method, path, body string
		hdr                []string
		status             int
	}{
		{"PUT", "/docs/0", `{"counter": 1`, nil, 400},
		{"PUT", "/docs/0", `{"counter": "one"}`, nil, 400},
		{"PUT", "/docs/0", `{"counter": 1, "admin": true}`, nil, 400},
		{"PUT", "/docs/0", `{"counter": 1, "note": "` + strings.Repeat("x", 2048) + `"}`, nil, 413},
		{"PUT", "/docs/0", `{"counter": 1}`, []string{"If-Match", "yesterday"}, 400},
		{"PUT", "/docs/4104", `{"counter": 1}`, nil, 404},
		{"POST", "/docs/4104/increment", "", nil, 404},
		{"DELETE", "/docs/0", "", nil, 404},
		{"GET", "/docs/x", "", nil, 404},
		{"POST", "/docs/0/increment", "", []string{"Idempotency-Key", strings.Repeat("k", 129)}, 400},
	} {
		st, _, b := call(t, hc, c.method, base+c.path, c.body, c.hdr...)
		var e struct{ Error, Kind string }
		if err := json.Unmarshal(b, &e); st != c.status || err != nil || e.Error == "" || e.Kind == "" {
			t.Errorf("%s %s %.40q: %d %s, want %d with a JSON error", c.method, c.path, c.body, st, b, c.status)
		}
	}
	if d := doc(call(t, hc, "GET", base+"/docs/0", "")); d != (webDoc{0, 0, 1}) {
		t.Errorf("the bad requests changed doc 0: %+v", d)
	}
	// Locked increments from 8 keep-alive clients at once: none lost
	// (a 503, SQLite busy past its timeout, would be retried by
	// parbench's client; here there should be none).
	var wg sync.WaitGroup
	for c := range 8 {
		wg.Go(func() {
			for i := range 25 {
				st, _, b := call(t, hc, "POST", base+"/docs/0/increment", "", "Idempotency-Key", fmt.Sprintf("c%d-%d", c, i))
				if st != http.StatusOK {
					t.Errorf("increment: %d %s", st, b)
				}
			}
		})
	}
	wg.Wait()
	if d := doc(call(t, hc, "GET", base+"/docs/0", "")); d.Counter != 200 || d.Version != 201 {
		t.Errorf("after 200 increments doc 0 = %+v, want counter 200, version 201", d)
	}
	hc.CloseIdleConnections()
	s.stop(t)
}

// load sends n GETs from each of c keep-alive clients at once and
// returns the wall time.
func load(t *testing.T, base string, c, n int) time.Duration {
	t.Helper()
	var wg sync.WaitGroup
	start := time.Now()
	for i := range c {
		wg.Go(func() {
			hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{}}
			defer hc.CloseIdleConnections()
			for range n {
				if st, _, b := call(t, hc, "GET", base+"/docs/"+strconv.Itoa(1+i), ""); st != http.StatusOK {
					t.Errorf("GET: %d %s", st, b)
					return
				}
			}
		})
	}
	wg.Wait()
	return time.Since(start)
}

// The handler's CPU is calibrated (time.thread_time) to at least the
// configured seconds a request, under the GIL: T = 4 threads of one
// process serve CPU-bound requests no faster than about one core, and
// requests that mostly wait on the database (time.sleep, the GIL
// released) overlap.
func TestWebServiceGIL(t *testing.T) {
	py := python3(t)
	dir := t.TempDir()
	if err := unpack(dir); err != nil {
		t.Fatal(err)
	}
	db := webDB(t, py)
	run := func(threads int, cpu, lat time.Duration, clients, n int) (wall, cpuTime time.Duration) {
		addr := freeAddr(t)
		env, files := listenEnv(t, addr)
		s := startPyService(t, py, dir, append(env, "PARBENCH_SQLITE="+db, "PARBENCH_THREADS="+strconv.Itoa(threads),
			fmt.Sprintf("PARBENCH_HANDLER_CPU=%g", cpu.Seconds()), fmt.Sprintf("PARBENCH_DB_LATENCY=%g", lat.Seconds())), files...)
		load(t, "http://"+addr, clients, 2) // warm: connections, the pool's threads
		var before time.Duration
		if runtime.GOOS == "linux" {
			before = procCPU(t, s.cmd.Process.Pid)
		}
		wall = load(t, "http://"+addr, clients, n)
		if runtime.GOOS == "linux" {
			cpuTime = procCPU(t, s.cmd.Process.Pid) - before
		}
		s.stop(t)
		return wall, cpuTime
	}
	const cpu = 4 * time.Millisecond
	wall, cpuTime := run(4, cpu, 0, 4, 25)
	t.Logf("4 threads, %v CPU a request: 100 requests in %v, %v of server CPU a request", cpu, wall, cpuTime/100)
	// Each request costs about the handler's 4ms, and the HTTP
	// parsing, WSGI and sqlite3 about 0.1-0.3ms more. The bound is
	// loose below: webservice.py sizes its CPU loop by a start-up
	// measurement that a busy or stolen CPU skews.
	if per := cpuTime / 100; runtime.GOOS == "linux" && (per < cpu/2 || per > 2*cpu) {
		t.Errorf("server CPU %v a request, want about %v (0.5x to 2x)", per, cpu)
	}
	// Under the GIL the 4 threads' Python never overlaps: the wall time
	// is at least most of the CPU time they used (0.7: sqlite3's and
	// the socket's C code run without the GIL), where without one, on 2
	// cores or more, it would be half or less. Where the CPU time cannot
	// be read, the handler's nominal 4ms stands for it.
	spent := cpuTime
	if runtime.GOOS != "linux" {
		spent = 100 * cpu
	}
	if wall < spent*7/10 {
		t.Errorf("4 threads served 100 requests using %v of CPU in %v of wall time: their CPU overlapped, as if without a GIL", spent, wall)
	}
	// A GET is one statement: 14ms of database latency and 2ms of
	// CPU a request: 4 threads overlap their
	// waits, min(4, 16/2) = 4x one thread's throughput; more than 2x
	// leaves room for a busy machine.
	w1, _ := run(1, 2*time.Millisecond, 14*time.Millisecond, 4, 10)
	w4, _ := run(4, 2*time.Millisecond, 14*time.Millisecond, 4, 10)
	t.Logf("2ms CPU and 14ms database a request: 1 thread %v, 4 threads %v", w1, w4)
	if s := float64(w1) / float64(w4); s < 2 {
		t.Errorf("4 threads %.2fx one thread's throughput when requests wait 14ms on the database, want > 2x (%v, %v)", s, w1, w4)
	}
}

// Two copies on one address with SO_REUSEPORT (Linux) share the
// connections: each serves some.
func TestWebServiceReusePort(t *testing.T) {
	py := python3(t)
	if runtime.GOOS != "linux" {
		t.Skip("SO_REUSEPORT listening is parbench's on Linux alone")
	}
	dir := t.TempDir()
	if err := unpack(dir); err != nil {
		t.Fatal(err)
	}
	db := webDB(t, py)
	addr := freeAddr(t)
	var ss []*pyService
	var before []time.Duration
	for i := range 2 {
		ss = append(ss, startPyService(t, py, dir, []string{"PARBENCH_LISTEN=" + addr, "PARBENCH_REUSEPORT=1",
			"PARBENCH_SQLITE=" + db, "PARBENCH_THREADS=2", "PARBENCH_HANDLER_CPU=0.002", "PARBENCH_INDEX=" + strconv.Itoa(i)}))
	}
	for _, s := range ss {
		before = append(before, procCPU(t, s.cmd.Process.Pid))
	}
	// 16 connections: all on one copy by the kernel's hash about once
	// in 30,000 runs.
	load(t, "http://"+addr, 16, 20)
	// 320 requests of at least 2ms: 0.64s of CPU shared, each copy's
	// counted from its "ready" (start-up left out).
	var served []time.Duration
	for i, s := range ss {
		served = append(served, procCPU(t, s.cmd.Process.Pid)-before[i])
	}
	for _, s := range ss {
		s.stop(t)
	}
	t.Logf("CPU of the two copies while serving: %v", served)
	for i, c := range served {
		if c < 640*time.Millisecond/10 {
			t.Errorf("copy %d used %v of CPU while serving (both: %v): it served (nearly) nothing", i, c, served)
		}
	}
}

// procCPU is a process's CPU time so far, from /proc/PID/stat
// (utime+stime, in clock ticks of 1/100s, Linux's USER_HZ).
func procCPU(t *testing.T, pid int) time.Duration {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		t.Fatalf("/proc/%d/stat: %q", pid, b)
	}
	return time.Duration(ut+st) * 10 * time.Millisecond
}

// The behaviour's figures from both sides' lines: each shape's
// throughput over T=1, W=1's, the server CPU per request, and the
// model of the read curve from CPython's CPU.
func TestWebServiceFigures(t *testing.T) {
	side := func(lock string, secPerOp func(w, t int) float64) lines {
		l := lines{}
		for _, m := range webMixes {
			for _, w := range webWorkers {
				for _, th := range webThreads {
					p := point(m.workload, lock, webClients, results.KV{Key: results.KeyServerWorkers, Value: strconv.Itoa(w)},
						results.KV{Key: results.KeyServerThreads, Value: strconv.Itoa(th)})
					p.Procs = 2
					r := &benchfmt.Result{Name: benchfmt.Name("Benchmark" + p.Name()), Iters: 100, Values: []benchfmt.Value{
						{Value: secPerOp(w, th), Unit: "sec/op"}, {Value: 0.0025, Unit: results.UnitServerCPU}}}
					p.Procs = 0
					l[pbKey(m.name, p)] = r
				}
			}
		}
		return l
	}
	// CPython: a GIL'd curve that levels off at 1.4x; parbench: T x W.
	py := side("none", func(w, t int) float64 { return 0.0035 / (float64(w) * math.Min(float64(t), 1.4)) })
	pb := side("gil", func(w, t int) float64 { return 0.003 / float64(w*t) })
	got := map[string]float64{}
	for _, f := range webserviceBehaviour.figures(Interpreter{Major: 3}, 2, py, pb) {
		got[f.impl+" "+f.name] = f.value
		if err := (results.Figure{Behaviour: "webservice", Figure: f.name, Python: "3.11.7", Impl: f.impl}).Check(); err != nil {
			t.Error(err)
		}
	}
	for k, want := range map[string]float64{
		"cpython read@t4w1": 1.4, "cpython read@t8w2": 2.8, "cpython incr@t2w1": 1.4,
		"parbench read@t4w1": 4, "parbench incr@t8w2": 16, "cpython read-cpu@t1w1": 0.0025,
		"model read@t2w1": 1.4, "model read@t8w1": 1.4,
	} {
		if v, ok := got[k]; !ok || math.Abs(v-want) > 1e-9 {
			t.Errorf("%s = %v (present %v), want %v", k, v, ok, want)
		}
	}
	// 7 shapes and the CPU, 2 mixes, 2 sides; 3 model rows.
	if len(got) != 2*2*8+3 {
		t.Errorf("%d figures, want %d: %v", len(got), 2*2*8+3, got)
	}
}

// The CPython service under parbench's own clients, as the behaviour
// runs it (bench.Run with the service command), at two shapes: every
// request answered as webapp's client wants, the server's CPU per
// request at least the handler's, its memory per worker read.
func TestWebServiceUnderParbench(t *testing.T) {
	py := python3(t)
	dir := t.TempDir()
	if err := unpack(dir); err != nil {
		t.Fatal(err)
	}
	for _, m := range webMixes {
		c := webSweep(m.workload, "none", 2, []string{py, filepath.Join(dir, "webservice.py")})
		c.Service.Workers, c.Service.Threads = []int{1, 2}, []int{2}
		c.Goroutines = []int{4}
		c.Benchtime = 50 * time.Millisecond
		var rs []*benchfmt.Result
		err := bench.Run(context.Background(), c, c.FileConfig(time.Now()), func(r *benchfmt.Result) error {
			rs = append(rs, r.Clone())
			return nil
		})
		if err != nil {
			t.Fatalf("%s: %v", m.workload, err)
		}
		if len(rs) != 2 {
			t.Fatalf("%s: %d lines, want 2", m.workload, len(rs))
		}
		for _, r := range rs {
			t.Logf("%s %v", r.Name, r.Values)
			cpu, _ := r.Value(results.UnitServerCPU)
			rss, _ := r.Value(results.UnitServerRSS)
			// The figures are read, and of the handler's size: the
			// bound is loose because webservice.py sizes its CPU loop
			// by a start-up measurement that a busy or stolen CPU
			// skews (1.59ms a request for 2ms was seen with 12-29%
			// steal); TestWebServiceGIL checks the loop itself.
			if op, _ := r.Value("sec/op"); !(op > 0) || cpu < webHandlerCPU.Seconds()*0.5 || cpu > 0.05 || !(rss > 1<<20) {
				t.Errorf("%s: sec/op %v, server CPU %v a request (want about %v), %v B a worker", r.Name, op, cpu, webHandlerCPU, rss)
			}
		}
	}
}
