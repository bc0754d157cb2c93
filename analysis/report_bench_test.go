package analysis_test

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"testing"

	"github.com/parbench/parbench/analysis"
)

// BenchmarkReport times what `parbench report` does with a results
// file: read it, analyse it, write the text report. The input is the
// committed reference run, once and concatenated 5 and 20 times, so
// that the time per input line can be compared across sizes: a report
// linear in its input costs the same per line at every size (ns/line).
// To see where the time goes:
//
//	go test -run '^$' -bench 'Report/x20' -benchtime 3x -cpuprofile cpu.prof ./analysis
//	go tool pprof -top analysis.test cpu.prof
func BenchmarkReport(b *testing.B) {
	ref, err := os.ReadFile("../results/vm-20261125T091418Z.txt")
	if err != nil {
		b.Fatal(err)
	}
	for _, times := range []int{1, 5, 20} {
		in := bytes.Repeat(ref, times)
		lines := bytes.Count(in, []byte("\n"))
		b.Run(fmt.Sprintf("x%d", times), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				bld, err := analysis.NewBuilder(analysis.DefaultOptions())
				if err != nil {
					b.Fatal(err)
				}
				if err := bld.Read(bytes.NewReader(in), "ref.txt"); err != nil {
					b.Fatal(err)
				}
				rep, err := bld.Report()
				if err != nil {
					b.Fatal(err)
				}
				if err := rep.WriteText(io.Discard); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(lines), "ns/line")
		})
	}
}
