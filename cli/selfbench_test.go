package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSelfbenchUsage checks that selfbench refuses bad flags with exit
// status 2 and a message naming the flag and what is valid, before it
// builds or measures anything, and that -h teaches the measures.
func TestSelfbenchUsage(t *testing.T) {
	exists := filepath.Join(t.TempDir(), "exists.txt")
	if err := os.WriteFile(exists, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--measures", "speed"}, `--measures: unknown measure "speed" (valid: empty-op, precision, report, goroutines, or all)`},
		{[]string{"--count", "3"}, "--count 3: want 6 to 1000"},
		{[]string{"--rounds", "0"}, "--rounds 0: want 1 to 100"},
		{[]string{"--benchtime", "0s"}, "--benchtime 0s: want 1ms to 1m"},
		{[]string{"--copies", "0"}, "--copies 0: want 1 to 1000"},
		{[]string{"extra"}, `selfbench: unexpected argument "extra" (flags only)`},
		// Before anything is built or measured (that would take seconds
		// here, and fail without the go command):
		{[]string{"--measures", "report", "--reference", "no/such.txt", "--out", filepath.Join(t.TempDir(), "h.txt")},
			"--reference no/such.txt: the report's reference file: open "},
		{[]string{"--out", exists}, "--out " + exists + ": "},
	} {
		var out, errb bytes.Buffer
		code := Run(append([]string{"selfbench"}, c.args...), &out, &errb)
		if code != exitUsage || !strings.Contains(errb.String(), c.want) {
			t.Errorf("selfbench %q: exit %d, stderr %q; want 2 and %q", c.args, code, errb.String(), c.want)
		}
	}
	var out, errb bytes.Buffer
	if code := Run([]string{"selfbench", "-h"}, &out, &errb); code != exitOK {
		t.Errorf("selfbench -h: exit %d", code)
	}
	for _, want := range []string{"usage: parbench selfbench", "empty-op", "precision", "report", "±·√wall", "go command", "-measures",
		"cpu/sha256 and cpu/mandelbrot at\n             GOMAXPROCS 1 and 2", "(2 goroutines, no lock)"} {
		if !strings.Contains(errb.String(), want) {
			t.Errorf("selfbench -h lacks %q:\n%s", want, errb.String())
		}
	}
}
