package cli_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"os"

	"github.com/parbench/parbench/cli"
)

// A custom binary's whole main: the imports register the workloads
// (here none beyond the built-in ones), and Main is the command.
func ExampleMain() {
	cli.Main()
}

// Run is the command with its writers injected: here `parbench report`
// on a results file of two workloads, as CSV, one row per point.
func ExampleRun() {
	var out, errs bytes.Buffer
	code := cli.Run([]string{"report", "--format", "csv", "testdata/report-vm.txt"}, &out, &errs)
	fmt.Println("exit status", code)
	rows, err := csv.NewReader(&out).ReadAll()
	if err != nil {
		fmt.Println(err)
		return
	}
	col := map[string]int{}
	for i, name := range rows[0] {
		col[name] = i
	}
	points := map[string]int{}
	var groups []string
	for _, r := range rows[1:] {
		g := r[col["workload"]] + " lock=" + r[col["lock"]]
		if points[g] == 0 {
			groups = append(groups, g)
		}
		points[g]++
	}
	for _, g := range groups {
		fmt.Printf("%s: %d points\n", g, points[g])
	}
	// Output:
	// exit status 0
	// cpu/sha256 lock=none: 6 points
	// io/sleep lock=none: 6 points
}

// A bad command line is a usage error, exit status 2, with a message on
// stderr that names the flag and what would be valid; nothing is run.
func ExampleRun_usageError() {
	code := cli.Run([]string{"run", "--procs", "0"}, os.Stdout, os.Stdout)
	fmt.Println("exit status", code)
	// Output:
	// parbench: --procs: 0 out of range (want 1 to 1024)
	// exit status 2
}
