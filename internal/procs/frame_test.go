package procs

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"
)

func TestFrameRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	bodies := [][]byte{nil, []byte("x"), bytes.Repeat([]byte{7}, 200<<10)}
	for i, b := range bodies {
		if err := WriteFrame(&buf, byte('a'+i), b); err != nil {
			t.Fatal(err)
		}
	}
	r := NewReader(&buf, 0)
	for i, want := range bodies {
		typ, got, err := r.Next()
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if typ != byte('a'+i) || !bytes.Equal(got, want) {
			t.Errorf("frame %d: type %q, %d bytes; want %q, %d bytes", i, typ, len(got), byte('a'+i), len(want))
		}
	}
	if _, _, err := r.Next(); err != io.EOF {
		t.Errorf("after the last frame: %v, want io.EOF", err)
	}
}

func header(n uint32, typ byte) []byte {
	return append(binary.BigEndian.AppendUint32(nil, n), typ)
}

func TestFrameErrors(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
	}{
		{"header cut short", []byte{0, 0, 1}},
		{"body cut short", append(header(10, 'W'), "abc"...)},
		{"oversized", header(MaxFrame+1, 'W')},
		{"4 GiB", header(1<<32-1, 'W')},
		{"text", []byte("hello, world\n")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := NewReader(bytes.NewReader(tt.in), 0).Next()
			if !errors.Is(err, ErrFrame) {
				t.Errorf("Next = %v, want an error wrapping ErrFrame", err)
			}
		})
	}
}

// A header that claims the largest frame but sends a few bytes must not
// make the reader allocate the claimed size.
func TestFrameLyingHeaderAllocatesLittle(t *testing.T) {
	r := NewReader(bytes.NewReader(append(header(MaxFrame, 'W'), "short"...)), 0)
	if _, _, err := r.Next(); !errors.Is(err, ErrFrame) {
		t.Fatalf("Next = %v, want ErrFrame", err)
	}
	if cap(r.buf) > 128<<10 {
		t.Errorf("buffer grew to %d bytes for a 5-byte body", cap(r.buf))
	}
}

func TestWriteFrameRefusesOversized(t *testing.T) {
	if err := WriteFrame(io.Discard, 'W', make([]byte, MaxFrame+1)); !errors.Is(err, ErrFrame) {
		t.Errorf("WriteFrame = %v, want ErrFrame", err)
	}
}

// FuzzReader feeds arbitrary bytes to the frame reader: every outcome
// is a frame within the maximum, io.EOF or an error, never a panic, a
// hang or a buffer beyond what arrived.
func FuzzReader(f *testing.F) {
	f.Add(AppendFrame(nil, 'W', []byte("12345678")))
	f.Add(append(AppendFrame(nil, 'd', u64(3)), 0, 0))
	f.Add(header(MaxFrame, 'W'))
	f.Add([]byte("garbage"))
	f.Fuzz(func(t *testing.T, in []byte) {
		const max = 1 << 16
		r := NewReader(bytes.NewReader(in), max)
		for range len(in) + 1 {
			_, body, err := r.Next()
			if err != nil {
				if err != io.EOF && !errors.Is(err, ErrFrame) {
					t.Fatalf("unexpected error %v", err)
				}
				if cap(r.buf) > 2*len(in)+64<<10 {
					t.Fatalf("buffer of %d bytes for %d bytes of input", cap(r.buf), len(in))
				}
				return
			}
			if len(body) > max {
				t.Fatalf("body of %d bytes above the maximum %d", len(body), max)
			}
		}
		t.Fatalf("more frames than bytes of input")
	})
}
