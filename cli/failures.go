package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/parbench/parbench/bench"
	"github.com/parbench/parbench/results"
)

// A failed point is shown three times: at once, above the progress bar
// (showFailure, bench.Config.Failed); as a count on the progress line;
// and at the end, each with the command that measures just that point
// again (printFailures).

// showFailure is the line printed the moment a point fails.
func showFailure(w io.Writer, fl bench.Failure) {
	fmt.Fprintf(w, "parbench: FAILED %s: %s (the sweep goes on without it)\n", fl.Point, firstLine(fl.Err.Error()))
}

// printFailures is the end-of-run summary: each failed point, its
// error (and stack, for a panic), and a command that reruns it alone
// with the run's other settings.
func printFailures(w io.Writer, failures []bench.Failure, fs *flag.FlagSet) {
	if len(failures) == 0 {
		return
	}
	noun := "point"
	if len(failures) > 1 {
		noun = "points"
	}
	fmt.Fprintf(w, "parbench: %d %s failed; each, with the command that measures it alone again:\n", len(failures), noun)
	for _, fl := range failures {
		fmt.Fprintf(w, "  %s: %v\n", fl.Point, fl.Err)
		var pe *bench.PanicError
		if errors.As(fl.Err, &pe) {
			fmt.Fprintf(w, "%s\n", pe.Stack)
		}
		if fl.At != nil {
			fmt.Fprintf(w, "    %s\n", bench.FormatCommand(rerunArgs(fs, *fl.At)))
		}
	}
}

// sweepFlags are the flags that rerunArgs sets from the point, or drops:
// the sweep's dimensions, the output and the run's display.
var sweepFlags = map[string]bool{
	"workloads": true, "procs": true, "goroutines": true, "lock": true,
	"exec": true, "payload": true, "include-startup": true, "consistency": true,
	"out": true, "force": true, "resume": true, "quiet": true,
	"profile": true, "trace": true, "trace-point": true,
}

// rerunArgs is a `parbench run` command line that measures the point p
// alone, with every other setting of the run fs parsed (those away from
// their defaults, in name order), to be quoted by bench.FormatCommand. An
// exec=goroutines point with a payload can only run beside its
// exec=processes twin (goroutines alone take no payload), so its
// command measures both.
func rerunArgs(fs *flag.FlagSet, p results.Point) []string {
	args := []string{"parbench", "run", "--workloads", p.Workload}
	if p.Lock != "" {
		args = append(args, "--lock", p.Lock)
	}
	args = append(args, "--goroutines", strconv.Itoa(p.Goroutines), "--procs", strconv.Itoa(p.Procs))
	extra := map[string]string{}
	for _, kv := range p.Extra {
		extra[kv.Key] = kv.Value
	}
	if mode, ok := extra["exec"]; ok {
		payload := extra["payload"]
		switch {
		case mode == bench.ExecProcesses:
			args = append(args, "--exec", mode, "--payload", payload)
		case payload != "" && payload != "0":
			args = append(args, "--exec", bench.ExecGoroutines+","+bench.ExecProcesses, "--payload", payload)
		}
		if mode == bench.ExecProcesses || payload != "0" {
			if fl := fs.Lookup("include-startup"); fl != nil && fl.Value.String() == "true" {
				args = append(args, "--include-startup")
			}
		}
	}
	// A replicated workload's point is of one design.
	if d, ok := extra[results.KeyConsistency]; ok {
		args = append(args, "--consistency", d)
	}
	var names []string
	fs.VisitAll(func(fl *flag.Flag) {
		if !sweepFlags[fl.Name] && fl.Value.String() != fl.DefValue {
			names = append(names, fl.Name)
		}
	})
	sort.Strings(names)
	for _, name := range names {
		v := fs.Lookup(name).Value.String()
		if name == "db" {
			v = hidePassword(v)
		}
		args = append(args, "--"+name, v)
	}
	return args
}

// hidePassword is a --db URL with its password, if any, replaced by
// PASSWORD: a command printed to a terminal or a log must not show it.
func hidePassword(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "PASSWORD-HOLDING-URL" // unparsable: show none of it
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "PASSWORD")
	}
	if q := u.Query(); q.Has("password") {
		q.Set("password", "PASSWORD")
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// firstLine is s up to its first newline.
func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
