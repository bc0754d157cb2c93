package cli

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/parbench/parbench/bench"
	"github.com/parbench/parbench/results"
	"github.com/parbench/parbench/workloads"
)

// failOnce is a test workload whose first op at GOMAXPROCS 2 fails, once
// per process: the point fails in a sweep, and its rerun succeeds.
type failOnce struct{}

var failedOnce atomic.Bool

func (failOnce) Name() string                                       { return "test/fail-once" }
func (failOnce) Summary() string                                    { return "fails once at GOMAXPROCS 2 (test)" }
func (failOnce) Params() []string                                   { return nil }
func (failOnce) Start(workloads.Params) (workloads.Instance, error) { return failOnce{}, nil }
func (failOnce) NewWorker(workloads.Env) (workloads.Worker, error)  { return failOnce{}, nil }
func (failOnce) Close() error                                       { return nil }
func (failOnce) Op() error {
	if runtime.GOMAXPROCS(0) == 2 && failedOnce.CompareAndSwap(false, true) {
		return errors.New("failed on purpose")
	}
	workloads.Spin(workloads.NopEnv{}, 1)
	return nil
}

func init() { workloads.Register(failOnce{}) }

// TestFailedPointRerun checks that a failed point is shown as it fails
// and at the end with a command that, run as printed, measures that
// point alone with the run's other settings.
func TestFailedPointRerun(t *testing.T) {
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := Run([]string{"run", "--workloads", "test/fail-once", "--procs", "1,2", "--goroutines", "1,3",
		"--count", "2", "--benchtime", "2ms", "--quiet", "--out", filepath.Join(dir, "a.txt")}, &stdout, &stderr)
	if code != exitFailure {
		t.Fatalf("exit %d, want %d; stderr:\n%s", code, exitFailure, stderr.String())
	}
	log := stderr.String()
	t.Logf("stderr:\n%s", log)
	shown := strings.Index(log, "parbench: FAILED Test/fail-once/lock=none/goroutines=1-2: failed on purpose")
	summary := strings.Index(log, "1 point failed; each, with the command")
	if shown < 0 || summary < shown {
		t.Fatalf("stderr lacks the FAILED line before the summary")
	}
	var rerun []string
	for line := range strings.Lines(log[summary:]) {
		if f := strings.Fields(line); len(f) > 2 && f[0] == "parbench" && f[1] == "run" {
			rerun = f[1:]
		}
	}
	if want := "run --workloads test/fail-once --lock none --goroutines 1 --procs 2 --benchtime 2ms --count 2"; strings.Join(rerun, " ") != want {
		t.Errorf("rerun %q, want %q", rerun, want)
	}
	out := filepath.Join(dir, "b.txt")
	stderr.Reset()
	if code := Run(append(rerun, "--quiet", "--out", out), &stdout, &stderr); code != exitOK {
		t.Fatalf("rerun: exit %d; stderr:\n%s", code, stderr.String())
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	run, err := results.ReadRun(out, data)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range run.Samples {
		if s.Name != "Test/fail-once/lock=none/goroutines=1-2" {
			t.Errorf("rerun measured %s", s.Name)
		}
	}
	if len(run.Samples) != 2 {
		t.Errorf("rerun took %d samples, want 2", len(run.Samples))
	}
}

// TestUnusedFlagExits2 checks that a knob no selected workload reads is
// refused with exit 2, naming the flag, and leaves no file.
func TestUnusedFlagExits2(t *testing.T) {
	out := filepath.Join(t.TempDir(), "r.txt")
	for _, tc := range []struct{ flag, value string }{
		{"--faults", "on"}, {"--db", "postgres://u:secret@localhost/db"}, {"--io-latency", "5ms"}, {"--cpu-goroutines", "2"},
	} {
		var stdout, stderr bytes.Buffer
		code := Run([]string{"run", "--workloads", "cpu/sha256", "--procs", "1", "--goroutines", "1",
			"--count", "1", "--benchtime", "1ms", "--quiet", "--out", out, tc.flag, tc.value}, &stdout, &stderr)
		msg := stderr.String()
		if code != exitUsage || !strings.HasPrefix(msg, "parbench: "+tc.flag+" ") || !strings.Contains(msg, "no workload in --workloads reads it") || strings.Contains(msg, "secret") {
			t.Errorf("%s %s: exit %d, stderr %q; want exit 2 naming the flag", tc.flag, tc.value, code, msg)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%s: a file was written", tc.flag)
		}
	}
}

// TestProgressShowsFailed checks that the progress line counts failed
// points and their samples, and says nothing of them while none failed.
func TestProgressShowsFailed(t *testing.T) {
	p := bench.Progress{Points: 340, PointsDone: 12, Samples: 4080, SamplesDone: 100, Point: "CPU/x-1"}
	if s := plainLine(p); strings.Contains(s, "failed") {
		t.Errorf("no failure yet: %q", s)
	}
	p.Failed, p.SamplesFailed = 1, 9
	if s, want := plainLine(p), "samples 100/4080, failed 1 point (9 samples),"; !strings.Contains(s, want) {
		t.Errorf("%q lacks %q", s, want)
	}
}

// TestRefusedDBExits2: a --db whose server refuses is the flag's fault:
// exit 2 naming --db, without the URL's password, and no file.
func TestRefusedDBExits2(t *testing.T) {
	out := filepath.Join(t.TempDir(), "r.txt")
	var stdout, stderr bytes.Buffer
	code := Run([]string{"run", "--workloads", "webapp/read", "--procs", "1", "--goroutines", "1",
		"--count", "1", "--benchtime", "1ms", "--quiet", "--out", out,
		"--db", "postgres://u:secret@127.0.0.1:1/db?connect_timeout=5"}, &stdout, &stderr)
	msg := stderr.String()
	if code != exitUsage || !strings.HasPrefix(msg, "parbench: --db: starting webapp/read: ") || strings.Contains(msg, "secret") {
		t.Errorf("exit %d, stderr %q; want exit 2 naming --db and the workload, without the password", code, msg)
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("a file was written")
	}
}

// TestRerunHidesPassword: the rerun command of a failed point carries
// --db, but never its password (in the user part or the query).
func TestRerunHidesPassword(t *testing.T) {
	for _, dsn := range []string{"postgres://u:secret@localhost/db", "postgres://u@localhost/db?password=secret&sslmode=disable"} {
		fs, _ := newRunFlags(io.Discard)
		if err := fs.Parse([]string{"--db", dsn}); err != nil {
			t.Fatal(err)
		}
		cmd := strings.Join(rerunArgs(fs, results.Point{Workload: "webapp/read", Lock: "none", Goroutines: 2, Procs: 2}), " ")
		if strings.Contains(cmd, "secret") || !strings.Contains(cmd, "--db ") || !strings.Contains(cmd, "PASSWORD") {
			t.Errorf("--db %s: rerun command %q; want --db with PASSWORD in place of the password", dsn, cmd)
		}
	}
}
