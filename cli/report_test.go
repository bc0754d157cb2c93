package cli

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The -update flag rewrites the golden files. Another test file of this
// package may define it first; package variables are initialised before
// init functions run, so this one only adds it when it is missing.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files")
	}
}

func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// reportInputs are the committed results files of the golden tests:
// a real run on a 2-CPU VM, the synthetic files of package analysis
// (drawn from known laws on a 16-CPU machine, and `go test` output), and
// a real `parbench calibrate` on the 2-CPU VM (its figures, and the first
// of its raw lines).
var reportInputs = map[string]string{
	"calibrate": "testdata/report-calibrate.txt",
	"vm":        "testdata/report-vm.txt",
	"laws":      "../analysis/testdata/laws.txt",
	"weak":      "../analysis/testdata/weak.txt",
	"gotest":    "../analysis/testdata/gotest.txt",
}

func runReport(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Run(append([]string{"report"}, args...), &out, &errb)
	return code, out.String(), errb.String()
}

func TestReportGolden(t *testing.T) {
	for name, in := range reportInputs {
		for _, format := range []string{"text", "md"} {
			t.Run(name+"/"+format, func(t *testing.T) {
				code, out, errs := runReport(t, "--format", format, in)
				if code != exitOK {
					t.Fatalf("exit %d: %s", code, errs)
				}
				golden := filepath.Join("testdata", "report-"+name+"."+format+".golden")
				if updating() {
					if err := os.WriteFile(golden, []byte(out), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (go test ./cli -run TestReportGolden -update)", err)
				}
				if out != string(want) {
					t.Errorf("report differs from %s (rerun with -update if the change is meant):\n%s", golden, out)
				}
			})
		}
	}
}

func TestReportFormats(t *testing.T) {
	for _, c := range []struct{ format, want string }{
		{"csv", "machine,workload,lock,"},
		{"json", `"version": 2`},
	} {
		code, out, errs := runReport(t, "--format", c.format, reportInputs["laws"])
		if code != exitOK || !strings.HasPrefix(strings.TrimLeft(out, "{\n "), strings.TrimLeft(c.want, "{")) && !strings.Contains(out, c.want) {
			t.Errorf("--format %s: exit %d, stderr %q, output starts %.80q", c.format, code, errs, out)
		}
	}
}

func TestReportErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	empty := write("empty.txt", "")
	unrelated := write("notes.txt", "shopping list\n- milk\n")
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no files", nil, exitUsage, "no results files"},
		{"bad format", []string{"--format", "xml", empty}, exitUsage, `--format "xml"`},
		{"bad filter", []string{"--filter", "/lock:(", empty}, exitUsage, "--filter"},
		{"missing file", []string{filepath.Join(dir, "nope.txt")}, exitFailure, "nope.txt"},
		{"empty file", []string{empty}, exitFailure, "no benchmark results"},
		{"unrelated file", []string{unrelated}, exitFailure, "no benchmark results"},
		{"filter drops all", []string{"--filter", "/lock:nosuch", reportInputs["vm"]}, exitFailure, `after --filter "/lock:nosuch"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, errs := runReport(t, c.args...)
			if code != c.code || !strings.Contains(errs, c.want) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, errs, c.code, c.want)
			}
		})
	}
}

func TestReportMalformedLine(t *testing.T) {
	data, err := os.ReadFile(reportInputs["vm"])
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(data), "\n")
	lines[30] = "BenchmarkCPU/sha256/lock=none/goroutines=2-2 20935 oops sec/op\n"
	p := filepath.Join(t.TempDir(), "bad.txt")
	os.WriteFile(p, []byte(strings.Join(lines, "")), 0o644)
	code, out, errs := runReport(t, p)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "bad.txt:31: ") {
		t.Errorf("no warning with file:line for the malformed line:\n%s", out)
	}
	if !strings.Contains(out, "== io/sleep  lock=none ==") {
		t.Errorf("the rest of the file was not analysed:\n%s", out)
	}
}

// FuzzReport runs `parbench report` on arbitrary files in every format:
// it must never panic, and exits 0 or 1 (a file is never a usage error).
func FuzzReport(f *testing.F) {
	for _, in := range reportInputs {
		if data, err := os.ReadFile(in); err == nil && len(data) < 4000 {
			f.Add(data)
		}
	}
	f.Add([]byte("BenchmarkX-2 1 1 ns/op\nBenchmarkX 1 2 ns/op\n"))
	f.Add([]byte("ncpu: 1\nBenchmarkIO/x/lock=gil/goroutines=8-1 5 1e-3 sec/op 0.9 wait-share\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "in.txt")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		for _, format := range []string{"text", "md", "csv", "json"} {
			code, _, errs := runReport(t, "--format", format, p)
			if code != exitOK && code != exitFailure {
				t.Fatalf("--format %s: exit %d: %s", format, code, errs)
			}
		}
	})
}

// TestReportPictures: --html writes one page and --png a PNG per plot;
// without --format, no text report on stdout.
func TestReportPictures(t *testing.T) {
	dir := t.TempDir()
	page := filepath.Join(dir, "r.html")
	code, out, errs := runReport(t, "--html", page, "--png", filepath.Join(dir, "png"), reportInputs["vm"])
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "html: "+page) || strings.Count(out, "png: ") != 4 || strings.Contains(out, "==") {
		t.Errorf("stdout:\n%s", out)
	}
	data, err := os.ReadFile(page)
	if err != nil || !strings.Contains(string(data), `<table id="verdicts">`) || strings.Count(string(data), "<svg ") != 4 {
		t.Errorf("page: %v, %d bytes", err, len(data))
	}
	code, out, _ = runReport(t, "--html", page, "--format", "md", reportInputs["vm"])
	if code != exitOK || !strings.Contains(out, "## parbench report") {
		t.Errorf("--html with --format md: exit %d, stdout %.100q", code, out)
	}
}
