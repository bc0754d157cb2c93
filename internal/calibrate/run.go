package calibrate

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/perf/benchfmt"

	"github.com/parbench/parbench/bench"
	"github.com/parbench/parbench/results"
)

// MinRounds is the fewest rounds a calibration takes: with fewer,
// CPython's spread over its rounds says nothing.
const MinRounds = 3

// Options is one calibration.
type Options struct {
	// Interpreters are the CPythons to calibrate against (Find).
	Interpreters []Interpreter
	// Behaviours are the behaviours to measure (Lookup).
	Behaviours []Behaviour
	// Rounds is how many times each side measures each behaviour,
	// interleaved: at least MinRounds.
	Rounds int
	// Out is the results file to create; Force overwrites it.
	Out   string
	Force bool
	// NCPU is the CPUs parbench's points use (their GOMAXPROCS), the
	// CPUs CPython's threads may run on.
	NCPU int
	// Log receives progress: each step, with an estimate of the time
	// left.
	Log io.Writer
	// Exe runs a Python program; nil runs it with exec.CommandContext.
	// Tests replace it.
	Exe func(ctx context.Context, python string, args []string) ([]byte, error)
}

// runPython runs one Python program and returns its standard output.
func runPython(ctx context.Context, python string, args []string) ([]byte, error) {
	var out, errb bytes.Buffer
	cmd := exec.CommandContext(ctx, python, args...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	// A child the program left behind (the convoy's echo server, a
	// pool's worker) holds the output pipes open: stop waiting for them
	// a while after the interpreter has ended.
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(errb.String())
		if len(msg) > 2000 {
			msg = "..." + msg[len(msg)-2000:]
		}
		return out.Bytes(), fmt.Errorf("%s %s: %w\n%s", python, strings.Join(args, " "), err, msg)
	}
	return out.Bytes(), nil
}

// pythonTimeout bounds one Python program's run.
const pythonTimeout = 2 * time.Minute

// Run measures every behaviour on every interpreter and in parbench,
// round after round, and writes both sides to o.Out; the table is the
// report's (analysis.Calibration) of that file.
// Each round measures each behaviour on one side and then the other,
// CPython first in odd rounds and parbench first in even ones, so that
// drift of the machine falls on both. A side that fails in a round (a
// program's error, a parbench point's failure) leaves that round's
// figures out, with a message on o.Log; Run goes on.
func Run(ctx context.Context, o Options) error {
	if o.Rounds < MinRounds {
		return fmt.Errorf("%d rounds: want at least %d, for CPython's spread over its rounds", o.Rounds, MinRounds)
	}
	if o.Exe == nil {
		o.Exe = runPython
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	dir, err := os.MkdirTemp("", "parbench-calibrate-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := unpack(dir); err != nil {
		return fmt.Errorf("writing the Python programs: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(o.Out), 0o755); err != nil {
		return err
	}
	f, err := results.Create(o.Out, o.Force)
	if err != nil {
		return err
	}
	defer f.Close()
	w := &writer{results.NewFigureWriter(f, time.Now(), results.KeyCalibrate, fmt.Sprintf("rounds=%d", o.Rounds))}

	eta := newETA(o)
	for round := 1; round <= o.Rounds; round++ {
		for _, in := range o.Interpreters {
			for _, b := range o.Behaviours {
				if !b.runsOn(in) {
					continue
				}
				fmt.Fprintf(o.Log, "calibrate: round %d/%d, %s, %s (%s left)\n", round, o.Rounds, in.String(), b.Name, eta.left())
				start := time.Now()
				py, pb := lines{}, lines{}
				var pyErr, pbErr error
				sides := []func(){
					func() { pyErr = w.python(ctx, o, dir, in, b, py) },
					func() { pbErr = w.parbench(ctx, o, in, b, pb) },
				}
				if round%2 == 0 {
					sides[0], sides[1] = sides[1], sides[0]
				}
				for _, side := range sides {
					side()
					if ctx.Err() != nil {
						return ctx.Err()
					}
				}
				for _, err := range []error{pyErr, pbErr} {
					if err != nil {
						fmt.Fprintf(o.Log, "calibrate: %v\n", err)
					}
				}
				for _, fg := range b.figures(in, o.NCPU, py, pb) {
					if (fg.impl == results.ImplCPython && pyErr != nil) || (fg.impl == results.ImplParbench && pbErr != nil) {
						continue
					}
					f := results.Figure{Behaviour: b.Name, Figure: fg.name, Python: in.Version, Impl: fg.impl}
					if err := w.figure(f, fg.value, fg.unit); err != nil {
						return err
					}
				}
				eta.done(in, b, time.Since(start))
			}
		}
	}
	return f.Close()
}

// writer writes the calibration file: every result carries the base
// configuration (the machine and the calibrate key).
type writer struct{ *results.FigureWriter }

func (w *writer) figure(f results.Figure, value float64, unit string) error {
	if err := f.Check(); err != nil {
		return err // a programming error in plan.go
	}
	return w.Figure(f.Name(), benchfmt.Value{Value: value, Unit: unit})
}

// python runs one round of b's programs on in, writes their lines and
// keeps them in py.
func (w *writer) python(ctx context.Context, o Options, dir string, in Interpreter, b Behaviour, py lines) error {
	if b.pythonSweeps != nil {
		// A Python service under parbench's clients: its lines are
		// parbench's, under the interpreter's KeyPython line.
		if err := w.sweeps(ctx, b.pythonSweeps(in, dir, o.NCPU), in.Path+" "+in.Banner, py); err != nil {
			return fmt.Errorf("CPython %s, %s: %w", in.Version, b.Name, err)
		}
		return nil
	}
	for _, run := range b.python(in) {
		args := append([]string{filepath.Join(dir, run[0])}, run[1:]...)
		rctx, cancel := context.WithTimeout(ctx, pythonTimeout)
		out, err := o.Exe(rctx, in.Path, args)
		cancel()
		if err != nil {
			return fmt.Errorf("CPython %s, %s: %w", in.Version, b.Name, err)
		}
		rd := benchfmt.NewReader(bytes.NewReader(out), run[0])
		n := 0
		for rd.Scan() {
			switch r := rd.Result().(type) {
			case *benchfmt.SyntaxError:
				return fmt.Errorf("CPython %s, %s: %s printed a bad line: %v", in.Version, b.Name, run[0], r)
			case *benchfmt.Result:
				n++
				py[pyKey(string(r.Name))] = r.Clone()
				if err := w.Write(r, results.Config{Key: results.KeyPython, Value: in.Path + " " + in.Banner}); err != nil {
					return err
				}
			}
		}
		if err := rd.Err(); err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("CPython %s, %s: %s printed no result", in.Version, b.Name, run[0])
		}
	}
	return nil
}

// parbench runs one round of b's parbench points for in, writes their
// lines and keeps them in pb.
func (w *writer) parbench(ctx context.Context, o Options, in Interpreter, b Behaviour, pb lines) error {
	if err := w.sweeps(ctx, b.parbench(in, o.NCPU), "", pb); err != nil {
		return fmt.Errorf("parbench, %s: %w", b.Name, err)
	}
	return nil
}

// sweeps runs ss, one bench.Run each, writes their lines under a
// KeyPython line of python ("" for parbench's own) and keeps them in l
// by pbKey.
func (w *writer) sweeps(ctx context.Context, ss []sweep, python string, l lines) error {
	var errs []error
	for _, s := range ss {
		c := s.cfg
		if err := c.Validate(); err != nil {
			return err // a programming error in plan.go
		}
		sink := func(r *benchfmt.Result) error {
			p, err := results.ParseName(string(r.Name))
			if err != nil {
				return err
			}
			l[pbKey(s.tag, p)] = r.Clone()
			return w.Write(r, results.Config{Key: results.KeyPython, Value: python})
		}
		if err := bench.Run(ctx, c, c.FileConfig(time.Now()), sink); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			errs = append(errs, fmt.Errorf("%s: %w", cmp.Or(s.tag, "sweep"), err))
		}
	}
	return errors.Join(errs...)
}

// eta estimates the time left: from the behaviours' costs before the
// first round ends, from the measured time of each behaviour after.
type eta struct {
	o        Options
	measured map[string]time.Duration // by interpreter and behaviour: the last round's
	doneN    map[string]int
}

func newETA(o Options) *eta {
	return &eta{o: o, measured: map[string]time.Duration{}, doneN: map[string]int{}}
}

func (e *eta) key(in Interpreter, b Behaviour) string { return in.Exe + "\x00" + b.Name }

func (e *eta) done(in Interpreter, b Behaviour, d time.Duration) {
	e.measured[e.key(in, b)] = d
	e.doneN[e.key(in, b)]++
}

func (e *eta) left() time.Duration {
	var t time.Duration
	for _, in := range e.o.Interpreters {
		for _, b := range e.o.Behaviours {
			if !b.runsOn(in) {
				continue
			}
			k := e.key(in, b)
			per, ok := e.measured[k]
			if !ok {
				per = b.cost[0]
				if in.Major < 3 {
					per = b.cost[1]
				}
			}
			t += time.Duration(e.o.Rounds-e.doneN[k]) * per
		}
	}
	return t.Round(time.Second)
}

// Estimate is the time a calibration of these options should take,
// before any of it is measured.
func Estimate(o Options) time.Duration { return newETA(o).left() }
