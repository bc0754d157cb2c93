package webapp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// reusePort is true where each service process listens on the one
// address itself, with SO_REUSEPORT (see listening).
const reusePort = true

// reservePort binds a TCP socket to 127.0.0.1 on a port the kernel
// picks, with SO_REUSEPORT, and does not listen on it: the port stays
// this process's (no other program can bind it without SO_REUSEPORT and
// this user) while the service processes listen on it beside it. A
// socket that only is bound is in no listening group, so the kernel
// hands it no connection. It returns the address and the socket.
func reservePort() (addr string, f *os.File, err error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return "", nil, fmt.Errorf("webapp: reserving a port: socket: %w", err)
	}
	f = os.NewFile(uintptr(fd), "webapp: reserved port")
	defer func() {
		if err != nil {
			f.Close()
		}
	}()
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEPORT, 1); err != nil {
		return "", nil, fmt.Errorf("webapp: reserving a port: SO_REUSEPORT: %w", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		return "", nil, fmt.Errorf("webapp: reserving a port: bind: %w", err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return "", nil, fmt.Errorf("webapp: reserving a port: %w", err)
	}
	in4, ok := sa.(*unix.SockaddrInet4)
	if !ok {
		return "", nil, errors.New("webapp: reserving a port: not an IPv4 address")
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(in4.Port)), f, nil
}

// listenReusePort listens on addr with SO_REUSEPORT, one listening
// socket of the address's group: the kernel spreads new connections
// over the group's listening sockets by a hash of each connection's
// addresses and ports.
func listenReusePort(addr string) (net.Listener, error) {
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		if err := c.Control(func(fd uintptr) {
			serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1)
		}); err != nil {
			return err
		}
		return serr
	}}
	return lc.Listen(context.Background(), "tcp4", addr)
}
