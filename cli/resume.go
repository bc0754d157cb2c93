package cli

import (
	"errors"
	"flag"
	"strings"

	"github.com/parbench/parbench/bench"
	"github.com/parbench/parbench/results"
	"github.com/parbench/parbench/workloads"
)

// loadResume reads --resume's file (bench.ReadResume) and sets every
// flag the command line left alone (given) to the file's value, so that
// the resumed sweep is the file's. bench.RunFile then checks the file
// against the sweep, appends and notes.
func loadResume(fs *flag.FlagSet, f *runFlags, given map[string]bool) (*bench.Resume, error) {
	if given["out"] {
		return nil, usagef("--resume %s appends to that file: drop --out", f.resume)
	}
	if given["force"] {
		return nil, usagef("--resume and --force exclude each other: --resume continues a file, --force replaces it")
	}
	r, err := bench.ReadResume(f.resume)
	if errors.As(err, new(*bench.ResumeError)) {
		return nil, cliError(err, given)
	}
	if err != nil {
		return nil, usagef("--resume: %v", err)
	}
	allRepl := allReplicated(r.Run.Config)
	designs := ""
	for _, kv := range r.Run.Config {
		if kv.Key == results.KeyConsistency {
			designs = kv.Value
		}
	}
	for _, kv := range r.Run.Config {
		name := flagOf(kv.Key)
		if given[name] || fs.Lookup(name) == nil {
			continue
		}
		// A sweep with a workload that is not replicated records its
		// replicated workloads' designs, but cannot have been given
		// --consistency (Validate refuses it): the flag stays unset.
		if kv.Key == results.KeyConsistency && !allRepl {
			continue
		}
		// W and R are refused under any design but quorum: a sweep that
		// ran others too had them at 0, a majority, which the file
		// records as the number; the flags stay unset.
		if (kv.Key == results.KeyWriteQuorum || kv.Key == results.KeyReadQuorum) && designs != workloads.ConsistencyQuorum {
			continue
		}
		if err := fs.Set(name, kv.Value); err != nil {
			return nil, usagef("--resume %s: the file's %s %q is not a valid --%s: %v", f.resume, kv.Key, kv.Value, name, err)
		}
	}
	return r, nil
}

// allReplicated reports whether every workload of a file's
// configuration is replicated (workloads.Replicated): false for a name
// not registered, which config then refuses.
func allReplicated(cfg []results.Config) bool {
	for _, kv := range cfg {
		if kv.Key != results.KeyWorkloads {
			continue
		}
		for _, name := range strings.Split(kv.Value, ",") {
			ws, err := workloads.Lookup(name)
			if err != nil || len(ws) != 1 {
				return false
			}
			if _, ok := ws[0].(workloads.Replicated); !ok {
				return false
			}
		}
		return true
	}
	return false
}
