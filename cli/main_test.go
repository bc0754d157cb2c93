package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parbench/parbench/results"
	"golang.org/x/perf/benchfmt"
)

// TestRunWritesResults runs a tiny sweep end to end and reads the file
// back with benchfmt.
func TestRunWritesResults(t *testing.T) {
	out := filepath.Join(t.TempDir(), "r.txt")
	var stdout, stderr bytes.Buffer
	code := Run([]string{"run", "--workloads", "cpu/sha256,io/sleep", "--procs", "1,2",
		"--goroutines", "1,2", "--count", "2", "--benchtime", "5ms", "--quiet", "--out", out}, &stdout, &stderr)
	if code != exitOK {
		t.Fatalf("exit %d, stderr: %s", code, stderr.String())
	}
	if strings.TrimSpace(stdout.String()) != out {
		t.Errorf("stdout = %q, want the results path", stdout.String())
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rd := benchfmt.NewReader(f, out)
	n := 0
	for rd.Scan() {
		switch r := rd.Result().(type) {
		case *benchfmt.SyntaxError:
			t.Fatal(r)
		case *benchfmt.Result:
			if _, err := results.ParseName(string(r.Name)); err != nil {
				t.Error(err)
			}
			n++
		}
	}
	if want := 2 * 2 * 2 * 2; n != want {
		t.Errorf("%d results, want %d", n, want)
	}
	// A second run to the same file is refused: results are never overwritten.
	stderr.Reset()
	if code := Run([]string{"run", "--workloads", "cpu/sha256", "--out", out}, &stdout, &stderr); code != exitUsage {
		t.Errorf("run to an existing --out: exit %d, want %d", code, exitUsage)
	}
}

// TestBadFlagExits2 checks that bad input exits 2 with a message naming
// the flag and leaves no file behind.
func TestBadFlagExits2(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "r.txt")
	for _, args := range [][]string{
		{"run", "--procs", "0"},
		{"run", "--goroutines", "1,x"},
		{"run", "--workloads", "cpu/nope"},
		{"run", "--lock", "spin"},
		{"run", "--count", "-1"},
		{"run", "--no-such-flag"},
		{"frobnicate"},
	} {
		var stdout, stderr bytes.Buffer
		code := Run(append(args, "--out", out), &stdout, &stderr)
		if code != exitUsage {
			t.Errorf("parbench %v: exit %d, want %d", args, code, exitUsage)
		}
		if stderr.Len() == 0 {
			t.Errorf("parbench %v: no message on stderr", args)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("parbench %v left %s behind", args, out)
			os.Remove(out)
		}
	}
}

func TestList(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := Run([]string{"list"}, &stdout, &stderr); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	for _, want := range []string{"cpu/sha256", "cpu/stream", "io/tcp", "mixed", "none"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("list lacks %s", want)
		}
	}
}
