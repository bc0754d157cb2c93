package webapp

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// proxy is a fault-injecting TCP proxy on loopback. Each chunk it reads
// (one Read from either side) is reset with probability Reset, dropped
// with probability Drop (both sides closed, as when a peer or a middlebox
// gives up), or else forwarded after Latency plus up to Jitter. A chunk
// from the service is a response the database already committed, so a
// fault there is the case idempotency keys exist for.
type proxy struct {
	ln     net.Listener
	target string
	f      Faults
	quit   chan struct{}
	wg     sync.WaitGroup
	nconn  atomic.Uint64 // connections accepted, for the random streams
	nopen  atomic.Int64  // connections not yet finished

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool

	chunks, drops, resets atomic.Int64
}

// proxyStats are the proxy's counts since it started.
type proxyStats struct{ Chunks, Drops, Resets int64 }

func startProxy(target string, f Faults) (*proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("webapp: proxy: %w", err)
	}
	p := &proxy{ln: ln, target: target, f: f, quit: make(chan struct{}), conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.serve()
	return p, nil
}

func (p *proxy) addr() string { return p.ln.Addr().String() }

func (p *proxy) stats() proxyStats {
	return proxyStats{Chunks: p.chunks.Load(), Drops: p.drops.Load(), Resets: p.resets.Load()}
}

// open is the number of client connections not yet finished.
func (p *proxy) open() int64 { return p.nopen.Load() }

func (p *proxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return // listener closed
		}
		p.nopen.Add(1)
		if !p.track(c) {
			p.nopen.Add(-1)
			return
		}
		p.wg.Add(1)
		go p.relay(c, p.nconn.Add(1))
	}
}

// track registers c so that close can end it; false once closing.
func (p *proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		c.Close()
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *proxy) untrack(cs ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range cs {
		delete(p.conns, c)
	}
}

// relay joins client c to a new connection to the service.
func (p *proxy) relay(c net.Conn, n uint64) {
	defer p.wg.Done()
	defer p.nopen.Add(-1)
	s, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		c.Close()
		p.untrack(c)
		return
	}
	if !p.track(s) {
		c.Close()
		p.untrack(c)
		return
	}
	var once sync.Once
	end := func(reset bool) {
		once.Do(func() {
			if reset {
				for _, x := range []net.Conn{c, s} {
					if tc, ok := x.(*net.TCPConn); ok {
						tc.SetLinger(0) // Close sends RST
					}
				}
			}
			c.Close()
			s.Close()
		})
	}
	var pumps sync.WaitGroup
	pumps.Add(2)
	go func() {
		defer pumps.Done()
		p.pump(s, c, rand.New(rand.NewPCG(p.f.Seed, 2*n)), end)
	}()
	go func() {
		defer pumps.Done()
		p.pump(c, s, rand.New(rand.NewPCG(p.f.Seed, 2*n+1)), end)
	}()
	pumps.Wait()
	end(false)
	p.untrack(c, s)
}

// pump copies src to dst chunk by chunk, injecting faults.
func (p *proxy) pump(dst, src net.Conn, rng *rand.Rand, end func(reset bool)) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.chunks.Add(1)
			u := rng.Float64()
			switch {
			case u < p.f.Reset:
				p.resets.Add(1)
				end(true)
				return
			case u < p.f.Reset+p.f.Drop:
				p.drops.Add(1)
				end(false)
				return
			}
			d := p.f.Latency
			if p.f.Jitter > 0 {
				d += rand.N(p.f.Jitter)
			}
			if d > 0 {
				t := time.NewTimer(d)
				select {
				case <-t.C:
				case <-p.quit:
					t.Stop()
					end(false)
					return
				}
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				end(false)
				return
			}
		}
		if err != nil {
			end(false)
			return
		}
	}
}

// close stops accepting, ends every connection and waits for the relays.
func (p *proxy) close() error {
	err := p.ln.Close()
	p.mu.Lock()
	p.closed = true
	close(p.quit)
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}
