package cluster

import (
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// echoServer echoes every connection until it closes.
func echoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				io.Copy(c, c)
			}()
		}
	}()
	return ln.Addr().String()
}

// roundTrip writes a message to c and reads it back within wait: the
// error is a timeout when nothing came back.
func roundTrip(c net.Conn, wait time.Duration) error {
	msg := []byte("ping")
	c.SetDeadline(time.Now().Add(wait))
	if _, err := c.Write(msg); err != nil {
		return err
	}
	buf := make([]byte, len(msg))
	if _, err := io.ReadFull(c, buf); err != nil {
		return err
	}
	if string(buf) != string(msg) {
		return errors.New("echoed " + string(buf))
	}
	return nil
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestProxyCutHeal: a connection through a cut link gets nothing back
// and stays open, old or new; the links of other pairs and the
// clients' are not cut; after the heal the old connections are closed
// and a new one works.
func TestProxyCutHeal(t *testing.T) {
	const n = 3
	var raftAddrs, apiAddrs []string
	for range n {
		raftAddrs = append(raftAddrs, echoServer(t))
		apiAddrs = append(apiAddrs, echoServer(t))
	}
	f, err := newFaultNet(raftAddrs, apiAddrs)
	if err != nil {
		t.Fatal(err)
	}
	defer f.close()
	peers := f.peers()
	const ok, wait = 5 * time.Second, 200 * time.Millisecond

	old := dial(t, peers[0][1].Raft)
	if err := roundTrip(old, ok); err != nil {
		t.Fatalf("through link 0->1 raft before the cut: %v", err)
	}
	if err := f.cut(0, 1); err != nil {
		t.Fatal(err)
	}
	for name, addr := range map[string]string{"0->1 raft": peers[0][1].Raft, "1->0 api": peers[1][0].API} {
		c := dial(t, addr)
		if err := roundTrip(c, wait); !os.IsTimeout(err) {
			t.Errorf("a new connection through cut link %s: %v, want a timeout", name, err)
		}
	}
	if err := roundTrip(old, wait); !os.IsTimeout(err) {
		t.Errorf("an open connection through the cut link: %v, want a timeout (held open, nothing forwarded)", err)
	}
	for name, addr := range map[string]string{"0->2 api": peers[0][2].API, "2->1 raft": peers[2][1].Raft, "client->1": f.clientAddr(1)} {
		if err := roundTrip(dial(t, addr), ok); err != nil {
			t.Errorf("link %s, not cut: %v", name, err)
		}
	}

	f.healAll()
	old.SetDeadline(time.Now().Add(ok))
	if _, err := old.Read(make([]byte, 1)); err == nil || os.IsTimeout(err) {
		t.Errorf("a connection blackholed before the heal: read %v, want it closed", err)
	}
	if err := roundTrip(dial(t, peers[0][1].Raft), ok); err != nil {
		t.Errorf("a new connection after the heal: %v", err)
	}
	if err := f.cut(1, 1); err == nil {
		t.Error("cut(1, 1) succeeded")
	}
}

// TestSides: which nodes each partition cuts off.
func TestSides(t *testing.T) {
	tests := []struct {
		partition string
		n, leader int
		want      []int
	}{
		{"minority", 3, 0, []int{2}},
		{"minority", 3, 2, []int{1}},
		{"minority", 5, 4, []int{2, 3}},
		{"minority", 5, -1, []int{3, 4}},
		{"minority", 2, 0, nil},
		{"halves", 5, 0, []int{3, 4}},
		{"halves", 4, 0, []int{2, 3}},
		{"isolate-leader", 5, 3, []int{3}},
		{"isolate-leader", 3, -1, []int{0}},
		{"isolate-leader", 1, 0, nil},
	}
	for _, tt := range tests {
		got := sides(tt.partition, tt.n, tt.leader)
		want := map[int]bool{}
		for _, k := range tt.want {
			want[k] = true
		}
		if len(got) != len(want) {
			t.Errorf("sides(%s, %d, leader %d) = %v, want %v", tt.partition, tt.n, tt.leader, got, tt.want)
			continue
		}
		for k := range want {
			if !got[k] {
				t.Errorf("sides(%s, %d, leader %d) = %v, want %v", tt.partition, tt.n, tt.leader, got, tt.want)
			}
		}
	}
}

// openConns is how many connections l holds.
func openConns(l *link) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.conns)
}

// TestProxyHangUpWhileCut: connections through a cut link, accepted
// before the cut or while it lasts, are closed and forgotten once
// their dialer hangs up, so that redials do not pile up; a dialer's
// held connection stays open while the dialer keeps it.
func TestProxyHangUpWhileCut(t *testing.T) {
	f, err := newFaultNet([]string{echoServer(t), echoServer(t)}, []string{echoServer(t), echoServer(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer f.close()
	addr := f.peers()[0][1].Raft
	l := f.links[linkID{0, 1, raftLink}]
	old := dial(t, addr)
	if err := roundTrip(old, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	kept := dial(t, addr)
	if err := roundTrip(kept, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := f.cut(0, 1); err != nil {
		t.Fatal(err)
	}
	conns := []net.Conn{old}
	for range 5 {
		conns = append(conns, dial(t, addr))
	}
	until(t, "7 connections held", func() bool { return openConns(l) == 7 })
	for _, c := range conns {
		c.Close()
	}
	until(t, "the 6 hung up forgotten", func() bool { return openConns(l) == 1 })
	if err := roundTrip(kept, 200*time.Millisecond); !os.IsTimeout(err) {
		t.Errorf("the connection kept by its dialer: %v, want a timeout (held open, nothing forwarded)", err)
	}
}
