package analysis

import (
	"math"
	"strings"
	"testing"

	"github.com/parbench/parbench/results"
	"golang.org/x/perf/benchfmt"
)

// The analysis goes by each group's class, from the file's classes line,
// never by the workload's name: these files give classes that their
// names do not suggest.

// classedFile is f with a classes line.
func classedFile(f synthFile, classes string) synthFile {
	f.config = append(f.config, [2]string{results.KeyClasses, classes})
	return f
}

// TestMemoryClassNotName: a memory-bound group is said to be limited by
// memory bandwidth whatever its name ("zzz/slow"), and a group named
// stream whose class is cpu is not.
func TestMemoryClassNotName(t *testing.T) {
	file := func(classes string) synthFile {
		f := synthFile{config: machine("vm", 2, "strong"), n: 10, noise: 0.02}
		for name, s := range map[string]float64{"Zzz/ref": 1.6, "Zzz/slow": 1.2, "Zzz/stream": 1.2} {
			f.benches = append(f.benches, bench{name: name, lock: "none", procs: []int{1, 2}, goroutines: []int{2},
				secs: func(p, g int) float64 { return 1e-6 / math.Pow(s, float64(p-1)) },
				metrics: func(p, g int) []benchfmt.Value {
					return []benchfmt.Value{{Value: float64(p), Unit: "parallelism"}}
				}})
		}
		return classedFile(f, classes)
	}
	rep := reportWith(t, file("zzz/ref=cpu,zzz/slow=memory,zzz/stream=cpu").write(t, 1), fastOptions())
	for _, c := range []struct {
		workload string
		class    results.Class
		memory   bool
	}{{"zzz/ref", results.ClassCPU, false}, {"zzz/slow", results.ClassMemory, true}, {"zzz/stream", results.ClassCPU, false}} {
		g := group(t, rep, c.workload, "none")
		if g.Class != c.class {
			t.Errorf("%s: class %v, want %v", c.workload, g.Class, c.class)
		}
		if got := strings.Contains(g.Verdict.String(), "memory bandwidth"); got != c.memory {
			t.Errorf("%s (class %v): blamed on memory bandwidth %v, want %v: %s", c.workload, g.Class, got, c.memory, g.Verdict)
		}
	}
}

// TestCPUNameIOClass: "cpu/x" of class io is judged as waiting work
// (no oversubscription; "the work waits"), and the same points of class
// cpu as computing work.
func TestCPUNameIOClass(t *testing.T) {
	file := func(class string) synthFile {
		f := synthFile{config: machine("vm", 2, "strong"), n: 10, noise: 0.02, benches: []bench{
			{name: "CPU/x", lock: "none", procs: []int{1, 2}, goroutines: []int{2, 8},
				secs: func(p, g int) float64 { return 1e-6 * (1 + 0.5*float64(g/8)) },
				metrics: func(p, g int) []benchfmt.Value {
					return []benchfmt.Value{{Value: 0.3, Unit: "parallelism"}}
				}},
		}}
		return classedFile(f, "cpu/x="+class)
	}
	for _, c := range []struct {
		class          string
		oversubscribed bool
		waits          bool
	}{{"cpu", true, false}, {"io", false, true}} {
		g := group(t, reportWith(t, file(c.class).write(t, 1), fastOptions()), "cpu/x", "none")
		v := g.Verdict.String()
		if got := strings.Contains(v, "oversubscription"); got != c.oversubscribed {
			t.Errorf("class %s: oversubscription %v, want %v: %s", c.class, got, c.oversubscribed, v)
		}
		if got := strings.Contains(v, "the work waits rather than computes"); got != c.waits {
			t.Errorf("class %s: waits %v, want %v: %s", c.class, got, c.waits, v)
		}
	}
}

// TestLegacyClasses: a file without a classes line (every file written
// before it, and go test output) gets parbench's own classes by name,
// and names of no parbench family are unknown.
func TestLegacyClasses(t *testing.T) {
	rep := report(t, syntheticFiles["laws.txt"]().write(t, 1))
	for _, g := range rep.Groups {
		if want := results.LegacyClass(g.Workload); g.Class != want || want == results.ClassUnknown {
			t.Errorf("%s: class %v, want %v", g.Workload, g.Class, want)
		}
	}
	rep = report(t, syntheticFiles["gotest.txt"]().write(t, 1))
	for _, g := range rep.Groups {
		if g.Class != results.ClassUnknown {
			t.Errorf("go test's %s: class %v, want unknown", g.Workload, g.Class)
		}
	}
}

// TestBadClassesLine: a classes line that does not parse is a warning
// naming the file, and its workloads are unknown, never read by name.
func TestBadClassesLine(t *testing.T) {
	f := classedFile(twoLevels(1.8, 5, 0.02), "cpu/x=fast")
	rep := report(t, f.write(t, 1))
	if g := group(t, rep, "cpu/x", "none"); g.Class != results.ClassUnknown {
		t.Errorf("class %v, want unknown", g.Class)
	}
	n := 0
	for _, w := range rep.Warnings {
		if strings.Contains(w.Error(), "synthetic.txt:") && strings.Contains(w.Error(), `class "fast"`) {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d warnings about the classes line, want 1: %v", n, rep.Warnings)
	}
}
