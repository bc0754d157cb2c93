package results

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// sampleDump is a watchdog dump as bench writes one: a lock's state,
// then goroutine stacks with tabs, blank lines and a line with runs of
// spaces.
const sampleDump = `lock gil at 05:06:07.000001: locked=true holder=0 changes=7 waiters=1 drop-request=true switch-number=7 switch-wait=none
  thread 0: holding for 10s
  thread 1: waiting for 9.99s, timer overdue by 9.9s

goroutine 7 [chan receive]:
github.com/parbench/parbench/bench/gil.(*GIL).drop(0xc000010000, 0x1)
	/work/main/bench/gil/newgil.go:150 +0x45
a  line  with   runs of spaces and a \ backslash, ` + "\x00\xff\u00a0" + ` 
`

// writeRead writes notes as a file would hold them and reads them back.
func writeRead(t *testing.T, notes []Note) []Note {
	t.Helper()
	var buf bytes.Buffer
	buf.WriteString("goos: linux\n")
	for _, n := range notes {
		if err := WriteNote(&buf, n); err != nil {
			t.Fatal(err)
		}
	}
	run, err := ReadRun("stall.txt", buf.Bytes())
	if err != nil {
		t.Fatalf("ReadRun: %v\n%s", err, buf.Bytes())
	}
	return run.Notes
}

func TestStallNotesRoundTrip(t *testing.T) {
	long := strings.Repeat("x", 3*stallPart+5) + "\n" + "tail"
	for _, tc := range []struct{ name, dump string }{
		{"dump", sampleDump},
		{"one line", "just one line"},
		{"long line", long},
		{"spaces", "  \n \n\n  "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			point := "CPU/stream/lock=gil/goroutines=2-4"
			notes := StallNotes(point, tc.dump)
			for _, n := range notes {
				if strings.ContainsAny(n.Value, "\n\t") || strings.Contains(n.Value, "  ") {
					t.Errorf("note value %q would not survive WriteNote", n.Value)
				}
				if len(n.Value) > 5*stallPart {
					t.Errorf("note value of %d bytes", len(n.Value))
				}
			}
			// Other notes around and between two dumps are skipped.
			all := append([]Note{{Key: NoteFailed, Value: point + " hung"}}, notes...)
			all = append(all, StallNotes("other", "second")...)
			got, err := Stalls(writeRead(t, all))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 2 || got[0].Point != point || got[0].Dump != tc.dump || got[1].Dump != "second" {
				t.Fatalf("Stalls = %+v, want the dump back", got)
			}
			if got[0].Line != 4 {
				t.Errorf("first dump at line %d, want 4", got[0].Line)
			}
		})
	}
	if n := StallNotes("p", ""); len(n) != 0 {
		t.Errorf("empty dump: %d notes", len(n))
	}
}

func TestStallsErrors(t *testing.T) {
	note := func(v string) Note { return Note{Key: NoteStall, Value: v, Line: 9} }
	for _, tc := range []struct {
		name  string
		notes []Note
		want  string
	}{
		{"no part number", []Note{note("p text")}, "line 9: want POINT i/n TEXT"},
		{"part 0", []Note{note("p 0/1 \"x\"")}, "want POINT i/n"},
		{"no text", []Note{note("p 1/1")}, "want POINT i/n TEXT"},
		{"part beyond count", []Note{note("p 3/2 \"x\"")}, "want POINT i/n"},
		{"starts at part 2", []Note{note("p 2/2 \"x\"")}, "part 2/2 of p without the parts before it"},
		{"part missing", []Note{note("p 1/3 \"x\""), note("p 3/3 \"x\"")}, "part 3/3 of p where part 2/3 of p was due"},
		{"other point", []Note{note("p 1/2 \"x\""), note("q 2/2 \"x\"")}, "where part 2/2 of p was due"},
		{"cut short", []Note{note("p 1/2 \"x\"")}, "the dump of p from line 9 ends at part 1 of 2"},
		{"not quoted", []Note{note(`p 1/1 x`)}, "not a Go-quoted string: x"},
		{"bad escape", []Note{note(`p 1/1 "\q"`)}, "not a Go-quoted string"},
		{"unterminated", []Note{note(`p 1/1 "x`)}, "not a Go-quoted string"},
		{"empty part", []Note{note(`p 1/1 ""`)}, "an empty part"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Stalls(tc.notes)
			if !errors.Is(err, ErrBadStall) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Stalls = %v, want ErrBadStall with %q", err, tc.want)
			}
		})
	}
}

// FuzzStallNotes checks that any dump survives StallNotes, WriteNote,
// ReadRun and Stalls unchanged.
func FuzzStallNotes(f *testing.F) {
	f.Add("CPU/x/lock=gil/goroutines=2-4", sampleDump)
	f.Add("p", " a  b \t\n\\x\\s")
	f.Fuzz(func(t *testing.T, point, dump string) {
		if point == "" || strings.ContainsFunc(point, func(r rune) bool { return r <= ' ' || r >= 0x7f }) {
			return // result names have no spaces
		}
		notes := StallNotes(point, dump)
		var buf bytes.Buffer
		for _, n := range notes {
			if err := WriteNote(&buf, n); err != nil {
				t.Fatal(err)
			}
		}
		run, err := ReadRun("fuzz.txt", buf.Bytes())
		if err != nil {
			t.Fatalf("ReadRun: %v", err)
		}
		got, err := Stalls(run.Notes)
		if err != nil {
			t.Fatal(err)
		}
		if dump == "" {
			if len(got) != 0 {
				t.Fatalf("empty dump read back as %+v", got)
			}
			return
		}
		if len(got) != 1 || got[0].Dump != dump || got[0].Point != point {
			t.Fatalf("read back %+v, want %q", got, dump)
		}
	})
}

// FuzzStalls checks that Stalls never panics on a stall note's value,
// and that what it accepts it writes back the same.
func FuzzStalls(f *testing.F) {
	f.Add(`p 1/1 "a \x20b\n"`)
	f.Add(`p 1/2 "\x41"`)
	f.Fuzz(func(t *testing.T, value string) {
		got, err := Stalls([]Note{{Key: NoteStall, Value: value, Line: 1}})
		if err != nil {
			if !errors.Is(err, ErrBadStall) {
				t.Fatalf("error %v does not wrap ErrBadStall", err)
			}
			return
		}
		for _, s := range got {
			back, err := Stalls(StallNotes(s.Point, s.Dump))
			if err != nil || len(back) != 1 || back[0].Dump != s.Dump {
				t.Fatalf("%q read as %+v, written and read back as %+v, %v", value, s, back, err)
			}
		}
	})
}
