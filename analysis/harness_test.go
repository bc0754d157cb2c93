package analysis

import (
	"strings"
	"testing"
)

// TestReadHarnessFile checks that a harness file (make bench-harness)
// adds no group: its lines measure parbench itself, and the report says
// so once, naming the file, while a workload's file read beside it is
// analysed as ever.
func TestReadHarnessFile(t *testing.T) {
	const harness = `harness: rounds=3 count=10
host: h
ncpu: 2
BenchmarkHarness/empty-op/tool=runner 1 2.2e-09 sec/op
BenchmarkHarness/empty-op/tool=testing-b 1 2.3e-09 sec/op
BenchmarkHarness/empty-op/tool=runner/vs=testing-b 1 0.96 x
`
	var work strings.Builder
	work.WriteString("host: h\nncpu: 2\n")
	for range 6 {
		work.WriteString("BenchmarkCPU/sha256/lock=none/goroutines=1-1 1000 4e-06 sec/op\n")
		work.WriteString("BenchmarkCPU/sha256/lock=none/goroutines=2-2 1000 2e-06 sec/op\n")
	}
	b, err := NewBuilder(DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Read(strings.NewReader(harness), "h.txt"); err != nil {
		t.Fatal(err)
	}
	if err := b.Read(strings.NewReader(work.String()), "w.txt"); err != nil {
		t.Fatal(err)
	}
	rep, err := b.Report()
	if err != nil {
		t.Fatalf("Report: %v", err)
	}
	if len(rep.Groups) != 1 || !strings.Contains(rep.Groups[0].Workload, "sha256") {
		t.Fatalf("groups %v, want the one of w.txt", rep.Groups)
	}
	if len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0].Error(), "h.txt:4") ||
		!strings.Contains(rep.Warnings[0].Error(), "harness file") {
		t.Errorf("warnings %v, want one naming h.txt:4 as a harness file", rep.Warnings)
	}
}
