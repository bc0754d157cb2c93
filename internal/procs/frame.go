package procs

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// A frame is the unit of the pipe protocol:
//
//	[4 bytes: body length n, big-endian][1 byte: type][n bytes: body]
//
// A reader refuses a length above its maximum before it allocates, and
// grows its buffer only as the body's bytes arrive, so a lying header
// costs at most what was really sent.
const headerLen = 5

// MaxFrame is the largest body the protocol carries: one --payload of
// MaxPayload bytes with room to spare.
const MaxFrame = MaxPayload + 1<<10

// ErrFrame is wrapped by every error about a malformed frame: truncated,
// oversized or of an unknown type.
var ErrFrame = errors.New("bad frame")

// Reader reads frames from a stream. The body Next returns is valid
// until the next call.
type Reader struct {
	r   io.Reader
	max int
	hdr [headerLen]byte
	buf []byte
}

// NewReader returns a Reader of r that refuses bodies above max bytes
// (MaxFrame if max <= 0).
func NewReader(r io.Reader, max int) *Reader {
	if max <= 0 {
		max = MaxFrame
	}
	return &Reader{r: r, max: max}
}

// Next reads one frame. At a clean end of the stream (no byte of a new
// frame) it returns io.EOF; a frame cut short, or one longer than the
// maximum, is an error wrapping ErrFrame.
func (r *Reader) Next() (typ byte, body []byte, err error) {
	if _, err := io.ReadFull(r.r, r.hdr[:]); err != nil {
		if err == io.EOF {
			return 0, nil, io.EOF
		}
		if err == io.ErrUnexpectedEOF {
			return 0, nil, fmt.Errorf("%w: header cut short", ErrFrame)
		}
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(r.hdr[:4])
	typ = r.hdr[4]
	if int64(n) > int64(r.max) {
		return 0, nil, fmt.Errorf("%w: type %q, length %d above the maximum %d (header % x)", ErrFrame, typ, n, r.max, r.hdr[:])
	}
	r.buf = r.buf[:0]
	// Grow by doubling as bytes arrive, from 64 KiB: a truncated frame
	// that claims MaxFrame allocates only a little more than it sent.
	for len(r.buf) < int(n) {
		step := min(int(n)-len(r.buf), max(len(r.buf), 64<<10))
		if cap(r.buf)-len(r.buf) < step {
			nb := make([]byte, len(r.buf), len(r.buf)+step)
			copy(nb, r.buf)
			r.buf = nb
		}
		got, err := io.ReadFull(r.r, r.buf[len(r.buf):len(r.buf)+step])
		r.buf = r.buf[:len(r.buf)+got]
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return 0, nil, fmt.Errorf("%w: type %q cut short after %d of %d bytes", ErrFrame, typ, len(r.buf), n)
		}
		if err != nil {
			return 0, nil, err
		}
	}
	return typ, r.buf, nil
}

// AppendFrame appends a frame of typ and body to dst.
func AppendFrame(dst []byte, typ byte, body []byte) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(body)))
	dst = append(dst, typ)
	return append(dst, body...)
}

// WriteFrame writes one frame with a single Write call.
func WriteFrame(w io.Writer, typ byte, body []byte) error {
	if len(body) > MaxFrame {
		return fmt.Errorf("%w: body of %d bytes above the maximum %d", ErrFrame, len(body), MaxFrame)
	}
	_, err := w.Write(AppendFrame(make([]byte, 0, headerLen+len(body)), typ, body))
	return err
}
