package analysis

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/parbench/parbench/results"
)

// capDesign is what one design's samples say, phase by phase.
type capDesign struct {
	avail              [3]float64 // healthy, partitioned, healed
	minority, majority float64
	p50                float64 // healthy, seconds
	stale, lost, unk   int
	lin                int // 1, 0, or -1 for no verdict
	// apart is how many samples' replicas did not agree after the
	// sample: no lost-acked and no converge-sec on them.
	apart int
	// election is the seconds to a new leader after the leader's crash
	// (--faults crash), in the first elected samples; 0: none.
	election float64
	elected  int
}

// capFile writes n samples of each design of cluster/x at 2 procs, 6
// goroutines, with the figures of d (p50 with relative noise noise).
func capFile(seed uint64, n int, noise float64, ds map[string]capDesign) []byte {
	rng := rand.New(rand.NewPCG(seed, 11))
	var b strings.Builder
	b.WriteString("goos: linux\ngoarch: amd64\nncpu: 2\nhost: h\n")
	for _, name := range []string{"cp", "ap"} {
		d, ok := ds[name]
		if !ok {
			continue
		}
		for i := range n {
			fmt.Fprintf(&b, "BenchmarkCluster/x/lock=none/%s=%s/goroutines=6-2 1000 0.001 sec/op", results.KeyConsistency, name)
			for i, ph := range results.Phases {
				fmt.Fprintf(&b, " %g %s", d.avail[i], results.UnitAvail(ph))
			}
			fmt.Fprintf(&b, " %g %s %g %s", d.minority, results.UnitAvailMinority, d.majority, results.UnitAvailMajority)
			fmt.Fprintf(&b, " %g %s", d.p50*(1+noise*rng.NormFloat64()), results.UnitP50(results.PhaseHealthy))
			fmt.Fprintf(&b, " %d %s %d %s", d.stale, results.UnitStaleReads, d.stale/4, results.UnitStaleReadsIn(results.PhaseHealthy))
			fmt.Fprintf(&b, " %d %s", d.unk, results.UnitUnknownOps)
			if i >= d.apart {
				fmt.Fprintf(&b, " %d %s 0.1 %s", d.lost, results.UnitLostAcked, results.UnitConvergeSec)
			}
			if d.lin >= 0 {
				fmt.Fprintf(&b, " %d %s", d.lin, results.UnitLinearizable)
			}
			if d.election > 0 && i < d.elected {
				fmt.Fprintf(&b, " %g %s", d.election, results.UnitElectionSec)
			}
			b.WriteString("\n")
		}
	}
	return []byte(b.String())
}

func capLines(t *testing.T, data []byte) map[string]string {
	t.Helper()
	rep := report(t, data)
	if len(rep.Replicated) != 1 {
		t.Fatalf("%d CAP sections, want 1", len(rep.Replicated))
	}
	lines := map[string]string{}
	for _, l := range rep.Replicated[0].Lines {
		k, _, _ := strings.Cut(l, ":")
		lines[k] = l
	}
	return lines
}

// TestReplicatedExact: the words follow the counts exactly.
func TestReplicatedExact(t *testing.T) {
	cp := capDesign{avail: [3]float64{1, 0.67, 1}, minority: 0, majority: 1, p50: 0.002, lin: 1, unk: 2}
	ap := capDesign{avail: [3]float64{1, 1, 1}, minority: 1, majority: 1, p50: 0.0005, stale: 40, lost: 0, lin: 0}
	lines := capLines(t, capFile(1, 6, 0, map[string]capDesign{"cp": cp, "ap": ap}))
	for _, c := range []struct{ key, want string }{
		{"cp", "gave up availability while partitioned: the cut-off side's clients were answered 0%, the rest's 100%"},
		{"cp", "stayed linearizable: 6 of 6 samples"},
		{"cp", "lost no acknowledged increment that the count can see (12 increments' outcome unknown)"},
		{"ap", "stayed available"},
		{"ap", "gave up consistency: 6 of 6 samples checked not linearizable (porcupine), 40 stale reads a sample (median; 240 in all), 10 of them in the healthy phase, with no partition (60 in all)"},
		{"ap", "lost no acknowledged increment"},
		{"healthy (no partition, the \"else\" of PACELC)", "ap answers in 500.0µs at the median, cp in 2.000ms: 4.00x lower latency"},
	} {
		if !strings.Contains(lines[c.key], c.want) {
			t.Errorf("%s's line %q lacks %q", c.key, lines[c.key], c.want)
		}
	}
	// Every format carries the section.
	text, md, doc := formats(t, report(t, capFile(1, 6, 0, map[string]capDesign{"cp": cp, "ap": ap})))
	for _, f := range []struct{ name, out, want string }{
		{"text", text, "== CAP under a partition: cluster/x"},
		{"markdown", md, "### CAP under a partition: cluster/x"},
	} {
		if !strings.Contains(f.out, f.want) || !strings.Contains(f.out, "stayed linearizable: 6 of 6 samples") {
			t.Errorf("%s report lacks the CAP section:\n%s", f.name, f.out)
		}
	}
	rs, _ := doc["replicated"].([]any)
	if len(rs) != 1 {
		t.Fatalf("JSON report: %d replicated sections, want 1", len(rs))
	}
	ds, _ := rs[0].(map[string]any)["designs"].([]any)
	if len(ds) != 2 {
		t.Fatalf("JSON report: %d designs, want 2", len(ds))
	}
	for _, d := range ds {
		d := d.(map[string]any)
		minority := d["avail_minority"].(map[string]any)
		want := map[string]float64{"cp": 0, "ap": 1}[d["name"].(string)]
		if minority["median"] != want || minority["n"] != 6.0 {
			t.Errorf("JSON report's design %v: avail_minority %v, want median %v of 6", d["name"], minority, want)
		}
	}
	// Too few samples a side: no comparison, and the line says why.
	few := capLines(t, capFile(1, 2, 0, map[string]capDesign{"cp": cp, "ap": ap}))
	if l := few["healthy (no partition)"]; !strings.Contains(l, "not compared, with 2 and 2 samples (at least 6 a side)") {
		t.Errorf("2 samples a side: %q", l)
	}
	// The LWW register's loss, counted.
	reg := ap
	reg.lost = 7
	lines = capLines(t, capFile(1, 6, 0.05, map[string]capDesign{"ap": reg}))
	if want := "lost 7 acknowledged increments a sample after the heal (median; 42 in all)"; !strings.Contains(lines["ap"], want) {
		t.Errorf("ap's line %q lacks %q", lines["ap"], want)
	}
	// Samples whose replicas never agreed count no loss, and say so.
	reg.lost, reg.apart = 7, 2
	lines = capLines(t, capFile(1, 6, 0.05, map[string]capDesign{"ap": reg}))
	for _, want := range []string{"2 of 6 samples' replicas did not agree after the sample, so their lost increments are not counted",
		"lost 7 acknowledged increments a sample after the heal (median; 28 in all)",
		"(median of the 4 of 6 samples that converged within the healed phase)"} {
		if !strings.Contains(lines["ap"], want) {
			t.Errorf("ap's line %q lacks %q", lines["ap"], want)
		}
	}
	reg.apart = 0
	// A stale read alone is a violation, even where porcupine ran out
	// of time.
	reg.lost, reg.lin = 0, -1
	lines = capLines(t, capFile(1, 6, 0.05, map[string]capDesign{"ap": reg}))
	if !strings.Contains(lines["ap"], "gave up consistency: 40 stale reads") {
		t.Errorf("ap's line %q does not give up consistency on stale reads alone", lines["ap"])
	}
}

// TestReplicatedNoEffect: two designs alike, on pure noise, over many
// seeds: the latency comparison never calls one lower beyond what the
// confidence level allows, and no design gives anything up.
func TestReplicatedNoEffect(t *testing.T) {
	same := capDesign{avail: [3]float64{1, 1, 1}, minority: 1, majority: 1, p50: 0.001, lin: 1}
	fired := 0
	const runs = 200
	for seed := range uint64(runs) {
		lines := capLines(t, capFile(seed, minPACELC, 0.2, map[string]capDesign{"cp": same, "ap": same}))
		for k, l := range lines {
			if strings.Contains(l, "gave up") || strings.Contains(l, "lost ") && !strings.Contains(l, "lost no") {
				t.Fatalf("seed %d: %s: %q on identical designs", seed, k, l)
			}
			if strings.Contains(l, "lower latency") {
				fired++
			}
		}
	}
	// A 95% interval wholly above 1 by chance, for the faster of two
	// designs chosen after seeing them: about 5% of runs.
	t.Logf("the latency comparison fired on %d of %d no-effect files at %d samples a side", fired, runs, minPACELC)
	if fired > runs*7/100 {
		t.Errorf("the latency comparison fired on %d of %d no-effect runs, want at most 7%%", fired, runs)
	}
}

// TestReplicatedElection: under --faults crash the cp line gives the
// median time to a new leader, and the table gets an election column;
// without a crash neither appears.
func TestReplicatedElection(t *testing.T) {
	cp := capDesign{avail: [3]float64{1, 0.6, 1}, minority: 0, majority: 0.9, p50: 0.002, lin: 1, election: 0.25, elected: 6}
	ap := capDesign{avail: [3]float64{1, 1, 1}, minority: 1, majority: 1, p50: 0.0005, stale: 40, lin: 0}
	data := capFile(1, 6, 0, map[string]capDesign{"cp": cp, "ap": ap})
	lines := capLines(t, data)
	if want := "elected a new leader 250.0ms after the leader's crash (median)"; !strings.Contains(lines["cp"], want) {
		t.Errorf("cp's line %q lacks %q", lines["cp"], want)
	}
	if strings.Contains(lines["ap"], "elected") {
		t.Errorf("ap's line %q speaks of an election", lines["ap"])
	}
	tab := report(t, data).Replicated[0].Table()
	col := slices.Index(tab[0], "election")
	if col < 0 {
		t.Fatalf("no election column in %v", tab[0])
	}
	for _, row := range tab[1:] {
		want := map[string]string{"cp": "250.0ms", "ap": "-"}[row[0]]
		if len(row) != len(tab[0]) || row[col] != want {
			t.Errorf("row %v: election %q, want %q", row, row[col], want)
		}
	}
	// Some samples without a leader in time: the line says of how many.
	cp.elected = 4
	lines = capLines(t, capFile(1, 6, 0, map[string]capDesign{"cp": cp, "ap": ap}))
	if want := "(median of the 4 of 6 samples in which a survivor led within the partitioned phase)"; !strings.Contains(lines["cp"], want) {
		t.Errorf("cp's line %q lacks %q", lines["cp"], want)
	}
	// The dead side's clients get nothing under every design: under
	// faults crash no design is said to give up availability for it.
	ap.minority = 0
	crash := strings.Replace(string(capFile(1, 6, 0, map[string]capDesign{"cp": cp, "ap": ap})), "host: h\n", "host: h\nfaults: crash\n", 1)
	rep := report(t, []byte(crash))
	for _, l := range rep.Replicated[0].Lines {
		if strings.Contains(l, "gave up availability") {
			t.Errorf("under faults crash: %q", l)
		}
	}
	if l := rep.Replicated[0].Lines[0]; !strings.Contains(l, "while the cut-off side's nodes were down (crashed, not partitioned), their clients were answered 0%") {
		t.Errorf("under faults crash, the first line %q does not say the nodes were down", l)
	}
	if h := replicatedHead(rep.Replicated[0]); !strings.Contains(h, "killed the cut-off side's nodes") {
		t.Errorf("under faults crash, the head %q does not say so", h)
	}
	ap.minority = 1
	// No crash: no column, no words.
	cp.election = 0
	data = capFile(1, 6, 0, map[string]capDesign{"cp": cp, "ap": ap})
	if tab := report(t, data).Replicated[0].Table(); slices.Contains(tab[0], "election") {
		t.Errorf("an election column without a crash: %v", tab[0])
	}
	if l := capLines(t, data)["cp"]; strings.Contains(l, "elected") {
		t.Errorf("cp's line %q speaks of an election without a crash", l)
	}
}
