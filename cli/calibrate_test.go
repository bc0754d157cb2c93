package cli

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

func runCalibrate(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Run(append([]string{"calibrate"}, args...), &out, &errb)
	return code, out.String(), errb.String()
}

// Without CPython, calibrate says so and exits 0, having measured
// nothing (no results file).
func TestCalibrateWithoutCPython(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	dir := t.TempDir()
	code, out, errs := runCalibrate(t, "--out", dir+"/cal.txt")
	if code != exitOK {
		t.Fatalf("exit %d, want 0; stderr %s", code, errs)
	}
	if !strings.Contains(out, "no CPython found") || !strings.Contains(out, "nothing measured") {
		t.Errorf("stdout %q, want it to say no CPython was found and nothing measured", out)
	}
	if n, _ := filepathGlob(dir + "/*"); n != 0 {
		t.Errorf("%d files written, want none", n)
	}
}

func TestCalibrateUsage(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--python", "/nonexistent/python9"}, "--python: /nonexistent/python9"},
		{[]string{"--python", ""}, "empty interpreter"},
		{[]string{"--behaviours", "cpu,warp"}, `--behaviours: unknown behaviour "warp"`},
		{[]string{"--rounds", "2"}, "--rounds 2: want 3 to 100"},
		{[]string{"extra"}, `unexpected argument "extra"`},
	} {
		code, _, errs := runCalibrate(t, c.args...)
		if code != exitUsage || !strings.Contains(errs, c.want) {
			t.Errorf("calibrate %q: exit %d, stderr %q; want 2 and %q", c.args, code, errs, c.want)
		}
	}
}

func TestCalibrateHelp(t *testing.T) {
	code, _, errs := runCalibrate(t, "-h")
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"usage: parbench calibrate", "convoy", "processes", "-python"} {
		if !strings.Contains(errs, want) {
			t.Errorf("help lacks %q", want)
		}
	}
}

func filepathGlob(pattern string) (int, error) {
	m, err := filepath.Glob(pattern)
	return len(m), err
}
