package plot_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parbench/parbench/results"
)

// TestServedLawLine: the dashed thread law is drawn only where a lock
// serializes the service: a lock mode other than none, or an external
// command (server-cmd), whose interpreter has its own; under lock none
// without one it is not drawn, and the caption does not speak of it.
func TestServedLawLine(t *testing.T) {
	for _, c := range []struct {
		name, lock, config string
		law                bool
	}{
		{"gil", "gil", "", true},
		{"none", "none", "", false},
		{"none+server-cmd", "none", results.KeyServerCmd + ": python3 app.py rate=5\n", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			var data strings.Builder
			data.WriteString("ncpu: 2\nhost: synth\n" + c.config)
			for _, th := range []int{1, 2, 4} {
				for i := range 10 {
					secs := (1 + 0.001*float64(i)) / (1000 * min(float64(th), 2)) // f = 0.5: 1/(1-f) = 2
					fmt.Fprintf(&data, "BenchmarkWebapp/x/lock=%s/server-workers=1/server-threads=%d/goroutines=16-2 100 %g sec/op 5e-4 server-cpu-sec/op\n", c.lock, th, secs)
				}
			}
			p := filepath.Join(t.TempDir(), "law.txt")
			if err := os.WriteFile(p, []byte(data.String()), 0o644); err != nil {
				t.Fatal(err)
			}
			rep := report(t, p)
			if len(rep.Served) != 1 || rep.Served[0].Rate != "" {
				t.Fatalf("want one closed-loop family, got %d", len(rep.Served))
			}
			sv := rep.Served[0]
			f := servedFigures(t, rep)[sv][0]
			checkServed(t, sv, f)
			series := fmt.Sprint(f.Series)
			if got := strings.Contains(series, "thread law at W = 1, f = 0.50"); got != c.law {
				t.Errorf("thread law drawn %v, want %v: %s", got, c.law, series)
			}
			if got := strings.Contains(f.Caption, "thread law"); got != c.law {
				t.Errorf("caption speaks of the law %v, want %v: %s", got, c.law, f.Caption)
			}
			if c.law && !strings.Contains(f.Caption, fmt.Sprintf("at T = 1/(1-f) = %.2f,", sv.Ceiling())) {
				t.Errorf("caption's ceiling is not the section's 1/(1-f) = %.2f: %s", sv.Ceiling(), f.Caption)
			}
		})
	}
}
