package selfbench

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/perf/benchfmt"

	"github.com/parbench/parbench/results"
	"github.com/parbench/parbench/workloads"
)

// GoroutinesWorkload is the goroutines measure's workload: its ops wait
// (a 1ms timer), so its throughput can grow with the goroutines until
// the CPUs are busy with the timers.
const GoroutinesWorkload = "io/sleep"

// goroutinesSubject is a goroutines figure's subject: "100000-goroutines".
func goroutinesSubject(g int) string { return fmt.Sprintf("%d-goroutines", g) }

// goroutinesRatioSubject is the subject of the ratio of most's ops/s
// over fewest's: "100000-over-10000-goroutines".
func goroutinesRatioSubject(most, fewest int) string {
	return fmt.Sprintf("%d-over-%d-goroutines", most, fewest)
}

// GoroutineRow is the goroutines measure at one GOMAXPROCS: each
// goroutine count's ops/s and B/goroutine in each round, and the ratio
// of the most goroutines' ops/s over the fewest's, round by round.
type GoroutineRow struct {
	Procs      int
	Goroutines []int       // ascending
	Ops        [][]float64 // [goroutine count][round], ops/s
	Bytes      [][]float64 // [goroutine count][round], B/goroutine
	Ratio      []float64   // per round
}

// goroutinesMeasure runs GoroutinesWorkload at o.ManyGoroutines
// goroutines and each of o.ManyProcs, --lock none, one sample of each
// point a round: one `parbench run` of them all, which takes its
// points in turn, so that the ratio of the most goroutines' ops/s over
// the fewest's is of two figures measured side by side.
func goroutinesMeasure(ctx context.Context, o Options, tmp string, w *writer) error {
	gs := slices.Sorted(slices.Values(o.ManyGoroutines))
	fewest, most := gs[0], gs[len(gs)-1]
	gList, pList := make([]string, len(gs)), make([]string, len(o.ManyProcs))
	for i, g := range gs {
		gList[i] = strconv.Itoa(g)
	}
	for i, p := range o.ManyProcs {
		pList[i] = strconv.Itoa(p)
	}
	for r := 1; r <= o.Rounds; r++ {
		fmt.Fprintf(o.Log, "selfbench: goroutines, round %d/%d: %s at %s goroutines, GOMAXPROCS %s\n", r, o.Rounds, GoroutinesWorkload, strings.Join(gList, ","), strings.Join(pList, ","))
		out := filepath.Join(tmp, fmt.Sprintf("goroutines-%d.txt", r))
		if _, _, err := timed(ctx, o.Dir, filepath.Join(tmp, "stdout"), o.Parbench, "run", "--quiet",
			"--workloads", GoroutinesWorkload, "--lock", "none",
			"--procs", strings.Join(pList, ","), "--goroutines", strings.Join(gList, ","),
			"--count", "1", "--benchtime", o.Benchtime.String(), "--out", out); err != nil {
			return err
		}
		pts, err := readPointsFile(out)
		if err != nil {
			return err
		}
		for _, p := range o.ManyProcs {
			ops := map[int]float64{}
			for _, g := range gs {
				v, ok := pts[results.Point{Workload: GoroutinesWorkload, Lock: "none", Goroutines: g, Procs: p}.Name()]
				if !ok || !(v["sec/op"] > 0) {
					return fmt.Errorf("%s: no %s at %d goroutines, GOMAXPROCS %d", out, GoroutinesWorkload, g, p)
				}
				ops[g] = 1 / v["sec/op"]
				vals := []benchfmt.Value{val(v["sec/op"], "sec/op"), val(ops[g], workloads.UnitRate)}
				for _, u := range []string{results.UnitBytesPerGoroutine, "parallelism"} {
					if x, ok := v[u]; ok {
						vals = append(vals, val(x, u))
					}
				}
				if err := w.figure(results.HarnessFigure{Measure: results.HarnessGoroutines, Subject: goroutinesSubject(g), Tool: results.ToolParbench, Procs: p}, vals...); err != nil {
					return err
				}
			}
			h := results.HarnessFigure{Measure: results.HarnessGoroutines, Subject: goroutinesRatioSubject(most, fewest), Tool: results.ToolParbench, Procs: p}
			if err := w.figure(h, val(ops[most]/ops[fewest], results.UnitRatio)); err != nil {
				return err
			}
		}
	}
	return nil
}

// readPointsFile reads a results file's last sample of each point: its
// values by unit, by result name (without "Benchmark").
func readPointsFile(path string) (map[string]map[string]float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readPoints(f, path)
}

func readPoints(r io.Reader, file string) (map[string]map[string]float64, error) {
	out := map[string]map[string]float64{}
	err := scanResults(r, file, func(p results.Point, rec *benchfmt.Result) {
		m := map[string]float64{}
		for _, v := range rec.Values {
			m[v.Unit] = v.Value
		}
		out[p.Name()] = m
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// goroutineRows gathers the goroutines measure's figures, get giving a
// figure's values in a unit round by round.
func goroutineRows(order []results.HarnessFigure, get func(results.HarnessFigure, string) []float64) []GoroutineRow {
	var rows []GoroutineRow
	row := func(p int) *GoroutineRow {
		i := slices.IndexFunc(rows, func(r GoroutineRow) bool { return r.Procs == p })
		if i < 0 {
			rows = append(rows, GoroutineRow{Procs: p})
			i = len(rows) - 1
		}
		return &rows[i]
	}
	for _, h := range order {
		if h.Measure != results.HarnessGoroutines || h.Tool != results.ToolParbench {
			continue
		}
		r := row(h.Procs)
		if strings.Contains(h.Subject, "-over-") {
			r.Ratio = get(h, results.UnitRatio)
			continue
		}
		g, err := strconv.Atoi(strings.TrimSuffix(h.Subject, "-goroutines"))
		if err != nil || slices.Contains(r.Goroutines, g) {
			continue
		}
		i, _ := slices.BinarySearch(r.Goroutines, g)
		r.Goroutines = slices.Insert(r.Goroutines, i, g)
		r.Ops = slices.Insert(r.Ops, i, get(h, workloads.UnitRate))
		r.Bytes = slices.Insert(r.Bytes, i, get(h, results.UnitBytesPerGoroutine))
	}
	slices.SortFunc(rows, func(a, b GoroutineRow) int { return a.Procs - b.Procs })
	return rows
}

// goroutinesTable writes the goroutines rows: each count's ops/s
// (median over the rounds [min-max]), the ratio, and B/goroutine.
func goroutinesTable(w io.Writer, rows []GoroutineRow) {
	for _, r := range rows {
		if len(r.Goroutines) < 2 {
			continue
		}
		fewest, most := r.Goroutines[0], r.Goroutines[len(r.Goroutines)-1]
		fmt.Fprintf(w, "\n%s ops/s by goroutines, GOMAXPROCS %d, --lock none (median over the rounds [min-max]):\n", GoroutinesWorkload, r.Procs)
		for i, g := range r.Goroutines {
			b := Summarize(r.Bytes[i])
			bytes := "-"
			if b.N > 0 && !math.IsNaN(b.Median) {
				bytes = num(b.Median)
			}
			fmt.Fprintf(w, "  %d goroutines: %s ops/s, %s B/goroutine\n", g, rangeString(Summarize(r.Ops[i]), ""), bytes)
		}
		fmt.Fprintf(w, "  %d over %d goroutines, round by round: %s (goal: at least 0.9x)\n", most, fewest, rangeString(Summarize(r.Ratio), "x"))
	}
}
