// Package results is parbench's results format: the standard Go benchmark
// format (golang.org/x/perf/benchfmt), with parbench's configuration in
// result names and file configuration lines. The runner writes it and the
// analysis reads it; neither needs the other.
//
// The data flow:
//
//  1. Machine describes where a run happens (goos, goarch, cpu, ncpu, the
//     cgroup CPU quota, the Go version, parbench's version and commit) as
//     file configuration lines.
//  2. A sweep point (workload, lock mode, goroutines, GOMAXPROCS) becomes
//     a result name with Point.Name:
//     BenchmarkCPU/sha256/lock=none/goroutines=8-2. Each key is a
//     benchstat sub-name key (/lock, /goroutines, /gomaxprocs), so
//     `benchstat -col /gomaxprocs` slices a file with no extra tooling.
//  3. Create opens a new results file, never overwriting one, locked
//     against a second writer (lock.go; Open locks a file to resume), and the
//     runner writes one result line per sample through benchfmt.Writer,
//     so an interrupted run keeps every finished sample.
//  4. Readers get the Point back from a name with ParseName, which also
//     accepts plain `go test -bench` names.
//
// The round contract. `parbench run` samples its points in rounds: after
// each point's calibration, every point still sampling takes exactly one
// sample a round (the first round in sweep order, each later one in a
// shuffled order), and a point that stops (--count, --target-ci) or fails
// takes no more. So in a file with a parbench-version line, within one run
// segment (from a parbench-calibration note, which `parbench run` writes
// at the start of every run, or a parbench-resumed note, to the next such
// note or change of configuration; results before any such note belong
// to no segment), the k-th result line of each point was taken
// in the segment's k-th round, beside every other point's k-th: a drift
// that slows a whole round slows both of two points' k-th samples. A
// reader may pair samples by that count (the analysis does, for the
// intervals of its ratios). A runner that changes how it takes samples
// must keep this, or stop writing files that claim it. Plain `go test
// -bench` output does not keep it: it takes one benchmark's -count
// samples one after another, then the next benchmark's.
//
// This package owns the whole format, so that writer and readers agree
// through it and not through copies of strings:
//
//   - the result names (Point.Name, ParseName);
//   - every file configuration key (the Key* constants) with its Role:
//     the machine, how the run was made, the sweep (these three ignored
//     by `make compare`, CompareIgnoredKeys), how points are measured,
//     and the settings that change what an op costs (SettingKeys);
//   - each workload's Class, written by the runner from the workload
//     itself in the classes line (FormatClasses, ParseClasses), so that
//     no reader decides by a workload's name; LegacyClass serves the
//     files written before that line;
//   - the notes (Note*, WriteNote) and ReadRun, which reads a file back
//     to resume it; a watchdog's dump of a hung sample spans many notes
//     (StallNotes writes them, Stalls reads them back); LineReader,
//     through which benchfmt reads a file with lines of any length;
//   - the profiles folder of a profiled run: its file names (Profile*),
//     sample types (Sample*) and pprof labels (Label*), and ProfilesDir;
//   - a calibration file (`parbench calibrate`, calibrate.go): its key
//     (KeyCalibrate, KeyPython) and its figures' names (Figure,
//     ParseFigure);
//   - a harness file (`parbench selfbench`, harness.go): its key
//     (KeyHarness), its figures' names (HarnessFigure,
//     ParseHarnessFigure) and units.
//
// The files under this directory are committed reference runs, each
// with the machine it ran on in its configuration lines.
package results
