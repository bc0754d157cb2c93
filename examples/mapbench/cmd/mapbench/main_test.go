package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/parbench/parbench/results"
)

// The three workloads of package mapworkloads.
var mapWorkloads = []string{"mapbench/json", "mapbench/mutex", "mapbench/sharded"}

// TestShortSweep builds the custom binary and runs a short sweep of its
// workloads in both execution modes. Worker processes re-execute the
// binary, so the exec=processes points run only if the binary's own
// init registered the mapbench workloads in them too. It checks the
// results file's structure, never a timing.
func TestShortSweep(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs a sweep of about ten seconds")
	}
	// go test puts its own GOROOT/bin first in a test's PATH.
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command builds the binary under test: %v", err)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "mapbench")
	run(t, goCmd, "build", "-o", bin, ".")

	list := run(t, bin, "list")
	for _, w := range mapWorkloads {
		if !strings.Contains(list, w) {
			t.Errorf("mapbench list does not show %s:\n%s", w, list)
		}
	}

	out := filepath.Join(dir, "out.txt")
	run(t, bin, "run", "--workloads", "mapbench", "--lock", "none,gil",
		"--exec", "goroutines,processes", "--procs", "1,2", "--goroutines", "2",
		"--count", "2", "--benchtime", "20ms", "--quiet", "--out", out)
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	r, err := results.ReadRun(out, data)
	if err != nil {
		t.Fatal(err)
	}

	// Every point has its two samples: 3 workloads x 2 locks x 2 exec
	// modes x 2 procs at 2 goroutines.
	samples := map[string]int{}
	for _, s := range r.Samples {
		p, err := results.ParseName(s.Name)
		if err != nil {
			t.Fatalf("line %d: %v", s.Line, err)
		}
		if p.Goroutines != 2 || s.Iters <= 0 || !(s.SecPerOp > 0) {
			t.Errorf("line %d: %s: %d iterations at %g sec/op", s.Line, s.Name, s.Iters, s.SecPerOp)
		}
		samples[p.Workload+" "+p.Lock+" "+p.Get(results.KeyExec)+" "+strconv.Itoa(p.Procs)]++
	}
	for _, w := range mapWorkloads {
		for _, lock := range []string{"none", "gil"} {
			for _, mode := range []string{"goroutines", "processes"} {
				for _, procs := range []string{"1", "2"} {
					key := w + " " + lock + " " + mode + " " + procs
					if samples[key] != 2 {
						t.Errorf("%s lock=%s exec=%s -%s: %d samples, want 2", w, lock, mode, procs, samples[key])
					}
				}
			}
		}
	}
	if len(samples) != 24 {
		t.Errorf("%d points, want 24: %v", len(samples), samples)
	}

	// The workloads' classes reached the file, from the workloads
	// themselves (workloads.Classed).
	var classes results.ClassMap
	for _, c := range r.Config {
		if c.Key == results.KeyClasses {
			if classes, err = results.ParseClasses(c.Value); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, w := range mapWorkloads {
		if got := classes[w]; got != results.ClassCPU {
			t.Errorf("class of %s: %q, want %q", w, got, results.ClassCPU)
		}
	}

	// The custom binary's report reads its own file.
	report := run(t, bin, "report", out)
	for _, w := range mapWorkloads {
		if !strings.Contains(report, w) {
			t.Errorf("the report does not name %s:\n%s", w, report)
		}
	}
}

// run runs name with args and returns its standard output; a failure
// fails the test with both outputs.
func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	var stdout, stderr strings.Builder
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\nstdout:\n%s\nstderr:\n%s", filepath.Base(name), strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}
