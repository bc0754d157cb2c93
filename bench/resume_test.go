package bench

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parbench/parbench/results"
)

// interruptedFile is a run of c stopped after two samples, with a
// cut-off last line, as a killed run leaves it.
func interruptedFile(t *testing.T, c Config) string {
	t.Helper()
	stop := make(chan struct{})
	c.Stop = stop
	c.Progress = func(p Progress) {
		if p.SamplesDone == 2 {
			close(stop)
		}
	}
	res, _, err := runFile(t, c, Output{})
	if !errors.Is(err, ErrInterrupted) {
		t.Fatalf("RunFile: %v, want it interrupted", err)
	}
	f, err := os.OpenFile(res.Path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString("BenchmarkCPU/cou"); err != nil {
		t.Fatal(err)
	}
	return res.Path
}

func TestResume(t *testing.T) {
	c := testConfig(countWorkload{name: "cpu/count"})
	path := interruptedFile(t, c)
	r, err := ReadResume(path)
	if err != nil {
		t.Fatal(err)
	}
	prior, err := r.Check(c, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	have := 0
	for _, p := range prior {
		have += len(p.SecPerOp)
	}
	if have != 2 {
		t.Errorf("prior holds %d samples, want 2", have)
	}
	res, run, err := runFile(t, c, Output{Resume: r})
	if err != nil {
		t.Fatal(err)
	}
	if total := len(c.Points()) * c.Count; res.Path != path || res.Written != total-2 || len(run.Samples) != total {
		t.Errorf("resumed %s: wrote %d, the file has %d samples; want %s, %d and %d", res.Path, res.Written, len(run.Samples), path, total-2, total)
	}
	if !hasNote(run.Notes, results.NoteResumed, "") || !hasNote(run.Notes, results.NoteInterrupted, "") {
		t.Errorf("notes %v, want the interruption and the resumption", run.Notes)
	}
}

func TestResumeRefuses(t *testing.T) {
	c := testConfig(countWorkload{name: "cpu/count"})
	res, _, err := runFile(t, c, Output{})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(res.Path)
	base := string(b)
	firstResult := base[strings.Index(base, "\nBenchmark")+1:]
	firstResult = firstResult[:strings.IndexByte(firstResult, '\n')+1]
	other := c
	other.Count = 4
	for _, tc := range []struct {
		name string
		edit func(string) string
		c    Config
		want ResumeError // Path, Err aside; Line > 0 stands for any line
		msg  string
	}{
		{"setting differs", nil, other, ResumeError{Key: "count", File: "3", Run: "4"}, `count is "3" in the file but "4" in this run`},
		{"other machine", func(s string) string { return strings.Replace(s, "\nncpu: ", "\nncpu: 9", 1) }, c, ResumeError{}, "the file was measured with ncpu"},
		{"foreign point", func(s string) string { return s + strings.Replace(firstResult, "goroutines=1-", "goroutines=7-", 1) }, c,
			ResumeError{Line: 1}, "is not a point of the sweep the file records"},
		{"too many samples", func(s string) string { return s + firstResult }, c, ResumeError{Line: 1}, "has more samples than Count 3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := base
			if tc.edit != nil {
				data = tc.edit(base)
			}
			path := filepath.Join(t.TempDir(), "r.txt")
			if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
			r, err := ReadResume(path)
			if err != nil {
				t.Fatal(err)
			}
			_, err = RunFile(context.Background(), tc.c, Output{Resume: r})
			var re *ResumeError
			if !errors.As(err, &re) || re.Path != path || re.Key != tc.want.Key || re.File != tc.want.File || re.Run != tc.want.Run ||
				(re.Line > 0) != (tc.want.Line > 0) || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("RunFile: %#v (%v), want a ResumeError like %+v saying %q", re, err, tc.want, tc.msg)
			}
			if after, _ := os.ReadFile(path); string(after) != data {
				t.Error("a refused resume changed the file")
			}
		})
	}
}

func TestReadResumeEmpty(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.txt")
	if err := os.WriteFile(path, []byte("not results\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadResume(path); !errors.As(err, new(*ResumeError)) || !strings.Contains(err.Error(), "holds no results") {
		t.Errorf("ReadResume of a file without results: %v", err)
	}
	if _, err := ReadResume(filepath.Join(t.TempDir(), "none.txt")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ReadResume of no file: %v", err)
	}
}

// A file written before the classes line (results.KeyClasses) existed
// resumes: the classes describe the run's workloads, not its settings.
func TestResumeFileWithoutClasses(t *testing.T) {
	c := testConfig(countWorkload{name: "cpu/count"})
	path := interruptedFile(t, c)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	for _, line := range strings.SplitAfter(string(data), "\n") {
		if !strings.HasPrefix(line, results.KeyClasses+":") {
			kept = append(kept, line)
		}
	}
	if len(kept) == len(strings.SplitAfter(string(data), "\n")) {
		t.Fatalf("%s has no %s line to drop", path, results.KeyClasses)
	}
	if err := os.WriteFile(path, []byte(strings.Join(kept, "")), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := ReadResume(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Check(c, time.Now()); err != nil {
		t.Errorf("Check of a file without a classes line: %v", err)
	}
}
