package selfbench

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

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
// of the most goroutines' ops/s over the fewest's, round by round;
// parbench's, and the plain program's beside them.
type GoroutineRow struct {
	Procs      int
	Goroutines []int       // ascending
	Ops        [][]float64 // [goroutine count][round], ops/s
	Bytes      [][]float64 // [goroutine count][round], B/goroutine
	Ratio      []float64   // per round
	PlainOps   [][]float64 // [goroutine count][round], ops/s of ToolPlainGo
	PlainRatio []float64   // per round, ToolPlainGo's
}

// goroutinesMeasure runs GoroutinesWorkload at o.ManyGoroutines
// goroutines and each of o.ManyProcs, --lock none, one sample of each
// point a round: one `parbench run` of them all, which takes its
// points in turn, so that the ratio of the most goroutines' ops/s over
// the fewest's is of two figures measured side by side. In the same
// round the plain program (o.Plain, a fresh process for each point, as
// each parbench run is) does the same ops with no harness: parbench
// first in odd rounds, the plain program first in even ones (with the
// op counts of parbench's samples of the round before).
func goroutinesMeasure(ctx context.Context, o Options, tmp string, w *writer) error {
	gs := slices.Sorted(slices.Values(o.ManyGoroutines))
	fewest, most := gs[0], gs[len(gs)-1]
	name := func(g, p int) string {
		return results.Point{Workload: GoroutinesWorkload, Lock: "none", Goroutines: g, Procs: p}.Name()
	}
	var prev map[string]pointValues
	for r := 1; r <= o.Rounds; r++ {
		fmt.Fprintf(o.Log, "selfbench: goroutines, round %d/%d: %s at %s goroutines, GOMAXPROCS %s\n", r, o.Rounds, GoroutinesWorkload, joinInts(gs), joinInts(o.ManyProcs))
		var pts map[string]pointValues
		runParbench := func() error {
			out := filepath.Join(tmp, fmt.Sprintf("goroutines-%d.txt", r))
			if _, _, err := timed(ctx, o.Dir, filepath.Join(tmp, "stdout"), o.Parbench, "run", "--quiet",
				"--workloads", GoroutinesWorkload, "--lock", "none",
				"--procs", joinInts(o.ManyProcs), "--goroutines", joinInts(gs),
				"--count", "1", "--benchtime", o.Benchtime.String(), "--out", out); err != nil {
				return err
			}
			var err error
			if pts, err = readPointsFile(out); err != nil {
				return err
			}
			for _, p := range o.ManyProcs {
				for _, g := range gs {
					if v, ok := pts[name(g, p)]; !ok || !(v.vals["sec/op"] > 0) || v.iters < 1 {
						return fmt.Errorf("%s: no %s at %d goroutines, GOMAXPROCS %d", out, GoroutinesWorkload, g, p)
					}
				}
			}
			return nil
		}
		// plain[p][g] is the plain program's ops/s, with the op count
		// of sized's sample at the point.
		plain := map[int]map[int]float64{}
		runPlain := func(sized map[string]pointValues) error {
			for _, p := range o.ManyProcs {
				plain[p] = map[int]float64{}
				for _, g := range gs {
					out := filepath.Join(tmp, fmt.Sprintf("plain-%d.txt", r))
					if _, _, err := timed(ctx, o.Dir, out, o.Plain, "-goroutines", strconv.Itoa(g),
						"-ops", strconv.Itoa(max(sized[name(g, p)].iters/g, 1)), "-procs", strconv.Itoa(p),
						"-latency", GoroutinesLatency.String()); err != nil {
						return err
					}
					got, err := readPointsFile(out)
					if err != nil {
						return err
					}
					v, ok := got[name(g, p)]
					if !ok || !(v.vals["sec/op"] > 0) {
						return fmt.Errorf("%s: the plain program wrote no %s", out, name(g, p))
					}
					plain[p][g] = 1 / v.vals["sec/op"]
				}
			}
			return nil
		}
		if r%2 == 1 {
			if err := runParbench(); err != nil {
				return err
			}
			if err := runPlain(pts); err != nil {
				return err
			}
		} else {
			if err := runPlain(prev); err != nil {
				return err
			}
			if err := runParbench(); err != nil {
				return err
			}
		}
		prev = pts
		for _, p := range o.ManyProcs {
			ops := map[int]float64{}
			for _, g := range gs {
				v := pts[name(g, p)].vals
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
				x := plain[p][g]
				if err := w.figure(results.HarnessFigure{Measure: results.HarnessGoroutines, Subject: goroutinesSubject(g), Tool: results.ToolPlainGo, Procs: p},
					val(1/x, "sec/op"), val(x, workloads.UnitRate)); err != nil {
					return err
				}
			}
			for _, t := range []struct {
				tool         string
				most, fewest float64
			}{{results.ToolParbench, ops[most], ops[fewest]}, {results.ToolPlainGo, plain[p][most], plain[p][fewest]}} {
				h := results.HarnessFigure{Measure: results.HarnessGoroutines, Subject: goroutinesRatioSubject(most, fewest), Tool: t.tool, Procs: p}
				if err := w.figure(h, val(t.most/t.fewest, results.UnitRatio)); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// GoroutinesLatency is GoroutinesWorkload's wait per op in the
// goroutines measure: its default (--io-latency), which the parbench
// run keeps.
var GoroutinesLatency = workloads.DefaultParams().IOLatency

// PlainResult runs PlainSleep and returns its result line, named as
// parbench names the point (the plainsleep command's output):
// g*opsEach ops and the time per op.
func PlainResult(g, opsEach, procs int, latency time.Duration) string {
	rate := PlainSleep(g, opsEach, procs, latency)
	name := results.Point{Workload: GoroutinesWorkload, Lock: "none", Goroutines: g, Procs: procs}.Name()
	return fmt.Sprintf("Benchmark%s %d %g sec/op", name, g*opsEach, 1/rate)
}

// PlainSleep is the goroutines measure's reference: GoroutinesWorkload's
// work as a plain Go program does it, with none of parbench's harness
// (the plainsleep command runs it in a fresh process). At GOMAXPROCS
// procs (restored after), g
// goroutines are started and wait on a channel; once all wait, the
// clock starts and the channel is closed; each goroutine sleeps latency
// opsEach times and exits; the clock stops when the last has. It
// returns g*opsEach ops over that time, per second.
func PlainSleep(g, opsEach, procs int, latency time.Duration) float64 {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	ready.Add(g)
	done.Add(g)
	for range g {
		go func() {
			defer done.Done()
			ready.Done()
			<-start
			for range opsEach {
				time.Sleep(latency)
			}
		}()
	}
	ready.Wait()
	runtime.GC()
	t0 := time.Now()
	close(start)
	done.Wait()
	return float64(g) * float64(opsEach) / time.Since(t0).Seconds()
}

// pointValues is a results line's op count and values by unit.
type pointValues struct {
	iters int
	vals  map[string]float64
}

// readPointsFile reads a results file's last sample of each point: its
// op count and values by unit, by result name (without "Benchmark").
func readPointsFile(path string) (map[string]pointValues, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readPoints(f, path)
}

func readPoints(r io.Reader, file string) (map[string]pointValues, error) {
	out := map[string]pointValues{}
	err := scanResults(r, file, func(p results.Point, rec *benchfmt.Result) {
		m := map[string]float64{}
		for _, v := range rec.Values {
			m[v.Unit] = v.Value
		}
		out[p.Name()] = pointValues{iters: rec.Iters, vals: m}
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
		if h.Measure != results.HarnessGoroutines || h.Vs != "" {
			continue
		}
		plain := h.Tool == results.ToolPlainGo
		if !plain && h.Tool != results.ToolParbench {
			continue
		}
		r := row(h.Procs)
		if strings.Contains(h.Subject, "-over-") {
			if plain {
				r.PlainRatio = get(h, results.UnitRatio)
			} else {
				r.Ratio = get(h, results.UnitRatio)
			}
			continue
		}
		g, err := strconv.Atoi(strings.TrimSuffix(h.Subject, "-goroutines"))
		if err != nil {
			continue
		}
		i, found := slices.BinarySearch(r.Goroutines, g)
		if !found {
			r.Goroutines = slices.Insert(r.Goroutines, i, g)
			r.Ops = slices.Insert(r.Ops, i, nil)
			r.Bytes = slices.Insert(r.Bytes, i, nil)
			r.PlainOps = slices.Insert(r.PlainOps, i, nil)
		}
		if plain {
			r.PlainOps[i] = get(h, workloads.UnitRate)
		} else {
			r.Ops[i] = get(h, workloads.UnitRate)
			r.Bytes[i] = get(h, results.UnitBytesPerGoroutine)
		}
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
		fmt.Fprintf(w, "\n%s ops/s by goroutines, GOMAXPROCS %d, --lock none (median over the rounds [min-max]; plain Go: the same ops without parbench, in the same round):\n", GoroutinesWorkload, r.Procs)
		for i, g := range r.Goroutines {
			b := Summarize(r.Bytes[i])
			bytes := "-"
			if b.N > 0 && !math.IsNaN(b.Median) {
				bytes = num(b.Median)
			}
			fmt.Fprintf(w, "  %d goroutines: %s ops/s, %s B/goroutine; plain Go %s ops/s, parbench over plain Go %s\n", g,
				rangeString(Summarize(r.Ops[i]), ""), bytes, rangeString(Summarize(r.PlainOps[i]), ""), rangeString(Summarize(Ratios(r.Ops[i], r.PlainOps[i])), "x"))
		}
		fmt.Fprintf(w, "  %d over %d goroutines, round by round: %s (plain Go %s; goal: at least 0.9x)\n", most, fewest,
			rangeString(Summarize(r.Ratio), "x"), rangeString(Summarize(r.PlainRatio), "x"))
	}
}
