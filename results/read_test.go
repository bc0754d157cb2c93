package results

import (
	"bytes"
	"errors"
	"fmt"
	"io"
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
	long := append(append([]byte(nil), good...), "parbench-failed: P "+strings.Repeat("x", MaxLine)+"\nparbench-failed:\n"...)
	f.Add(long, len(long))
	f.Add(append(append([]byte(nil), good...), "BenchmarkCPU/x/lock=none/goroutines=1-1 1 1 sec/op "+strings.Repeat("1 y/op ", MaxLine/7+1)+"\n"...), -1)
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

// TestReadRunLongLines: a note longer than the 64 KiB benchfmt reads (a
// failure's stack) is read whole, and a long result line is an error
// that names its own line.
func TestReadRunLongLines(t *testing.T) {
	good := sweepFile(t)
	lines := bytes.Count(good, []byte("\n"))
	stack := strings.Repeat("goroutine 1 [running]: ", 5000) // 115 KB
	data := append(append([]byte(nil), good...), "parbench-failed: P "+stack+"\nparbench-failed:\n"...)
	data = append(data, "BenchmarkCPU/x/lock=none/goroutines=1-1 100 1e-06 sec/op 1 parallelism\n"...)
	run, err := ReadRun("long.txt", data)
	if err != nil {
		t.Fatal(err)
	}
	last := run.Notes[len(run.Notes)-1]
	if last.Key != NoteFailed || last.Value != "P "+stack || last.Line != lines+1 {
		t.Errorf("last note %s at line %d (%d bytes), want the whole failed note at line %d", last.Key, last.Line, len(last.Value), lines+1)
	}
	if s := run.Samples[len(run.Samples)-1]; s.Line != lines+3 {
		t.Errorf("the sample after the long note is at line %d, want %d", s.Line, lines+3)
	}

	bad := append(append([]byte(nil), good...), "BenchmarkCPU/x/lock=none/goroutines=1-1 100 1e-06 sec/op "+strings.Repeat("1 y/op ", 15000)+"\n"...)
	bad = append(bad, "BenchmarkCPU/x/lock=none/goroutines=1-1 100 1e-06 sec/op\n"...)
	_, err = ReadRun("bad.txt", bad)
	want := fmt.Sprintf("bad.txt:%d: a result line of", lines+1)
	if !errors.Is(err, ErrCorrupt) || err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("a long result line: error %v, want one naming %s", err, want)
	}
}

// FuzzLineReader checks that a LineReader hands benchfmt the same lines,
// each at most MaxLine long, with any long one listed at its line.
func FuzzLineReader(f *testing.F) {
	f.Add([]byte("a: b\nBenchmarkX 1 1 ns/op\n"), 0)
	f.Add([]byte("parbench-stop: x\r\nparbench-stop:\n"), 1)
	f.Add([]byte("BenchmarkX 1 1 ns/op"), MaxLine+10)
	f.Add([]byte("note: \xff\xfe"), 2*MaxLine)
	f.Add([]byte("abc\r\n"), MaxLine-3) // MaxLine bytes and a \r: benchfmt counts the \r
	f.Fuzz(func(t *testing.T, data []byte, pad int) {
		if pad > 0 && pad < 4*MaxLine && len(data) > 0 {
			i := len(data) / 2
			data = append(append(append([]byte(nil), data[:i]...), bytes.Repeat(data[i:i+1], pad)...), data[i:]...)
		}
		lr := NewLineReader(bytes.NewReader(data))
		out, err := io.ReadAll(lr)
		if err != nil {
			t.Fatal(err)
		}
		in := bytes.Split(data, []byte("\n"))
		got := bytes.Split(out, []byte("\n"))
		if len(data) > 0 && data[len(data)-1] != '\n' && len(in[len(in)-1]) > MaxLine {
			in = append(in, nil) // a long unterminated last line arrives terminated
		}
		if len(got) != len(in) {
			t.Fatalf("%d lines in, %d out", len(in), len(got))
		}
		long := map[int]bool{}
		for _, l := range lr.Long {
			long[l.Line] = true
		}
		for i, l := range got {
			if len(l) > MaxLine {
				t.Fatalf("line %d: %d bytes out", i+1, len(l))
			}
			if long[i+1] != (len(in[i]) > MaxLine) { // a \r counts: benchfmt reads it as part of the line
				t.Fatalf("line %d of %d bytes: listed long %v", i+1, len(in[i]), long[i+1])
			}
			if !long[i+1] && !bytes.Equal(l, in[i]) {
				t.Fatalf("line %d changed", i+1)
			}
		}
	})
}
