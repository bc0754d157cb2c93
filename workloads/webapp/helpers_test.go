package webapp

import (
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/parbench/parbench/workloads"
)

// testBigRows keeps the report's table small: setup and scans are slow
// under the race detector.
const testBigRows = 500

// backend is a database the tests run against.
type backend struct{ name, dsn string }

// backends is SQLite, plus PostgreSQL when PARBENCH_TEST_POSTGRES holds
// a DSN.
func backends() []backend {
	bs := []backend{{"sqlite", ""}}
	if dsn := os.Getenv("PARBENCH_TEST_POSTGRES"); dsn != "" {
		bs = append(bs, backend{"postgres", dsn})
	}
	return bs
}

func lookup(t testing.TB, name string) workload {
	t.Helper()
	ws, err := workloads.Lookup(name)
	if err != nil || len(ws) != 1 {
		t.Fatalf("Lookup(%q) = %v, %v", name, ws, err)
	}
	return ws[0].(workload)
}

// startT starts a workload for a test and closes it at the end.
func startT(t testing.TB, name string, c config) *instance {
	t.Helper()
	if c.tempDir == "" {
		c.tempDir = t.TempDir()
	}
	if c.bigRows == 0 {
		c.bigRows = testBigRows
	}
	in, err := start(lookup(t, name), c)
	if err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	t.Cleanup(func() {
		if err := in.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return in
}

// sample runs one sample the way the runner does: BeginSample, one
// worker per client, ops ops each, Close the workers, EndSample. It
// returns the figures by unit and the first op error.
func sample(t testing.TB, in *instance, clients, ops int) (map[string]float64, error) {
	t.Helper()
	fds0 := countFDs(t)
	in.BeginSample()
	t0 := time.Now()
	ws := newWorkers(t, in, clients)
	firstErr := runOps(ws, ops)
	for _, w := range ws {
		w.Close()
	}
	m := map[string]float64{}
	for _, x := range in.EndSample(time.Since(t0), int64(clients*ops)) {
		if _, dup := m[x.Unit]; dup {
			t.Errorf("unit %s reported twice", x.Unit)
		}
		m[x.Unit] = x.Value
	}
	// The runner fails a sample that leaves descriptors open, as a
	// database pool that grew during it would.
	for deadline := time.Now().Add(2 * time.Second); countFDs(t) > fds0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Errorf("%d descriptors open after the sample, %d before", countFDs(t), fds0)
			break
		}
	}
	return m, firstErr
}

// newWorkers makes one worker of in per client, as the runner does.
func newWorkers(t testing.TB, in *instance, clients int) []workloads.Worker {
	t.Helper()
	ws := make([]workloads.Worker, clients)
	for i := range ws {
		w, err := in.NewWorker(workloads.NopEnv{})
		if err != nil {
			t.Fatalf("NewWorker: %v", err)
		}
		ws[i] = w
	}
	return ws
}

// runOps runs ops ops on each worker at once, a worker stopping at its
// first error, and returns the first worker's error, in order of ws.
func runOps(ws []workloads.Worker, ops int) error {
	var wg sync.WaitGroup
	errs := make([]error, len(ws))
	for i, w := range ws {
		wg.Go(func() {
			for range ops {
				if err := w.Op(); err != nil {
					errs[i] = err
					return
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// countFDs is the number of descriptors this process has open.
func countFDs(t testing.TB) int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	return len(ents)
}

func mustSample(t testing.TB, in *instance, clients, ops int) map[string]float64 {
	t.Helper()
	m, err := sample(t, in, clients, ops)
	if err != nil {
		t.Fatalf("op failed: %v", err)
	}
	return m
}

func metric(t testing.TB, m map[string]float64, unit string) float64 {
	t.Helper()
	v, ok := m[unit]
	if !ok {
		t.Fatalf("no %s in %v", unit, fmt.Sprint(m))
	}
	return v
}
