package procs

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"time"

	"github.com/parbench/parbench/bench/gil"
	"github.com/parbench/parbench/workloads"
)

// Frame types. Upper case goes from the parent to a worker, lower case
// from a worker to the parent.
const (
	tHello   = 'H' // JSON Spec: start the workload and one worker
	tService = 'S' // JSON ServiceSpec, instead of a hello: start a service (service.go)
	tBegin   = 'B' // empty: start the background goroutines; to a service, 8-byte GOMAXPROCS: begin a sample
	tWork    = 'W' // 8-byte op count, then count payloads of Spec.Payload bytes
	tEnd     = 'E' // 8-byte wall time in ns: close the worker (end a service's sample), report figures

	tReady = 'r' // JSON readyMsg: started, outside any timing
	tBegun = 'b' // empty: background goroutines running
	tDone  = 'd' // 8-byte op count: a Work frame is done
	tStats = 's' // JSON statsMsg: the sample's figures from this worker
	tError = 'x' // text: an op (a service's Begin or End) failed; the worker exits after sending it
)

// MaxPayload bounds --payload: a payload is one op's input, and a Work
// frame holds at least one.
const MaxPayload = 4 << 20

// maxChunkBytes caps the payload bytes of one Work frame (at least one
// payload is always sent), so a worker holds little more than one op's
// input and the pipe carries frames of a steady size.
const maxChunkBytes = 1 << 20

// Spec is what a worker process runs: one workload worker under its own
// lock, with its own GOMAXPROCS, fed ops by the parent.
type Spec struct {
	Workload string
	Lock     string
	LockOpts gil.Options
	Procs    int // GOMAXPROCS of the worker
	Params   workloads.Params
	// Payload is the bytes of input sent with each op; the worker
	// checksums each one against PayloadCRC.
	Payload    int
	PayloadCRC uint32
	// Index names the worker in errors and on its stderr.
	Index int
}

type readyMsg struct {
	PID int
	CPU time.Duration // process CPU time when ready
}

type statsMsg struct {
	Ops     int64         // an op worker's ops; 0 from a service
	CPU     time.Duration // process CPU time after the last op; a service's CPU time over the sample
	Metrics []workloads.Metric
	RSS     int64 `json:",omitempty"` // a service's resident memory at the sample's end, bytes
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Payload returns the input every op is given: n bytes that are not all
// alike, and their CRC-32C checksum (Checksum).
func Payload(n int) ([]byte, uint32) {
	b := make([]byte, n)
	x := uint32(0x9e3779b9)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b, crc32.Checksum(b, castagnoli)
}

// Checksum is the CRC-32C (Castagnoli) of b: what a worker computes
// over each op's payload, so that it cannot skip reading it.
func Checksum(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }

func u64(x uint64) []byte { return binary.BigEndian.AppendUint64(nil, x) }

// readU64 decodes a body that must be exactly 8 bytes.
func readU64(typ byte, body []byte) (uint64, error) {
	if len(body) != 8 {
		return 0, fmt.Errorf("%w: type %q has %d bytes, want 8", ErrFrame, typ, len(body))
	}
	return binary.BigEndian.Uint64(body), nil
}

// chunkFor caps chunk (ops per Work frame) so that its payloads fit
// maxChunkBytes, and keeps it at least 1.
func chunkFor(chunk int64, payload int) int64 {
	if payload > 0 {
		chunk = min(chunk, int64(maxChunkBytes/payload))
	}
	return max(chunk, 1)
}
