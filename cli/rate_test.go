package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parbench/parbench/results"
)

// TestRateUsageErrors checks the bad --rate values: exit 2, a message
// naming the flag and what would be valid, and no file.
func TestRateUsageErrors(t *testing.T) {
	const want = ": want 0 (closed loop) or ops per second above 0 and at most 1000000"
	checkUsageErrors(t, []usageCase{
		{"negative", []string{"--workloads", "webapp/read", "--rate", "-5"}, "--rate -5" + want, ""},
		{"not a number", []string{"--workloads", "webapp/read", "--rate", "NaN"}, "--rate NaN" + want, ""},
		{"infinite", []string{"--workloads", "webapp/read", "--rate", "Inf"}, "--rate +Inf" + want, ""},
		{"too fast", []string{"--workloads", "webapp/read", "--rate", "2e6"}, "--rate 2e+06" + want, ""},
		{"not a rate", []string{"--workloads", "webapp/read", "--rate", "fast"}, `invalid value "fast" for flag -rate: `, "parse error"},
		{"rate for cpu", []string{"--workloads", "cpu/sha256", "--rate", "100"}, "--rate 100: no workload in --workloads reads it (it is for ", "): drop it, or add one of those to --workloads"},
	})
}

// TestRateFileConfig checks the rate's line: none for a closed-loop
// sweep (its files read and resume as before), the rate for an open
// one, which a resumed run takes back as its --rate.
func TestRateFileConfig(t *testing.T) {
	for _, rate := range []string{"", "250.5"} {
		fs, f := newRunFlags(new(bytes.Buffer))
		for _, a := range [][2]string{{"workloads", "webapp/read"}, {"procs", "1"}, {"goroutines", "2"}, {"rate", rate}} {
			if a[1] == "" {
				continue
			}
			if err := fs.Set(a[0], a[1]); err != nil {
				t.Fatal(err)
			}
		}
		c, err := f.config()
		if err != nil {
			t.Fatal(err)
		}
		var file bytes.Buffer
		got := ""
		for _, kv := range c.FileConfig(time.Unix(0, 0)) {
			file.WriteString(kv.Key + ": " + kv.Value + "\n")
			if kv.Key == results.KeyRate {
				got = kv.Value
			}
		}
		if got != rate {
			t.Errorf("--rate %q: the file's rate %q", rate, got)
		}
		file.WriteString("\nBenchmark" + c.Points()[0].Name() + " 10 1000 ns/op\n")
		if rc := resumeConfig(t, file.Bytes()); rc.Params.Rate != c.Params.Rate {
			t.Errorf("--rate %q: resumed at %v", rate, rc.Params.Rate)
		}
	}
}

// TestFormatRoundTripOpen runs a small open-loop sweep, as `parbench
// run` does: each line has behind-sec, and the analysis keeps the rate
// among each group's settings.
func TestFormatRoundTripOpen(t *testing.T) {
	out := filepath.Join(t.TempDir(), "r.txt")
	var stdout, stderr bytes.Buffer
	code := Run([]string{"run", "--workloads", "webapp/read", "--rate", "400",
		"--procs", "1", "--goroutines", "2", "--count", "2", "--benchtime", "50ms", "--quiet", "--out", out}, &stdout, &stderr)
	if code != exitOK {
		t.Fatalf("run: exit %d, stderr: %s", code, stderr.String())
	}
	rep := readReport(t, out)
	if v := rep.Files[0].Get(results.KeyRate); v != "400" {
		t.Errorf("key %s: read back %q, want 400", results.KeyRate, v)
	}
	checkSettings(t, rep, results.KeyRate+"=400")
	// Each sample keeps the rate: sec/op is never below the schedule's
	// 1/400 s; above it only where the clients fell behind it (a busy
	// machine), and then behind-sec says so.
	n, run := countResults(t, out)
	if len(n) != 1 || len(run.Samples) != 2 {
		t.Fatalf("results %v, want 2 samples of one point", n)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	behind := map[int]float64{} // by line
	for i, line := range strings.Split(string(data), "\n") {
		if !strings.HasPrefix(line, "Benchmark") {
			continue
		}
		f := strings.Fields(line)
		j := slices.Index(f, results.UnitBehind)
		if j < 1 {
			t.Errorf("a line without %s: %s", results.UnitBehind, line)
			continue
		}
		behind[i+1], _ = strconv.ParseFloat(f[j-1], 64)
	}
	for _, s := range run.Samples {
		x := s.SecPerOp * 400
		if x < 0.7 || x > 1.5 && !(behind[s.Line] > 0) {
			t.Errorf("%s: %.3g sec/op at 400 ops/s, %s %g", s.Name, s.SecPerOp, results.UnitBehind, behind[s.Line])
		}
	}
}
