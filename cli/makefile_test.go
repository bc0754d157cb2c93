package cli

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/parbench/parbench/results"
)

// makeVars returns the Makefile's "NAME := value" and "NAME ?= value"
// lines.
func makeVars(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open("../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	vars := map[string]string{}
	assign := regexp.MustCompile(`^([A-Z_]+)\s*[:?]?=\s*(.*)$`)
	s := bufio.NewScanner(f)
	for s.Scan() {
		if m := assign.FindStringSubmatch(s.Text()); m != nil {
			vars[m[1]] = strings.TrimSpace(m[2])
		}
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	return vars
}

// TestMakefileCompareIgnore checks that `make compare` ignores exactly
// the keys package results says describe where, when and how a run was
// made (results.CompareIgnoredKeys), and that the machine keys it prints
// are results.MachineKeys, so that a key added to the format cannot
// split benchstat's tables, nor one removed linger in the Makefile.
func TestMakefileCompareIgnore(t *testing.T) {
	vars := makeVars(t)
	for _, tc := range []struct {
		name string
		want []string
	}{
		{"MACHINE_KEYS", results.MachineKeys()},
		{"COMPARE_IGNORE", results.CompareIgnoredKeys()},
	} {
		v, ok := vars[tc.name]
		if !ok {
			t.Errorf("the Makefile has no %s line", tc.name)
			continue
		}
		v = strings.ReplaceAll(v, "$(MACHINE_KEYS)", vars["MACHINE_KEYS"])
		got := strings.Split(v, ",")
		want := slices.Clone(tc.want)
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("Makefile %s = %v\nresults want %v", tc.name, got, want)
		}
	}
}

// makeCmd returns make running target with vars in the repository root,
// free of an outer make's flags (make test runs this test).
func makeCmd(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("no make on PATH")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command on PATH")
	}
	cmd := exec.Command("make", append([]string{"--no-print-directory"}, args...)...)
	cmd.Dir = ".."
	cmd.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, "MAKEFLAGS=") || strings.HasPrefix(kv, "MFLAGS=") || strings.HasPrefix(kv, "MAKELEVEL=")
	})
	return cmd
}

// TestMakeBenchQuickFailsSoft runs `make bench-quick` with a point that
// fails for sure (io/sleep with a 30s op under a 1s --sample-timeout:
// its sleeping goroutines hang on purpose, which the watchdog never
// takes for starvation) beside a healthy one, and checks that make
// still prints the benchstat tables and the report and writes the HTML
// page, of the healthy point's samples, and then exits non-zero.
func TestMakeBenchQuickFailsSoft(t *testing.T) {
	if testing.Short() {
		t.Skip("builds parbench and runs make bench-quick (about 10s)")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "parbench")
	out := filepath.Join(dir, "x.txt")
	var stdout bytes.Buffer
	cmd := makeCmd(t, "bench-quick", "BIN="+bin, "OUT="+out,
		"QUICK_FLAGS=--workloads cpu/sha256,io/sleep --io-latency 30s --procs 1 --goroutines 1 --count 2 --benchtime 20ms --sample-timeout 1s")
	cmd.Stdout = &stdout
	cmd.Stderr = &stdout
	err := cmd.Run()
	log := stdout.String()
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("make bench-quick = %v, want a non-zero exit (parbench run's, for the failed point); output:\n%s", err, log)
	}
	file, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("no results file: %v; output:\n%s", err, log)
	}
	for _, want := range []string{"BenchmarkCPU/sha256/lock=none/goroutines=1-1 ", results.NoteFailed} {
		if !bytes.Contains(file, []byte(want)) {
			t.Errorf("%s lacks %q:\n%s", out, want, file)
		}
	}
	page, err := os.ReadFile(filepath.Join(dir, "x.html"))
	if err != nil || !bytes.Contains(page, []byte("<html")) {
		t.Errorf("no HTML page beside the results (%v)", err)
	}
	// Each section in order: the two benchstat tables with the healthy
	// point's row, the report with its group, then the status line.
	rest := log
	for _, want := range []string{
		"== parallel speedup: columns are GOMAXPROCS ==", "sec/op", "CPU/sha256/lock=none/goroutines=1",
		"== concurrency: columns are goroutines ==", "sec/op", "CPU/sha256/lock=none",
		"== report ==", "cpu/sha256",
		"results: " + out,
		"parbench run exited",
	} {
		i := strings.Index(rest, want)
		if i < 0 {
			t.Fatalf("make's output lacks %q after the sections before it:\n%s", want, log)
		}
		rest = rest[i+len(want):]
	}
}

// TestMakeBenchQuickNothingMeasured checks that a run refused before it
// measures anything (a bad flag) leaves make to say so with parbench's
// status, and fail, without tables or a page. (GNU make exits 2 for any
// failed recipe; the recipe's own status, parbench's, is in the line
// "make: *** [...] Error N".)
func TestMakeBenchQuickNothingMeasured(t *testing.T) {
	if testing.Short() {
		t.Skip("builds parbench")
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "x.txt")
	cmd := makeCmd(t, "bench-quick", "BIN="+filepath.Join(dir, "parbench"), "OUT="+out, "QUICK_FLAGS=--procs 0")
	b, err := cmd.CombinedOutput()
	log := string(b)
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Errorf("make bench-quick with --procs 0 = %v, want a failure; output:\n%s", err, log)
	}
	if !strings.Contains(log, "nothing was measured (parbench run exited 2)") || !strings.Contains(log, "Error 2") ||
		strings.Contains(log, "== report ==") {
		t.Errorf("want the nothing-measured line with parbench's usage status 2, make's Error 2 and no report:\n%s", log)
	}
	if _, err := os.Stat(filepath.Join(dir, "x.html")); err == nil {
		t.Error("a page was written for a run that measured nothing")
	}
}
