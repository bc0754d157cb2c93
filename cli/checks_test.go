package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parbench/parbench/analysis"
	"github.com/parbench/parbench/bench"
)

// usageCase is a `parbench run` command line that must fail as a usage
// error: exit 2, and a last line on stderr that is "parbench: " and
// want, or starts so and ends with suffix.
type usageCase struct {
	name         string
	args         []string // after run's common flags: one point, one sample, --out
	want, suffix string
}

// checkUsageErrors runs each case and checks its exit, its message, and
// that it wrote no file.
func checkUsageErrors(t *testing.T, cases []usageCase) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "r.txt")
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			args := append([]string{"run", "--quiet", "--procs", "1", "--goroutines", "1", "--count", "1", "--out", out}, tc.args...)
			code := Run(args, &stdout, &stderr)
			got := lastLine(stderr.String())
			ok := got == "parbench: "+tc.want
			if tc.suffix != "" {
				ok = strings.HasPrefix(got, "parbench: "+tc.want) && strings.HasSuffix(got, tc.suffix)
			}
			if code != exitUsage || !ok {
				t.Errorf("exit %d, message\n got: %s\nwant: parbench: %s...%s", code, got, tc.want, tc.suffix)
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("left %s behind", out)
				os.Remove(out)
			}
		})
	}
}

// checkSettings checks that rep has groups, and setting (key=value)
// among the settings of each.
func checkSettings(t *testing.T, rep *analysis.Report, setting string) {
	t.Helper()
	if len(rep.Groups) == 0 {
		t.Fatal("no group")
	}
	for _, g := range rep.Groups {
		if !strings.Contains(g.Settings, setting) {
			t.Errorf("%s: settings %q lack %s", g.Label(), g.Settings, setting)
		}
	}
}

// resumeConfig writes file, a results file's text, and returns the
// Config that `parbench run --resume` of it runs.
func resumeConfig(t *testing.T, file []byte) bench.Config {
	t.Helper()
	path := filepath.Join(t.TempDir(), "r.txt")
	if err := os.WriteFile(path, file, 0o644); err != nil {
		t.Fatal(err)
	}
	fs, f := newRunFlags(new(bytes.Buffer))
	if err := parseFlags(fs, []string{"--resume", path}); err != nil {
		t.Fatal(err)
	}
	if _, err := loadResume(fs, f, givenFlags(fs)); err != nil {
		t.Fatal(err)
	}
	c, err := f.runConfig()
	if err != nil {
		t.Fatal(err)
	}
	return c
}
