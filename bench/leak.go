package bench

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// resources is what a sample must give back: goroutines and open file
// descriptors (listeners, connections and files are all descriptors).
type resources struct {
	goroutines int
	fds        map[string]string // fd number -> what it is; nil where /proc/self/fd is missing
}

func takeResources() resources {
	return resources{goroutines: runtime.NumGoroutine(), fds: openFDs()}
}

// openFDs lists this process's open descriptors with their targets.
func openFDs() map[string]string {
	d, err := os.Open("/proc/self/fd")
	if err != nil {
		return nil
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return nil
	}
	fds := make(map[string]string, len(names))
	for _, n := range names {
		target, err := os.Readlink("/proc/self/fd/" + n)
		if err != nil {
			continue // the directory's own descriptor, closed by now
		}
		fds[n] = target
	}
	return fds
}

// leakSettle is how long checkLeaks waits for goroutines and descriptors
// to go: a server's connection goroutine ends a moment after its client
// closes, and that is not a leak.
const leakSettle = 2 * time.Second

// checkLeaks waits until the process holds no more goroutines and
// descriptors than before, and returns a *LeakError naming workload if
// it still does after leakSettle.
func checkLeaks(before resources, workload string) error {
	deadline := time.Now().Add(leakSettle)
	wait := 100 * time.Microsecond
	for {
		now := takeResources()
		extraG := now.goroutines - before.goroutines
		extraF := 0
		if before.fds != nil && now.fds != nil {
			extraF = len(now.fds) - len(before.fds)
		}
		if extraG <= 0 && extraF <= 0 {
			return nil
		}
		if time.Now().After(deadline) {
			e := &LeakError{Workload: workload, Goroutines: max(extraG, 0), Files: max(extraF, 0)}
			if extraF > 0 {
				e.Details = describeNew(before.fds, now.fds)
			}
			return e
		}
		time.Sleep(wait)
		wait = min(2*wait, 50*time.Millisecond)
	}
}

// describeNew says what each descriptor in now but not in before is,
// naming listeners by their address.
func describeNew(before, now map[string]string) []string {
	listening := listeningSockets()
	var out []string
	for fd, target := range now {
		if before[fd] == target {
			continue
		}
		what := target
		if inode, ok := strings.CutPrefix(target, "socket:["); ok {
			inode = strings.TrimSuffix(inode, "]")
			if addr, ok := listening[inode]; ok {
				what = "listener on " + addr
			} else {
				what = "socket " + target
			}
		}
		out = append(out, "fd "+fd+": "+what)
		if len(out) == 8 {
			out = append(out, "...")
			break
		}
	}
	return out
}

// listeningSockets maps the inode of each listening TCP socket to its
// local address, from /proc/net/tcp and tcp6.
func listeningSockets() map[string]string {
	m := map[string]string{}
	for _, p := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		f, err := os.Open(p)
		if err != nil {
			continue
		}
		s := bufio.NewScanner(f)
		for s.Scan() {
			// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
			fs := strings.Fields(s.Text())
			if len(fs) < 10 || fs[3] != "0A" {
				continue
			}
			m[fs[9]] = hexAddr(fs[1])
		}
		f.Close()
	}
	return m
}

// hexAddr turns /proc/net/tcp's "0100007F:1F90" into "127.0.0.1:8080"
// (IPv4; other addresses keep their hex form).
func hexAddr(s string) string {
	ip, port, ok := strings.Cut(s, ":")
	p, err := strconv.ParseUint(port, 16, 16)
	if !ok || err != nil {
		return s
	}
	if len(ip) == 8 {
		v, err := strconv.ParseUint(ip, 16, 32)
		if err == nil {
			return fmt.Sprintf("%d.%d.%d.%d:%d", v&0xff, v>>8&0xff, v>>16&0xff, v>>24, p)
		}
	}
	return fmt.Sprintf("[%s]:%d", ip, p)
}
