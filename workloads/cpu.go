package workloads

import (
	"crypto/sha256"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/parbench/parbench/results"
)

func init() {
	Register(sha256Workload{})
	Register(mandelbrotWorkload{})
	Register(streamWorkload{})
	Register(allocWorkload{})
}

// nopCloser is embedded by workers and instances with nothing to release.
type nopCloser struct{}

func (nopCloser) Close() error { return nil }

// ---- cpu/sha256 ----

// SHA256Block is the bytes hashed per cpu/sha256 op.
const SHA256Block = 4 << 10

type sha256Workload struct{}

func (sha256Workload) Name() string         { return "cpu/sha256" }
func (sha256Workload) Class() results.Class { return results.ClassCPU }
func (sha256Workload) Params() []string     { return nil } // reads no knob of Params
func (sha256Workload) Summary() string {
	return "hash 4 KiB per op: pure CPU, no sharing; scales with cores unless a lock serialises it"
}

func (sha256Workload) Start(Params) (Instance, error) {
	buf := make([]byte, SHA256Block)
	for i := range buf {
		buf[i] = byte(i * 7)
	}
	return &sha256Instance{buf: buf, want: sha256.Sum256(buf)}, nil
}

type sha256Instance struct {
	nopCloser
	buf  []byte
	want [32]byte
}

func (in *sha256Instance) NewWorker(env Env) (Worker, error) {
	return &sha256Worker{in: in, env: env}, nil
}

type sha256Worker struct {
	nopCloser
	in  *sha256Instance
	env Env
}

// sha256Ticks is the ticks (TickTime) one cpu/sha256 op stands for:
// 3.5µs of Go work (BenchmarkTicks) at the 11.1ns a tick of CPython 2.7
// running a SHA-256 round in pure Python (testdata/ticks27.py, sharound),
// measured side by side on the 2-CPU VM.
const sha256Ticks = 320

func (w *sha256Worker) Op() error {
	// One 4 KiB hash takes a few microseconds: one check per op is
	// well inside the 50µs budget.
	sum := sha256.Sum256(w.in.buf)
	w.env.Check(sha256Ticks)
	if sum != w.in.want {
		return fmt.Errorf("cpu/sha256: wrong digest %x", sum[:4])
	}
	return nil
}

// ---- cpu/mandelbrot ----

const (
	mandelSize = 32 // pixels per side of one op's tile
	mandelIter = 64
	// mandelRowTicks is the ticks (TickTime) one row of the tile stands
	// for: 3.8µs of Go work (BenchmarkTicks) at the 12.9ns a tick of
	// CPython 2.7 iterating z = z²+c in pure Python (testdata/ticks27.py,
	// mandel), measured side by side on the 2-CPU VM.
	mandelRowTicks = 290
)

type mandelbrotWorkload struct{}

func (mandelbrotWorkload) Name() string         { return "cpu/mandelbrot" }
func (mandelbrotWorkload) Class() results.Class { return results.ClassCPU }
func (mandelbrotWorkload) Params() []string     { return nil } // reads no knob of Params
func (mandelbrotWorkload) Summary() string {
	return "a 32x32 Mandelbrot tile per op: registers only, no memory traffic; the ideal parallel case"
}

func (mandelbrotWorkload) Start(Params) (Instance, error) {
	return &mandelInstance{want: mandelTile(NopEnv{})}, nil
}

// mandelTile counts the points of a fixed tile that stay bounded. The
// count is known after one run, so every op is checked.
func mandelTile(env Env) int {
	inside := 0
	for y := 0; y < mandelSize; y++ {
		ci := -1.0 + 2.0*float64(y)/mandelSize
		for x := 0; x < mandelSize; x++ {
			cr := -1.5 + 2.0*float64(x)/mandelSize
			zr, zi := 0.0, 0.0
			i := 0
			for ; i < mandelIter && zr*zr+zi*zi <= 4; i++ {
				zr, zi = zr*zr-zi*zi+cr, 2*zr*zi+ci
			}
			if i == mandelIter {
				inside++
			}
		}
		env.Check(mandelRowTicks) // a row is at most 32*64 iterations, ~5µs
	}
	return inside
}

type mandelInstance struct {
	nopCloser
	want int
}

func (in *mandelInstance) NewWorker(env Env) (Worker, error) {
	return &mandelWorker{want: in.want, env: env}, nil
}

type mandelWorker struct {
	nopCloser
	want int
	env  Env
}

func (w *mandelWorker) Op() error {
	if got := mandelTile(w.env); got != w.want {
		return fmt.Errorf("cpu/mandelbrot: %d points inside, want %d", got, w.want)
	}
	return nil
}

// ---- cpu/stream ----

const (
	// StreamArrayBytes is the size of each of STREAM's three arrays.
	// 3 x 64 MiB is larger than the last-level cache of any machine this
	// suite targets, so the triad is served from DRAM.
	StreamArrayBytes = 64 << 20
	streamLen        = StreamArrayBytes / 8
	streamChunk      = 64 << 10 // elements per op: 3 x 512 KiB touched
	streamChecks     = 4 << 10  // elements between checks, ~5µs
	// streamCheckTicks is the ticks (TickTime) streamChecks elements of
	// the triad stand for: 11µs of Go work (BenchmarkTicks) at the 8.3ns
	// a tick of CPython 2.7 running a[i] = b[i] + s*c[i] over lists
	// (testdata/ticks27.py, triad), measured side by side on the 2-CPU
	// VM.
	streamCheckTicks = 1300
	streamScalar     = 3.0
)

type streamWorkload struct{}

func (streamWorkload) Name() string         { return "cpu/stream" }
func (streamWorkload) Class() results.Class { return results.ClassMemory }
func (streamWorkload) Params() []string     { return nil } // reads no knob of Params
func (streamWorkload) Summary() string {
	return "STREAM triad a=b+s*c over 3x64 MiB arrays: bound by memory bandwidth, not by cores"
}

func (streamWorkload) Start(Params) (Instance, error) {
	in := &streamInstance{
		a:     make([]float64, streamLen),
		b:     make([]float64, streamLen),
		c:     make([]float64, streamLen),
		locks: make([]sync.Mutex, streamLen/streamChunk),
	}
	for i := range in.b {
		in.b[i] = float64(i % 1000)
		in.c[i] = 1
	}
	return in, nil
}

type streamInstance struct {
	nopCloser
	a, b, c []float64
	// Each chunk of a has one writer at a time: workers claim chunks
	// round-robin and skip one that another worker holds.
	locks  []sync.Mutex
	cursor atomic.Uint64
}

func (in *streamInstance) NewWorker(env Env) (Worker, error) {
	return &streamWorker{in: in, env: env}, nil
}

type streamWorker struct {
	nopCloser
	in  *streamInstance
	env Env
}

func (w *streamWorker) Op() error {
	in := w.in
	n := uint64(len(in.locks))
	var k uint64
	for {
		k = in.cursor.Add(1) % n
		if in.locks[k].TryLock() {
			break
		}
	}
	defer in.locks[k].Unlock()
	lo := int(k) * streamChunk
	a, b, c := in.a[lo:lo+streamChunk], in.b[lo:lo+streamChunk], in.c[lo:lo+streamChunk]
	for j := 0; j < streamChunk; j += streamChecks {
		aa, bb, cc := a[j:j+streamChecks], b[j:j+streamChecks], c[j:j+streamChecks]
		for i := range aa {
			aa[i] = bb[i] + streamScalar*cc[i]
		}
		w.env.Check(streamCheckTicks)
	}
	if want := b[streamChunk-1] + streamScalar*c[streamChunk-1]; a[streamChunk-1] != want {
		return fmt.Errorf("cpu/stream: a[last]=%v, want %v", a[streamChunk-1], want)
	}
	return nil
}

// ---- cpu/alloc ----

const (
	allocDepth = 8 // 511 nodes per tree
	// allocHalfTicks is the ticks (TickTime) one half tree (build 255
	// nodes, walk them) stands for: 11µs of Go work (BenchmarkTicks, the
	// fastest of its runs: the GC adds its own) at the 23.5ns a tick of
	// CPython 2.7 building and walking the same tree of objects
	// (testdata/ticks27.py, tree), measured side by side on the 2-CPU VM.
	allocHalfTicks = 460
)

type allocWorkload struct{}

func (allocWorkload) Name() string         { return "cpu/alloc" }
func (allocWorkload) Class() results.Class { return results.ClassCPU }
func (allocWorkload) Params() []string     { return nil } // reads no knob of Params
func (allocWorkload) Summary() string {
	return "build and walk a 511-node binary tree per op: allocation-heavy, so GC cost shows in the scaling"
}

func (allocWorkload) Start(Params) (Instance, error) { return allocInstance{}, nil }

type allocInstance struct{ nopCloser }

func (allocInstance) NewWorker(env Env) (Worker, error) { return &allocWorker{env: env}, nil }

type allocWorker struct {
	nopCloser
	env Env
}

type treeNode struct {
	left, right *treeNode
	//lint:ignore U1000 never read: it gives each node the size of a small object
	payload [4]int64
}

//go:noinline
func bottomUp(depth int) *treeNode {
	if depth <= 0 {
		return &treeNode{}
	}
	return &treeNode{left: bottomUp(depth - 1), right: bottomUp(depth - 1)}
}

func (t *treeNode) count() int {
	if t.left == nil {
		return 1
	}
	return 1 + t.left.count() + t.right.count()
}

func (w *allocWorker) Op() error {
	const want = 1<<(allocDepth+1) - 1
	// Two half trees with a check between them keep each stretch of
	// work well under 50µs.
	n := 0
	for range 2 {
		n += bottomUp(allocDepth - 1).count()
		w.env.Check(allocHalfTicks)
	}
	if n+1 != want {
		return fmt.Errorf("cpu/alloc: tree of %d nodes, want %d", n+1, want)
	}
	return nil
}
