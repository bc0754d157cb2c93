package bench_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/parbench/parbench/bench"
	"github.com/parbench/parbench/results"
	"github.com/parbench/parbench/workloads"
)

// TestFileConfigQuorum checks the write-quorum and read-quorum lines:
// written only by a sweep that runs the quorum design, with the W and R
// in effect (a majority of the replicas where 0).
func TestFileConfigQuorum(t *testing.T) {
	get := func(c bench.Config) map[string]string {
		m := map[string]string{}
		for _, kv := range c.FileConfig(time.Unix(0, 0)) {
			if kv.Key == results.KeyWriteQuorum || kv.Key == results.KeyReadQuorum {
				m[kv.Key] = kv.Value
			}
		}
		return m
	}
	c := bench.DefaultConfig()
	c.Workloads = []workloads.Workload{replicatedStub{}}
	if got := get(c); len(got) != 0 {
		t.Errorf("a sweep of cp and ap writes %v", got)
	}
	for _, tc := range []struct {
		replicas, w, r int
		want           map[string]string
	}{
		{3, 0, 0, map[string]string{results.KeyWriteQuorum: "2", results.KeyReadQuorum: "2"}},
		{5, 0, 1, map[string]string{results.KeyWriteQuorum: "3", results.KeyReadQuorum: "1"}},
		{5, 4, 2, map[string]string{results.KeyWriteQuorum: "4", results.KeyReadQuorum: "2"}},
	} {
		c.Consistency = []string{workloads.ConsistencyQuorum}
		c.Params.Replicas, c.Params.WriteQuorum, c.Params.ReadQuorum = tc.replicas, tc.w, tc.r
		if got := get(c); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("N=%d W=%d R=%d: the file says %v, want %v", tc.replicas, tc.w, tc.r, got, tc.want)
		}
	}
}
