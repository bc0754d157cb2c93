package procs

import (
	"fmt"
	"net"
	"os"
	"testing"
)

// serviceParentEnv makes this test binary a parent of two test services
// in a sample: it prints their pids and waits to be killed.
const serviceParentEnv = "PROCS_TEST_SERVICE_PARENT"

func init() {
	if os.Getenv(serviceParentEnv) == "" || IsWorker() {
		return
	}
	p, err := func() (*ServicePool, error) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		f, err := ln.(*net.TCPListener).File()
		if err != nil {
			return nil, err
		}
		p, err := StartServices(2, testSpec(testConfig{Threads: 2}), []*os.File{f}, DefaultOptions())
		if err != nil {
			return nil, err
		}
		return p, p.Begin(1) // their threads are busy
	}()
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	printPIDsAndWait(p.PIDs())
}

// TestServicesDieWithParent kills a parent with kill -9 in a sample:
// within 2s none of its service processes is left. (They have two ways
// out: the parent-death signal, and the end of their stdin.)
func TestServicesDieWithParent(t *testing.T) {
	childrenDieWithParent(t, serviceParentEnv, "service")
}
