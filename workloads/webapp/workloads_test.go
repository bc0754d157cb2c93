package webapp

import (
	"testing"

	"github.com/parbench/parbench/workloads"
)

// TestGoroutinesOnly checks that every webapp workload says it cannot
// run in a worker process, which is how the runner refuses it under
// --exec processes (its error quotes the reason).
func TestGoroutinesOnly(t *testing.T) {
	ws, err := workloads.Lookup("webapp")
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range ws {
		g, ok := w.(workloads.GoroutinesOnly)
		if !ok {
			t.Errorf("%s is not a workloads.GoroutinesOnly: --exec processes would run it in a worker process", w.Name())
			continue
		}
		if got, want := g.GoroutinesOnly(), "its server and database live in one process"; got != want {
			t.Errorf("%s: reason %q, want %q", w.Name(), got, want)
		}
	}
}
