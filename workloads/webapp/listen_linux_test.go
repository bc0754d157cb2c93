package webapp

import (
	"errors"
	"net"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestReservedPort: the reserved port takes no connection while only
// the reservation holds it (bound, not listening: a dial is refused),
// two listeners join it with SO_REUSEPORT and share new connections,
// and another program's plain bind is refused while it is held.
func TestReservedPort(t *testing.T) {
	ls, err := listen()
	if err != nil {
		t.Fatal(err)
	}
	defer ls.close()
	if ls.reserve == nil || ls.files() != nil {
		t.Fatalf("listening on Linux: want a reserved port and no shared socket, got %+v", ls)
	}
	if c, err := net.DialTimeout("tcp", ls.addr, time.Second); !errors.Is(err, syscall.ECONNREFUSED) {
		if c != nil {
			c.Close()
		}
		t.Fatalf("dial of the reserved port with no listener: %v, want connection refused", err)
	}
	if ln, err := net.Listen("tcp", ls.addr); err == nil {
		ln.Close()
		t.Errorf("a plain listen on the reserved port %s succeeded", ls.addr)
	}
	var lns [2]net.Listener
	var accepted [2]int
	var wg sync.WaitGroup
	var mu sync.Mutex
	for i := range lns {
		if lns[i], err = listenReusePort(ls.addr); err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			for {
				c, err := lns[i].Accept()
				if err != nil {
					return
				}
				mu.Lock()
				accepted[i]++
				mu.Unlock()
				c.Close()
			}
		})
	}
	const conns = 32
	for range conns {
		c, err := net.DialTimeout("tcp", ls.addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		c.Read(make([]byte, 1)) // until the listener closes it
		c.Close()
	}
	for _, ln := range lns {
		ln.Close()
	}
	wg.Wait()
	t.Logf("accepted %v", accepted)
	// Each of 32 connections is hashed to one of the two: both get some
	// but with chance 2^-31.
	if accepted[0]+accepted[1] != conns || accepted[0] == 0 || accepted[1] == 0 {
		t.Errorf("the two listeners accepted %v of %d connections, want all, spread over both", accepted, conns)
	}
}
