package mapbench_test

import (
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"example.com/mapbench"
	_ "example.com/mapbench/mapworkloads"
	"github.com/parbench/parbench/bench/partest"
	"github.com/parbench/parbench/workloads"
)

// The benchmarks run each op through partest: one sub-benchmark per
// lock mode and goroutine count, named with parbench's keys
// (BenchmarkShardedMap/lock=none/goroutines=2-2 under -cpu 2), with
// parbench's figures as extra metrics. Take them to a verdict with
//
//	go test -run '^$' -bench . -cpu 1,2 -count 6 > out.txt
//	parbench report out.txt
//
// and compare them with benchstat as any go test output.

// BenchmarkShardedMap shares one ShardedMap among the goroutines of each
// point: on more cores it should go faster.
func BenchmarkShardedMap(b *testing.B) {
	benchMap(b, mapbench.NewShardedMap(64))
}

// BenchmarkMutexMap shares one MutexMap: its sync.Mutex serialises every
// access, and the runtime's mutex wait, which partest reports, says so.
func BenchmarkMutexMap(b *testing.B) {
	benchMap(b, mapbench.NewMutexMap())
}

func benchMap(b *testing.B, m mapbench.Map) {
	mapbench.Fill(m)
	var seeds atomic.Uint64
	partest.Run(b, partest.Sweep{Class: "cpu"}, func(env partest.Env) (func() error, error) {
		// newOp runs once per goroutine, outside the timed region: each
		// gets its own keys on the shared map.
		return mixOp(m, seeds.Add(1), env), nil
	})
}

// mixOp is one goroutine's op of the map benchmarks: a Mix op that marks
// its CPU work with the ticks it stands for, as the mapbench/sharded and
// mapbench/mutex workloads do (package mapworkloads), so that a
// simulated GIL switches as often under go test as under parbench run.
// CPython 2's counts ticks down to its next release: an op left unmarked
// would get only the one tick partest adds after each op, a release
// about every 100 ops (the default check interval) instead of every op.
// partest's tick comes on top of these, 201 an op, which adds about one
// release in 100. An op that marks nothing is simulated as a C
// extension's call, with switches only between ops: see partest's
// ExampleRun.
func mixOp(m mapbench.Map, seed uint64, env partest.Env) func() error {
	mix := mapbench.NewMix(m, seed)
	return func() error {
		err := mix.Op()
		env.Check(mapbench.MixTicks)
		return err
	}
}

// BenchmarkJSON parses a fixed document on each goroutine: nothing is
// shared, so only a lock can keep it from scaling.
func BenchmarkJSON(b *testing.B) {
	partest.Run(b, partest.Sweep{Class: "cpu"}, func(env partest.Env) (func() error, error) {
		return func() error {
			_, err := mapbench.ParseOrder(mapbench.Document)
			// Mark the CPU work with the ticks it stands for (~12µs of
			// it, workloads.TickTime each): CPython 2's simulated GIL
			// counts them to its next release. A long op marks its
			// work every ~50µs; one that blocks brackets the blocking
			// call with env.BeginIO() and env.EndIO(), so that a
			// simulated GIL is released across it.
			env.Check(mapbench.JSONTicks)
			return err
		}, nil
	})
}

// tickEnv adds up the ticks of an op's Checks.
type tickEnv struct{ ticks int }

func (e *tickEnv) Check(ticks int) { e.ticks += ticks }
func (e *tickEnv) BeginIO()        {}
func (e *tickEnv) EndIO()          {}

// TestMixOpTicks checks that the benchmarks' map op marks the ticks the
// map workloads' op marks: the two ways to the same Mix op switch a
// simulated GIL equally often.
func TestMixOpTicks(t *testing.T) {
	for _, name := range []string{"mapbench/sharded", "mapbench/mutex"} {
		ws, err := workloads.Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		in, err := ws[0].Start(workloads.DefaultParams())
		if err != nil {
			t.Fatal(err)
		}
		var wenv tickEnv
		w, err := in.NewWorker(&wenv)
		if err != nil {
			t.Fatal(err)
		}
		m := mapbench.NewShardedMap(64)
		mapbench.Fill(m)
		var benv tickEnv
		op := mixOp(m, 1, &benv)
		for range 10 {
			if err := w.Op(); err != nil {
				t.Fatal(err)
			}
			if err := op(); err != nil {
				t.Fatal(err)
			}
		}
		if benv.ticks != wenv.ticks || benv.ticks == 0 {
			t.Errorf("10 ops marked %d ticks in the benchmarks, %d in workload %s: want the same, and some", benv.ticks, wenv.ticks, name)
		}
		_ = w.Close()
		_ = in.Close()
	}
}

func TestMaps(t *testing.T) {
	maps := map[string]func() mapbench.Map{
		"mutex":     func() mapbench.Map { return mapbench.NewMutexMap() },
		"sharded1":  func() mapbench.Map { return mapbench.NewShardedMap(1) },
		"sharded3":  func() mapbench.Map { return mapbench.NewShardedMap(3) },
		"sharded64": func() mapbench.Map { return mapbench.NewShardedMap(64) },
	}
	for name, newMap := range maps {
		t.Run(name, func(t *testing.T) {
			m := newMap()
			if v, ok := m.Get(7); ok {
				t.Fatalf("Get(7) of an empty map = %d, true", v)
			}
			if old, ok := m.Put(7, 70); ok {
				t.Fatalf("first Put(7) replaced %d", old)
			}
			if old, ok := m.Put(7, 71); !ok || old != 70 {
				t.Fatalf("second Put(7) = %d, %v; want 70, true", old, ok)
			}
			for k := uint64(0); k < 1000; k++ {
				m.Put(k<<20, k) // keys far apart still land somewhere
			}
			for k := uint64(0); k < 1000; k++ {
				if v, ok := m.Get(k << 20); !ok || v != k {
					t.Fatalf("Get(%d) = %d, %v; want %d, true", k<<20, v, ok, k)
				}
			}
			if v, _ := m.Get(7); v != 71 {
				t.Fatalf("Get(7) = %d, want 71", v)
			}
			add := func(old, arg uint64) uint64 { return old + arg }
			if v, ok := m.Update(7, 5, add); !ok || v != 76 {
				t.Fatalf("Update(7, +5) = %d, %v; want 76, true", v, ok)
			}
			if v, ok := m.Update(8, 5, add); ok {
				t.Fatalf("Update of a missing key = %d, true", v)
			}
			if _, ok := m.Get(8); ok {
				t.Fatal("Update of a missing key set it")
			}
		})
	}
}

func TestShards(t *testing.T) {
	for n, want := range map[int]int{-1: 1, 0: 1, 1: 1, 2: 2, 3: 4, 64: 64, 65: 128} {
		if got := mapbench.NewShardedMap(n).Shards(); got != want {
			t.Errorf("NewShardedMap(%d).Shards() = %d, want %d", n, got, want)
		}
	}
}

// TestMixConcurrent runs Mix ops of four goroutines on each shared map
// (under -race, the maps' locking is checked too).
func TestMixConcurrent(t *testing.T) {
	for _, m := range []mapbench.Map{mapbench.NewMutexMap(), mapbench.NewShardedMap(64)} {
		mapbench.Fill(m)
		var wg sync.WaitGroup
		for g := range 4 {
			mix := mapbench.NewMix(m, uint64(g))
			wg.Go(func() {
				for range 500 {
					if err := mix.Op(); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
	}
}

// wrongMap answers some Gets with another key's value, or not at all,
// as a broken map would.
type wrongMap struct {
	mapbench.Map
	lose bool
}

func (w wrongMap) Get(k uint64) (uint64, bool) {
	v, ok := w.Map.Get(k)
	if k%5 == 0 {
		if w.lose {
			return 0, false
		}
		v, ok = w.Map.Get((k + 1) % mapbench.KeySpace)
	}
	return v, ok
}

// TestMixChecks makes sure a wrong fast answer is an error.
func TestMixChecks(t *testing.T) {
	for _, lose := range []bool{false, true} {
		m := mapbench.NewShardedMap(4)
		mapbench.Fill(m)
		mix := mapbench.NewMix(wrongMap{m, lose}, 1)
		var err error
		for i := 0; i < 100 && err == nil; i++ {
			err = mix.Op()
		}
		want := "a value of key"
		if lose {
			want = "is missing"
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("lose=%v: Mix on a broken map: %v, want an error with %q", lose, err, want)
		}
	}
}

// TestFold checks that a fold keeps the key and changes the digest.
func TestFold(t *testing.T) {
	v := uint64(42)<<32 | 7
	f := mapbench.Fold(v, 1)
	if f>>32 != 42 || f == v || mapbench.Fold(v, 2) == f || mapbench.Fold(v, 1) != f {
		t.Errorf("Fold(%#x, 1) = %#x, Fold(_, 2) = %#x", v, f, mapbench.Fold(v, 2))
	}
}

func TestParseOrder(t *testing.T) {
	o, err := mapbench.ParseOrder(mapbench.Document)
	if err != nil {
		t.Fatal(err)
	}
	if o.ID != 4242 || len(o.Items) != 8 || o.Customer != "Ada Lovelace" || !o.Paid {
		t.Errorf("ParseOrder(Document) = %+v", o)
	}
	bad := strings.Replace(string(mapbench.Document), `"total": 1028.5`, `"total": 1028.6`, 1)
	if _, err := mapbench.ParseOrder([]byte(bad)); err == nil || !strings.Contains(err.Error(), "total says 1028.6") {
		t.Errorf("an order whose total is wrong: %v", err)
	}
	var syntax *json.SyntaxError
	if _, err := mapbench.ParseOrder([]byte(`{"id": 1,`)); !errors.As(err, &syntax) {
		t.Errorf("a cut document: %v", err)
	}
}
