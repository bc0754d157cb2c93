package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/parbench/parbench/bench"
	"github.com/parbench/parbench/results"
)

// resumed is a results file that `parbench run --resume` continues.
//
// The sweep's settings come back from the file's configuration: every
// key that names a flag sets that flag, unless the command line gave it.
// A flag given with a value other than the file's is refused, as is a
// file measured on another machine or Go version: appending would mix
// two sweeps in one file. The appended results carry the file's own
// configuration, so benchstat sees one sweep; a note records the date,
// host and commit of the resumption.
type resumed struct {
	path     string
	run      *results.Run
	explicit map[string]bool // flags given on the command line
	prior    map[string]bench.Prior
}

// fileFlags maps a file configuration key to its flag where they differ.
var fileFlags = map[string]string{"locks": "lock"}

func flagOf(key string) string {
	if f, ok := fileFlags[key]; ok {
		return f
	}
	return key
}

// machineKeys must be the same in the file and here: numbers from two
// machines or two Go versions do not belong in one sweep.
var machineKeys = map[string]bool{"goos": true, "goarch": true, "cpu": true, "ncpu": true, "cpu-quota": true, "go": true}

// freeKeys describe the run, not the sweep, and may differ.
// "profiles" (the profiles folder of a --profile run) may also be absent
// here: a resumed run is not profiled.
var freeKeys = map[string]bool{"date": true, "host": true, "parbench-version": true, "parbench-commit": true, "profiles": true}

// loadResume reads --resume's file and sets every flag the command line
// left alone to the file's value.
func loadResume(fs *flag.FlagSet, f *runFlags) (*resumed, error) {
	explicit := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { explicit[fl.Name] = true })
	if explicit["out"] {
		return nil, usagef("--resume %s appends to that file: drop --out", f.resume)
	}
	if explicit["force"] {
		return nil, usagef("--resume and --force exclude each other: --resume continues a file, --force replaces it")
	}
	data, err := os.ReadFile(f.resume)
	if err != nil {
		return nil, usagef("--resume: %v", err)
	}
	run, err := results.ReadRun(f.resume, data)
	if err != nil {
		return nil, usagef("--resume: %v", err)
	}
	if len(run.Samples) == 0 {
		return nil, usagef("--resume %s: the file holds no results, so no settings to resume (start a new run)", f.resume)
	}
	for _, kv := range run.Config {
		name := flagOf(kv.Key)
		if explicit[name] || fs.Lookup(name) == nil {
			continue
		}
		if err := fs.Set(name, kv.Value); err != nil {
			return nil, usagef("--resume %s: the file's %s %q is not a valid --%s: %v", f.resume, kv.Key, kv.Value, name, err)
		}
	}
	return &resumed{path: f.resume, run: run, explicit: explicit}, nil
}

// check compares the file with the sweep c would run and works out what
// each point already has. It refuses a file whose settings or samples
// do not fit c, naming the flag or the file:line.
func (r *resumed) check(c bench.Config, now time.Time) error {
	file := map[string]string{}
	for _, kv := range r.run.Config {
		file[kv.Key] = kv.Value
	}
	here := map[string]bool{}
	for _, kv := range c.FileConfig(now) {
		here[kv.Key] = true
		fv, ok := file[kv.Key]
		switch {
		case freeKeys[kv.Key] || (ok && fv == kv.Value):
		case !ok:
			return usagef("--resume %s: the file does not record %s (another parbench version?): start a new run", r.path, kv.Key)
		case machineKeys[kv.Key]:
			return usagef("--resume %s: the file was measured with %s %q, this run has %q: resume where the sweep began, or start a new run",
				r.path, kv.Key, fv, kv.Value)
		case r.explicit[flagOf(kv.Key)]:
			return usagef("--resume %s: --%s %s differs from the file's %s (a resumed sweep keeps its settings: drop --%s, or start a new run)",
				r.path, flagOf(kv.Key), kv.Value, fv, flagOf(kv.Key))
		default:
			return usagef("--resume %s: %s is %q in the file but %q in this run: start a new run", r.path, kv.Key, fv, kv.Value)
		}
	}
	for _, kv := range r.run.Config {
		if !here[kv.Key] && !freeKeys[kv.Key] {
			return usagef("--resume %s: the file records %s, which this parbench does not: start a new run", r.path, kv.Key)
		}
	}

	points := map[string]bool{}
	for _, p := range c.Points() {
		points[p.Name()] = true
	}
	prior := map[string]bench.Prior{}
	for _, s := range r.run.Samples {
		if !points[s.Name] {
			return usagef("--resume: %s:%d: %s is not a point of the sweep the file records", r.path, s.Line, s.Name)
		}
		p := prior[s.Name]
		p.SecPerOp = append(p.SecPerOp, s.SecPerOp)
		if len(p.SecPerOp) > c.Count {
			return usagef("--resume: %s:%d: %s has more samples than --count %d", r.path, s.Line, s.Name, c.Count)
		}
		prior[s.Name] = p
	}
	// A stop note counts only if the point still has the samples it
	// had then: otherwise the file was edited, and sampling goes on.
	for _, n := range r.run.Notes {
		if n.Key != results.NoteStop {
			continue
		}
		p, ok := prior[n.Point()]
		if ok && n.Field("samples") == strconv.Itoa(len(p.SecPerOp)) {
			p.Stopped = true
			prior[n.Point()] = p
		}
	}
	r.prior = prior
	return nil
}

// open opens the file for appending: it drops a cut-off last line and
// deletes configuration keys left set at the end (a cut-off note).
func (r *resumed) open() (*os.File, error) {
	f, err := os.OpenFile(r.path, os.O_RDWR, 0)
	if err != nil {
		return nil, usagef("--resume: %v", err)
	}
	if err := f.Truncate(int64(r.run.Complete)); err != nil {
		f.Close()
		return nil, fmt.Errorf("--resume %s: dropping the cut-off last line: %w", r.path, err)
	}
	if _, err := f.Seek(0, io.SeekEnd); err != nil {
		f.Close()
		return nil, fmt.Errorf("--resume %s: %w", r.path, err)
	}
	for _, k := range r.run.Dangling {
		if _, err := fmt.Fprintf(f, "%s:\n", k); err != nil {
			f.Close()
			return nil, fmt.Errorf("--resume %s: %w", r.path, err)
		}
	}
	return f, nil
}

// note is the resumption's note: this run's date, host and commit.
func (r *resumed) note(now time.Time) results.Note {
	host, _ := os.Hostname()
	_, commit := results.Build()
	return results.Note{Key: results.NoteResumed, Value: fmt.Sprintf("date=%s host=%s parbench-commit=%s samples-in-file=%d",
		now.UTC().Format(time.RFC3339), host, commit, len(r.run.Samples))}
}
