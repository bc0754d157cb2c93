package cluster

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/parbench/parbench/internal/procs"
	"github.com/parbench/parbench/results"
	"github.com/parbench/parbench/workloads"
)

// quorumParams are testParams with W and R.
func quorumParams(w, r int) workloads.Params {
	p := testParams()
	p.WriteQuorum, p.ReadQuorum = w, r
	return p
}

// TestQuorumCounter: three nodes, W = R = 2. Increments and reads are
// served at every node; while node 2 is cut off its increments and
// reads are 504 unknown (its increment applied there all the same) and
// the majority serves on; after the heal every node holds all,
// node 2's unknown increment included.
func TestQuorumCounter(t *testing.T) {
	in := startTest(t, kindCounter, workloads.ConsistencyQuorum, quorumParams(2, 2))
	var want int64
	for k := range in.n {
		if st, v, out := call(t, in, k, http.MethodPost, pathIncr); st != http.StatusOK {
			t.Fatalf("increment at node %d: %d %s", k, st, out)
		} else if want++; v != want {
			t.Errorf("increment at node %d answered %d, want %d", k, v, want)
		}
		for l := range in.n {
			if st, v, out := call(t, in, l, http.MethodGet, pathRead); st != http.StatusOK || v != want {
				t.Errorf("read at node %d after %d increments: %d %d %s, want 200 %d", l, want, st, v, out, want)
			}
		}
	}
	if err := in.net.partition(map[int]bool{2: true}); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{pathIncr, pathRead} {
		method := http.MethodGet
		if path == pathIncr {
			method = http.MethodPost
		}
		if st, _, out := call(t, in, 2, method, path); st != http.StatusGatewayTimeout || out != outcomeUnknownText {
			t.Errorf("%s at the cut-off node: %d %q, want 504 unknown", path, st, out)
		}
	}
	for k := range 2 {
		if st, _, out := call(t, in, k, http.MethodPost, pathIncr); st != http.StatusOK {
			t.Fatalf("increment at majority node %d while cut: %d %s", k, st, out)
		}
		want++
	}
	for k := range 2 {
		if st, v, out := call(t, in, k, http.MethodGet, pathRead); st != http.StatusOK || v != want {
			t.Errorf("read at majority node %d while cut: %d %d %s, want 200 %d", k, st, v, out, want)
		}
	}
	in.net.healAll()
	want++ // node 2's unknown increment
	until(t, "every node holding all the increments", func() bool {
		sts, err := in.states(context.Background())
		return err == nil && settled(sts) && sts[0].Value == want
	})
	if st, v, _ := call(t, in, 2, http.MethodGet, pathRead); st != http.StatusOK || v != want {
		t.Errorf("read at node 2 after the heal: %d %d, want 200 %d", st, v, want)
	}
}

// TestQuorumReadRepair: a read that saw an increment held by one node
// alone writes it back before it answers, so that a later read through
// another quorum cannot return less (a new-old inversion). Anti-entropy
// is slowed to 10s, so that only the read repair spreads it.
func TestQuorumReadRepair(t *testing.T) {
	p := quorumParams(2, 2)
	p.SyncInterval = 10 * time.Second
	in := startTest(t, kindCounter, workloads.ConsistencyQuorum, p)
	cut := func(pairs ...[2]int) {
		t.Helper()
		in.net.healAll()
		for _, pr := range pairs {
			if err := in.net.cut(pr[0], pr[1]); err != nil {
				t.Fatal(err)
			}
		}
	}
	read := func(k int) int64 {
		t.Helper()
		st, v, out := call(t, in, k, http.MethodGet, pathRead)
		if st != http.StatusOK {
			t.Fatalf("read at node %d: %d %s", k, st, out)
		}
		return v
	}
	// Node 1 alone applies an increment.
	cut([2]int{1, 0}, [2]int{1, 2})
	if st, _, out := call(t, in, 1, http.MethodPost, pathIncr); st != http.StatusGatewayTimeout || out != outcomeUnknownText {
		t.Fatalf("increment at the isolated node 1: %d %q, want 504 unknown", st, out)
	}
	// Node 0 reads through {0, 1}: it sees the increment.
	cut([2]int{0, 2})
	if v := read(0); v != 1 {
		t.Fatalf("read at node 0 through nodes 0 and 1: %d, want 1", v)
	}
	// Node 2 reads through {2, 0}: node 0 holds it since its read.
	cut([2]int{2, 1})
	if v := read(2); v != 1 {
		t.Errorf("read at node 2 through nodes 2 and 0, after node 0 read 1: %d, want 1 (no read repair?)", v)
	}
	in.net.healAll()
}

// TestQuorumSample: whole samples with a minority partition and the
// runner's two clients per node:
//   - counter, W = R = 2 (R+W > N): the cut-off node's clients get
//     nothing while cut, no read is stale and the history is
//     linearizable, nothing acknowledged is lost;
//   - counter, W = R = 1: every client is answered throughout, as
//     under ap, and the cut-off side's reads are stale;
//   - register, W = R = 2: the cut-off node's clients get nothing
//     while cut; a read-modify-write over quorums is not atomic, so
//     it may lose acknowledged increments with or without the
//     partition: what it lost is logged.
//
// "Nothing while cut" is exact: no request of a cut-off client sent
// from the cut until a request timeout before the heal is answered (a
// request sent later may be, once the heal lets its quorum through).
// The phases are longer than testParams' so that there is one.
func TestQuorumSample(t *testing.T) {
	for _, c := range []struct {
		name string
		kind string
		w, r int
	}{
		{"counter-majority", kindCounter, 0, 0},
		{"counter-one", kindCounter, 1, 1},
		{"register-majority", kindRegister, 2, 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := quorumParams(c.w, c.r)
			p.PhaseTime = 600 * time.Millisecond
			in, err := startInstance(c.kind, workloads.ConsistencyQuorum, p, procs.DefaultOptions())
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
			ms := runSample(t, in, 2*in.n)
			t.Logf("%s: %v", c.name, ms)
			if !in.s.converged {
				t.Fatal("the nodes did not agree after the sample")
			}
			if got := metricOf(t, ms, results.UnitAvail(results.PhaseHealthy)); got < 0.9 {
				t.Errorf("healthy availability %v, want near 1", got)
			}
			minority := metricOf(t, ms, results.UnitAvailMinority)
			stale := metricOf(t, ms, results.UnitStaleReads)
			lost := metricOf(t, ms, results.UnitLostAcked)
			// The cut-off clients' requests sent while surely cut.
			var cutOK, cutAll int
			for _, o := range in.s.h.ops() {
				if in.s.cutOff[o.node] && o.invoke >= in.s.cutAt && o.invoke < in.s.healAt-p.RequestTimeout {
					cutAll++
					if o.outcome == outcomeOK {
						cutOK++
					}
				}
			}
			if c.w != 1 && (cutOK != 0 || cutAll == 0) {
				t.Errorf("W=R=2: %d of the %d requests of a cut-off client sent while surely cut were answered, want 0 of some", cutOK, cutAll)
			}
			switch c.name {
			case "counter-majority":
				if lin := metricOf(t, ms, results.UnitLinearizable); lin != 1 || stale != 0 || lost != 0 {
					t.Errorf("W=R=2: linearizable %v, stale-reads %v, lost-acked %v; want 1, 0, 0", lin, stale, lost)
				}
			case "counter-one":
				if minority < 0.9 {
					t.Errorf("W=R=1: the minority's availability while cut is %v, want near 1", minority)
				}
				if stale == 0 || lost != 0 {
					t.Errorf("W=R=1: stale-reads %v, lost-acked %v; want > 0, 0", stale, lost)
				}
			}
		})
	}
}

// TestCheckQuorum: W or R above the replicas under quorum, or either
// set under cp or ap, is a *workloads.ParamError naming it.
func TestCheckQuorum(t *testing.T) {
	w := workload{kind: kindCounter}
	for _, tc := range []struct {
		design string
		wq, rq int
		param  string // "": no error
		want   string
	}{
		{workloads.ConsistencyQuorum, 0, 0, "", ""},
		{workloads.ConsistencyQuorum, 3, 1, "", ""},
		{workloads.ConsistencyQuorum, 4, 0, workloads.ParamWriteQuorum, "want 1 to 3, the replicas (0: a majority)"},
		{workloads.ConsistencyQuorum, 2, 4, workloads.ParamReadQuorum, "want 1 to 3, the replicas (0: a majority)"},
		{workloads.ConsistencyCP, 2, 0, workloads.ParamWriteQuorum, "applies to consistency quorum only"},
		{workloads.ConsistencyAP, 0, 1, workloads.ParamReadQuorum, "applies to consistency quorum only"},
		{workloads.ConsistencyAP, 0, 0, "", ""},
	} {
		p := quorumParams(tc.wq, tc.rq)
		err := w.CheckReplicated(p, tc.design)
		var pe *workloads.ParamError
		switch {
		case tc.param == "" && err != nil:
			t.Errorf("%s W=%d R=%d: %v, want nil", tc.design, tc.wq, tc.rq, err)
		case tc.param == "":
		case !errors.As(err, &pe) || pe.Param != tc.param || pe.Err.Error() != tc.want:
			t.Errorf("%s W=%d R=%d: %v, want a ParamError on %s: %s", tc.design, tc.wq, tc.rq, err, tc.param, tc.want)
		}
	}
}
