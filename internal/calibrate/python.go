package calibrate

import (
	"bytes"
	"cmp"
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// programs are the Python programs, one per behaviour, and the module
// they share (pbcommon.py). Each runs on CPython 2.7 and 3.x with the
// standard library alone and prints Go benchmark lines.
//
//go:embed python/*.py
var programs embed.FS

// Interpreter is a CPython that runs.
type Interpreter struct {
	// Path is how it was named or found.
	Path string
	// Version is its version, "3.11.2"; Major its first number.
	Version string
	Major   int
	// Exe is its sys.executable, resolved: two names of one interpreter
	// (python3 and python3.11) are one Interpreter.
	Exe string
	// Banner is the first line of its sys.version.
	Banner string
}

// Lock is the parbench lock mode that simulates this interpreter's GIL:
// gil for CPython 3.2 and later, gil-old before (CPython 2's).
func (in Interpreter) Lock() string {
	if in.Major >= 3 {
		return "gil"
	}
	return "gil-old"
}

func (in Interpreter) String() string {
	return fmt.Sprintf("CPython %s (%s)", in.Version, in.Path)
}

// ErrNotCPython is wrapped by Probe's error for an interpreter that
// runs but is not CPython 2.7 or 3.x (PyPy, an older Python).
var ErrNotCPython = errors.New("not CPython 2.7 or 3.x")

// probeScript prints the version, the implementation, sys.executable,
// the first line of sys.version and whether the GIL is on (False on a
// free-threaded build run without it), one a line, on any Python.
const probeScript = `import sys, platform; print("%d.%d.%d" % tuple(sys.version_info[:3])); print(platform.python_implementation()); print(sys.executable); print(sys.version.splitlines()[0]); print(getattr(sys, "_is_gil_enabled", lambda: True)())`

// probeTimeout bounds one probe: an interpreter that does not print its
// version in this long does not count.
const probeTimeout = 20 * time.Second

// Probe runs path to learn what it is. An interpreter counts only if
// running it works: a pyenv shim of a version that is not selected
// fails here, with its own message in the error.
func Probe(ctx context.Context, path string) (Interpreter, error) {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	var out, errb bytes.Buffer
	cmd := exec.CommandContext(ctx, path, "-c", probeScript)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(errb.String())
		if i := strings.IndexByte(msg, '\n'); i >= 0 {
			msg = msg[:i] + " ..."
		}
		if msg != "" {
			return Interpreter{}, fmt.Errorf("%s: %w: %s", path, err, msg)
		}
		return Interpreter{}, fmt.Errorf("%s: %w", path, err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) < 5 {
		return Interpreter{}, fmt.Errorf("%s: printed %q, not its version", path, out.String())
	}
	in := Interpreter{Path: path, Version: strings.TrimSpace(lines[0]), Exe: strings.TrimSpace(lines[2]), Banner: strings.TrimSpace(lines[3])}
	major, minor, ok := versionOf(in.Version)
	impl := strings.TrimSpace(lines[1])
	if !ok || impl != "CPython" || !(major == 3 || major == 2 && minor == 7) {
		return Interpreter{}, fmt.Errorf("%s: %s %s: %w", path, impl, in.Version, ErrNotCPython)
	}
	if strings.TrimSpace(lines[4]) != "True" {
		return Interpreter{}, fmt.Errorf("%s: CPython %s runs without its GIL (a free-threaded build): there is no GIL to calibrate against", path, in.Version)
	}
	in.Major = major
	if r, err := filepath.EvalSymlinks(in.Exe); err == nil {
		in.Exe = r
	}
	return in, nil
}

var versionRE = regexp.MustCompile(`^(\d+)\.(\d+)\.\d+$`)

func versionOf(v string) (major, minor int, ok bool) {
	m := versionRE.FindStringSubmatch(v)
	if m == nil {
		return 0, 0, false
	}
	major, _ = strconv.Atoi(m[1])
	minor, _ = strconv.Atoi(m[2])
	return major, minor, true
}

// Skipped is a candidate interpreter that does not count, and why.
type Skipped struct {
	Path string
	Err  error
}

// nameRE matches the interpreter names Find looks for on PATH.
var nameRE = regexp.MustCompile(`^python([23](\.\d+)?)?$`)

// Candidates returns the interpreters Find tries, in order of
// preference: python3, python2.7, python2 and python, then every other
// pythonX.Y on PATH, then pyenv's installed versions
// (~/.pyenv/versions/*/bin/pythonX.Y, which work without selecting
// the version, unlike pyenv's shims).
func Candidates() []string {
	out := []string{"python3", "python2.7", "python2", "python"}
	seen := map[string]bool{}
	for _, n := range out {
		seen[n] = true
	}
	var more []string
	for _, dir := range filepath.SplitList(os.Getenv("PATH")) {
		ents, err := os.ReadDir(cmp.Or(dir, "."))
		if err != nil {
			continue
		}
		for _, e := range ents {
			if n := e.Name(); nameRE.MatchString(n) && !seen[n] {
				seen[n] = true
				more = append(more, n)
			}
		}
	}
	slices.Sort(more)
	out = append(out, more...)
	if home, err := os.UserHomeDir(); err == nil {
		bins, _ := filepath.Glob(filepath.Join(home, ".pyenv", "versions", "*", "bin", "python[23].[0-9]*"))
		for _, b := range bins {
			if nameRE.MatchString(filepath.Base(b)) {
				out = append(out, b)
			}
		}
	}
	return out
}

// Find returns the interpreters to calibrate against. Named (--python,
// PYTHON=) are each probed, and all that run are used; a named one that
// fails is an error. Otherwise the Candidates are probed and the first
// CPython 3 and the first CPython 2.7 that run are used, one for each
// of parbench's GIL modes; skipped lists the candidates that exist but
// do not run.
func Find(ctx context.Context, named []string) (found []Interpreter, skipped []Skipped, err error) {
	seen := map[string]bool{}
	if len(named) > 0 {
		for _, n := range named {
			in, err := Probe(ctx, n)
			if err != nil {
				return nil, nil, err
			}
			if !seen[in.Exe] {
				seen[in.Exe] = true
				found = append(found, in)
			}
		}
		return found, nil, nil
	}
	have := map[int]bool{}
	for _, c := range Candidates() {
		if m := nameRE.FindStringSubmatch(filepath.Base(c)); m != nil && m[1] != "" {
			if major, _ := strconv.Atoi(m[1][:1]); have[major] {
				continue // a CPython of this major version is found
			}
		}
		if _, err := exec.LookPath(c); err != nil {
			continue // not installed: nothing to say
		}
		in, err := Probe(ctx, c)
		if err != nil {
			skipped = append(skipped, Skipped{c, err})
			continue
		}
		if seen[in.Exe] || have[in.Major] {
			continue
		}
		seen[in.Exe], have[in.Major] = true, true
		found = append(found, in)
	}
	slices.SortStableFunc(found, func(a, b Interpreter) int { return b.Major - a.Major })
	return found, skipped, nil
}

// unpack writes the Python programs into dir, so that each can import
// pbcommon beside it.
func unpack(dir string) error {
	return fs.WalkDir(programs, "python", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := programs.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, filepath.Base(p)), b, 0o644)
	})
}
