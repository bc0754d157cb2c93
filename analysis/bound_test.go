package analysis

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"

	"golang.org/x/perf/benchfmt"
)

// waitLaw is waiting work with exactly known bounds: each op waits
// latency seconds and costs cpuPerOp seconds of CPU, so throughput is
// min(G/latency, min(procs, cpus)/cpuPerOp) and the parallelism is the
// throughput times cpuPerOp.
type waitLaw struct {
	latency, cpuPerOp float64
	cpus              int
}

func (l waitLaw) throughput(p, g int) float64 {
	return math.Min(float64(g)/l.latency, float64(min(p, l.cpus))/l.cpuPerOp)
}

func (l waitLaw) bench(name string, procs, gs []int, noise float64, seed uint64) bench {
	rng := rand.New(rand.NewPCG(seed, 11))
	return bench{name: name, lock: "none", procs: procs, goroutines: gs,
		secs: func(p, g int) float64 { return 1 / l.throughput(p, g) },
		metrics: func(p, g int) []benchfmt.Value {
			par := l.throughput(p, g) * l.cpuPerOp * math.Exp(noise*rng.NormFloat64())
			return []benchfmt.Value{{Value: par, Unit: "parallelism"}}
		}}
}

// boundLimit returns g's throughput-bound limit, or "".
func boundLimit(g *Group) string {
	for _, l := range g.Verdict.Limits {
		if strings.HasPrefix(l, "throughput at ") {
			return l
		}
	}
	return ""
}

// TestThroughputBoundLaw: on the exactly known law (1ms waits, 1µs of
// CPU an op, 2 CPUs) throughput follows G/latency up to 1,000
// goroutines and the CPUs from 10,000; at 1 proc the two meet at 1,000
// (1 M ops/s either way), where both bounds hold. The class decides, not
// the name: the same points of class cpu get no sentence.
func TestThroughputBoundLaw(t *testing.T) {
	law := waitLaw{latency: 1e-3, cpuPerOp: 1e-6, cpus: 2}
	gs := []int{1, 10, 100, 1000, 10000, 100000}
	for _, c := range []struct {
		name   string
		cpus   int
		procs  []int
		class  string
		want   []string // parts the sentence must hold; nil: no sentence
		reject []string // parts it must not hold
	}{
		{"judged at 2 procs", 2, []int{1, 2}, "io", []string{
			"throughput at 2 procs is bound by G/latency at 10, 100 and 1000 goroutines",
			"and by the CPUs at 10000 and 100000 goroutines (parallelism at least 1.",
			"of 2 by", "L = "}, nil},
		{"1 proc only", 2, []int{1}, "io", []string{
			"throughput at 1 proc is bound by G/latency at 10, 100 and 1000 goroutines",
			"by the CPUs at 1000, 10000 and 100000 goroutines", "of 1 by"}, nil},
		{"2 procs only", 2, []int{2}, "io", []string{
			"throughput at 2 procs is bound by G/latency at 10, 100 and 1000 goroutines",
			"by the CPUs at 10000 and 100000 goroutines"}, []string{"at 1000, 10000"}},
		// More procs than CPUs: the CPUs bound the parallelism.
		{"2 procs on 1 CPU", 1, []int{2}, "io", []string{
			"throughput at 2 procs is bound by G/latency at 10, 100 and 1000 goroutines",
			"by the CPUs at 1000, 10000 and 100000 goroutines", "of 1 by"}, nil},
		{"class cpu", 2, []int{1, 2}, "cpu", nil, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			law := law
			law.cpus = c.cpus
			f := synthFile{config: machine("vm", c.cpus, "strong"), n: 10, noise: 0.02, benches: []bench{
				law.bench("Zzz/wait", c.procs, gs, 0.02, 1)}}
			rep := reportWith(t, classedFile(f, "zzz/wait="+c.class).write(t, 1), fastOptions())
			got := boundLimit(group(t, rep, "zzz/wait", "none"))
			if c.want == nil {
				if got != "" {
					t.Errorf("class %s: %q, want no bound", c.class, got)
				}
				return
			}
			for _, w := range c.want {
				if !strings.Contains(got, w) {
					t.Errorf("bound %q\nwant it to hold %q", got, w)
				}
			}
			for _, r := range c.reject {
				if strings.Contains(got, r) {
					t.Errorf("bound %q\nwant it not to hold %q", got, r)
				}
			}
			// "at least" holds: the share printed is no more than the
			// least lower end over the levels it names.
			var share float64
			if _, err := fmt.Sscanf(got[strings.Index(got, "(at least ")+1:], "at least %g%%", &share); err != nil {
				t.Fatalf("bound %q: no share: %v", got, err)
			}
			least := math.Inf(1)
			for _, p := range group(t, rep, "zzz/wait", "none").Points {
				if p.Procs == c.procs[len(c.procs)-1] && p.Concurrent != nil && strings.Contains(got, fmt.Sprint(p.Goroutines)) {
					if lo := p.Concurrent.Speedup.Lo / float64(p.Goroutines); lo >= boundLatencyShare {
						least = math.Min(least, lo)
					}
				}
			}
			if share > 100*least {
				t.Errorf("bound %q: at least %g%%, but a level named reaches only %.3f%%", got, share, 100*least)
			}
		})
	}
}

// TestThroughputBoundFewSamples: three samples a point give no interval
// of a median at 95%, so no bound is claimed even on the exact law.
func TestThroughputBoundFewSamples(t *testing.T) {
	law := waitLaw{latency: 1e-3, cpuPerOp: 1e-6, cpus: 2}
	f := synthFile{config: machine("vm", 2, "strong"), n: 3, noise: 0.01, benches: []bench{
		law.bench("Zzz/wait", []int{1, 2}, []int{1, 10, 100, 10000}, 0.01, 1)}}
	rep := reportWith(t, classedFile(f, "zzz/wait=io").write(t, 1), fastOptions())
	if got := boundLimit(group(t, rep, "zzz/wait", "none")); got != "" {
		t.Errorf("3 samples a point: %q, want no bound", got)
	}
}

// TestThroughputBoundNoise: 100 groups of waiting work where neither
// bound holds: in half, more goroutines change nothing (pure noise); in
// the other half, the truth lies just below both bars (C(G) = 0.74 G,
// parallelism 0.85 of the CPUs) with 10% noise, so that a rule on the
// medians alone would claim a bound for some of them (checked here),
// while the intervals claim none.
func TestThroughputBoundNoise(t *testing.T) {
	if testing.Short() {
		t.Skip("100 groups")
	}
	const groups = 100
	f := synthFile{config: machine("vm", 2, "strong"), n: 10, noise: 0.1}
	var classes []string
	for i := range groups {
		name := fmt.Sprintf("Zzz/w%03d", i)
		classes = append(classes, strings.ToLower(name)+"=io")
		rng := rand.New(rand.NewPCG(uint64(i), 3))
		b := bench{name: name, lock: "none", procs: []int{1, 2}, goroutines: []int{1, 8, 64}}
		if i%2 == 0 {
			b.secs = func(p, g int) float64 { return 1e-3 }
			b.metrics = func(p, g int) []benchfmt.Value {
				return []benchfmt.Value{{Value: 0.3 * float64(p) * math.Exp(0.1*rng.NormFloat64()), Unit: "parallelism"}}
			}
		} else {
			b.secs = func(p, g int) float64 {
				if g == 1 {
					return 1e-3
				}
				return 1e-3 / (0.74 * float64(g))
			}
			b.metrics = func(p, g int) []benchfmt.Value {
				return []benchfmt.Value{{Value: 0.85 * float64(p) * math.Exp(0.1*rng.NormFloat64()), Unit: "parallelism"}}
			}
		}
		f.benches = append(f.benches, b)
	}
	sort.Strings(classes)
	rep := reportWith(t, classedFile(f, strings.Join(classes, ",")).write(t, 1), fastOptions())
	fired, medianRule := 0, 0
	for _, g := range rep.Groups {
		if s := boundLimit(g); s != "" {
			fired++
			t.Errorf("%s: %s", g.Workload, s)
		}
		for _, p := range g.Points {
			if p.Procs != g.Verdict.Procs {
				continue
			}
			if c := p.Concurrent; c != nil && p.Goroutines > 1 && c.Speedup.Value >= boundLatencyShare*float64(p.Goroutines) {
				medianRule++
			}
			if p.Metrics["parallelism"] >= boundCPUShare*float64(min(p.Procs, 2)) {
				medianRule++
			}
		}
	}
	if fired > 0 {
		t.Errorf("%d of %d groups where neither bound holds were said to meet one", fired, groups)
	}
	if medianRule == 0 {
		t.Errorf("no point's median passes a bar: the noise does not test the intervals")
	}
	t.Logf("medians alone would claim a bound at %d points", medianRule)
}
