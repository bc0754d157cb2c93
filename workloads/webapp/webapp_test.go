package webapp

import (
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// testFaults are the faults of the tests: every kind, at rates high
// enough that each happens many times in a few hundred ops.
var testFaults = Faults{
	Latency: 100 * time.Microsecond,
	Jitter:  200 * time.Microsecond,
	Drop:    0.02,
	Reset:   0.02,
	Bad:     0.1,
	Busy:    2 * time.Millisecond,
	Timeout: 10 * time.Second,
	Seed:    7,
}

func TestSafeModesLoseNoUpdateUnderFaults(t *testing.T) {
	const clients, ops = 64, 3
	for _, b := range backends() {
		for _, name := range []string{"webapp/update-pessimistic", "webapp/update-optimistic", "webapp/write-spread", "webapp/noisy-neighbor"} {
			t.Run(b.name+"/"+name, func(t *testing.T) {
				in := startT(t, name, config{dsn: b.dsn, faults: testFaults})
				m := mustSample(t, in, clients, ops)
				t.Logf("%v", m)
				if lost, dup := metric(t, m, "lost-updates"), metric(t, m, "dup-updates"); lost != 0 || dup != 0 {
					t.Errorf("lost %v and duplicated %v updates, want none", lost, dup)
				}
				// The faults must have happened, or the test shows nothing.
				netErrs := metric(t, m, "err-reset/op") + metric(t, m, "err-drop/op") + metric(t, m, "err-other/op")
				if netErrs == 0 || metric(t, m, "retries/op") == 0 || metric(t, m, "bad-req/op") == 0 {
					t.Errorf("want connection errors, retries and bad requests under faults, got %v", m)
				}
				st := in.px.stats()
				if st.Drops+st.Resets == 0 {
					t.Errorf("proxy injected nothing: %+v", st)
				}
			})
		}
	}
}

func TestNaiveLosesUpdates(t *testing.T) {
	const clients, ops = 64, 4
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			// Each client pauses between its read and its write, as a user
			// editing a form would, so reads and writes of the 64 clients
			// overlap whatever the scheduler does.
			in := startT(t, "webapp/update-naive", config{dsn: b.dsn, think: 2 * time.Millisecond})
			m := mustSample(t, in, clients, ops)
			t.Logf("%v", m)
			if lost := metric(t, m, "lost-updates"); lost < 1 || lost >= clients*ops {
				t.Errorf("lost %v of %d updates, want some but not all", lost, clients*ops)
			}
			if dup := metric(t, m, "dup-updates"); dup != 0 {
				t.Errorf("duplicated %v updates: naive writes absolute values, it can only lose", dup)
			}
		})
	}
}

// Without idempotency keys a retried increment whose first response was
// lost is applied twice: the keys are what makes retries safe.
func TestNoIdempotencyKeysDuplicate(t *testing.T) {
	f := Faults{Reset: 0.1, Timeout: 10 * time.Second, Seed: 3}
	in := startT(t, "webapp/update-pessimistic", config{faults: f, noIdem: true})
	m := mustSample(t, in, 16, 20)
	t.Logf("%v", m)
	if dup := metric(t, m, "dup-updates"); dup == 0 {
		t.Errorf("no duplicated update with resets at 10%% and no keys: %v", m)
	}
}

func TestBadRequestsChangeNothing(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			in := startT(t, "webapp/update-pessimistic", config{dsn: b.dsn})
			c := newClient(in.base, nopEnv{}, in.cfg, 1)
			defer c.close()
			before, _, err := c.get(hotDoc)
			if err != nil {
				t.Fatal(err)
			}
			sum0, err := in.st.sum(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			for _, bad := range badRequests {
				t.Run(bad.name, func(t *testing.T) {
					resp, err := c.call(bad.req)
					if err != nil {
						t.Fatal(err)
					}
					if resp.status < 400 || resp.status > 499 {
						t.Errorf("status %d, want 4xx", resp.status)
					}
					if err := checkBad(bad.req, resp, bad.status); err != nil {
						t.Error(err)
					}
				})
			}
			after, _, err := c.get(hotDoc)
			if err != nil {
				t.Fatal(err)
			}
			sum1, err := in.st.sum(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if after != before || sum1 != sum0 {
				t.Errorf("bad requests changed the data: doc %+v -> %+v, sum %d -> %d", before, after, sum0, sum1)
			}
		})
	}
}

func TestOptimisticConflictIs409WithJSON(t *testing.T) {
	in := startT(t, "webapp/update-optimistic", config{})
	c := newClient(in.base, nopEnv{}, in.cfg, 1)
	defer c.close()
	d, tag, err := c.get(hotDoc)
	if err != nil {
		t.Fatal(err)
	}
	put := func(tag, key string) response {
		t.Helper()
		rq := request{method: http.MethodPut, path: docPath(hotDoc), body: counterBody(d.Counter + 1),
			header: map[string]string{"If-Match": tag, "Idempotency-Key": key}}
		resp, err := c.call(rq)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	first := put(tag, "a")
	if first.status != http.StatusOK || first.etag == tag {
		t.Fatalf("first PUT: status %d, ETag %s (was %s)", first.status, first.etag, tag)
	}
	if again := put(tag, "a"); again.status != http.StatusOK || again.etag != first.etag {
		t.Errorf("replayed key: status %d ETag %s, want 200 and the first answer's %s", again.status, again.etag, first.etag)
	}
	stale := put(tag, "b")
	if err := checkBad(request{method: "PUT", path: docPath(hotDoc)}, stale, http.StatusConflict); err != nil {
		t.Error(err)
	}
	if stale.etag != first.etag {
		t.Errorf("409 ETag %s, want the current %s", stale.etag, first.etag)
	}
}

// echo is a TCP echo server for the proxy's tests.
func echo(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				io.Copy(c, c)
			}()
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return ln.Addr().String()
}

// The proxy faults each chunk independently, so the count of each fault
// is binomial(chunks, rate): it must be within 5 standard deviations of
// chunks*rate (a false failure about once in 3.5 million runs).
func TestProxyFaultRates(t *testing.T) {
	const trips = 1500
	for _, f := range []Faults{
		{Drop: 0.1, Reset: 0.05, Seed: 1},
		{Drop: 0.02, Seed: 2},
		{Reset: 0.3, Seed: 3},
		{Latency: time.Microsecond, Seed: 4},
	} {
		t.Run(fmt.Sprintf("drop=%v,reset=%v", f.Drop, f.Reset), func(t *testing.T) {
			p, err := startProxy(echo(t), f)
			if err != nil {
				t.Fatal(err)
			}
			defer p.close()
			msg := []byte(strings.Repeat("m", 64))
			failed := 0
			for range trips {
				if !tripOK(t, p.addr(), msg) {
					failed++
				}
			}
			// Wait for the proxy to finish its relays, so its counts are final.
			for p.open() > 0 {
				time.Sleep(time.Millisecond)
			}
			st := p.stats()
			t.Logf("%d trips, %d failed, %+v", trips, failed, st)
			for _, c := range []struct {
				name string
				got  int64
				rate float64
			}{{"drops", st.Drops, f.Drop}, {"resets", st.Resets, f.Reset}} {
				n := float64(st.Chunks)
				mean, sd := n*c.rate, math.Sqrt(n*c.rate*(1-c.rate))
				if math.Abs(float64(c.got)-mean) > 5*sd+1 {
					t.Errorf("%s: %d of %d chunks, want %.0f ± %.0f", c.name, c.got, st.Chunks, mean, 5*sd)
				}
			}
			// Every fault ends a connection before its echo came back, and
			// nothing else fails a round trip.
			if int64(failed) != st.Drops+st.Resets {
				t.Errorf("%d round trips failed, but the proxy injected %d faults", failed, st.Drops+st.Resets)
			}
		})
	}
}

// tripOK sends msg through a new connection and reports whether the
// echo came back whole.
func tripOK(t *testing.T, addr string, msg []byte) bool {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write(msg); err != nil {
		return false
	}
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(c, got); err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("round trip timed out: the proxy neither relayed nor closed")
		}
		return false
	}
	return string(got) == string(msg)
}

// leftovers lists what an instance leaves behind: files in dir, and
// goroutines running this package's code.
func leftovers(t *testing.T, dir string) []string {
	t.Helper()
	var left []string
	deadline := time.Now().Add(10 * time.Second)
	for {
		left = left[:0]
		ents, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ents {
			left = append(left, "file "+e.Name())
		}
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		for _, g := range strings.Split(string(buf), "\n\n") {
			if strings.Contains(g, "webapp.(*") && !strings.Contains(g, "webapp.Test") && !strings.Contains(g, "_test.go") {
				left = append(left, "goroutine "+strings.SplitN(g, "\n", 3)[1])
			}
		}
		if len(left) == 0 || time.Now().After(deadline) {
			return left
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func dialFails(t *testing.T, addr string) {
	t.Helper()
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Errorf("%s still accepts connections after Close", addr)
	}
}

func TestCloseLeavesNothing(t *testing.T) {
	t.Run("after a run", func(t *testing.T) {
		dir := t.TempDir()
		in, err := start(lookup(t, "webapp/update-optimistic"), config{bigRows: testBigRows, tempDir: dir, faults: testFaults})
		if err != nil {
			t.Fatal(err)
		}
		mustSample(t, in, 8, 5)
		srv, px := in.srv.addr(), in.px.addr()
		if err := in.Close(); err != nil {
			t.Fatal(err)
		}
		dialFails(t, srv)
		dialFails(t, px)
		if left := leftovers(t, dir); len(left) > 0 {
			t.Errorf("left behind: %v", left)
		}
	})
	t.Run("after a failed op", func(t *testing.T) {
		dir := t.TempDir()
		// Every chunk is reset and a client tries once: every op fails.
		f := Faults{Reset: 0.5, Drop: 0, Timeout: time.Second, Seed: 1}
		in, err := start(lookup(t, "webapp/update-pessimistic"), config{bigRows: testBigRows, tempDir: dir, faults: f, maxAttempts: 1})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sample(t, in, 8, 20); err == nil {
			t.Error("no op failed with half the chunks reset and no retries")
		}
		if err := in.Close(); err != nil {
			t.Fatal(err)
		}
		if left := leftovers(t, dir); len(left) > 0 {
			t.Errorf("left behind: %v", left)
		}
	})
	t.Run("after a failed start", func(t *testing.T) {
		dir := t.TempDir()
		var srv, px string
		testHookStart = func(in *instance) error {
			srv, px = in.srv.addr(), in.px.addr()
			return errors.New("injected")
		}
		defer func() { testHookStart = nil }()
		if _, err := start(lookup(t, "webapp/read"), config{bigRows: testBigRows, tempDir: dir, faults: testFaults}); err == nil {
			t.Fatal("start succeeded despite the hook")
		}
		dialFails(t, srv)
		dialFails(t, px)
		if left := leftovers(t, dir); len(left) > 0 {
			t.Errorf("left behind: %v", left)
		}
	})
	t.Run("unreachable postgres", func(t *testing.T) {
		_, err := start(lookup(t, "webapp/read"), config{dsn: "postgres://parbench@127.0.0.1:1/none?connect_timeout=2"})
		if err == nil {
			t.Fatal("start succeeded with no server")
		}
		if left := leftovers(t, t.TempDir()); len(left) > 0 {
			t.Errorf("left behind: %v", left)
		}
	})
}

func TestEveryWorkloadReportsItsFigures(t *testing.T) {
	want := map[string][]string{
		"webapp/update-naive":       {"p50-sec", "p99-sec", "retries/op", "conflicts/op", "lost-updates", "dup-updates"},
		"webapp/update-pessimistic": {"p50-sec", "p99-sec", "retries/op", "conflicts/op", "lost-updates", "dup-updates"},
		"webapp/update-optimistic":  {"p50-sec", "p99-sec", "retries/op", "conflicts/op", "lost-updates", "dup-updates"},
		"webapp/write-hot":          {"p50-sec", "p99-sec", "retries/op", "conflicts/op", "lost-updates", "dup-updates"},
		"webapp/write-spread":       {"p50-sec", "p99-sec", "retries/op", "lost-updates", "dup-updates"},
		"webapp/read":               {"p50-sec", "p99-sec", "retries/op"},
		"webapp/noisy-neighbor":     {"p50-sec", "p99-sec", "retries/op", "heavy-ops", "lost-updates", "dup-updates"},
		"webapp/quiet-neighbor":     {"p50-sec", "p99-sec", "retries/op", "heavy-ops", "lost-updates", "dup-updates"},
	}
	for name, units := range want {
		t.Run(name, func(t *testing.T) {
			in := startT(t, name, config{})
			for range 2 { // a second sample must account from its own start
				m := mustSample(t, in, 3, 10)
				if len(m) != len(units) {
					t.Errorf("units %v, want %v", m, units)
				}
				for _, u := range units {
					metric(t, m, u)
				}
				if name != "webapp/update-naive" && name != "webapp/read" && m["lost-updates"]+m["dup-updates"] != 0 {
					t.Errorf("lost or duplicated updates with no faults: %v", m)
				}
			}
			if name == "webapp/noisy-neighbor" && in.heavy == 0 {
				t.Error("no heavy op ran")
			}
		})
	}
}

func TestPostgres(t *testing.T) {
	dsn := os.Getenv("PARBENCH_TEST_POSTGRES")
	if dsn == "" {
		t.Skip("PARBENCH_TEST_POSTGRES is not set: the PostgreSQL cases of every test are skipped " +
			"(.ci/postgres.sh installs a server and prints the export line)")
	}
	in := startT(t, "webapp/write-spread", config{dsn: dsn})
	if !in.st.pg {
		t.Fatal("store is not PostgreSQL")
	}
	m := mustSample(t, in, 8, 10)
	if m["lost-updates"]+m["dup-updates"] != 0 {
		t.Errorf("lost or duplicated updates: %v", m)
	}
}

// nopEnv is a workloads.Env that does nothing.
type nopEnv struct{}

func (nopEnv) Check(int) {}
func (nopEnv) BeginIO()  {}
func (nopEnv) EndIO()    {}
