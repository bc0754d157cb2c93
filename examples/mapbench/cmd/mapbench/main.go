// Command mapbench is parbench with the workloads of package
// mapworkloads added: every parbench subcommand and flag, and
// `mapbench list` shows mapbench/sharded, mapbench/mutex and
// mapbench/json beside the built-in workloads.
//
//	go build -o mapbench ./cmd/mapbench
//	./mapbench run --workloads mapbench --lock none,gil --exec goroutines,processes
//	./mapbench report results/local/<file>.txt
package main

import (
	"github.com/parbench/parbench/cli"

	_ "example.com/mapbench/mapworkloads" // registers the mapbench/ workloads
)

func main() { cli.Main() }
