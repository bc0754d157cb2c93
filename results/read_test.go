package results

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"golang.org/x/perf/benchfmt"
)

// sweepFile writes a small results file the way parbench run does: file
// configuration, results, and notes between them.
func sweepFile(tb testing.TB) []byte {
	tb.Helper()
	var buf bytes.Buffer
	w := benchfmt.NewWriter(&buf)
	res := &benchfmt.Result{Config: []benchfmt.Config{
		{Key: "goos", Value: []byte("linux"), File: true},
		{Key: "count", Value: []byte("2"), File: true},
	}}
	put := func(name string, sec float64) {
		res.Name = []byte(name)
		res.Iters = 100
		res.Values = []benchfmt.Value{{Value: sec, Unit: "sec/op"}, {Value: 1, Unit: "parallelism"}}
		if err := w.Write(res); err != nil {
			tb.Fatal(err)
		}
	}
	note := func(key, value string) {
		if err := WriteNote(&buf, Note{Key: key, Value: value}); err != nil {
			tb.Fatal(err)
		}
	}
	note(NoteCalibration, "timer-resolution=20ns")
	put("CPU/x/lock=none/goroutines=1-1", 1e-6)
	put("CPU/x/lock=none/goroutines=1-2", 2e-6)
	put("CPU/x/lock=none/goroutines=1-1", 1.1e-6)
	note(NoteStop, "CPU/x/lock=none/goroutines=1-1 reason=count samples=2 ci=inf cv=1%")
	put("CPU/x/lock=none/goroutines=1-2", 2.1e-6)
	return buf.Bytes()
}

func TestReadRun(t *testing.T) {
	data := sweepFile(t)
	run, err := ReadRun("f.txt", data)
	if err != nil {
		t.Fatal(err)
	}
	if len(run.Samples) != 4 || run.Samples[2].SecPerOp != 1.1e-6 {
		t.Errorf("samples = %+v", run.Samples)
	}
	if len(run.Config) != 2 || run.Config[1] != (Config{"count", "2"}) {
		t.Errorf("config = %v, want goos and count, and no note", run.Config)
	}
	if len(run.Notes) != 2 || run.Notes[1].Point() != "CPU/x/lock=none/goroutines=1-1" || run.Notes[1].Field("samples") != "2" {
		t.Errorf("notes = %+v", run.Notes)
	}
	if run.Complete != len(data) || len(run.Dangling) != 0 {
		t.Errorf("Complete = %d of %d, Dangling = %v", run.Complete, len(data), run.Dangling)
	}
	// benchstat's reader sees the notes as no configuration at all.
	rd := benchfmt.NewReader(bytes.NewReader(data), "f.txt")
	for rd.Scan() {
		if r, ok := rd.Result().(*benchfmt.Result); ok && len(r.Config) != 2 {
			t.Errorf("%s: benchfmt sees config %v", r.Name, r.Config)
		}
	}
}

// TestReadRunDamage feeds the damage an interrupted or edited file shows.
func TestReadRunDamage(t *testing.T) {
	good := string(sweepFile(t))
	for _, tc := range []struct {
		name     string
		data     string
		err      string // "" for no error
		samples  int
		dangling string
	}{
		{"cut mid-line", good + "BenchmarkCPU/x/lock=none/goroutines=1-1 100 1.2e-0", "", 4, ""},
		{"cut mid-note", good + "parbench-stop: CPU/x/lock=none/goroutines=1-2 reason=count samples=2\n", "", 4, NoteStop},
		{"no sec/op", good + "BenchmarkCPU/x/lock=none/goroutines=1-1 100 5 parallelism\n", "f.txt:12: CPU/x/lock=none/goroutines=1-1: no sec/op value", 0, ""},
		{"bad value", good + "BenchmarkCPU/x/lock=none/goroutines=1-1 100 x sec/op\n", "f.txt:12: parsing measurement", 0, ""},
		{"negative time", good + "BenchmarkCPU/x/lock=none/goroutines=1-1 100 -1 sec/op\n", "sec/op -1, want a positive, finite time", 0, ""},
		{"bad name", good + "BenchmarkCPU/x/goroutines=0-1 100 1 sec/op\n", "goroutines=\"0\"", 0, ""},
		{"two sweeps", good + "count: 3\nBenchmarkCPU/x/lock=none/goroutines=1-1 100 1 sec/op\n", "configuration \"count\" changes here", 0, ""},
		{"empty", "", "", 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			run, err := ReadRun("f.txt", []byte(tc.data))
			if tc.err != "" {
				if err == nil || !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("ReadRun = %v, want ErrCorrupt with %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(run.Samples) != tc.samples {
				t.Errorf("%d samples, want %d", len(run.Samples), tc.samples)
			}
			if got := strings.Join(run.Dangling, ","); got != tc.dangling {
				t.Errorf("Dangling = %q, want %q", got, tc.dangling)
			}
		})
	}
}

func TestWriteNote(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteNote(&buf, Note{Key: NoteFailed, Value: "P panic: x\n\tstack"}); err != nil {
		t.Fatal(err)
	}
	if got, want := buf.String(), "parbench-failed: P panic: x stack\nparbench-failed:\n"; got != want {
		t.Errorf("WriteNote wrote %q, want %q", got, want)
	}
	if err := WriteNote(&buf, Note{Key: "Bad Key"}); !errors.Is(err, ErrBadNote) {
		t.Errorf("WriteNote with a bad key = %v, want ErrBadNote", err)
	}
}

// FuzzReadRun checks that no damage to a file makes ReadRun panic or
// accept a sample it cannot vouch for, and that truncation at any byte
// loses at most the cut-off line.
func FuzzReadRun(f *testing.F) {
	good := sweepFile(f)
	f.Add(good, len(good))
	f.Add(good, len(good)/2)
	f.Add([]byte("BenchmarkX 1 1 sec/op\nparbench-stop: X\n"), 30)
	f.Add([]byte("a: b\n\nBenchmarkX-0 1 1e309 sec/op\n"), 100)
	f.Fuzz(func(t *testing.T, data []byte, cut int) {
		if cut >= 0 && cut < len(data) {
			data = data[:cut]
		}
		run, err := ReadRun("fuzz.txt", data)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) || !strings.HasPrefix(err.Error(), ErrCorrupt.Error()+": fuzz.txt") {
				t.Fatalf("error %q does not wrap ErrCorrupt with the file name", err)
			}
			return
		}
		if run.Complete > len(data) || (run.Complete > 0 && data[run.Complete-1] != '\n') {
			t.Fatalf("Complete = %d does not end a line", run.Complete)
		}
		for _, s := range run.Samples {
			if !(s.SecPerOp > 0) || s.Iters <= 0 || s.Line < 1 {
				t.Fatalf("accepted sample %+v", s)
			}
			if _, err := ParseName(s.Name); err != nil {
				t.Fatalf("accepted sample with a bad name: %v", err)
			}
		}
		for _, n := range run.Notes {
			if !IsNoteKey(n.Key) || n.Value == "" {
				t.Fatalf("bad note %+v", n)
			}
		}
	})
}
