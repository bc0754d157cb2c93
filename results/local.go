package results

import (
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// LocalPath is where a run writes its results file by default:
// results/local/ (which git ignores), named for the host and the UTC
// time, and for what made it when that is not parbench run ("calibrate").
func LocalPath(kind string, now time.Time) string {
	host, _ := os.Hostname() // "" names the file by its time alone
	name := fmt.Sprintf("%s-%s.txt", host, now.UTC().Format("20060102T150405Z"))
	if kind != "" {
		name = kind + "-" + name
	}
	return filepath.Join("results", "local", name)
}
