package main

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// TestStream reads a recorded go test -json stream (a build failure, a
// panic, a skip with its reason, a test binary that timed out, a line
// that is not an event, a package with no tests) and compares the
// output with testdata/stream.golden.
func TestStream(t *testing.T) {
	in, err := os.ReadFile("testdata/stream.json")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	s := newSummary(&out)
	if err := s.read(bytes.NewReader(in)); err != nil {
		t.Fatal(err)
	}
	s.finish()
	if *update {
		if err := os.WriteFile("testdata/stream.golden", out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile("testdata/stream.golden")
	if err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != string(want) {
		t.Errorf("output differs from testdata/stream.golden (go test -update to rewrite it):\n%s", got)
	}
}

// TestGoTest runs go test on testdata/mod, whose tests pass, fail and
// skip, and checks go test's status, the failures' output and the
// closing lines.
func TestGoTest(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command on PATH")
	}
	t.Chdir("testdata/mod")
	for _, tc := range []struct {
		pkg      string
		status   int
		has, not []string
		last     string
	}{
		{"./...", 1,
			[]string{"--- FAIL: TestFail", "a_test.go:9: boom", "--- FAIL: TestSub/bad", "a_test.go:16: sub boom",
				"FAIL\texample.com/mod/a", "ok  \texample.com/mod/b",
				"failed: example.com/mod/a TestFail, example.com/mod/a TestSub/bad\n"},
			[]string{"quiet when it passes", "=== RUN", "--- PASS", "\"Action\""},
			"skipped: 2 tests: example.com/mod/a TestSkip, example.com/mod/a TestSub/skipped (no widget: set WIDGET to run it)"},
		{"./b", 0, []string{"ok  \texample.com/mod/b"}, []string{"failed:"}, "skipped: none"},
	} {
		t.Run(tc.pkg, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			status := testsum([]string{"go", "test", "-count=1", tc.pkg}, &stdout, &stderr)
			out := stdout.String()
			if status != tc.status {
				t.Errorf("status %d, want go test's %d; stderr:\n%s", status, tc.status, stderr.String())
			}
			for _, s := range tc.has {
				if !strings.Contains(out, s) {
					t.Errorf("output lacks %q:\n%s", s, out)
				}
			}
			for _, s := range tc.not {
				if strings.Contains(out, s) {
					t.Errorf("output has %q:\n%s", s, out)
				}
			}
			lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
			if last := lines[len(lines)-1]; last != tc.last {
				t.Errorf("last line:\n%s\nwant:\n%s", last, tc.last)
			}
		})
	}
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"go"}, {"go", "vet", "./..."}} {
		var stdout, stderr bytes.Buffer
		if status := testsum(args, &stdout, &stderr); status != 2 || !strings.Contains(stderr.String(), "usage: testsum go test") {
			t.Errorf("testsum(%q) = %d, stderr %q; want 2 and the usage", args, status, stderr.String())
		}
	}
}

func TestSkippedLine(t *testing.T) {
	five := []skipped{
		{"a", "T1", "no db"}, {"a", "T2", "no db"}, {"b", "T3", "no chromium"}, {"a", "T4", "no db"},
		{"a", "T5", "no db"}, {"c", "T6", "no db"},
	}
	for _, tc := range []struct {
		name string
		in   []skipped
		want string
	}{
		{"none", nil, "skipped: none"},
		{"one", []skipped{{"analysis/htmlreport", "TestBrowser", "no Chromium"}}, "skipped: 1 test: analysis/htmlreport TestBrowser (no Chromium)"},
		{"grouped by reason, 3 named", five,
			"skipped: 6 tests: a T1, a T2, a T4 and 2 more (no db); b T3 (no chromium)"},
	} {
		if got := skippedLine(tc.in); got != tc.want {
			t.Errorf("%s: got\n%s\nwant\n%s", tc.name, got, tc.want)
		}
	}
}

func TestSkipReason(t *testing.T) {
	for _, tc := range []struct{ out, want string }{
		{"=== RUN   TestX\n    x_test.go:12: no db: set DB\n--- SKIP: TestX (0.00s)\n", "no db: set DB"},
		{"=== RUN   TestX\n    x_test.go:3: first log\n    helpers_test.go:120: no /proc/self/fd\n--- SKIP: TestX (0.00s)\n", "no /proc/self/fd"},
		{"--- SKIP: TestX (0.00s)\n", "no reason given"},
	} {
		if got := skipReason(tc.out); got != tc.want {
			t.Errorf("skipReason(%q) = %q, want %q", tc.out, got, tc.want)
		}
	}
}

// FuzzSummary feeds any stream: it must not panic, must print every
// line that is not an event as it is, and must end with the skipped
// line.
func FuzzSummary(f *testing.F) {
	if in, err := os.ReadFile("testdata/stream.json"); err == nil {
		f.Add(in)
	}
	f.Add([]byte(`{"Action":"skip","Package":"p","Test":"T"}` + "\nplain\n"))
	f.Add([]byte(`{"Action":"fail","Package":"p"}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		var out bytes.Buffer
		s := newSummary(&out)
		if err := s.read(bytes.NewReader(in)); err != nil {
			t.Fatal(err)
		}
		s.finish()
		got := out.String()
		for line := range strings.Lines(string(in)) {
			if !strings.HasPrefix(line, "{") && !strings.Contains(got, line) {
				t.Errorf("output lacks the plain line %q", line)
			}
		}
		lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
		if last := lines[len(lines)-1]; !strings.HasPrefix(last, "skipped: ") {
			t.Errorf("last line %q is not the skipped line", last)
		}
	})
}
