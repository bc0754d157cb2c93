package results

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestNameRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		p    Point
		name string
	}{
		{Point{Workload: "cpu/sha256", Lock: "none", Goroutines: 8, Procs: 2}, "CPU/sha256/lock=none/goroutines=8-2"},
		{Point{Workload: "io/sleep", Lock: "gil", Goroutines: 1024, Procs: 1}, "IO/sleep/lock=gil/goroutines=1024-1"},
		{Point{Workload: "mixed", Lock: "none", Goroutines: 4, Procs: 16}, "Mixed/lock=none/goroutines=4-16"},
		{Point{Workload: "webapp/update-naive", Lock: "none", Goroutines: 64, Procs: 2}, "Webapp/update-naive/lock=none/goroutines=64-2"},
		{Point{Workload: "cpu/sha256", Lock: "gil", Extra: []KV{{"exec", "processes"}}, Goroutines: 2, Procs: 2},
			"CPU/sha256/lock=gil/exec=processes/goroutines=2-2"},
	} {
		if got := tc.p.Name(); got != tc.name {
			t.Errorf("%+v.Name() = %q, want %q", tc.p, got, tc.name)
		}
		back, err := ParseName(tc.name)
		if err != nil {
			t.Errorf("ParseName(%q): %v", tc.name, err)
			continue
		}
		if !reflect.DeepEqual(back, tc.p) {
			t.Errorf("ParseName(%q) = %+v, want %+v", tc.name, back, tc.p)
		}
	}
}

// TestParseGoTestNames checks names from plain `go test -bench` output.
func TestParseGoTestNames(t *testing.T) {
	for name, want := range map[string]Point{
		"CPU/sha256-2":          {Workload: "cpu/sha256", Procs: 2},
		"BenchmarkCPU/sha256-2": {Workload: "cpu/sha256", Procs: 2},
		"Mixed":                 {Workload: "mixed"},
		"Encode/format=json-48": {Workload: "encode", Extra: []KV{{"format", "json"}}, Procs: 48},
		// A user's name keeps its case where Point.Name cannot have
		// written it lowercased.
		"BenchmarkShardedMap/lock=gil/goroutines=8-2":   {Workload: "ShardedMap", Lock: "gil", Goroutines: 8, Procs: 2},
		"BenchmarkMap/sharded/lock=none/goroutines=8-2": {Workload: "map/sharded", Lock: "none", Goroutines: 8, Procs: 2},
		"JSONParse-4":      {Workload: "JSONParse", Procs: 4},
		"IO/sleep-2":       {Workload: "io/sleep", Procs: 2},
		"Latency/convoy-2": {Workload: "latency/convoy", Procs: 2},
		// Name would write "benchmarkA" with Go's prefix: lowercased.
		"benchmarkA/x": {Workload: "benchmarka/x"},
	} {
		got, err := ParseName(name)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("ParseName(%q) = %+v, %v; want %+v", name, got, err, want)
		}
	}
}

func TestParseNameErrors(t *testing.T) {
	for _, name := range []string{"", "/x", "CPU/lock=none/sha256", "CPU/goroutines=0-1", "CPU/goroutines=x-1", "CPU-0", "CPU//sha256", "CPU/sha256/"} {
		if p, err := ParseName(name); err == nil {
			t.Errorf("ParseName(%q) = %+v, want an error", name, p)
		}
	}
}

func TestParseCPUMax(t *testing.T) {
	for in, want := range map[string]float64{
		"max 100000\n": 0, "200000 100000\n": 2, "150000 100000": 1.5, "garbage": 0, "-1 100000": 0,
	} {
		if got := parseCPUMax(in); got != want {
			t.Errorf("parseCPUMax(%q) = %v, want %v", in, got, want)
		}
	}
}

// FuzzParseName checks that ParseName never panics, that its errors wrap
// ErrBadName, and that a name it accepts from Point.Name round-trips.
func FuzzParseName(f *testing.F) {
	for _, s := range []string{
		"CPU/sha256/lock=none/goroutines=8-2", "IO/tcp/lock=gil/exec=processes/goroutines=1-1",
		"CPU/sha256-2", "Mixed", "-", "CPU/-0", "a/b=c/d", "/x", "CPU/sha256/goroutines=0-1",
		"BenchmarkCPU/x-99999999999999999999",
		"ShardedMap/lock=gil/goroutines=8-2", "myCache/get",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		p, err := ParseName(name)
		if err != nil {
			if !errors.Is(err, ErrBadName) {
				t.Fatalf("ParseName(%q) error %v does not wrap ErrBadName", name, err)
			}
			return
		}
		if p.Procs < 0 || p.Goroutines < 0 {
			t.Fatalf("ParseName(%q) = %+v: negative count", name, p)
		}
		// What Name writes, ParseName reads back the same.
		again, err := ParseName(p.Name())
		if err != nil {
			t.Fatalf("ParseName(%q) = %+v, but its Name %q does not parse: %v", name, p, p.Name(), err)
		}
		if again.Name() != p.Name() {
			t.Fatalf("round trip of %q: %q then %q", name, p.Name(), again.Name())
		}
		// A workload whose first part is lowercase ASCII (as parbench's
		// own are, "cpu/sha256") comes back as itself, not only as the
		// same name: p's with its first part so lowered.
		first, rest, _ := strings.Cut(p.Workload, "/")
		if !isASCII(first) {
			return
		}
		q := p
		q.Workload = strings.ToLower(first)
		if rest != "" {
			q.Workload += "/" + rest
		}
		back, err := ParseName(q.Name())
		if err != nil || back.Workload != q.Workload {
			t.Fatalf("workload %q: Name %q parses back as %q (%v)", q.Workload, q.Name(), back.Workload, err)
		}
	})
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
