package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReportNCPU: --ncpu gives go test output its CPU count; a bad
// value is a usage error naming the flag.
func TestReportNCPU(t *testing.T) {
	for _, bad := range []string{"0", "-3", "eight", "99999999"} {
		code, _, errs := runReport(t, "--ncpu", bad, reportInputs["gotest"])
		if code != exitUsage || !strings.Contains(errs, "ncpu") {
			t.Errorf("--ncpu %s: exit %d, stderr %q; want exit %d naming --ncpu", bad, code, errs, exitUsage)
		}
	}
	code, out, errs := runReport(t, "--ncpu", "8", reportInputs["gotest"])
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "8 CPUs (as given)") || strings.Contains(out, "no ncpu line") {
		t.Errorf("--ncpu 8: the machine should have 8 CPUs and no warning of an unknown count:\n%s", out)
	}
	_, out, _ = runReport(t, reportInputs["gotest"])
	if !strings.Contains(out, "CPU count unknown") || !strings.Contains(out, "no ncpu line") {
		t.Errorf("without --ncpu: no word that the CPU count is unknown:\n%s", out)
	}
}

// TestReportMachineLabels: go test files are apart unless --machine
// labels them alike; --machine is given once or once per file.
func TestReportMachineLabels(t *testing.T) {
	data, err := os.ReadFile(reportInputs["gotest"])
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.txt"), filepath.Join(dir, "b.txt")
	for _, p := range []string{a, b} {
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"apart by default", []string{a, b}, exitOK, "4 groups on 2 machines"},
		{"one label for both", []string{"--machine", "m", a, b}, exitOK, "2 groups on 1 machine"},
		{"a label per file", []string{"--machine", "x", "--machine", "y", a, b}, exitOK, "4 groups on 2 machines"},
		{"too many labels", []string{"--machine", "x", "--machine", "y", "--machine", "z", a, b}, exitUsage, "--machine given 3 times for 2 files"},
		{"empty label", []string{"--machine", "", a}, exitUsage, "machine"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errs := runReport(t, c.args...)
			if code != c.code || !strings.Contains(out+errs, c.want) {
				t.Errorf("exit %d, want %d and %q in:\n%s%s", code, c.code, c.want, out, errs)
			}
		})
	}
}

// TestReportFDR: --fdr sets the false discovery rate the first line
// names, 0 turns it off, and a value outside [0, 1) is a usage error.
func TestReportFDR(t *testing.T) {
	for _, bad := range []string{"-0.1", "1", "2", "x", "NaN"} {
		code, _, errs := runReport(t, "--fdr", bad, reportInputs["laws"])
		if code != exitUsage || !strings.Contains(errs, "fdr") {
			t.Errorf("--fdr %s: exit %d, stderr %q; want exit %d naming --fdr", bad, code, errs, exitUsage)
		}
	}
	for fdr, want := range map[string]string{"": "false discovery rate held at 5%", "0.1": "false discovery rate held at 10%", "0": "each on its own"} {
		args := []string{reportInputs["laws"]}
		if fdr != "" {
			args = append([]string{"--fdr", fdr}, args...)
		}
		code, out, errs := runReport(t, args...)
		if code != exitOK {
			t.Fatalf("--fdr %q: exit %d: %s", fdr, code, errs)
		}
		if first, _, _ := strings.Cut(out, "\n"); !strings.Contains(first, want) || !strings.Contains(first, "claims tested") {
			t.Errorf("--fdr %q: first line %q lacks %q", fdr, first, want)
		}
	}
}
