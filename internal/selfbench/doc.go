// Package selfbench measures parbench's own harness beside Go's tools on
// this machine (`parbench selfbench`, `make bench-harness`), so that the
// README's claims about the harness are measured, not typed.
//
// The data flow:
//
//  1. Check what can be checked at once: create the results file (an
//     existing one is refused unless forced) and read the reference
//     run, so that a bad --out or --reference fails before anything
//     is built.
//  2. Build what is timed but not the building of it: the bench
//     package's test binary (go test -c), whose BenchmarkCPU runs the
//     same workloads through testing.B.RunParallel, and benchstat.
//  3. Empty op, each round: the runner's cost per op of an op that
//     does nothing (bench.EmptyOpCost, the median of three samples)
//     and testing.B's (the median of three testing.Benchmark runs: the
//     same estimator), in process; the ratio of the two.
//  4. Precision, each round: `parbench run` on the points
//     (Options.Workloads at Options.Procs, Options.Goroutines
//     goroutines, no lock) and the test binary with -test.bench
//     (BenchRegexp), -test.cpu, -test.count and -test.benchtime on the
//     same points, each timed. ReadSamples reads either output into
//     each point's samples; Spread is benchstat's ± of them
//     (bench.CIHalfWidth); Precision is the median ± times √wall, the ±
//     one second of that tool would give. The ratio of the two tools'
//     figures.
//  5. Report, each round, after one untimed run of each: `parbench
//     report` and benchstat on the reference run and on it repeated,
//     timed, with their peak RSS; the ratio of the wall times.
//  6. Every figure goes into the results file as it is measured (see
//     package results, HarnessFigure and FigureWriter). ReadSummary
//     reads the file back into the Summary, whose Table gives each
//     figure's median over the rounds, its range, and the median of
//     the rounds' ratios; a file can be summarised again the same way.
//
// The tools alternate within each round, parbench first in odd rounds
// and Go's tool first in even ones, so that drift of the machine and
// the warmth of caches fall on both, and each ratio is of two figures
// measured side by side. Nothing here asserts a time: the tests check
// the parsing, the statistics, the order of the calls and the file,
// with fake tools.
package selfbench
