package cli

import (
	"errors"
	"flag"

	"github.com/parbench/parbench/bench"
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
	for _, kv := range r.Run.Config {
		name := flagOf(kv.Key)
		if given[name] || fs.Lookup(name) == nil {
			continue
		}
		if err := fs.Set(name, kv.Value); err != nil {
			return nil, usagef("--resume %s: the file's %s %q is not a valid --%s: %v", f.resume, kv.Key, kv.Value, name, err)
		}
	}
	return r, nil
}
