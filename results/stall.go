package results

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// A stall dump is many lines of text (a lock's state, goroutine stacks)
// and a note's value is one line whose runs of white space WriteNote
// collapses. StallNotes therefore cuts the dump into parts of whole
// lines, at most stallPart bytes each (a longer line is cut), and writes
// each part as one NoteStall note, a Go-quoted string (strconv.Quote)
// whose runs of spaces are broken up with \x20:
//
//	parbench-stall: CPU/stream/lock=gil/goroutines=2-4 3/41 "goroutine 7 [chan receive]:\n\tgithub.com/parbench/parbench/bench/gil.(*GIL).drop(...)\n"
//	parbench-stall:
//
// The value is the point's result name, the part number and count
// (i/n), and the quoted part. It holds no white space but single spaces
// between other bytes, which WriteNote and any benchfmt reader keep as
// they are; Stalls reads the notes back.

// stallPart is the most bytes of the dump in one note: a line of at most
// 4 KiB once escaped, far below a benchfmt reader's 64 KiB line limit.
const stallPart = 1 << 10

// Stall is one watchdog dump read back from a file's notes.
type Stall struct {
	Point string // the result name of the point whose sample stalled
	Dump  string // the text, as the watchdog wrote it
	Line  int    // the line of the dump's first note
}

// StallNotes returns the notes that hold dump, the watchdog's text about
// a sample of point (a result name), in the order they are to be
// written. An empty dump has no notes.
func StallNotes(point, dump string) []Note {
	if point == "" {
		point = "-"
	}
	var parts []string
	for rest := dump; rest != ""; {
		n := len(rest)
		if n > stallPart {
			n = stallPart
		}
		if i := strings.LastIndexByte(rest[:n], '\n'); i >= 0 {
			n = i + 1
		}
		parts = append(parts, rest[:n])
		rest = rest[n:]
	}
	notes := make([]Note, len(parts))
	for i, p := range parts {
		notes[i] = Note{Key: NoteStall, Value: fmt.Sprintf("%s %d/%d %s", point, i+1, len(parts), quoteStall(p))}
	}
	return notes
}

// quoteStall quotes a part of a dump as a note's value can hold it.
func quoteStall(s string) string { return strings.ReplaceAll(strconv.Quote(s), "  ", ` \x20`) }

// ErrBadStall is wrapped by Stalls' error for a stall note that is not
// as StallNotes writes them.
var ErrBadStall = errors.New("bad stall note")

// Stalls reads back the dumps held by the NoteStall notes among notes
// (the others are skipped), in file order. A dump must come in its
// parts 1 to n, one after the other; an error names the note's line.
func Stalls(notes []Note) ([]Stall, error) {
	var (
		out  []Stall
		cur  *Stall
		text strings.Builder
		want int // parts of the dump in progress
		next int // the part expected next; 0 when none is in progress
	)
	for _, n := range notes {
		if n.Key != NoteStall {
			continue
		}
		bad := func(format string, args ...any) error {
			return fmt.Errorf("%w: line %d: %s", ErrBadStall, n.Line, fmt.Sprintf(format, args...))
		}
		point, rest, _ := strings.Cut(n.Value, " ")
		num, enc, _ := strings.Cut(rest, " ")
		is, ns, ok := strings.Cut(num, "/")
		i, err1 := strconv.Atoi(is)
		total, err2 := strconv.Atoi(ns)
		if point == "" || enc == "" || !ok || err1 != nil || err2 != nil || i < 1 || i > total {
			return nil, bad("want POINT i/n TEXT, got %q", shorten(n.Value))
		}
		dec, err := strconv.Unquote(enc)
		switch {
		case err != nil:
			return nil, bad("the text is not a Go-quoted string: %s", shorten(enc))
		case dec == "":
			return nil, bad("an empty part (StallNotes writes none)")
		}
		if next == 0 {
			if i != 1 {
				return nil, bad("part %d/%d of %s without the parts before it", i, total, point)
			}
			out = append(out, Stall{Point: point, Line: n.Line})
			cur = &out[len(out)-1]
			text.Reset()
			want, next = total, 1
		} else if i != next || total != want || point != cur.Point {
			return nil, bad("part %d/%d of %s where part %d/%d of %s was due", i, total, point, next, want, cur.Point)
		}
		text.WriteString(dec)
		next++
		if next > want {
			cur.Dump = text.String()
			next = 0
		}
	}
	if next != 0 {
		return nil, fmt.Errorf("%w: the dump of %s from line %d ends at part %d of %d", ErrBadStall, cur.Point, cur.Line, next-1, want)
	}
	return out, nil
}

// shorten cuts s for an error message.
func shorten(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}
