package analysis

import (
	"strings"

	"github.com/parbench/parbench/results"
	"golang.org/x/perf/benchfmt"
)

// File is one results file a Builder read (Builder.ReadAs): what the
// file says of itself, beside its samples. Report.Files carries one per
// file read, so that every format, the HTML page's run configuration and
// the profiles come from one reading of each file.
type File struct {
	// Name is the file's name as Read was given it; Label the machine
	// label of ReadAs, or "".
	Name, Label string
	// Config is the file configuration of the file's first result, in
	// file order: the machine, the sweep's settings, the classes and
	// the profiles folder (package results names the keys). Nil when
	// the file has no result.
	Config []results.Config
	// Header is every file configuration key of the file's results, in
	// order of first appearance; a key whose value changes within the
	// file has its values joined with ", ". It is the file's header as
	// a reader sees it (the HTML page's run configuration).
	Header []results.Config
	// Results is the number of result lines, filtered out or not.
	Results int
	// Profiles are the parsed profiles of the folder Config names (see
	// ProfilesDir), once Report.AttachProfiles has read them; nil when
	// the file names none or the folder could not be read.
	Profiles *Profiles

	header       map[string][]string // the values seen of each Header key
	last         []benchfmt.Config   // the configuration add last took (a copy)
	profilesRead bool                // Profiles and profilesErr are set
	profilesErr  error               // why the profiles folder could not be read
}

// Get returns the value of key in the file's configuration (Config), or
// "".
func (f *File) Get(key string) string {
	for _, c := range f.Config {
		if c.Key == key {
			return c.Value
		}
	}
	return ""
}

// ProfilesDir returns the profiles folder the file's configuration
// names (results.KeyProfiles), resolved against the file's folder, or
// "" if none.
func (f *File) ProfilesDir() string {
	return results.ProfilesDir(f.Name, f.Get(results.KeyProfiles))
}

// add counts one result of the file and takes its configuration.
func (f *File) add(res *benchfmt.Result) {
	f.Results++
	first := f.Results == 1
	if f.header == nil {
		f.header = map[string][]string{}
	}
	// A configuration changes only at a configuration line: most
	// results repeat the last one, and have nothing to add.
	if !first && sameConfig(f.last, res.Config) {
		return
	}
	f.last = cloneConfig(f.last, res.Config)
	for _, c := range res.Config {
		if !c.File {
			continue
		}
		v := string(c.Value)
		if first {
			f.Config = append(f.Config, results.Config{Key: c.Key, Value: v})
		}
		seen, ok := f.header[c.Key]
		if !ok {
			f.Header = append(f.Header, results.Config{Key: c.Key, Value: v})
			f.header[c.Key] = []string{v}
			continue
		}
		if !contains(seen, v) {
			seen = append(seen, v)
			f.header[c.Key] = seen
			for i := range f.Header {
				if f.Header[i].Key == c.Key {
					f.Header[i].Value = strings.Join(seen, ", ")
				}
			}
		}
	}
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if x == y {
			return true
		}
	}
	return false
}
