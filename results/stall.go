package results

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// A stall dump is many lines of text (a lock's state, goroutine stacks)
// and a note's value is one line whose runs of white space WriteNote
// collapses. StallNotes therefore cuts the dump into parts of whole
// lines, at most stallPart bytes each, and writes each part as one
// NoteStall note, escaped:
//
//	parbench-stall: CPU/stream/lock=gil/goroutines=2-4 3/41 goroutine 7 [chan receive]:\n
//	parbench-stall:
//	parbench-stall: CPU/stream/lock=gil/goroutines=2-4 4/41 github.com/parbench/parbench/bench/gil.(*GIL).drop(...)\n
//	parbench-stall:
//
// The value is the point's result name, the part number and count
// (i/n), and the part's text, in which
//
//	\\ is a backslash, \n a newline, \t a tab,
//	\s a space that is the part's first or last byte or follows a space,
//	\xHH a control byte, and each byte of invalid UTF-8 and of a
//	non-printable or white-space rune beyond ASCII,
//
// and every other byte stands for itself. The text then holds no white
// space but single spaces between other bytes, which WriteNote and any
// benchfmt reader keep as they are; Stalls reads the notes back.

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
		if i := strings.IndexByte(rest[:n], '\n'); i >= 0 {
			n = i + 1
		}
		parts = append(parts, rest[:n])
		rest = rest[n:]
	}
	notes := make([]Note, len(parts))
	for i, p := range parts {
		notes[i] = Note{Key: NoteStall, Value: fmt.Sprintf("%s %d/%d %s", point, i+1, len(parts), escapeStall(p))}
	}
	return notes
}

func escapeStall(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\':
			b.WriteString(`\\`)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\t':
			b.WriteString(`\t`)
		case c == ' ':
			if i == 0 || i == len(s)-1 || s[i-1] == ' ' {
				b.WriteString(`\s`)
			} else {
				b.WriteByte(' ')
			}
		case c < 0x20 || c == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, c)
		case c >= utf8.RuneSelf:
			// Printable runes stand for themselves (µs); invalid
			// UTF-8 and white space beyond ASCII's are escaped.
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError || unicode.IsSpace(r) || !unicode.IsPrint(r) {
				for _, c := range []byte(s[i : i+n]) {
					fmt.Fprintf(&b, `\x%02x`, c)
				}
			} else {
				b.WriteString(s[i : i+n])
			}
			i += n - 1
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

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
		dec, err := unescapeStall(enc)
		if err != nil {
			return nil, bad("%v", err)
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

func unescapeStall(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		if i+1 >= len(s) {
			return "", errors.New("a lone backslash at the end")
		}
		i++
		switch s[i] {
		case '\\':
			b.WriteByte('\\')
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 's':
			b.WriteByte(' ')
		case 'x':
			if i+2 >= len(s) {
				return "", errors.New(`\x without two hex digits`)
			}
			v, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
			if err != nil {
				return "", fmt.Errorf(`\x%s: not two hex digits`, s[i+1:i+3])
			}
			b.WriteByte(byte(v))
			i += 2
		default:
			return "", fmt.Errorf(`unknown escape \%c`, s[i])
		}
	}
	return b.String(), nil
}

// shorten cuts s for an error message.
func shorten(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}
