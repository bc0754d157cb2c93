package workloads

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/parbench/parbench/internal/tempdir"
	"github.com/parbench/parbench/results"
)

func init() {
	Register(sleepWorkload{})
	Register(tcpWorkload{})
	Register(fsyncWorkload{})
}

// ---- io/sleep ----

type sleepWorkload struct{}

func (sleepWorkload) Name() string         { return "io/sleep" }
func (sleepWorkload) Class() results.Class { return results.ClassIO }
func (sleepWorkload) Params() []string     { return []string{ParamIOLatency} }
func (sleepWorkload) Summary() string {
	return "a blocking timer wait per op (--io-latency, default 1ms): concurrency gains with no parallelism at all"
}

func (sleepWorkload) Start(p Params) (Instance, error) { return sleepInstance{d: p.IOLatency}, nil }

type sleepInstance struct {
	nopCloser
	d time.Duration
}

func (in sleepInstance) NewWorker(env Env) (Worker, error) {
	return &sleepWorker{d: in.d, env: env}, nil
}

type sleepWorker struct {
	nopCloser
	d   time.Duration
	env Env
}

func (w *sleepWorker) Op() error {
	w.env.BeginIO()
	time.Sleep(w.d)
	w.env.EndIO()
	return nil
}

// ---- io/tcp ----

// TCPMessage is the bytes sent and echoed per io/tcp op.
const TCPMessage = 64

type tcpWorkload struct{}

func (tcpWorkload) Name() string         { return "io/tcp" }
func (tcpWorkload) Class() results.Class { return results.ClassIO }
func (tcpWorkload) Params() []string     { return []string{ParamServerLatency} }
func (tcpWorkload) Summary() string {
	return "a 64-byte request/response to an echo server on 127.0.0.1 (--server-latency adds a server delay)"
}

func (tcpWorkload) Start(p Params) (Instance, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("io/tcp: start echo server: %w", err)
	}
	s := &echoServer{ln: ln, delay: p.ServerLatency, conns: map[net.Conn]struct{}{}}
	s.wg.Add(1)
	go s.serve()
	return s, nil
}

// echoServer answers each TCPMessage-byte request with the same bytes,
// one goroutine per connection, after an optional delay.
type echoServer struct {
	ln    net.Listener
	delay time.Duration
	wg    sync.WaitGroup
	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

func (s *echoServer) serve() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return // listener closed
		}
		s.mu.Lock()
		s.conns[c] = struct{}{}
		s.mu.Unlock()
		s.wg.Add(1)
		go s.echo(c)
	}
}

func (s *echoServer) echo(c net.Conn) {
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		c.Close()
	}()
	buf := make([]byte, TCPMessage)
	for {
		if _, err := io.ReadFull(c, buf); err != nil {
			return
		}
		if s.delay > 0 {
			time.Sleep(s.delay)
		}
		if _, err := c.Write(buf); err != nil {
			return
		}
	}
}

// Addr is the server's address, for tests.
func (s *echoServer) Addr() net.Addr { return s.ln.Addr() }

func (s *echoServer) NewWorker(env Env) (Worker, error) {
	return s.dial("io/tcp", env)
}

// dial connects a new round-trip worker to the server; name prefixes
// its errors.
func (s *echoServer) dial(name string, env Env) (*tcpWorker, error) {
	c, err := net.Dial("tcp", s.ln.Addr().String())
	if err != nil {
		return nil, fmt.Errorf("%s: dial echo server: %w", name, err)
	}
	w := &tcpWorker{name: name, c: c, env: env, out: make([]byte, TCPMessage), in: make([]byte, TCPMessage)}
	for i := range w.out {
		w.out[i] = byte(i)
	}
	return w, nil
}

// Close stops the listener and every connection, and waits for the
// server's goroutines to end.
func (s *echoServer) Close() error {
	err := s.ln.Close()
	s.mu.Lock()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return err
}

type tcpWorker struct {
	name    string // the workload, for errors
	c       net.Conn
	env     Env
	out, in []byte
	seq     byte
}

func (w *tcpWorker) Op() error {
	w.seq++
	w.out[0] = w.seq
	w.env.BeginIO()
	_, err := w.c.Write(w.out)
	if err == nil {
		_, err = io.ReadFull(w.c, w.in)
	}
	w.env.EndIO()
	if err != nil {
		return fmt.Errorf("%s: round trip: %w", w.name, err)
	}
	if !bytes.Equal(w.in, w.out) {
		return fmt.Errorf("%s: echo differs from request", w.name)
	}
	return nil
}

func (w *tcpWorker) Close() error { return w.c.Close() }

// ---- io/fsync ----

// FsyncBlock is the bytes written before each fsync.
const FsyncBlock = 4 << 10

type fsyncWorkload struct{}

func (fsyncWorkload) Name() string         { return "io/fsync" }
func (fsyncWorkload) Class() results.Class { return results.ClassIO }
func (fsyncWorkload) Params() []string     { return nil } // TempDir is a place, not a knob
func (fsyncWorkload) Summary() string {
	return "write 4 KiB to a file and fsync it: the disk, not the CPU, sets the pace"
}

func (fsyncWorkload) Start(p Params) (Instance, error) {
	dir, err := tempdir.Make(p.TempDir, "parbench-fsync")
	if err != nil {
		return nil, fmt.Errorf("io/fsync: %w", err)
	}
	return &fsyncInstance{dir: dir}, nil
}

type fsyncInstance struct {
	dir string
	mu  sync.Mutex
	n   int
}

func (in *fsyncInstance) NewWorker(env Env) (Worker, error) {
	in.mu.Lock()
	in.n++
	name := filepath.Join(in.dir, fmt.Sprintf("w%d", in.n))
	in.mu.Unlock()
	f, err := os.OpenFile(name, os.O_CREATE|os.O_RDWR|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("io/fsync: %w", err)
	}
	return &fsyncWorker{f: f, env: env, buf: make([]byte, FsyncBlock)}, nil
}

// Close removes the temporary directory and everything in it.
func (in *fsyncInstance) Close() error { return os.RemoveAll(in.dir) }

type fsyncWorker struct {
	f   *os.File
	env Env
	buf []byte
	seq byte
}

func (w *fsyncWorker) Op() error {
	w.seq++
	w.buf[0] = w.seq
	w.env.BeginIO()
	_, err := w.f.WriteAt(w.buf, 0)
	if err == nil {
		err = w.f.Sync()
	}
	w.env.EndIO()
	if err != nil {
		return fmt.Errorf("io/fsync: %w", err)
	}
	return nil
}

func (w *fsyncWorker) Close() error { return w.f.Close() }
