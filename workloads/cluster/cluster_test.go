package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/parbench/parbench/internal/procs"
	"github.com/parbench/parbench/results"
	"github.com/parbench/parbench/workloads"
)

// TestMain lets this test binary be the node processes.
func TestMain(m *testing.M) {
	procs.MaybeServe()
	os.Exit(m.Run())
}

// testParams are short phases, for -race on a small machine, and a
// request timeout well inside a phase: a cp minority client's request
// in flight at the cut hangs until its node's budget (4/5 of it), and
// the client must still send others while cut.
func testParams() workloads.Params {
	p := workloads.DefaultParams()
	p.Replicas = 3
	p.PhaseTime = 400 * time.Millisecond
	p.SyncInterval = 20 * time.Millisecond
	p.RequestTimeout = 250 * time.Millisecond
	return p
}

// startTest starts a cluster and closes it at the end of the test,
// checking that no node process is left.
func startTest(t *testing.T, kind, design string, p workloads.Params) *instance {
	t.Helper()
	in, err := startInstance(kind, design, p, procs.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := in.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if pids, err := procs.Children(); err == nil && len(pids) > 0 {
			t.Errorf("node processes left after Close: %v", pids)
		}
	})
	return in
}

// call sends one request to node k through its client link and
// returns the status, the value and the outcome of an error.
func call(t *testing.T, in *instance, k int, method, path string) (int, int64, string) {
	t.Helper()
	req, err := http.NewRequest(method, "http://"+in.net.clientAddr(k)+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Timeout: 2 * in.p.RequestTimeout}
	defer c.CloseIdleConnections()
	resp, err := c.Do(req)
	if err != nil {
		return 0, 0, "client: " + err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var v struct {
		Value   int64
		Outcome string
	}
	json.Unmarshal(body, &v)
	return resp.StatusCode, v.Value, v.Outcome
}

// until calls f every 10ms until it returns true, for up to 10s.
func until(t *testing.T, what string, f func() bool) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); !f(); {
		if time.Now().After(end) {
			t.Fatalf("not within 10s: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestCP: three Raft nodes elect a leader, serve increments and
// linearizable reads at every node (followers forward), refuse (503
// refused) at a minority node while it is cut off, serve on at the
// majority, and catch up after the heal.
func TestCP(t *testing.T) {
	in := startTest(t, kindCounter, workloads.ConsistencyCP, testParams())
	sts, err := in.states(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	leader := leaderOf(sts)
	if leader < 0 {
		t.Fatalf("no leader among %+v", sts)
	}
	var acked, unknowns int64
	for k := range in.n {
		if st, v, out := call(t, in, k, http.MethodPost, pathIncr); st != http.StatusOK || v != acked+1 {
			t.Fatalf("increment at node %d: %d %d %s, want 200 and %d", k, st, v, out, acked+1)
		}
		acked++
	}
	for k := range in.n {
		if st, v, out := call(t, in, k, http.MethodGet, pathRead); st != http.StatusOK || v != acked {
			t.Errorf("read at node %d after %d increments: %d %d %s", k, acked, st, v, out)
		}
	}

	cut := sides(workloads.PartitionMinority, in.n, leader)
	if len(cut) != 1 || cut[leader] {
		t.Fatalf("minority %v with leader %d", cut, leader)
	}
	if err := in.net.partition(cut); err != nil {
		t.Fatal(err)
	}
	var minority, majority int
	for k := range cut {
		minority = k
	}
	for k := range in.n {
		if !cut[k] && k != leader {
			majority = k
		}
	}
	until(t, "the cut-off node refusing", func() bool {
		st, _, out := call(t, in, minority, http.MethodPost, pathIncr)
		if st != http.StatusServiceUnavailable || out != outcomeRefusedText {
			unknowns++ // it may not know yet: its forward times out (504)
			return false
		}
		return true
	})
	if st, _, out := call(t, in, minority, http.MethodGet, pathRead); st != http.StatusServiceUnavailable || out != outcomeRefusedText {
		t.Errorf("read at the cut-off node: %d %s, want 503 refused", st, out)
	}
	for _, k := range []int{leader, majority} {
		st, v, out := call(t, in, k, http.MethodPost, pathIncr)
		if st != http.StatusOK {
			t.Fatalf("increment at majority node %d while partitioned: %d %s", k, st, out)
		}
		acked++
		if v < acked {
			t.Errorf("increment at node %d answered %d, below the %d acknowledged", k, v, acked)
		}
	}

	in.net.healAll()
	until(t, "the nodes agreeing after the heal", func() bool {
		sts, err := in.states(context.Background())
		return err == nil && settled(sts)
	})
	sts, _ = in.states(context.Background())
	if v := sts[0].Value; v < acked || v > acked+unknowns {
		t.Errorf("after the heal the nodes hold %d: want the %d acknowledged, plus at most the %d unknown", v, acked, unknowns)
	}
	until(t, "the formerly cut-off node serving", func() bool {
		st, _, _ := call(t, in, minority, http.MethodGet, pathRead)
		return st == http.StatusOK
	})
}

// TestAPConverge: ap nodes answer on both sides of a partition and
// diverge; after the heal they converge, the PN-counter to every
// increment, the register to the later side's alone.
func TestAPConverge(t *testing.T) {
	for _, tt := range []struct {
		kind string
		lost int64
	}{{kindCounter, 0}, {kindRegister, 3}} {
		t.Run(tt.kind, func(t *testing.T) {
			in := startTest(t, tt.kind, workloads.ConsistencyAP, testParams())
			incr := func(k, times int) {
				for range times {
					if st, _, out := call(t, in, k, http.MethodPost, pathIncr); st != http.StatusOK {
						t.Fatalf("increment at node %d: %d %s", k, st, out)
					}
				}
			}
			value := func() int64 {
				sts, err := in.states(context.Background())
				if err != nil || !settled(sts) {
					return -1
				}
				return sts[0].Value
			}
			incr(1, 4)
			until(t, "4 increments everywhere", func() bool { return value() == 4 })
			if err := in.net.partition(map[int]bool{2: true}); err != nil {
				t.Fatal(err)
			}
			incr(0, 3)
			time.Sleep(5 * time.Millisecond) // the register's later stamps are node 2's
			incr(2, 2)
			time.Sleep(5 * in.p.SyncInterval)
			if st, v, _ := call(t, in, 2, http.MethodGet, pathRead); st != http.StatusOK || v != 6 {
				t.Errorf("the cut-off node reads %d %d, want 200 and 6: its own side's increments only", st, v)
			}
			in.net.healAll()
			want := 4 + 5 - tt.lost
			until(t, "converging after the heal", func() bool { return value() == want })
		})
	}
}

// runSample runs one sample of in with clients goroutines as the
// runner does: Op until ErrSampleDone.
func runSample(t *testing.T, in *instance, clients int) []workloads.Metric {
	t.Helper()
	in.BeginSample()
	return runWorkers(t, in, clients)
}

// runWorkers runs the sample begun, from its first Op to EndSample.
func runWorkers(t *testing.T, in *instance, clients int) []workloads.Metric {
	t.Helper()
	var ws []workloads.Worker
	for range clients {
		w, err := in.NewWorker(workloads.NopEnv{})
		if err != nil {
			t.Fatal(err)
		}
		ws = append(ws, w)
	}
	start := time.Now()
	var wg sync.WaitGroup
	errs := make([]error, clients)
	var ops int64
	var mu sync.Mutex
	for i, w := range ws {
		wg.Go(func() {
			var n int64
			for {
				if err := w.Op(); err != nil {
					if !errors.Is(err, workloads.ErrSampleDone) {
						errs[i] = err
					}
					break
				}
				n++
			}
			mu.Lock()
			ops += n
			mu.Unlock()
		})
	}
	wg.Wait()
	for _, w := range ws {
		w.Close()
	}
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	return in.EndSample(time.Since(start), ops)
}

func metricOf(t *testing.T, ms []workloads.Metric, unit string) float64 {
	t.Helper()
	for _, m := range ms {
		if m.Unit == unit {
			return m.Value
		}
	}
	t.Fatalf("no %s among %v", unit, ms)
	return 0
}

// TestSample: whole samples under each design, a minority partition,
// with the runner's two clients per node:
//   - cp: the minority is (nearly) unavailable while cut, the history
//     linearizable, nothing lost;
//   - ap counter: answers throughout, and its reads are stale (the
//     other side's increments are missing), so it is not linearizable,
//     but the PN-counter loses nothing;
//   - ap register: answers throughout; whether it loses increments
//     depends on the race of the two sides' stamps, so only what is
//     certain is checked;
//   - a broken cp whose followers read their own state machine: the
//     cut-off follower's reads are stale, and the checks must say so.
//
// cp and ap run a second sample, which starts from the value the first
// converged to. Then a sample that fails (no EndSample) has its
// controller stopped by the next BeginSample and by Close; after Close
// no proxy accepts and the goroutines are back to where they were.
func TestSample(t *testing.T) {
	for _, c := range []struct {
		name, kind, design string
		broken             bool
	}{
		{"cp", kindCounter, workloads.ConsistencyCP, false},
		{"ap", kindCounter, workloads.ConsistencyAP, false},
		{"ap-register", kindRegister, workloads.ConsistencyAP, false},
		{"cp-broken", kindCounter, workloads.ConsistencyCP, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			goroutines := runtime.NumGoroutine()
			var mods []func(*nodeConfig)
			if c.broken {
				mods = append(mods, func(nc *nodeConfig) { nc.StaleFollowerReads = true })
			}
			p := testParams()
			p.HistoryDir = filepath.Join(t.TempDir(), "x.txt.histories")
			in, err := startInstance(c.kind, c.design, p, procs.DefaultOptions(), mods...)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				in.Close()
				if pids, err := procs.Children(); err == nil && len(pids) > 0 {
					t.Errorf("node processes left after Close: %v", pids)
				}
			})
			ms := runSample(t, in, 2*in.n)
			first := in.s
			t.Logf("%s: %v", c.name, ms)
			metricOf(t, ms, results.UnitConvergeSec)
			// Porcupine's picture of the history, written only for one
			// that is not linearizable.
			picture := filepath.Join(p.HistoryDir, "cluster-"+c.kind+"-"+c.design+".html")
			b, err := os.ReadFile(picture)
			switch lin := metricOf(t, ms, results.UnitLinearizable); {
			case lin == 0 && (err != nil || !bytes.Contains(b, []byte("<html"))):
				t.Errorf("not linearizable, but no picture of the history at %s (%v)", picture, err)
			case lin == 1 && err == nil:
				t.Errorf("linearizable, yet a picture at %s", picture)
			}
			if !first.converged {
				t.Fatal("the nodes did not agree after the sample")
			}
			// The phases' bounds are the controller's actual cut and heal.
			if first.cutAt < p.PhaseTime || first.healAt < 2*p.PhaseTime || first.healAt <= first.cutAt {
				t.Errorf("cut at %v, healed at %v: want from %v and from %v", first.cutAt, first.healAt, p.PhaseTime, 2*p.PhaseTime)
			}
			stale := metricOf(t, ms, results.UnitStaleReads)
			if c.broken {
				if lin := metricOf(t, ms, results.UnitLinearizable); stale == 0 || lin != 0 {
					t.Errorf("broken cp (followers read locally): stale-reads %v, linearizable %v; want > 0 and 0", stale, lin)
				}
				return
			}
			minority := metricOf(t, ms, results.UnitAvailMinority)
			lost := metricOf(t, ms, results.UnitLostAcked)
			if got := metricOf(t, ms, results.UnitAvail(results.PhaseHealthy)); got < 0.9 {
				t.Errorf("healthy availability %v, want near 1", got)
			}
			switch {
			case c.design == workloads.ConsistencyCP:
				// Requests invoked in the instant before the cut may
				// still be answered.
				if minority > 0.2 {
					t.Errorf("cp: the minority's availability while cut is %v, want near 0", minority)
				}
				if got := metricOf(t, ms, results.UnitLinearizable); got != 1 || stale != 0 || lost != 0 {
					t.Errorf("cp: linearizable %v, stale-reads %v, lost-acked %v; want 1, 0, 0", got, stale, lost)
				}
			case c.kind == kindCounter:
				if minority < 0.9 {
					t.Errorf("ap: the minority's availability while cut is %v, want near 1", minority)
				}
				if lin := metricOf(t, ms, results.UnitLinearizable); stale == 0 || lin != 0 || lost != 0 {
					t.Errorf("ap counter: stale-reads %v, linearizable %v, lost-acked %v; want > 0, 0, 0", stale, lin, lost)
				}
			default:
				if minority < 0.9 {
					t.Errorf("ap register: the minority's availability while cut is %v, want near 1", minority)
				}
				var incrs int64
				for _, o := range first.h.ops() {
					if o.kind == opIncr {
						incrs++
					}
				}
				if first.final < first.init || first.final > first.init+incrs {
					t.Errorf("ap register: converged to %d from %d after %d increments", first.final, first.init, incrs)
				}
			}
			if c.kind == kindCounter {
				runSample(t, in, 2)
				if in.s.init != first.final {
					t.Errorf("the second sample starts from %d, want %d, the first's converged value", in.s.init, first.final)
				}
			}

			// A sample that fails: its clock started, no EndSample.
			failed := func() *sample {
				in.BeginSample()
				w, err := in.NewWorker(workloads.NopEnv{})
				if err != nil {
					t.Fatal(err)
				}
				if err := w.Op(); err != nil {
					t.Fatal(err)
				}
				w.Close()
				return in.s
			}
			old := failed()
			in.BeginSample()
			select {
			case <-old.done:
			default:
				t.Error("BeginSample left the previous sample's controller running")
			}
			old = failed()
			if err := in.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			select {
			case <-old.done:
			default:
				t.Error("Close left the sample's controller running")
			}
			addrs := []string{}
			for k, ps := range in.net.peers() {
				addrs = append(addrs, in.net.clientAddr(k))
				for _, pa := range ps {
					if pa.API != "" {
						addrs = append(addrs, pa.API, pa.Raft)
					}
				}
			}
			for _, a := range addrs {
				if conn, err := net.DialTimeout("tcp", a, time.Second); err == nil {
					conn.Close()
					t.Errorf("a proxy still accepts at %s after Close", a)
				}
			}
			until(t, fmt.Sprintf("the goroutines back to %d", goroutines), func() bool { return runtime.NumGoroutine() <= goroutines })
		})
	}
}
