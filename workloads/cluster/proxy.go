package cluster

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
)

// The fault proxy runs in the parent, in front of every node: a node
// never dials a peer directly but through the proxy of that directed
// link, and a client through the proxy of its node, so that the parent
// can cut the network between any two nodes without touching them.
//
// A cut link blackholes: what arrives on its open connections is read
// and dropped (the connections stay open, as behind a switch that
// died, so a node learns of the cut only by its timeouts), and a
// connection it accepts is held open without a target. Heal closes
// those connections, so that the nodes redial, and forwards again. A
// blackholed connection whose dialer hangs up is closed and forgotten
// at once: nodes redial a cut link again and again (ap pushes, Raft's
// RPCs), and holding each dead connection to the heal would pile up
// descriptors.

// linkKind is which listener of the target node a link leads to.
type linkKind int

const (
	raftLink linkKind = iota // Raft's transport
	apiLink                  // the HTTP API (forwarded requests, ap sync, clients)
)

func (k linkKind) String() string {
	if k == raftLink {
		return "raft"
	}
	return "api"
}

// link is the proxy of one directed link: a listener whose connections
// it forwards to target while the link is whole.
type link struct {
	name   string // "0->2 raft", for errors
	ln     net.Listener
	target string
	cut    atomic.Bool

	mu     sync.Mutex
	conns  map[*proxyConn]struct{}
	closed bool
	wg     sync.WaitGroup // the accept loop and every connection's pumps
}

// proxyConn is one connection through a link: the accepted one and
// the one to the target (nil for one accepted while the link was cut).
type proxyConn struct {
	in, out net.Conn
	hole    atomic.Bool // blackholed: drop what arrives; closed at heal
}

func (c *proxyConn) close() {
	c.in.Close()
	if c.out != nil {
		c.out.Close()
	}
}

// newLink listens on a loopback port and forwards to target.
func newLink(name, target string) (*link, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("proxy of link %s: %w", name, err)
	}
	l := &link{name: name, ln: ln, target: target, conns: map[*proxyConn]struct{}{}}
	l.wg.Add(1)
	go l.accept()
	return l, nil
}

// addr is where to dial to go through the link.
func (l *link) addr() string { return l.ln.Addr().String() }

func (l *link) accept() {
	defer l.wg.Done()
	for {
		in, err := l.ln.Accept()
		if err != nil {
			return // closed
		}
		c := &proxyConn{in: in}
		if !l.cut.Load() {
			if c.out, err = net.Dial("tcp", l.target); err != nil {
				in.Close() // the node is gone: as a closed port
				continue
			}
		}
		l.mu.Lock()
		if l.closed {
			l.mu.Unlock()
			c.close()
			return
		}
		// Checked again under the lock that cut takes: a connection
		// accepted as the link was cut is blackholed too.
		if l.cut.Load() {
			c.hole.Store(true)
		}
		l.conns[c] = struct{}{}
		l.wg.Add(2)
		l.mu.Unlock()
		go l.pump(c, c.out, c.in, true)
		go l.pump(c, c.in, c.out, false)
	}
}

// pump copies src to dst until either ends, dropping what it reads
// while the connection is blackholed. src nil (the target of a
// connection accepted while cut) ends at once; dst nil drops all.
// fromDialer says src is the accepted end, the side that dialed.
func (l *link) pump(c *proxyConn, dst, src net.Conn, fromDialer bool) {
	defer l.wg.Done()
	defer l.forget(c, fromDialer)
	if src == nil {
		return
	}
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && !c.hole.Load() && dst != nil {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// forget closes c once one of its pumps ends. Of a blackholed
// connection, the end of the target's side (or of its absent target)
// keeps the dialer's end open, as a dead network would, until heal or
// close; the dialer's hanging up closes and forgets it: nobody is left
// to hold it open for.
func (l *link) forget(c *proxyConn, fromDialer bool) {
	if c.hole.Load() && !fromDialer {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	c.close()
	delete(l.conns, c)
}

// setCut cuts (blackholes) the link.
func (l *link) setCut() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.cut.Store(true)
	for c := range l.conns {
		c.hole.Store(true)
	}
}

// heal closes the blackholed connections, so that their ends redial,
// and forwards new ones again.
func (l *link) heal() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.cut.Store(false)
	for c := range l.conns {
		if c.hole.Load() {
			c.close()
			delete(l.conns, c)
		}
	}
}

// close stops the link: its listener and every connection.
func (l *link) close() {
	l.ln.Close()
	l.mu.Lock()
	l.closed = true
	for c := range l.conns {
		c.close()
		delete(l.conns, c)
	}
	l.mu.Unlock()
	l.wg.Wait()
}

// faultNet is the proxies of a cluster of n nodes: for each i != j a
// raft and an api link i->j, and for each node k a client link to k's
// api.
type faultNet struct {
	n      int
	links  map[linkID]*link
	client []*link
}

// linkID names a directed link between two nodes.
type linkID struct {
	from, to int
	kind     linkKind
}

// newFaultNet starts the proxies in front of the nodes whose raft and
// api listeners are at raftAddrs[k] and apiAddrs[k].
func newFaultNet(raftAddrs, apiAddrs []string) (_ *faultNet, err error) {
	n := len(apiAddrs)
	f := &faultNet{n: n, links: map[linkID]*link{}}
	defer func() {
		if err != nil {
			f.close()
		}
	}()
	for i := range n {
		for j := range n {
			if i == j {
				continue
			}
			for kind, targets := range [][]string{raftAddrs, apiAddrs} {
				id := linkID{i, j, linkKind(kind)}
				l, err := newLink(fmt.Sprintf("%d->%d %v", i, j, id.kind), targets[j])
				if err != nil {
					return nil, err
				}
				f.links[id] = l
			}
		}
		l, err := newLink(fmt.Sprintf("client->%d api", i), apiAddrs[i])
		if err != nil {
			return nil, err
		}
		f.client = append(f.client, l)
	}
	return f, nil
}

// peers returns, for each node i, the addresses it dials to reach
// each node j (nodeConfig.Peers); its own entry is empty.
func (f *faultNet) peers() [][]peerAddr {
	ps := make([][]peerAddr, f.n)
	for i := range ps {
		ps[i] = make([]peerAddr, f.n)
		for j := range ps[i] {
			if i != j {
				ps[i][j] = peerAddr{Raft: f.links[linkID{i, j, raftLink}].addr(), API: f.links[linkID{i, j, apiLink}].addr()}
			}
		}
	}
	return ps
}

// clientAddr is where a client of node k dials.
func (f *faultNet) clientAddr(k int) string { return f.client[k].addr() }

// cut blackholes both directions of every link between nodes i and j.
// Clients' links are never cut.
func (f *faultNet) cut(i, j int) error {
	if i == j || i < 0 || j < 0 || i >= f.n || j >= f.n {
		return fmt.Errorf("cut %d-%d: want two different nodes of 0 to %d", i, j, f.n-1)
	}
	for _, k := range []linkKind{raftLink, apiLink} {
		f.links[linkID{i, j, k}].setCut()
		f.links[linkID{j, i, k}].setCut()
	}
	return nil
}

// partition cuts every pair of nodes of which side holds one.
func (f *faultNet) partition(side map[int]bool) error {
	var errs []error
	for i := range f.n {
		for j := i + 1; j < f.n; j++ {
			if side[i] != side[j] {
				errs = append(errs, f.cut(i, j))
			}
		}
	}
	return errors.Join(errs...)
}

// cutClients blackholes the client links of the nodes of side (a
// crashed node's, --faults crash; --partition never cuts them).
func (f *faultNet) cutClients(side map[int]bool) {
	for k := range side {
		f.client[k].setCut()
	}
}

// healAll heals every link, the clients' too.
func (f *faultNet) healAll() {
	for _, l := range f.links {
		l.heal()
	}
	for _, l := range f.client {
		l.heal()
	}
}

// close stops every proxy.
func (f *faultNet) close() {
	for _, l := range f.links {
		l.close()
	}
	for _, l := range f.client {
		l.close()
	}
}
