package results

import (
	"fmt"
	"strings"
)

// A calibration file (`parbench calibrate`, package internal/calibrate)
// holds real CPython and parbench measured side by side, round after
// round. It is an ordinary results file with three kinds of result:
//
//   - figures, one line per side and round, named by Figure.Name:
//     BenchmarkCalibrate/cpu/figure=speedup@2/python=3.11.2/impl=cpython 1 0.86 x
//     The report's calibration table is made of these alone, so
//     `benchstat -col /impl FILE` compares the two sides as well;
//   - CPython's own lines as its programs print them
//     (BenchmarkPython/...), under a KeyPython configuration line;
//   - parbench's result lines as `parbench run` writes them.
//
// KeyCalibrate in the file configuration marks a calibration file: a
// report reads its figures into the calibration table and leaves its
// other lines to benchstat.
const (
	// KeyCalibrate marks a calibration file; its value is how the run
	// was made ("rounds=3").
	KeyCalibrate = "calibrate"
	// KeyPython names the CPython interpreter of the lines that follow:
	// its path and sys.version.
	KeyPython = "python"
)

// The name keys of a calibration figure, and the values of its impl key.
const (
	NameFigure = "figure"
	NamePython = "python"
	NameImpl   = "impl"

	// ImplCPython is a figure measured on real CPython threads.
	ImplCPython = "cpython"
	// ImplParbench is the same figure from parbench's simulated lock.
	ImplParbench = "parbench"
	// ImplModel is what a simple model predicts (min(T, 1/(1-f)) for
	// mixed work, T for IO-bound threads): shown, never matched.
	ImplModel = "model"
)

// calibrateBase is the base name of every figure ("BenchmarkCalibrate").
const calibrateBase = "calibrate"

// Figure names one figure of a calibration: which behaviour, which
// figure of it, which CPython it calibrates against, and which side
// measured it.
type Figure struct {
	// Behaviour is the behaviour measured, e.g. "cpu" or "convoy".
	Behaviour string
	// Figure is the figure of it, e.g. "speedup@2" or "p50@cpu1".
	Figure string
	// Python is the CPython version the figure is compared with, e.g.
	// "3.11.2".
	Python string
	// Impl is ImplCPython, ImplParbench or ImplModel.
	Impl string
}

// Name returns the figure's result name without "Benchmark":
// Calibrate/<behaviour>/figure=<figure>/python=<python>/impl=<impl>.
// Check the figure first (Check): Name does not.
func (f Figure) Name() string {
	return Point{
		Workload: calibrateBase + "/" + f.Behaviour,
		Extra:    []KV{{NameFigure, f.Figure}, {NamePython, f.Python}, {NameImpl, f.Impl}},
	}.Name()
}

// Check reports whether every field is a valid name part: not empty,
// without '/', '=', a space or a control character, and not ending in
// "-" and digits (which would read as GOMAXPROCS).
func (f Figure) Check() error {
	for _, kv := range [][2]string{{"behaviour", f.Behaviour}, {NameFigure, f.Figure}, {NamePython, f.Python}, {NameImpl, f.Impl}} {
		if err := namePart(kv[1]); err != nil {
			return fmt.Errorf("%w: calibration figure's %s %q: %v", ErrBadName, kv[0], kv[1], err)
		}
	}
	switch f.Impl {
	case ImplCPython, ImplParbench, ImplModel:
	default:
		return fmt.Errorf("%w: calibration figure's impl %q: want %s, %s or %s", ErrBadName, f.Impl, ImplCPython, ImplParbench, ImplModel)
	}
	return nil
}

func namePart(s string) error {
	if s == "" {
		return fmt.Errorf("empty")
	}
	for _, r := range s {
		if r == '/' || r == '=' || r <= ' ' || r == 0x7f {
			return fmt.Errorf("holds %q", r)
		}
	}
	if i := strings.LastIndexByte(s, '-'); i >= 0 && allDigits(s[i+1:]) {
		return fmt.Errorf("ends in -N, which reads as GOMAXPROCS")
	}
	return nil
}

// cutBase reads name (with or without "Benchmark") as a result of the
// file-kind base name base (Calibrate, Harness), matched as ParseName
// matches, and returns its Point and its workload after "base/". ok is
// false, with a nil error, for a name of another base; err wraps
// ErrBadName, saying without, when nothing follows the base.
func cutBase(name, base, without string) (p Point, rest string, ok bool, err error) {
	bare := strings.ToLower(strings.TrimPrefix(name, "Benchmark"))
	if !strings.HasPrefix(bare, base+"/") && bare != base {
		return Point{}, "", false, nil
	}
	if p, err = ParseName(name); err != nil {
		return Point{}, "", true, err
	}
	// The family in any case, as the match above: "CALIBRATE/x" parses
	// with its family as written.
	n := len(base) + 1
	if len(p.Workload) <= n || !strings.EqualFold(p.Workload[:n], base+"/") {
		return Point{}, "", true, fmt.Errorf("%w %q: %s", ErrBadName, name, without)
	}
	return p, p.Workload[n:], true, nil
}

// ParseFigure reads a result name (with or without "Benchmark") as a
// calibration figure. ok is false, with a nil error, for a name that is
// not a figure's (its base name is not Calibrate); err wraps ErrBadName
// for a Calibrate name that is malformed.
func ParseFigure(name string) (f Figure, ok bool, err error) {
	p, behaviour, ok, err := cutBase(name, calibrateBase, "a calibration figure without a behaviour")
	if !ok || err != nil {
		return Figure{}, ok, err
	}
	if p.Lock != "" || p.Goroutines != 0 || p.Procs != 0 || len(p.Extra) != 3 {
		return Figure{}, true, fmt.Errorf("%w %q: want Calibrate/<behaviour>/figure=F/python=V/impl=I", ErrBadName, name)
	}
	f = Figure{Behaviour: behaviour, Figure: p.Get(NameFigure), Python: p.Get(NamePython), Impl: p.Get(NameImpl)}
	if strings.Contains(behaviour, "/") {
		return Figure{}, true, fmt.Errorf("%w %q: behaviour %q has a slash", ErrBadName, name, behaviour)
	}
	if err := f.Check(); err != nil {
		return Figure{}, true, fmt.Errorf("%q: %w", name, err)
	}
	return f, true, nil
}
