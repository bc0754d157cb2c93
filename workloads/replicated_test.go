package workloads

import (
	"errors"
	"slices"
	"testing"
)

// fakeReplicated is a Replicated that is never started: what Lookup
// looks for.
type fakeReplicated struct{ name string }

func (f fakeReplicated) Name() string                       { return f.name }
func (fakeReplicated) Summary() string                      { return "fake" }
func (fakeReplicated) Consistencies() []string              { return []string{ConsistencyCP, ConsistencyAP} }
func (fakeReplicated) Start(Params) (Instance, error)       { return nil, errors.New("use a consistency") }
func (fakeReplicated) CheckReplicated(Params, string) error { return nil }
func (fakeReplicated) StartReplicated(Params, string) (Instance, error) {
	return nil, errors.New("never started")
}

// TestLookupAllLeavesOutReplicated checks that "all" is every workload
// but the replicated ones, which run only where named, by name or by
// family, and that All is still the whole registry.
func TestLookupAllLeavesOutReplicated(t *testing.T) {
	const name = "testrepl/counter"
	Register(fakeReplicated{name})
	defer delete(registry, name) // the other tests run every registered workload
	names := func(ws []Workload) []string {
		var ns []string
		for _, w := range ws {
			ns = append(ns, w.Name())
		}
		return ns
	}
	all, err := Lookup("all")
	if err != nil {
		t.Fatal(err)
	}
	if got := names(all); slices.Contains(got, name) || !slices.Contains(got, "cpu/sha256") {
		t.Errorf(`Lookup("all") = %v, want every workload but %s`, got, name)
	}
	if !slices.Contains(names(All()), name) {
		t.Errorf("All() = %v, want the whole registry, %s too", names(All()), name)
	}
	for _, pattern := range []string{name, "testrepl", "testrepl/*"} {
		if ws, err := Lookup(pattern); err != nil || !slices.Equal(names(ws), []string{name}) {
			t.Errorf("Lookup(%q) = %v, %v; want %s", pattern, names(ws), err, name)
		}
	}
}
