//go:build !linux

package webapp

import (
	"errors"
	"net"
	"os"
)

// reusePort is false outside Linux: the service processes share one
// listening socket that they inherit (see listening). (macOS's
// SO_REUSEPORT lets several sockets bind one port but does not spread
// the connections over them as Linux's does; FreeBSD's SO_REUSEPORT_LB
// would, and is not used.)
const reusePort = false

var errNoReusePort = errors.New("webapp: SO_REUSEPORT listening is Linux's")

func reservePort() (string, *os.File, error)       { return "", nil, errNoReusePort }
func listenReusePort(string) (net.Listener, error) { return nil, errNoReusePort }
