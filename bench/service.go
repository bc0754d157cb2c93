package bench

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/parbench/parbench/results"
	"github.com/parbench/parbench/workloads"
)

// ServiceConfig is the server shape of a sweep of served workloads
// (workloads.Served: webapp/*): the --server-workers and
// --server-threads sweep dimensions, gunicorn's --workers and --threads.
// The zero value is no shape: each workload starts with Start, and a
// point's lock holds its goroutines, as before.
//
// With a shape, a point's lock is its service's: the runner starts one
// instance per workload, lock and shape (StartService), each of its
// Workers processes makes a fresh lock of the point's mode per sample,
// shared by its Threads threads, and the point's goroutines, the
// clients, run under lock "none": they are the load generator, not the
// program under test.
type ServiceConfig struct {
	// Workers is the --server-workers list: worker processes of the
	// service. nil, with Threads set, means {1}.
	Workers []int
	// Threads is the --server-threads list: threads per worker
	// process. nil, with Workers set, means {1}.
	Threads []int
	// Command is the --server-cmd: an external program and its
	// arguments that each worker process runs instead of the
	// workload's own service (workloads.Service.Command), such as a
	// CPython WSGI service. Its interpreter has its own lock, so the
	// sweep's {Locks} must be none. Set alone, it makes the sweep
	// served with one worker of one thread.
	Command []string
}

// served reports whether the sweep has a server shape.
func (s ServiceConfig) served() bool { return s.Workers != nil || s.Threads != nil || s.Command != nil }

func (s ServiceConfig) workers() []int { return orOne(s.Workers) }
func (s ServiceConfig) threads() []int { return orOne(s.Threads) }

// orOne is xs, or {1} for a list not given: one list of the shape
// given alone sweeps against a single worker or a single thread.
func orOne(xs []int) []int {
	if xs == nil {
		return []int{1}
	}
	return xs
}

// given names the fields of the shape that were set, in braces, for an
// error's text: "{Service.Workers} and {Service.Threads}".
func (s ServiceConfig) given() (first, all string) {
	var fs []string
	if s.Workers != nil {
		fs = append(fs, "Service.Workers")
	}
	if s.Threads != nil {
		fs = append(fs, "Service.Threads")
	}
	if s.Command != nil {
		fs = append(fs, "Service.Command")
	}
	return fs[0], "{" + strings.Join(fs, "} and {") + "}"
}

// validate checks the shape: each value within workloads.Service's
// bounds (its Check says what is valid), none twice, every workload of
// ws a workloads.Served, and the clients as goroutines of this process;
// and a Command, if any, not empty and under lock none only.
func (s ServiceConfig) validate(ws []workloads.Workload, e ExecConfig, locks []string) error {
	if !s.served() {
		return nil
	}
	if s.Command != nil {
		if len(s.Command) == 0 || s.Command[0] == "" {
			return &FieldError{Field: "Service.Command", Value: strconv.Quote(FormatCommand(s.Command)), Err: errors.New("empty command (want a program and its arguments)")}
		}
		for _, l := range locks {
			if l != "none" {
				return &FieldError{Field: "Service.Command", Value: strconv.Quote(FormatCommand(s.Command)),
					Err: fmt.Errorf("the command's interpreter has its own lock (its GIL), so {Locks} must be none, not %s", l)}
			}
		}
	}
	for _, d := range []struct {
		field string
		xs    []int
		shape func(n int) workloads.Service
	}{
		{"Service.Workers", s.workers(), func(n int) workloads.Service { return workloads.Service{Workers: n, Threads: 1} }},
		{"Service.Threads", s.threads(), func(n int) workloads.Service { return workloads.Service{Workers: 1, Threads: n} }},
	} {
		if len(d.xs) == 0 {
			return &FieldError{Field: d.field, Err: errors.New("empty list")}
		}
		seen := map[int]bool{}
		for _, x := range d.xs {
			if err := d.shape(x).Check(); err != nil {
				var pe *workloads.ParamError
				if errors.As(err, &pe) {
					return &FieldError{Field: pe.Param, Value: pe.Value, Err: pe.Err}
				}
				return &FieldError{Field: d.field, Value: strconv.Itoa(x), Err: err}
			}
			if seen[x] {
				return &FieldError{Field: d.field, Err: fmt.Errorf("%d given twice", x)}
			}
			seen[x] = true
		}
	}
	field, fields := s.given()
	for _, w := range ws {
		if _, ok := w.(workloads.Served); !ok {
			return &FieldError{Field: field, Err: fmt.Errorf("%s has no service to shape (served workloads: %s): drop it from {Workloads}, or drop %s",
				w.Name(), workloadsWhere(func(w workloads.Workload) bool { _, ok := w.(workloads.Served); return ok }), fields)}
		}
	}
	// A served workload that is not a GoroutinesOnly (Exec.validate
	// refuses those first) still has its clients here: its Instance
	// lives in this process.
	if e.processes() {
		return &FieldError{Field: "Exec.Modes", Value: ExecProcesses, Err: fmt.Errorf("the clients of a served sweep (%s) run as goroutines; its service has the processes: use {Exec.Modes} %s", fields, ExecGoroutines)}
	}
	return nil
}

// serviceShape is one value of the server shape dimension: its keys in
// the result name and the shape its instance runs. The zero value is no
// shape (a sweep without ServiceConfig).
type serviceShape struct {
	extra            []results.KV
	workers, threads int
}

func (s serviceShape) served() bool { return s.workers > 0 }

// shapes expands the server shape dimension, workers then threads. A
// sweep without a shape has one shape with no keys, so names stay as
// they were; otherwise every point carries server-workers= and
// server-threads=, the one given alone too.
func (s ServiceConfig) shapes() []serviceShape {
	if !s.served() {
		return []serviceShape{{}}
	}
	var ss []serviceShape
	for _, w := range s.workers() {
		for _, t := range s.threads() {
			ss = append(ss, serviceShape{
				extra: []results.KV{
					{Key: results.KeyServerWorkers, Value: strconv.Itoa(w)},
					{Key: results.KeyServerThreads, Value: strconv.Itoa(t)},
				},
				workers: w, threads: t,
			})
		}
	}
	return ss
}

// service is the workloads.Service of shape s under lock mode lock.
func (c *Config) service(lock string, s serviceShape) workloads.Service {
	return workloads.Service{Workers: s.workers, Threads: s.threads, Lock: lock,
		SwitchInterval: c.LockOpts.SwitchInterval, CheckInterval: c.LockOpts.CheckInterval,
		Command: c.Service.Command}
}

// ParseCommand splits a command line into its words as a shell would,
// simply: words are separated by blanks; single quotes keep what they
// hold as it is; double quotes keep it too, but for \" and \\; a
// backslash outside quotes keeps the next character. No variables,
// globs or other expansions. An unterminated quote or a trailing
// backslash is an error. FormatCommand is its inverse.
func ParseCommand(line string) ([]string, error) {
	var (
		words []string
		cur   strings.Builder
		in    bool // a word has begun (possibly empty, as '')
	)
	rs := []rune(line)
	for i := 0; i < len(rs); i++ {
		switch r := rs[i]; {
		case r == ' ' || r == '\t' || r == '\n':
			if in {
				words = append(words, cur.String())
				cur.Reset()
				in = false
			}
		case r == '\\':
			if i+1 == len(rs) {
				return nil, errors.New("a backslash at the end")
			}
			i++
			cur.WriteRune(rs[i])
			in = true
		case r == '\'':
			j := i + 1
			for j < len(rs) && rs[j] != '\'' {
				j++
			}
			if j == len(rs) {
				return nil, errors.New("a single quote without its end")
			}
			cur.WriteString(string(rs[i+1 : j]))
			i, in = j, true
		case r == '"':
			j := i + 1
			for ; j < len(rs) && rs[j] != '"'; j++ {
				if rs[j] == '\\' && j+1 < len(rs) && (rs[j+1] == '"' || rs[j+1] == '\\') {
					j++
				}
				cur.WriteRune(rs[j])
			}
			if j == len(rs) {
				return nil, errors.New("a double quote without its end")
			}
			i, in = j, true
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	if in {
		words = append(words, cur.String())
	}
	return words, nil
}

// FormatCommand joins words into a line that ParseCommand splits back
// into them, and a POSIX shell too: a word of only letters, digits and
// -_./=:,+@% as it is, any other in single quotes, a single quote in it
// ending them for an escaped one and opening them again:
//
//	it's  ->  'it'\''s'
//
// It is the one quoting of a command line that parbench prints (the
// --server-cmd of a run's configuration, the command that reruns a
// failed point).
func FormatCommand(words []string) string {
	out := make([]string, len(words))
	for i, w := range words {
		plain := w != ""
		for _, r := range w {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=:,+@%", r)) {
				plain = false
				break
			}
		}
		if plain {
			out[i] = w
		} else {
			out[i] = "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
		}
	}
	return strings.Join(out, " ")
}

// clientLock is the lock mode of a sample's goroutines: the point's, or
// "none" for a served point, whose lock is its service's.
func (pt *point) clientLock() string {
	if pt.shape.served() {
		return "none"
	}
	return pt.Lock
}
