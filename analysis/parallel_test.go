package analysis_test

import (
	"bytes"
	"os"
	"runtime"
	"testing"

	"github.com/parbench/parbench/analysis"
)

// TestReportSameOnAnyProcs checks that the report does not depend on
// how many goroutines analyse its groups (Builder.Report analyses them
// in parallel, up to GOMAXPROCS): the text and JSON are byte for byte
// those of one goroutine. Each bootstrap has its own named generator;
// a shared one, or a group reading another's samples, would differ.
func TestReportSameOnAnyProcs(t *testing.T) {
	in, err := os.ReadFile("testdata/laws.txt")
	if err != nil {
		t.Fatal(err)
	}
	report := func(procs int) []byte {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		b, err := analysis.NewBuilder(analysis.DefaultOptions())
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Read(bytes.NewReader(in), "laws.txt"); err != nil {
			t.Fatal(err)
		}
		rep, err := b.Report()
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Groups) < 2 {
			t.Fatalf("%d groups: the test needs several to analyse in parallel", len(rep.Groups))
		}
		var out bytes.Buffer
		if err := rep.WriteText(&out); err != nil {
			t.Fatal(err)
		}
		if err := rep.WriteJSON(&out); err != nil {
			t.Fatal(err)
		}
		return out.Bytes()
	}
	one := report(1)
	for _, procs := range []int{2, 4} {
		if got := report(procs); !bytes.Equal(got, one) {
			t.Errorf("GOMAXPROCS=%d: the report differs from GOMAXPROCS=1's", procs)
		}
	}
}
