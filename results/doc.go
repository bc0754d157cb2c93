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
//  3. Create opens a new results file, never overwriting one, and the
//     runner writes one result line per sample through benchfmt.Writer,
//     so an interrupted run keeps every finished sample.
//  4. Readers get the Point back from a name with ParseName, which also
//     accepts plain `go test -bench` names.
//
// The files under this directory are committed reference runs, each
// with the machine it ran on in its configuration lines.
package results
