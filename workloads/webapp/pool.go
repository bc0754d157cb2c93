package webapp

import (
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"time"

	"github.com/parbench/parbench/internal/procs"
)

// servicePool is a served instance's service processes: parbench's own
// (ownPool, package procs' service mode) or copies of an external
// command (extPool, --server-cmd). Begin and End bracket a sample
// (GOMAXPROCS for the sample, then its figures); Close ends the
// processes, Abort kills them.
type servicePool interface {
	PIDs() []int
	Begin(procs int) error
	End(wall time.Duration) (procs.ServiceStats, error)
	Close() error
	Abort()
}

// ownPool is parbench's own service processes, and the port they
// listen on held by this process until Close (see listening).
type ownPool struct {
	*procs.ServicePool
	ls *listening
}

func (p *ownPool) Close() error {
	err := p.ServicePool.Close()
	return errors.Join(err, p.ls.close())
}

func (p *ownPool) Abort() {
	p.ServicePool.Abort()
	p.ls.close()
}

// listening is where a served instance's processes accept connections.
//
// On Linux (reusePort) each process opens its own listening socket on
// one address with SO_REUSEPORT, as gunicorn --reuse-port and nginx's
// reuseport do, and the kernel spreads new connections over the
// processes by a hash of each connection's ports: with W processes
// and 16 clients, the chance that one process gets all 16 connections
// is W^-15 (2^-15 for W = 2, less for more processes). This
// process holds the port from before the processes start until Close
// with a socket that is bound with SO_REUSEPORT and does not listen:
// a listening one would take its share of the connections and never
// accept them. (One shared listening socket, inherited by every
// process, lets the processes race to accept: Go's netpoller drains the
// queue in one process's accept loop, and in 5 of 16 samples one
// process accepted all 16 keep-alive connections.)
//
// Elsewhere the processes share one listening socket made here, each
// inheriting its descriptor (shared), and this process closes its copy
// once they have theirs.
type listening struct {
	addr    string
	mu      sync.Mutex // Abort may close it beside Close
	reserve *os.File   // Linux: the bound, non-listening socket that holds the port
	shared  *os.File   // elsewhere: the listening socket, to pass to the processes
}

// listen makes the instance's listening place on 127.0.0.1.
func listen() (*listening, error) {
	if reusePort {
		addr, f, err := reservePort()
		if err != nil {
			return nil, err
		}
		return &listening{addr: addr, reserve: f}, nil
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("webapp: listen: %w", err)
	}
	addr := ln.Addr().String()
	// The processes inherit a copy of the descriptor; the listener's
	// own closes now, and the copy here once they have theirs.
	f, err := ln.(*net.TCPListener).File()
	ln.Close()
	if err != nil {
		return nil, fmt.Errorf("webapp: listener's descriptor: %w", err)
	}
	return &listening{addr: addr, shared: f}, nil
}

// files is what the processes inherit: the shared socket, or nothing.
func (l *listening) files() []*os.File {
	if l.shared == nil {
		return nil
	}
	return []*os.File{l.shared}
}

// started drops this process's copy of the shared socket, once the
// processes have theirs.
func (l *listening) started() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.shared != nil {
		l.shared.Close()
		l.shared = nil
	}
}

// close releases the reserved port (and a shared socket not yet
// passed on). It may be called more than once.
func (l *listening) close() error {
	l.started()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.reserve == nil {
		return nil
	}
	err := l.reserve.Close()
	l.reserve = nil
	return err
}
