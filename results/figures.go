package results

import (
	"io"
	"math"
	"slices"
	"time"

	"golang.org/x/perf/benchfmt"
)

// FigureWriter writes a file of figures (a calibration, a harness
// file): every result carries the same file configuration, its base,
// so that each line read alone says which machine and which run it is
// of.
type FigureWriter struct {
	w    *benchfmt.Writer
	base []Config
}

// NewFigureWriter returns a FigureWriter to w whose base configuration
// is this machine (Machine), the date (now, in UTC) and key: value,
// which marks the kind of file (KeyCalibrate, KeyHarness).
func NewFigureWriter(w io.Writer, now time.Time, key, value string) *FigureWriter {
	base := append(Machine(),
		Config{Key: KeyDate, Value: now.UTC().Format(time.RFC3339)},
		Config{Key: key, Value: value})
	return &FigureWriter{w: benchfmt.NewWriter(w), base: base}
}

// Write writes r with its file configuration, then the base's keys,
// then extra's: a later value of a key replaces an earlier one in its
// place, and a key whose value is empty is left out.
func (w *FigureWriter) Write(r *benchfmt.Result, extra ...Config) error {
	// A fresh Result, so that every key is file configuration (benchfmt's
	// SetConfig would make them internal, which its Writer leaves out).
	set := map[string]string{}
	var order []string
	for _, c := range r.Config {
		if c.File {
			set[c.Key] = string(c.Value)
			order = append(order, c.Key)
		}
	}
	for _, c := range append(slices.Clone(w.base), extra...) {
		if _, ok := set[c.Key]; !ok {
			order = append(order, c.Key)
		}
		set[c.Key] = c.Value
	}
	out := &benchfmt.Result{Name: r.Name, Iters: r.Iters, Values: r.Values}
	for _, k := range order {
		if v := set[k]; v != "" {
			out.Config = append(out.Config, benchfmt.Config{Key: k, Value: []byte(v), File: true})
		}
	}
	return w.w.Write(out)
}

// Figure writes one result of one iteration named name (without
// "Benchmark") with the finite values of vals, and nothing when none
// is finite: benchfmt writes no value that is not.
func (w *FigureWriter) Figure(name string, vals ...benchfmt.Value) error {
	vals = slices.DeleteFunc(slices.Clone(vals), func(v benchfmt.Value) bool { return math.IsNaN(v.Value) || math.IsInf(v.Value, 0) })
	if len(vals) == 0 {
		return nil
	}
	return w.Write(&benchfmt.Result{Name: benchfmt.Name(name), Iters: 1, Values: vals})
}
