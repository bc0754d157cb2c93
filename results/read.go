package results

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"unicode"
	"unicode/utf8"

	"golang.org/x/perf/benchfmt"
)

// Run is a results file read back: the sweep's settings, every sample in
// it and every note, checked for the damage an interrupted or hand-edited
// file shows. It is what `parbench run --resume` continues from.
type Run struct {
	// Config is the file configuration of the first result: the machine
	// and the sweep's settings, with no note keys.
	Config []Config
	// Samples holds every result line, in file order.
	Samples []Sample
	// Notes holds every note (see WriteNote), in file order.
	Notes []Note
	// Complete is the length of the file up to the end of its last
	// complete line. A file cut off mid-line (a killed run) is longer;
	// whatever follows Complete is not part of the Run.
	Complete int
	// Dangling lists configuration keys that are set at the end of the
	// file to something other than the first result's value (a note cut
	// off before its deletion line). A writer that appends must delete
	// them first, or the appended results would carry them.
	Dangling []string
}

// Sample is one result line.
type Sample struct {
	Name     string // result name without "Benchmark"
	Line     int
	Iters    int
	SecPerOp float64
}

// ErrCorrupt is wrapped by ReadRun's errors for a file that is not one
// intact parbench sweep.
var ErrCorrupt = errors.New("not an intact parbench results file")

// ReadRun reads a results file named name (for messages) from data.
// Each error names name:line and wraps ErrCorrupt. An unterminated last
// line is not an error: it is left out, and Complete says where the
// intact part ends.
func ReadRun(name string, data []byte) (*Run, error) {
	run := &Run{Complete: bytes.LastIndexByte(data, '\n') + 1}
	data = data[:run.Complete]

	// Pass 1: the configuration lines, as benchfmt applies them, for
	// what is still set at the end.
	cfg := map[string]string{}
	for rest := data; len(rest) > 0; {
		i := bytes.IndexByte(rest, '\n')
		l := rest[:i]
		rest = rest[i+1:]
		key, val, ok := keyValue(l)
		if !ok {
			continue
		}
		if len(val) == 0 {
			delete(cfg, key)
			continue
		}
		cfg[key] = string(val)
		if len(l) > MaxLine && !IsNoteKey(key) {
			cfg[key] = string(shortValue(val)) // as benchfmt reads it (LineReader)
		}
	}

	// Pass 2: the results, through benchfmt, which reads no line
	// longer than MaxLine: a long configuration line (a note with a
	// stack in it) reads shortened, a long result line is damage.
	lr := NewLineReader(bytes.NewReader(data))
	longResult := func() error {
		for _, l := range lr.Long {
			if l.Result {
				return fmt.Errorf("%w: %s:%d: a result line of %d bytes, longer than the %d a results file may hold",
					ErrCorrupt, name, l.Line, l.Len, MaxLine)
			}
		}
		return nil
	}
	r := benchfmt.NewReader(lr, name)
	var first map[string]string
	for r.Scan() {
		switch rec := r.Result().(type) {
		case *benchfmt.SyntaxError:
			return nil, fmt.Errorf("%w: %v", ErrCorrupt, rec)
		case *benchfmt.Result:
			_, ln := rec.Pos()
			for _, l := range lr.Long {
				if l.Result && l.Line < ln {
					return nil, longResult()
				}
			}
			pos := fmt.Sprintf("%s:%d", name, ln)
			s, err := readSample(rec)
			if err != nil {
				return nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, pos, err)
			}
			fileCfg := map[string]string{}
			for _, c := range rec.Config {
				if c.File && !IsNoteKey(c.Key) {
					fileCfg[c.Key] = string(c.Value)
				}
			}
			if first == nil {
				first = fileCfg
				for _, c := range rec.Config {
					if c.File && !IsNoteKey(c.Key) {
						run.Config = append(run.Config, Config{c.Key, string(c.Value)})
					}
				}
			} else if k, ok := differs(first, fileCfg); ok {
				return nil, fmt.Errorf("%w: %s: configuration %q changes here (%q, was %q): the file holds more than one sweep",
					ErrCorrupt, pos, k, fileCfg[k], first[k])
			}
			run.Samples = append(run.Samples, s)
		}
	}
	if err := r.Err(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if err := longResult(); err != nil {
		return nil, err
	}
	run.Notes = lr.Notes // whole, long ones included
	for k, v := range cfg {
		if IsNoteKey(k) || first == nil || first[k] != v {
			run.Dangling = append(run.Dangling, k)
		}
	}
	slices.Sort(run.Dangling)
	return run, nil
}

// readSample checks one result: a name parbench can parse, a positive
// iteration count and a finite, positive sec/op.
func readSample(res *benchfmt.Result) (Sample, error) {
	s := Sample{Name: string(res.Name), Iters: res.Iters}
	_, s.Line = res.Pos()
	if _, err := ParseName(s.Name); err != nil {
		return s, err
	}
	if res.Iters <= 0 {
		return s, fmt.Errorf("%s: iteration count %d, want a positive count", s.Name, res.Iters)
	}
	for _, v := range res.Values {
		if v.Unit == "sec/op" {
			if !(v.Value > 0) || math.IsInf(v.Value, 0) {
				return s, fmt.Errorf("%s: sec/op %v, want a positive, finite time", s.Name, v.Value)
			}
			s.SecPerOp = v.Value
			return s, nil
		}
	}
	return s, fmt.Errorf("%s: no sec/op value", s.Name)
}

func differs(a, b map[string]string) (string, bool) {
	var keys []string
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			keys = append(keys, k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return "", false
	}
	slices.Sort(keys)
	return keys[0], true
}

// keyValue parses a configuration line the way benchfmt does: a key that
// starts with a lower-case letter and holds no space or upper-case
// letter, a colon, then blanks and the value (which may be empty).
func keyValue(line []byte) (key string, val []byte, ok bool) {
	i := 0
	for i < len(line) {
		r, n := utf8.DecodeRune(line[i:])
		if i == 0 && !unicode.IsLower(r) {
			return "", nil, false
		}
		if unicode.IsSpace(r) || unicode.IsUpper(r) {
			return "", nil, false
		}
		if i > 0 && r == ':' {
			break
		}
		i += n
	}
	if i == 0 || i >= len(line) {
		return "", nil, false
	}
	key, val = string(line[:i]), line[i+1:]
	if len(val) == 0 {
		return key, val, true
	}
	if val[0] != ' ' && val[0] != '\t' {
		return "", nil, false
	}
	return key, bytes.TrimLeft(val, " \t"), true
}

// MaxLine is the longest line, in bytes and without its newline, that a
// benchfmt.Reader reads: it scans with bufio.Scanner's default buffer, and
// one longer line stops it with "token too long" at the line before.
const MaxLine = bufio.MaxScanTokenSize - 1

// LongLine is a line of a results file longer than MaxLine, which a
// LineReader shortened for benchfmt.
type LongLine struct {
	Line int // line number in the file
	Len  int // its length in bytes, without the newline
	// Key is the configuration key of a configuration line, "" for any
	// other line. benchfmt reads a configuration line shortened (see
	// LineReader) and skips any other long line.
	Key string
	// Result reports a result line (one that starts with "Benchmark").
	Result bool
}

// LineReader reads a results file for a benchfmt.Reader so that it
// reads to the end whatever the length of its lines, with every line
// number intact. A line longer than MaxLine arrives shortened: a
// configuration line keeps its key and the first KiB of its value, then
// its length and a hash (so two long values that differ stay apart);
// any other line arrives empty, and benchfmt skips it. Long lists each
// such line, so that the caller can say what was left out and where.
// Notes lists the notes (see WriteNote) read so far, long ones whole.
//
// A benchfmt.Reader reads ahead: when it returns a result, Long and
// Notes may already hold lines after it. Read both after the last Scan.
type LineReader struct {
	src   *bufio.Reader
	out   []byte // the line being handed out
	line  int
	err   error
	Long  []LongLine
	Notes []Note
}

// NewLineReader returns a LineReader of r.
func NewLineReader(r io.Reader) *LineReader {
	return &LineReader{src: bufio.NewReaderSize(r, 64<<10)}
}

// Read implements io.Reader.
func (lr *LineReader) Read(p []byte) (int, error) {
	for len(lr.out) == 0 {
		if lr.err != nil {
			return 0, lr.err
		}
		lr.next()
	}
	n := copy(p, lr.out)
	lr.out = lr.out[n:]
	return n, nil
}

// next reads one line (of any length) into out, shortened if need be.
func (lr *LineReader) next() {
	var line []byte
	for {
		chunk, err := lr.src.ReadSlice('\n')
		if len(line) == 0 && err == nil {
			line = chunk // the common case: no copy
			break
		}
		line = append(line, chunk...)
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			lr.err = err
		}
		break
	}
	if len(line) == 0 {
		return
	}
	lr.line++
	body := bytes.TrimSuffix(line, []byte("\n"))
	body = bytes.TrimSuffix(body, []byte("\r"))
	key, val, isCfg := keyValue(body)
	if isCfg && IsNoteKey(key) && len(val) > 0 {
		lr.Notes = append(lr.Notes, Note{Key: key, Value: string(val), Line: lr.line})
	}
	if len(bytes.TrimSuffix(line, []byte("\n"))) <= MaxLine { // benchfmt counts a \r against its limit
		lr.out = line
		return
	}
	long := LongLine{Line: lr.line, Len: len(body), Result: bytes.HasPrefix(body, []byte("Benchmark"))}
	var short []byte
	if isCfg && len(key) <= 1024 { // a longer key is no key
		long.Key = key
		short = append([]byte(key), ':')
		if len(val) > 0 {
			short = fmt.Appendf(short, " %s", shortValue(val))
		}
	}
	lr.Long = append(lr.Long, long)
	lr.out = append(short, '\n') // an unterminated long last line too
}

// shortValue is what a LineReader keeps of a long configuration value:
// its first KiB, its length and its hash.
func shortValue(val []byte) []byte {
	return fmt.Appendf(nil, "%s ...(%d bytes, sha256 %x)", utf8Prefix(val, 1024), len(val), sha256.Sum256(val))
}

// utf8Prefix returns the longest prefix of b of at most n bytes that
// does not cut a UTF-8 sequence.
func utf8Prefix(b []byte, n int) []byte {
	if len(b) <= n {
		return b
	}
	b = b[:n]
	for i := 0; i < utf8.UTFMax && len(b) > 0; i++ {
		if r, size := utf8.DecodeLastRune(b); r != utf8.RuneError || size > 1 {
			break
		}
		b = b[:len(b)-1]
	}
	return b
}
