package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parbench/parbench/bench/gil"
	"github.com/parbench/parbench/results"
	"github.com/parbench/parbench/workloads"
)

// lastLine is the message parbench printed last on stderr.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

// TestBadCommandLines checks each kind of bad input: the exact message,
// exit status 2, and no results file left behind.
func TestBadCommandLines(t *testing.T) {
	dir := t.TempDir()
	existing := filepath.Join(dir, "existing.txt")
	if err := os.WriteFile(existing, []byte("not results\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "r.txt")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown command", []string{"frobnicate"}, `unknown command "frobnicate" (valid: run, list, report, profile, calibrate, selfbench)`},
		{"unknown flag", []string{"run", "--bogus"}, "flag provided but not defined: -bogus"},
		{"bad flag value", []string{"run", "--count", "ten"}, `invalid value "ten" for flag -count: parse error`},
		{"argument", []string{"run", "extra"}, `run: unexpected argument "extra" (flags only)`},
		{"empty procs", []string{"run", "--procs", ""}, "--procs: empty list (want e.g. 1,2,4 or 1-16)"},
		{"empty workloads", []string{"run", "--workloads", ""}, `--workloads: empty name in list ""`},
		{"empty lock name", []string{"run", "--lock", "none,"}, `--lock: empty name in list "none,"`},
		{"zero procs", []string{"run", "--procs", "0"}, "--procs: 0 out of range (want 1 to 1024)"},
		{"zero count", []string{"run", "--count", "0"}, "--count 0: want 1 to 1000"},
		{"negative goroutines", []string{"run", "--goroutines", "-2"}, `--goroutines: "-2" is negative (want 1 to 1048576)`},
		{"negative count", []string{"run", "--count", "-1"}, "--count -1: want 1 to 1000"},
		{"negative timeout", []string{"run", "--sample-timeout", "-1s"}, "--sample-timeout -1s: want a positive duration, or 0 for the default"},
		{"huge procs", []string{"run", "--procs", "5000"}, "--procs: 5000 out of range (want 1 to 1024)"},
		{"huge goroutines", []string{"run", "--goroutines", "99999999999999999999"}, "--goroutines: 99999999999999999999 out of range (want 1 to 1048576)"},
		{"huge count", []string{"run", "--count", "1000000"}, "--count 1000000: want 1 to 1000"},
		{"huge benchtime", []string{"run", "--benchtime", "2h"}, "--benchtime 2h0m0s: want 1ms to 1h"},
		{"huge range", []string{"run", "--goroutines", "1-100000"}, `--goroutines: range "1-100000" has more than 4096 values`},
		{"duplicate procs", []string{"run", "--procs", "1,2,1"}, "--procs: 1 given twice"},
		{"duplicate in range", []string{"run", "--procs", "1-4,3"}, "--procs: 3 given twice"},
		{"duplicate workload", []string{"run", "--workloads", "cpu/sha256,cpu/sha256"}, `--workloads: "cpu/sha256" given twice`},
		{"unknown lock", []string{"run", "--lock", "spin"}, `--lock: unknown lock mode "spin" (valid: ` + strings.Join(gil.Modes(), ", ") + ")"},
		{"unknown workload", []string{"run", "--workloads", "cpu/nope"}, `--workloads: unknown workload "cpu/nope" (valid: all, a family such as cpu, or one of ` + strings.Join(workloads.Names(), ", ") + ")"},
		{"target-ci without %", []string{"run", "--target-ci", "2"}, `--target-ci "2": want a percentage such as 2%, or off`},
		{"target-ci huge", []string{"run", "--target-ci", "150%"}, "--target-ci 150%: want a percentage above 0% and below 100%, e.g. 2%"},
		{"target-ci negative", []string{"run", "--target-ci", "-2%"}, "--target-ci -2%: want a percentage above 0% and below 100%, e.g. 2%"},
		{"target-ci few samples", []string{"run", "--target-ci", "2%", "--count", "3"}, "--count 3: --target-ci needs at least 6 samples a point"},
		{"existing out", []string{"run", "--workloads", "cpu/sha256", "--out", existing},
			"--out " + existing + ": file exists (results are never overwritten: choose a new name, continue it with --resume, or replace it with --force)"},
		{"resume and force", []string{"run", "--resume", existing, "--force"}, "--resume and --force exclude each other: --resume continues a file, --force replaces it"},
		{"resume and out", []string{"run", "--resume", existing, "--out", out}, "--resume " + existing + " appends to that file: drop --out"},
		{"resume missing", []string{"run", "--resume", filepath.Join(dir, "nope.txt")}, "--resume: open " + filepath.Join(dir, "nope.txt") + ": no such file or directory"},
		{"resume no results", []string{"run", "--resume", existing}, "--resume " + existing + ": the file holds no results, so no settings to resume (start a new run)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.args
			if args[0] == "run" && !strings.Contains(strings.Join(args, " "), "--out") && !strings.Contains(strings.Join(args, " "), "--resume") {
				args = append(args, "--out", out)
			}
			var stdout, stderr bytes.Buffer
			code := Run(args, &stdout, &stderr)
			if code != exitUsage {
				t.Errorf("exit %d, want %d", code, exitUsage)
			}
			if got := lastLine(stderr.String()); got != "parbench: "+tc.want {
				t.Errorf("message\n got: %s\nwant: parbench: %s", got, tc.want)
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("left %s behind", out)
				os.Remove(out)
			}
		})
	}
}

// fakeSignals replaces notifySignals for one test and returns the
// channels of the runs that follow, one per run.
func fakeSignals(t *testing.T) <-chan chan<- os.Signal {
	t.Helper()
	chans := make(chan chan<- os.Signal, 8)
	old := notifySignals
	notifySignals = func(c chan<- os.Signal) func() { chans <- c; return func() {} }
	t.Cleanup(func() { notifySignals = old })
	return chans
}

// sweep is a small sweep for the interruption tests.
var sweep = []string{"run", "--workloads", "cpu/sha256", "--procs", "1,2", "--goroutines", "1,2",
	"--count", "4", "--benchtime", "3ms", "--quiet"}

func countResults(t *testing.T, path string) (map[string]int, *results.Run) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	run, err := results.ReadRun(path, data)
	if err != nil {
		t.Fatal(err)
	}
	n := map[string]int{}
	for _, s := range run.Samples {
		n[s.Name]++
	}
	return n, run
}

// TestInterruptThenResume interrupts a sweep after a few samples, then
// resumes it: the file ends with every point at --count samples, one
// configuration throughout, and notes for both events.
func TestInterruptThenResume(t *testing.T) {
	chans := fakeSignals(t)
	out := filepath.Join(t.TempDir(), "r.txt")
	var stdout, stderr bytes.Buffer
	done := make(chan int)
	go func() { done <- Run(append(sweep, "--out", out), &stdout, &stderr) }()
	sig := <-chans
	for {
		if data, _ := os.ReadFile(out); bytes.Count(data, []byte("\nBenchmark")) >= 3 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	sig <- os.Interrupt
	if code := <-done; code != exitFailure {
		t.Fatalf("interrupted run: exit %d, want %d; stderr: %s", code, exitFailure, stderr.String())
	}
	if !strings.Contains(stderr.String(), "continue with: parbench run --resume "+out) {
		t.Errorf("stderr does not say how to resume: %s", stderr.String())
	}
	counts, run := countResults(t, out)
	total := 0
	for _, n := range counts {
		total += n
	}
	if total >= 16 || !hasKey(run.Notes, results.NoteInterrupted) {
		t.Fatalf("interrupted file: %d samples, notes %v; want fewer than 16 and an interrupted note", total, run.Notes)
	}

	stdout.Reset()
	stderr.Reset()
	go func() { done <- Run([]string{"run", "--resume", out, "--quiet"}, &stdout, &stderr) }()
	<-chans
	if code := <-done; code != exitOK {
		t.Fatalf("resume: exit %d; stderr: %s", code, stderr.String())
	}
	counts, run = countResults(t, out) // ReadRun also checks one configuration throughout
	if len(counts) != 4 {
		t.Errorf("%d points, want 4", len(counts))
	}
	for name, n := range counts {
		if n != 4 {
			t.Errorf("%s: %d samples after resume, want 4", name, n)
		}
	}
	if !hasKey(run.Notes, results.NoteResumed) {
		t.Errorf("no resumed note in %v", run.Notes)
	}
	// A second resume finds nothing to do and changes no sample.
	if code := Run([]string{"run", "--resume", out, "--quiet"}, &stdout, &stderr); code != exitOK {
		t.Fatalf("second resume: exit %d; stderr: %s", code, stderr.String())
	}
	if again, _ := countResults(t, out); len(again) != 4 || again["CPU/sha256/lock=none/goroutines=1-1"] != 4 {
		t.Errorf("second resume changed the samples: %v", again)
	}
}

// TestSecondSignalStopsAtOnce interrupts twice in a long first sample:
// the run ends without waiting for it.
func TestSecondSignalStopsAtOnce(t *testing.T) {
	chans := fakeSignals(t)
	out := filepath.Join(t.TempDir(), "r.txt")
	var stdout, stderr bytes.Buffer
	done := make(chan int)
	t0 := time.Now()
	go func() {
		done <- Run([]string{"run", "--workloads", "io/sleep", "--io-latency", "20ms", "--procs", "1",
			"--goroutines", "1", "--count", "2", "--benchtime", "1h", "--quiet", "--out", out}, &stdout, &stderr)
	}()
	sig := <-chans
	sig <- os.Interrupt
	sig <- os.Interrupt
	if code := <-done; code != exitFailure {
		t.Fatalf("exit %d, want %d; stderr: %s", code, exitFailure, stderr.String())
	}
	// Calibrating to --benchtime 1h alone would take minutes.
	if d := time.Since(t0); d > time.Minute {
		t.Errorf("took %v after two interrupts", d)
	}
	if want := "before the first sample: no file written"; !strings.Contains(stderr.String(), want) {
		t.Errorf("stderr %q lacks %q", stderr.String(), want)
	}
}

// TestResumeRefuses checks that a resume never mixes two sweeps.
func TestResumeRefuses(t *testing.T) {
	base := seedFile(t)
	for _, tc := range []struct {
		name string
		edit func(string) string
		args []string
		want string
	}{
		{"other count", nil, []string{"--count", "9"},
			"--count 9 differs from the file's 3 (a resumed sweep keeps its settings: drop --count, or start a new run)"},
		{"other workloads", nil, []string{"--workloads", "io/sleep"},
			"--workloads io/sleep differs from the file's cpu/sha256 (a resumed sweep keeps its settings: drop --workloads, or start a new run)"},
		{"other machine", func(s string) string { return strings.Replace(s, "\nncpu: ", "\nncpu: 9", 1) }, nil,
			"the file was measured with ncpu"},
		{"foreign point", func(s string) string {
			return s + "BenchmarkCPU/sha256/lock=none/goroutines=7-1 10 1e-06 sec/op\n"
		}, nil, "is not a point of the sweep the file records"},
		{"corrupt line", func(s string) string { return s + "BenchmarkCPU/sha256/lock=none/goroutines=1-1 10 zz sec/op\n" }, nil,
			"not an intact parbench results file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "r.txt")
			data := base
			if tc.edit != nil {
				data = tc.edit(base)
			}
			if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
			var stdout, stderr bytes.Buffer
			code := Run(append([]string{"run", "--resume", path, "--quiet"}, tc.args...), &stdout, &stderr)
			if code != exitUsage || !strings.Contains(lastLine(stderr.String()), tc.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr.String(), exitUsage, tc.want)
			}
			if after, _ := os.ReadFile(path); string(after) != data {
				t.Error("a refused resume changed the file")
			}
		})
	}
}

var (
	seedOnce sync.Once
	seedData string
	seedErr  string
)

// seedFile is a complete small sweep (cpu/sha256, GOMAXPROCS 1 and 2,
// one goroutine, 3 samples), made once per test binary.
func seedFile(tb testing.TB) string {
	tb.Helper()
	seedOnce.Do(func() {
		dir, err := os.MkdirTemp("", "parbench-seed")
		if err != nil {
			seedErr = err.Error()
			return
		}
		defer os.RemoveAll(dir)
		out := filepath.Join(dir, "r.txt")
		var stdout, stderr bytes.Buffer
		if code := Run([]string{"run", "--workloads", "cpu/sha256", "--procs", "1,2", "--goroutines", "1",
			"--count", "3", "--benchtime", "2ms", "--quiet", "--out", out}, &stdout, &stderr); code != exitOK {
			seedErr = stderr.String()
			return
		}
		b, _ := os.ReadFile(out)
		seedData = string(b)
	})
	if seedErr != "" {
		tb.Fatal(seedErr)
	}
	return seedData
}

// planResume runs the part of `run --resume` that decides what to do,
// without measuring: the flags from the file, the checks, the prior.
func planResume(path string) (map[string]int, int, error) {
	fs, f := newRunFlags(new(bytes.Buffer))
	if err := fs.Parse([]string{"--resume", path}); err != nil {
		return nil, 0, err
	}
	given := givenFlags(fs)
	prev, err := loadResume(fs, f, given)
	if err != nil {
		return nil, 0, err
	}
	c, err := f.runConfig()
	if err != nil {
		return nil, 0, err
	}
	if err := c.Validate(); err != nil {
		return nil, 0, cliError(err, given)
	}
	prior, err := prev.Check(c, time.Now())
	if err != nil {
		return nil, 0, cliError(err, given)
	}
	have := map[string]int{}
	for name, p := range prior {
		have[name] = len(p.SecPerOp)
	}
	return have, c.Count, nil
}

// FuzzResume cuts and corrupts a real results file: planning a resume
// must give a clear usage error, or a plan whose samples per point are
// exactly the intact result lines of the file, never beyond --count.
func FuzzResume(f *testing.F) {
	seed := seedFile(f)
	f.Add(len(seed), -1, byte(0))
	f.Add(len(seed)/2, -1, byte(0))
	f.Add(len(seed)-5, 40, byte('x'))
	f.Add(len(seed), 300, byte('\n'))
	dir := f.TempDir()
	var n int
	f.Fuzz(func(t *testing.T, cut, at int, b byte) {
		data := []byte(seed)
		if cut >= 0 && cut < len(data) {
			data = data[:cut]
		}
		if at >= 0 && at < len(data) {
			data[at] = b
		}
		n++
		path := filepath.Join(dir, "r"+strconv.Itoa(n)+".txt")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		defer os.Remove(path)
		have, count, err := planResume(path)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "--") || !isUsage(err) {
				t.Fatalf("error %q is not a usage error naming a flag", err)
			}
			return
		}
		// Count the intact result lines by hand.
		want := map[string]int{}
		intact := data[:bytes.LastIndexByte(data, '\n')+1]
		for _, line := range strings.Split(string(intact), "\n") {
			if name, ok := strings.CutPrefix(line, "Benchmark"); ok && strings.Contains(name, " ") {
				want[strings.Fields(name)[0]]++
			}
		}
		for name, k := range want {
			if have[name] != k || k > count {
				t.Fatalf("%s: plan has %d samples, file has %d, count %d", name, have[name], k, count)
			}
		}
		if len(have) != len(want) {
			t.Fatalf("plan has %d points with samples, file %d", len(have), len(want))
		}
	})
}

func isUsage(err error) bool {
	_, ok := err.(usageError)
	return ok
}

func hasKey(notes []results.Note, key string) bool {
	for _, n := range notes {
		if n.Key == key {
			return true
		}
	}
	return false
}
