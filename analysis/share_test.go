package analysis

import (
	"os"
	"strings"
	"testing"

	"golang.org/x/perf/benchfmt"
)

// loaded is one point's figures for a share test: the median others
// and the parallelism the run got.
type loaded struct{ others, got float64 }

// shareFile is one group, cpu/x lock=none on an ncpu machine, measured
// at 1 and judgedProcs procs with judgedProcs goroutines: the judged
// point speedup times faster than the baseline, each with its own load
// figures.
func shareFile(ncpu, judgedProcs int, speedup float64, base, judged loaded) synthFile {
	pick := func(p int) loaded {
		if p == 1 {
			return base
		}
		return judged
	}
	return synthFile{config: machine("vm", ncpu, "strong"), n: 10, noise: 0.03, benches: []bench{{
		name: "CPU/x", lock: "none", procs: []int{1, judgedProcs}, goroutines: []int{judgedProcs},
		secs: func(p, g int) float64 {
			if p == 1 {
				return 3.4e-4
			}
			return 3.4e-4 / speedup
		},
		metrics: func(p, g int) []benchfmt.Value {
			l := pick(p)
			return []benchfmt.Value{{Value: l.got, Unit: "parallelism"}, {Value: 0, Unit: "steal-frac"}, {Value: l.others, Unit: "other-runnable"}}
		},
	}}}
}

// parallelMade reports whether v makes a parallel claim: in its class,
// its words or its claims.
func parallelMade(v Verdict) bool {
	for _, c := range v.Claims {
		if c.Kind == "parallel" && c.Made {
			return true
		}
	}
	return v.Class == VerdictParallel || strings.HasPrefix(v.Head, "parallel") || strings.HasPrefix(v.Text, "parallel")
}

// TestShareWon: beside other runnable programs the kernel's fair
// scheduler gives a run more of the CPUs the more threads it has
// runnable, so a speedup across procs on a busy machine can be CPU
// share won rather than parallelism. Where the share the run won
// explains the gain, the verdict says the machine was busy; where the
// run gained beyond it, or the machine was quiet, it is parallel.
func TestShareWon(t *testing.T) {
	for _, tc := range []struct {
		name           string
		ncpu, procs    int
		speedup        float64
		base, judged   loaded
		noise          float64
		busy, parallel bool
	}{
		// The case of the report: cpu/stream under two `yes` on 2
		// CPUs, 1.90x at 2 procs with 95% efficiency, but the run got
		// 0.504 CPUs at 1 proc (one thread against two others) and
		// 0.998 at 2 (two against two): one CPU's worth at most.
		{"two yes on 2 CPUs", 2, 2, 1.90, loaded{2, 0.504}, loaded{2, 0.998}, 0.03, true, false},
		// webapp/noisy-neighbor lock=none beside two yes: its own heavy
		// client makes 4 others, the run got 0.34 and 0.40 CPUs, and
		// its spread is wide. The fair share explains 1.67x of 2.24x: net
		// of it the efficiency is 67%, too little to survive the load.
		{"noisy neighbor beside two yes", 2, 2, 2.24, loaded{4, 0.34}, loaded{4, 0.40}, 0.2, true, false},
		// 1.5 others on 2 CPUs leave the baseline 0.5 CPUs free, not
		// starved by the busy rule, and a fair share of 0.80, but the
		// scheduler gave it 0.55: the parallelism the run got, not the
		// fair share, explains the 1.8x.
		{"less than the fair share", 2, 2, 1.8, loaded{1.5, 0.55}, loaded{1.5, 1.0}, 0.03, true, false},
		// The same speedup on a quiet machine is parallel execution.
		{"quiet 2 CPUs", 2, 2, 1.90, loaded{0.2, 1.0}, loaded{0.2, 1.9}, 0.03, false, true},
		// Work that mostly waits gets little CPU on a quiet machine
		// too: its low parallelism is not share lost to others.
		{"quiet 2 CPUs, waiting work", 2, 2, 1.90, loaded{0.2, 0.05}, loaded{0.2, 0.095}, 0.03, false, true},
		// 3.5 others on 4 CPUs: one thread's fair share is 0.89 CPUs,
		// four threads' 2.13, more than one CPU at once; the share
		// explains 1.13x of the 2.4x, the rest is parallel.
		{"beyond the share on 4 CPUs", 4, 4, 2.4, loaded{3.5, 0.89}, loaded{3.5, 2.13}, 0.03, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := shareFile(tc.ncpu, tc.procs, tc.speedup, tc.base, tc.judged)
			f.noise = tc.noise
			for seed := range uint64(10) {
				v := group(t, reportWith(t, f.write(t, seed), fastOptions()), "cpu/x", "none").Verdict
				busy := v.Class == VerdictInconclusive && strings.Contains(v.Head, "; the machine was busy)") &&
					strings.Contains(v.Text, "threads besides the run's were runnable") && strings.Contains(v.Text, "leaving")
				if busy != tc.busy || parallelMade(v) != tc.parallel {
					t.Errorf("seed %d: verdict %s (claims %+v): want busy %v, parallel %v", seed, v, v.Claims, tc.busy, tc.parallel)
				}
			}
		})
	}
}

// TestShareWonMeasured: the case as measured, cpu/stream lock=none
// beside two `yes >/dev/null` on a 2-CPU VM (parbench run --workloads
// cpu/stream --procs 1,2 --goroutines 2 --count 6 --benchtime 100ms):
// 1.91x at 2 procs, parallelism 0.54 at 1 proc and 1.00 at 2.
func TestShareWonMeasured(t *testing.T) {
	data, err := os.ReadFile("testdata/busy-two-yes.txt")
	if err != nil {
		t.Fatal(err)
	}
	v := group(t, report(t, data), "cpu/stream", "none").Verdict
	if parallelMade(v) || !strings.Contains(v.Head, "; the machine was busy)") || !strings.Contains(v.Text, "threads besides the run's were runnable") {
		t.Errorf("cpu/stream beside two yes: %s, want the machine was busy, not parallel", v)
	}
	for _, s := range append(v.Limits, v.Flags...) {
		if strings.Contains(s, "memory bandwidth") {
			t.Errorf("a busy machine blamed on memory bandwidth: %s", s)
		}
	}
}

// TestShareWonQuiet: on a quiet machine (others 0.1 to 0.3, as
// runner and kernel threads read) the share explains nothing: pure
// noise is never called busy, and linear speedups stay parallel.
func TestShareWonQuiet(t *testing.T) {
	quiet := func(p, g int) []benchfmt.Value {
		others := 0.1 + 0.1*float64((p+g)%3)
		return []benchfmt.Value{{Value: 1, Unit: "parallelism"}, {Value: 0, Unit: "steal-frac"}, {Value: others, Unit: "other-runnable"}}
	}
	noise := manyGroups("noise", 100, 2, []int{1, 2}, []int{1, 2, 8}, 10, 0.05, func(p, g int) float64 { return 1e-6 }, quiet)
	for _, g := range reportWith(t, noise.write(t, 3), fastOptions()).Groups {
		if strings.Contains(g.Verdict.Text, "the machine was busy") {
			t.Errorf("pure noise on a quiet machine called busy: %s: %s", g.Label(), g.Verdict)
		}
	}
	scaling := func(p, g int) []benchfmt.Value {
		others := 0.1 + 0.1*float64((p+g)%3)
		return []benchfmt.Value{{Value: float64(min(p, g, 8)), Unit: "parallelism"}, {Value: 0, Unit: "steal-frac"}, {Value: others, Unit: "other-runnable"}}
	}
	lin := manyGroups("linear", 20, 8, levels(1, 8), []int{8}, 10, 0.02, func(p, g int) float64 { return 8e-6 / float64(min(p, 8)) }, scaling)
	for _, g := range reportWith(t, lin.write(t, 4), fastOptions()).Groups {
		if g.Verdict.Class != VerdictParallel {
			t.Errorf("linear speedup on a quiet machine: %s: %s", g.Label(), g.Verdict)
		}
	}
}
