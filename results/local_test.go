package results

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestLocalPath(t *testing.T) {
	host, _ := os.Hostname()
	now := time.Date(2026, 11, 28, 9, 5, 7, 0, time.FixedZone("CET", 3600))
	for kind, want := range map[string]string{
		"":          host + "-20261128T080507Z.txt",
		"calibrate": "calibrate-" + host + "-20261128T080507Z.txt",
	} {
		if got := LocalPath(kind, now); got != filepath.Join("results", "local", want) {
			t.Errorf("LocalPath(%q) = %q, want results/local/%s", kind, got, want)
		}
	}
}
