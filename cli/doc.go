// Package cli is the whole parbench command as a library: the official
// binary (cmd/parbench) is Main plus the built-in webapp workloads, and a
// binary of your own is Main plus your workloads, with every feature of
// the official one: interleaved sweeps, --lock, --exec processes,
// --profile, --resume, the report and its HTML page.
//
// A custom binary is a main package that imports the packages that
// register its workloads (workloads.Register, from an init function) and
// calls Main:
//
//	package main
//
//	import (
//		"github.com/parbench/parbench/cli"
//
//		_ "example.com/mymod/myworkloads" // registers myworkloads/...
//	)
//
//	func main() { cli.Main() }
//
// Then `go build -o mybench . && ./mybench list` shows your workloads
// beside the built-in cpu/, io/, mixed and latency/ ones, and
// `./mybench run --workloads myworkloads --lock none,gil` measures them.
// The webapp/ workloads come only with an import of
// github.com/parbench/parbench/workloads/webapp (which brings SQLite and a
// PostgreSQL driver): package cli does not import it.
//
// The data flow of a command line:
//
//  1. Run parses the command and its flags. Every flag of `run` maps to a
//     field of bench.Config (workloads by name through workloads.Lookup,
//     lock modes through package gil); a bad value is a usage error that
//     names the flag and what would be valid (exit status 2).
//  2. `run` hands the Config to bench.RunFile, which sweeps the points
//     into a results file in the standard Go benchmark format (a new file,
//     or the one --resume continues), and prints the file's path. A
//     failure of bench's, which names Config fields, is reported with the
//     flag that set the field.
//  3. `report` reads results files, parbench's or any `go test -bench`
//     output, through package analysis and prints the tables, fits and a
//     verdict per group (text, Markdown, CSV or JSON), and with --html or
//     --png the page or the plots. Package analysis never imports the run
//     side: it works on files, wherever they came from.
//  4. `profile`, `calibrate` and `selfbench` measure one point under the
//     profilers, real CPython beside the simulated GIL, and parbench's own
//     harness.
//
// Worker processes. A point of --exec processes runs its goroutines'
// ops in worker processes that re-execute os.Executable(), the running
// binary, which is yours in a custom binary. Main serves a worker's pipe
// before it reads the command line, and a worker finds its workload by
// name in the same registry. So register workloads from init functions
// of packages the main package imports, which run in every process: a
// workload registered only in the parent (after a flag of your own, say)
// is an unknown workload in its workers, and its exec=processes points
// fail. For the same reason a program that calls Run instead of Main
// cannot run --exec processes, nor a served workload's service
// processes (--server-workers, --server-threads), nor a replicated
// workload's replicas (cluster/*: --replicas), which are the same
// binary re-executed too.
//
// Stability: Main and Run are the package's API, and the exit statuses
// (0 success, 1 a failed run, 2 a usage error). The commands and flags
// are the command's interface, documented by `parbench -h` and
// `parbench <command> -h` (run -h lists every flag); the results format
// is package results'.
package cli
