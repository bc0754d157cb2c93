package cli

import (
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/parbench/parbench/bench"
)

// fieldFlags is the flag of each bench.Config field that the library's
// errors name (bench.FieldError, bench.ResumeError): the one table from
// the library's fields to the command's flags.
var fieldFlags = map[string]string{
	"Workloads":               "--workloads",
	"Procs":                   "--procs",
	"Goroutines":              "--goroutines",
	"Locks":                   "--lock",
	"Count":                   "--count",
	"Benchtime":               "--benchtime",
	"Scaling":                 "--scaling",
	"TargetCI":                "--target-ci",
	"SampleTimeout":           "--sample-timeout",
	"LockOpts.SwitchInterval": "--switch-interval",
	"LockOpts.CheckInterval":  "--check-interval",
	"Params.IOLatency":        "--io-latency",
	"Params.ServerLatency":    "--server-latency",
	"Params.IOFraction":       "--io-fraction",
	"Params.OpTime":           "--op-time",
	"Params.CPUGoroutines":    "--cpu-goroutines",
	"Params.DB":               "--db",
	"Params.Faults":           "--faults",
	"Params.HandlerCPU":       "--handler-cpu",
	"Params.DBLatency":        "--db-latency",
	"Params.Rate":             "--rate",
	"Params.Replicas":         "--replicas",
	"Params.Partition":        "--partition",
	"Params.PhaseTime":        "--phase-time",
	"Params.SyncInterval":     "--sync-interval",
	"Params.RequestTimeout":   "--request-timeout",
	"Params.WriteQuorum":      "--write-quorum",
	"Params.ReadQuorum":       "--read-quorum",
	"Consistency":             "--consistency",
	"Service.Workers":         "--server-workers",
	"Service.Threads":         "--server-threads",
	"Service.Command":         "--server-cmd",
	"Exec.Modes":              "--exec",
	"Exec.Payloads":           "--payload",
	"Exec.IncludeStartup":     "--include-startup",
}

// flagName is the flag of a Config field; a field without one keeps its
// Go name.
func flagName(field string) string {
	if f, ok := fieldFlags[field]; ok {
		return f
	}
	return field
}

// fileFlags maps a file configuration key to its flag where they differ.
var fileFlags = map[string]string{"locks": "lock"}

// flagOf is the flag, without its dashes, that sets a file
// configuration key.
func flagOf(key string) string {
	if f, ok := fileFlags[key]; ok {
		return f
	}
	return key
}

// givenFlags returns the flags the command line set.
func givenFlags(fs *flag.FlagSet) map[string]bool {
	given := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { given[fl.Name] = true })
	return given
}

// cliError is a library error as the command reports it: Config fields
// and the results file named by their flags, and the command line's
// faults (a bad setting, a file that cannot be created or resumed) made
// usage errors, exit status 2. given holds the flags the command line
// set: a resumed setting that differs names its flag when it was given.
func cliError(err error, given map[string]bool) error {
	var (
		fe *bench.FieldError
		re *bench.ResumeError
	)
	switch {
	case err == nil:
		return nil
	case errors.As(err, &fe):
		return usageError{errors.New(fe.Message(flagName))}
	case errors.Is(err, bench.ErrInvalid):
		return usageError{err}
	case errors.As(err, &re):
		if fl := flagOf(re.Key); re.Key != "" && given[fl] {
			return usagef("--resume %s: --%s %s differs from the file's %s (a resumed sweep keeps its settings: drop --%s, or start a new run)",
				re.Path, fl, re.Run, re.File, fl)
		}
		if re.Line > 0 {
			return usagef("--resume: %s", re.Message(flagName))
		}
		return usagef("--resume %s", re.Message(flagName))
	}
	if file, ok := err.(*bench.FileError); ok {
		return fileError(file)
	}
	// A join (Run's error and a note's, a close's): map each part.
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		parts := j.Unwrap()
		mapped := make([]error, len(parts))
		changed := false
		for i, p := range parts {
			mapped[i] = cliError(p, given)
			changed = changed || mapped[i] != p
		}
		if changed {
			return errors.Join(mapped...)
		}
	}
	return err
}

// fileError names the results file by the flag that chose it: --out
// for a new file, --resume for one continued.
func fileError(e *bench.FileError) error {
	switch e.Op {
	case bench.OpCreate:
		if errors.Is(e.Err, os.ErrExist) {
			return usagef("--out %s: file exists (results are never overwritten: choose a new name, continue it with --resume, or replace it with --force)", e.Path)
		}
		return usagef("--out %s: %w", e.Path, e.Err)
	case bench.OpMkdir:
		return fmt.Errorf("--out: %w", e.Err)
	case bench.OpOpen:
		return usagef("--resume: %w", e.Err)
	case bench.OpTruncate:
		return fmt.Errorf("--resume %s: dropping the cut-off last line: %w", e.Path, e.Err)
	case bench.OpAppend:
		return fmt.Errorf("--resume %s: %w", e.Path, e.Err)
	default: // OpWrite, OpClose
		return fmt.Errorf("--out %s: %w", e.Path, e.Err)
	}
}
