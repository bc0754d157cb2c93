package cli

import (
	"flag"
	"strconv"
	"strings"

	"github.com/parbench/parbench/bench"
	"github.com/parbench/parbench/internal/procs"
)

// execFlags are the flags of the --exec dimension: workers as
// goroutines of one process, or as processes (Python's threading versus
// multiprocessing).
type execFlags struct {
	modes, payloads string
	includeStartup  bool
}

func (f *execFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.modes, "exec", bench.ExecGoroutines, "execution modes `list`: goroutines (one process, one lock) and/or processes (G worker processes, each with its own GOMAXPROCS and lock); with processes in the list, result names carry /exec=")
	fs.StringVar(&f.payloads, "payload", "0", "exec=processes: bytes of input sent to the worker with each op, a `list` such as 0,1KiB,64KiB,1MiB")
	fs.BoolVar(&f.includeStartup, "include-startup", false, "exec=processes: count the workers' start-up in each sample's time (it is always reported as startup-sec)")
}

// config returns the bench.ExecConfig of the flags. A goroutines-only
// sweep gets the zero value, so its names and file stay as before.
func (f *execFlags) config() (bench.ExecConfig, error) {
	modes, err := parseStrings("--exec", f.modes)
	if err != nil {
		return bench.ExecConfig{}, err
	}
	var e bench.ExecConfig
	if len(modes) != 1 || modes[0] != bench.ExecGoroutines {
		e.Modes = modes
	}
	if e.Payloads, err = parseSizes("--payload", f.payloads, procs.MaxPayload); err != nil {
		return e, err
	}
	if len(e.Payloads) == 1 && e.Payloads[0] == 0 {
		e.Payloads = nil
	}
	e.IncludeStartup = f.includeStartup
	return e, nil
}

// sizeUnits are the suffixes parseSizes takes, longest first.
var sizeUnits = []struct {
	suffix string
	mult   int
}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"K", 1 << 10}, {"M", 1 << 20}, {"B", 1}}

// parseSizes parses a list of byte sizes: "0,512,1KiB,16KiB,1MiB" (K
// and M are binary too), each from 0 to hi, none twice.
func parseSizes(flag, s string, hi int) ([]int, error) {
	var xs []int
	seen := map[int]bool{}
	for _, field := range strings.Split(s, ",") {
		field = strings.TrimSpace(field)
		num, mult := field, 1
		for _, u := range sizeUnits {
			if n, ok := strings.CutSuffix(field, u.suffix); ok {
				num, mult = n, u.mult
				break
			}
		}
		x, err := strconv.Atoi(strings.TrimSpace(num))
		if err != nil || x < 0 || x > hi/mult {
			return nil, usagef("%s: %q is not a size from 0 to %d bytes (e.g. 0, 512, 16KiB, 1MiB)", flag, field, hi)
		}
		x *= mult
		if seen[x] {
			return nil, usagef("%s: %d bytes given twice", flag, x)
		}
		seen[x] = true
		xs = append(xs, x)
	}
	return xs, nil
}
