package analysis

import (
	"bytes"
	"strings"
	"testing"
)

// A user's go test output: the report must not claim what the file does
// not say (how many goroutines ran, what the work is), and must keep the
// names its author wrote.

// TestGoTestNotConcurrent: go test's -cpu alone gives no goroutine count
// (a plain loop runs one goroutine, RunParallel one per proc), so a flat
// curve is "not parallel", never "concurrent".
func TestGoTestNotConcurrent(t *testing.T) {
	f := syntheticFiles["gotest.txt"]()
	f.benches[1].secs = func(p, g int) float64 { return 800e-9 } // Parse: flat
	g := group(t, report(t, f.write(t, 1)), "parse", "")
	if g.Verdict.Class != VerdictNotParallel {
		t.Errorf("flat go test curve: verdict class %q, want %q: %s", g.Verdict.Class, VerdictNotParallel, g.Verdict)
	}
	if s := g.Verdict.String(); strings.Contains(s, "concurrent") || strings.Contains(s, "goroutine") {
		t.Errorf("the verdict speaks of goroutines the file does not count: %s", s)
	}
}

// TestUnknownClassSaid: the report says once, above the groups, which
// groups have no class and what that leaves out, and marks each such
// group in its section; a group whose file names its class is neither
// named nor marked.
func TestUnknownClassSaid(t *testing.T) {
	const said = "no classes line names"
	for _, tc := range []struct {
		name  string
		file  synthFile
		names string // the groups the note names
		marks int    // the sections marked unknown
	}{
		{"go test", syntheticFiles["gotest.txt"](), "for every group", 2},
		{"one classed", classedFile(syntheticFiles["gotest.txt"](), "hash=cpu"), "for parse (", 1},
		{"parbench", syntheticFiles["laws.txt"](), "", 0},
	} {
		rep := report(t, tc.file.write(t, 1))
		var text, md bytes.Buffer
		if err := rep.WriteText(&text); err != nil {
			t.Fatal(err)
		}
		if err := rep.WriteMarkdown(&md); err != nil {
			t.Fatal(err)
		}
		for format, out := range map[string]string{"text": text.String(), "markdown": md.String()} {
			n, marks := strings.Count(out, said), strings.Count(strings.ToLower(out), "class: unknown (")
			if tc.names == "" {
				if n+marks != 0 {
					t.Errorf("%s, %s: every class known, yet the unknown class said %d times, marked %d", tc.name, format, n, marks)
				}
				continue
			}
			if n != 1 || !strings.Contains(out, "lass unknown "+tc.names) {
				t.Errorf("%s, %s: the unknown class said %d times, want once, %q:\n%s", tc.name, format, n, tc.names, out)
			}
			if marks != tc.marks {
				t.Errorf("%s, %s: %d sections marked unknown, want %d", tc.name, format, marks, tc.marks)
			}
		}
	}
}

// TestUserNamesKeepCase: a user's benchmark names keep their case in the
// groups (ShardedMap, not shardedmap), nested sub-benchmarks included,
// while parbench's own names read as before.
func TestUserNamesKeepCase(t *testing.T) {
	in := "ncpu: 2\n" +
		"BenchmarkShardedMap/lock=none/goroutines=2-1 10 1000 ns/op\n" +
		"BenchmarkShardedMap/lock=none/goroutines=2-2 10 500 ns/op\n" +
		"BenchmarkMap/sharded/lock=none/goroutines=8-1 10 1000 ns/op\n" +
		"BenchmarkMap/sharded/lock=none/goroutines=8-2 10 500 ns/op\n" +
		"BenchmarkCPU/sha256/lock=none/goroutines=2-1 10 1000 ns/op\n" +
		"BenchmarkCPU/sha256/lock=none/goroutines=2-2 10 500 ns/op\n"
	rep := report(t, []byte(in))
	var got []string
	for _, g := range rep.Groups {
		got = append(got, g.Workload)
	}
	if want := "ShardedMap,cpu/sha256,map/sharded"; strings.Join(got, ",") != want {
		t.Errorf("groups %q, want %s", got, want)
	}
}
