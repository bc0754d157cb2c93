package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRunProfile runs a tiny profiled sweep: the profiles folder holds a
// file per kind, the results file names it, and report reads it back.
func TestRunProfile(t *testing.T) {
	out := filepath.Join(t.TempDir(), "r.txt")
	var stdout, stderr bytes.Buffer
	code := Run([]string{"run", "--workloads", "cpu/sha256", "--lock", "gil", "--procs", "1,2",
		"--goroutines", "2", "--count", "4", "--benchtime", "20ms", "--quiet", "--out", out,
		"--profile", "all", "--trace", "--trace-point", "/gomaxprocs:2"}, &stdout, &stderr)
	if code != exitOK {
		t.Fatalf("exit %d, stderr: %s", code, stderr.String())
	}
	for _, f := range []string{"cpu.pprof", "mutex.pprof", "block.pprof", "gil.pprof", "trace.out"} {
		if _, err := os.Stat(filepath.Join(out+".profiles", f)); err != nil {
			t.Error(err)
		}
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "\nprofiles: r.txt.profiles\n") {
		t.Errorf("the results file does not name its profiles folder:\n%.1500s", data)
	}
	stdout.Reset()
	stderr.Reset()
	if code := Run([]string{"report", out}, &stdout, &stderr); code != exitOK {
		t.Fatalf("report: exit %d, stderr: %s", code, stderr.String())
	}
	for _, want := range []string{"\nProfiles\n", "cpu/sha256  lock=gil  (", "lock wait ", "top functions by CPU", "\n  profile: "} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, stdout.String())
		}
	}
}

// TestProfileCommand runs `parbench profile` on a short point and checks
// its summary and files.
func TestProfileCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a point for half a second")
	}
	dir := filepath.Join(t.TempDir(), "p")
	var stdout, stderr bytes.Buffer
	code := Run([]string{"profile", "--workload", "cpu/sha256", "--lock", "gil", "--procs", "1",
		"--goroutines", "2", "--duration", "500ms", "--switch-interval", "7ms", "--out", dir}, &stdout, &stderr)
	if code != exitOK {
		t.Fatalf("exit %d, stderr: %s", code, stderr.String())
	}
	// A run flag reaches the run's configuration.
	if data, err := os.ReadFile(filepath.Join(dir, "results.txt")); err != nil || !strings.Contains(string(data), "\nswitch-interval: 7ms\n") {
		t.Errorf("results.txt does not record --switch-interval 7ms (%v)", err)
	}
	for _, want := range []string{"CPU/sha256/lock=gil/goroutines=2-1", "lock wait ", "CPU by class:",
		"top functions by CPU", "top lock-wait sites:", "go tool pprof -top " + filepath.Join(dir, "gil.pprof"), "go tool trace "} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, stdout.String())
		}
	}
	for _, f := range []string{"results.txt", "cpu.pprof", "gil.pprof", "trace.out"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	// Never overwritten.
	if code := Run([]string{"profile", "--workload", "cpu/sha256", "--out", dir}, &stdout, &stderr); code != exitUsage {
		t.Errorf("profile to an existing --out: exit %d, want %d", code, exitUsage)
	}
}

func TestProfileBadFlags(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "r.txt")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "--profile", "heap"}, `--profile: unknown profile kind "heap" (valid: cpu, mutex, block, gil, all)`},
		{[]string{"run", "--trace-point", "/lock:gil"}, "--trace-point: needs --trace"},
		{[]string{"run", "--workloads", "cpu/sha256", "--lock", "none", "--trace", "--trace-point", "/lock:gil"},
			`--trace-point "/lock:gil" matches none of the`},
		{[]string{"run", "--trace", "--trace-point", "/lock:(gil"}, `--trace-point "/lock:(gil":`},
		{[]string{"profile"}, "profile: --workload is required"},
		{[]string{"profile", "--workload", "cpu"}, `--workload "cpu": names`},
		{[]string{"profile", "--workload", "cpu/sha256", "--duration", "10ms"}, "--duration 10ms: want 500ms to 1h"},
		{[]string{"profile", "--workload", "cpu/sha256", "--lock", "spin"}, `--lock: unknown lock mode "spin"`},
		{[]string{"profile", "--workload", "cpu/sha256", "--lock", "gil,none"}, `--lock "gil,none": names 2 lock modes, want one`},
		// The run flags profile takes from run's flag set.
		{[]string{"profile", "--workload", "webapp/read", "--db", "mysql://x"}, `--db "mysql://x": want empty`},
		{[]string{"profile", "--workload", "webapp/read", "--faults", "drop=x"}, "--faults"},
		{[]string{"profile", "--workload", "latency/convoy", "--cpu-goroutines", "5000"}, "--cpu-goroutines 5000: want 0 to 1024"},
		{[]string{"profile", "--workload", "io/tcp", "--server-latency", "2m"}, "--server-latency 2m0s: want a duration from 0 to 1m"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			args := append(tc.args, "--out", out)
			if code := Run(args, &stdout, &stderr); code != exitUsage {
				t.Errorf("exit %d, want %d; stderr: %s", code, exitUsage, stderr.String())
			}
			if !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("stderr = %q, want it to contain %q", stderr.String(), tc.want)
			}
			if _, err := os.Stat(out); err == nil {
				t.Error("a results file was left behind")
			}
		})
	}
}
