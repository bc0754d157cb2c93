package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parbench/parbench/internal/procs"
)

// TestMain lets this test binary serve as the worker processes of
// --exec processes.
func TestMain(m *testing.M) {
	procs.MaybeServe()
	os.Setenv("GORACE", "atexit_sleep_ms=0") // workers need not sleep at exit
	os.Exit(m.Run())
}

func TestParseSizes(t *testing.T) {
	tests := []struct {
		in   string
		want []int
		err  string
	}{
		{"0,512,1KiB,16K,1MiB", []int{0, 512, 1024, 16384, 1 << 20}, ""},
		{"4MiB", []int{4 << 20}, ""},
		{"5MiB", nil, "not a size"},
		{"-1", nil, "not a size"},
		{"1KiB,1024", nil, "given twice"},
		{"lots", nil, "not a size"},
	}
	for _, tt := range tests {
		got, err := parseSizes("--payload", tt.in, procs.MaxPayload)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q: %v, want an error containing %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || len(got) != len(tt.want) {
			t.Errorf("%q = %v, %v; want %v", tt.in, got, err, tt.want)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("%q = %v, want %v", tt.in, got, tt.want)
			}
		}
	}
}

func TestRunExecUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"--exec", "threads"},
		{"--payload", "1KiB"}, // goroutines only
		{"--exec", "processes", "--workloads", "webapp"},
	} {
		var stdout, stderr bytes.Buffer
		all := append([]string{"run", "--quiet", "--out", filepath.Join(t.TempDir(), "x.txt")}, args...)
		if code := Run(all, &stdout, &stderr); code != exitUsage {
			t.Errorf("%v: exit %d, want %d; stderr %s", args, code, exitUsage, stderr.String())
		}
	}
}

func TestRunExecProcesses(t *testing.T) {
	out := filepath.Join(t.TempDir(), "x.txt")
	var stdout, stderr bytes.Buffer
	code := Run([]string{"run", "--quiet", "--out", out, "--workloads", "cpu/sha256", "--lock", "gil",
		"--exec", "goroutines,processes", "--payload", "0,1KiB", "--procs", "1", "--goroutines", "2",
		"--count", "1", "--benchtime", "5ms"}, &stdout, &stderr)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"exec: goroutines,processes", "payload: 0,1024",
		"BenchmarkCPU/sha256/lock=gil/exec=processes/payload=1024/goroutines=2-1",
		"BenchmarkCPU/sha256/lock=gil/exec=goroutines/payload=0/goroutines=2-1",
		"startup-sec",
	} {
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("results file lacks %q", want)
		}
	}
	if pids, err := procs.Children(); err == nil && len(pids) > 0 {
		t.Errorf("worker processes left: %v", pids)
	}
}
