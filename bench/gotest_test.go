package bench

import (
	"strings"
	"testing"

	"github.com/parbench/parbench/workloads"
)

// The benchmarks below run the same workloads through Go's own harness,
// testing.B.RunParallel (GOMAXPROCS goroutines, no lock), for a
// cross-check of parbench's runner:
//
//	go test -run '^$' -bench . -cpu 1,2,4 -count 10 ./bench > gotest.txt
//	go tool benchstat -col /gomaxprocs gotest.txt
//
// Their names match parbench's without the /lock and /goroutines keys:
// BenchmarkCPU/sha256-2 is parbench's CPU/sha256/lock=none/goroutines=2-2.

func BenchmarkCPU(b *testing.B)   { benchFamily(b, "cpu") }
func BenchmarkIO(b *testing.B)    { benchFamily(b, "io") }
func BenchmarkMixed(b *testing.B) { benchFamily(b, "mixed") }

func benchFamily(b *testing.B, family string) {
	ws, err := workloads.Lookup(family)
	if err != nil {
		b.Fatal(err)
	}
	for _, w := range ws {
		sub := strings.TrimPrefix(strings.TrimPrefix(w.Name(), family), "/")
		if sub == "" {
			benchWorkload(b, w)
			continue
		}
		b.Run(sub, func(b *testing.B) { benchWorkload(b, w) })
	}
}

func benchWorkload(b *testing.B, w workloads.Workload) {
	in, err := w.Start(workloads.DefaultParams())
	if err != nil {
		b.Fatal(err)
	}
	defer in.Close()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		wk, err := in.NewWorker(workloads.NopEnv{})
		if err != nil {
			b.Error(err)
			return
		}
		defer wk.Close()
		for pb.Next() {
			if err := wk.Op(); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
