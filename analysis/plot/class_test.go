package plot_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPlotsByClass: the plots go by each group's class (the file's
// classes line), not by the workload's name: "cpu/x" of class io gets
// the ideal G x X(1) throughput, "io/x" of class cpu does not, and
// "zzz/lat" of class latency gets the latency plots.
func TestPlotsByClass(t *testing.T) {
	dir := t.TempDir()
	var data strings.Builder
	data.WriteString("ncpu: 2\nclasses: cpu/x=io,io/x=cpu,zzz/lat=latency\n")
	for _, name := range []string{"CPU/x", "IO/x"} {
		for _, g := range []string{"1", "2", "4"} {
			for range 3 {
				data.WriteString("Benchmark" + name + "/lock=none/goroutines=" + g + "-1 10 1e-3 sec/op\n")
			}
		}
	}
	data.WriteString("BenchmarkZzz/lat/lock=gil/goroutines=1-1 10 1e-3 sec/op\n")
	p := filepath.Join(dir, "classes.txt")
	if err := os.WriteFile(p, []byte(data.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	ideal := map[string]bool{}
	var latencyNotes []string
	for _, s := range sections(t, p) {
		if s.Workload == "zzz/lat" {
			latencyNotes = s.Notes
			continue
		}
		for _, f := range s.Figures {
			var buf bytes.Buffer
			if err := f.SVG(&buf); err != nil {
				t.Fatal(err)
			}
			ideal[s.Workload] = ideal[s.Workload] || strings.Contains(buf.String(), "ideal for IO-bound")
		}
	}
	if !ideal["cpu/x"] || ideal["io/x"] {
		t.Errorf("ideal G x X(1) drawn for %v, want for cpu/x (class io) only", ideal)
	}
	if !strings.Contains(strings.Join(latencyNotes, "\n"), "no p50-sec figures") {
		t.Errorf("zzz/lat (class latency) notes %q, want the latency plots' note on p50-sec", latencyNotes)
	}
}
