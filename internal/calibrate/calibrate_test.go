package calibrate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/perf/benchfmt"

	"github.com/parbench/parbench/results"
)

// interpreters returns the CPythons of this machine, or skips the test.
func interpreters(t *testing.T) []Interpreter {
	t.Helper()
	found, _, err := Find(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(found) == 0 {
		t.Skip("no CPython found (python3, python2.7, ...): the Python programs are not run")
	}
	return found
}

// The programs run on every CPython found, each printing Go benchmark
// lines with the names and units the figures read.
func TestPrograms(t *testing.T) {
	dir := t.TempDir()
	if err := unpack(dir); err != nil {
		t.Fatal(err)
	}
	for _, in := range interpreters(t) {
		sw := []string{"switch.py", "--seconds", "0.3", "--interval", "0.005"}
		swName := "switch/interval=5ms"
		if in.Major < 3 {
			sw = []string{"switch.py", "--seconds", "0.3", "--check", "100"}
			swName = "switch/check-interval=100"
		}
		for _, c := range []struct {
			args  []string
			names []string
			units []string
		}{
			{[]string{"cpu.py", "--seconds", "0.05"}, []string{"cpu/threads=1", "cpu/threads=2", "cpu/threads=4"}, []string{"sec/op"}},
			{sw, []string{swName}, []string{"sec/op", "switches/s", "tenure-p50-sec"}},
			{[]string{"convoy.py", "--mode", "both", "--cpu", "1", "--ops", "50"}, []string{"convoy/mode=both/cpu=1"}, []string{"p50-sec", "p99-sec"}},
			{[]string{"convoy.py", "--mode", "socket", "--cpu", "0", "--ops", "50"}, []string{"convoy/mode=socket/cpu=0"}, []string{"p50-sec"}},
			{[]string{"sleep.py", "--seconds", "0.05", "--threads", "1,8"}, []string{"sleep/threads=1", "sleep/threads=8"}, []string{"sec/op"}},
			{[]string{"mixed.py", "--per-thread", "4", "--op", "0.004", "--threads", "1,2"}, []string{"mixed/threads=1", "mixed/threads=2"}, []string{"sec/op"}},
			{[]string{"procs.py", "--seconds", "0.05"}, []string{"procs/processes=1", "procs/processes=2"}, []string{"sec/op"}},
		} {
			t.Run(in.Version+"/"+c.args[0], func(t *testing.T) {
				out, err := runPython(context.Background(), in.Path, append([]string{filepath.Join(dir, c.args[0])}, c.args[1:]...))
				if err != nil {
					t.Fatal(err)
				}
				got := lines{}
				rd := benchfmt.NewReader(bytes.NewReader(out), c.args[0])
				for rd.Scan() {
					switch r := rd.Result().(type) {
					case *benchfmt.SyntaxError:
						t.Fatalf("bad line: %v\n%s", r, out)
					case *benchfmt.Result:
						if !strings.HasPrefix(string(r.Name), "Python/") {
							t.Errorf("name %q does not start with Python/", r.Name)
						}
						got[pyKey(string(r.Name))] = r.Clone()
					}
				}
				for _, n := range c.names {
					for _, u := range c.units {
						// >= 0: time.sleep(0) can take less than CPython 2's
						// clock (time.time, 1µs) can tell.
						if v := got.get(n, u); !(v >= 0) {
							t.Errorf("%s %s = %v, want a value of at least 0; output:\n%s", n, u, v, out)
						}
					}
				}
			})
		}
	}
}

// IO-bound threads overlap their waits on real CPython: 8 threads
// sleeping 1ms are well over twice as fast as one (about 7.7x on an
// idle machine; 2x leaves room for a busy one).
func TestProgramSleepOverlaps(t *testing.T) {
	dir := t.TempDir()
	if err := unpack(dir); err != nil {
		t.Fatal(err)
	}
	in := interpreters(t)[0]
	out, err := runPython(context.Background(), in.Path, []string{filepath.Join(dir, "sleep.py"), "--seconds", "0.15", "--threads", "1,8"})
	if err != nil {
		t.Fatal(err)
	}
	l := lines{}
	rd := benchfmt.NewReader(bytes.NewReader(out), "sleep.py")
	for rd.Scan() {
		if r, ok := rd.Result().(*benchfmt.Result); ok {
			l[pyKey(string(r.Name))] = r.Clone()
		}
	}
	if s := l.get("sleep/threads=1", "sec/op") / l.get("sleep/threads=8", "sec/op"); !(s > 2) {
		t.Errorf("8 sleeping threads %.2fx one, want > 2x:\n%s", s, out)
	}
}

// writeScript writes an executable shell script into dir.
func writeScript(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// An interpreter counts only if it runs: a pyenv shim of a version that
// is not selected is skipped, with its own message; a named one that
// fails is an error.
func TestFindSkipsWhatDoesNotRun(t *testing.T) {
	dir := t.TempDir()
	writeScript(t, dir, "python2.7", `echo "pyenv: python2.7: command not found" >&2; exit 127`)
	writeScript(t, dir, "python3", `echo "3.99.0"; echo "PyPy"; echo /x/pypy; echo "3.99.0 (PyPy)"; echo True`)
	t.Setenv("PATH", dir)
	t.Setenv("HOME", t.TempDir())
	found, skipped, err := Find(context.Background(), nil)
	if err != nil || len(found) != 0 {
		t.Fatalf("Find = %v, %v; want nothing found", found, err)
	}
	var msgs []string
	for _, s := range skipped {
		msgs = append(msgs, s.Path+": "+s.Err.Error())
	}
	all := strings.Join(msgs, "\n")
	if !strings.Contains(all, "python2.7") || !strings.Contains(all, "pyenv: python2.7: command not found") {
		t.Errorf("skipped:\n%s\nwant python2.7 with the shim's message", all)
	}
	if !strings.Contains(all, "python3") || !errors.Is(skipped[slices.IndexFunc(skipped, func(s Skipped) bool { return s.Path == "python3" })].Err, ErrNotCPython) {
		t.Errorf("skipped:\n%s\nwant python3 as not CPython", all)
	}
	if _, _, err := Find(context.Background(), []string{"python2.7"}); err == nil || !strings.Contains(err.Error(), "command not found") {
		t.Errorf("Find(python2.7) error %v, want the shim's message", err)
	}
	// A free-threaded CPython run without its GIL has none to compare.
	writeScript(t, dir, "python3.13t", `echo "3.13.0"; echo "CPython"; echo /x/python3.13t; echo "3.13.0 experimental free-threading build"; echo False`)
	if _, err := Probe(context.Background(), "python3.13t"); err == nil || !strings.Contains(err.Error(), "without its GIL") {
		t.Errorf("Probe(python3.13t) error %v, want a refusal of a build without the GIL", err)
	}
}

// Run writes both sides and the figures to one file, which the report
// reads back into the same table. The Python side is canned; the
// parbench side is a real (tiny) sweep.
func TestRunWritesFile(t *testing.T) {
	if testing.Short() {
		t.Skip("runs parbench points")
	}
	in := Interpreter{Path: "python-fake", Version: "3.11.0", Major: 3, Exe: "/fake", Banner: "3.11.0 (fake)"}
	b := Behaviours[0] // cpu
	b.parbench = func(in Interpreter, ncpu int) []sweep {
		return []sweep{{"", newSweep("cpu/sha256", in.Lock(), 1, cpuThreads, 2*time.Millisecond)}}
	}
	round := 0
	fake := func(_ context.Context, _ string, args []string) ([]byte, error) {
		round++
		if filepath.Base(args[0]) != "cpu.py" {
			return nil, fmt.Errorf("ran %s, want cpu.py", args[0])
		}
		return fmt.Appendf(nil, "BenchmarkPython/cpu/threads=1-2 100 %g sec/op\nBenchmarkPython/cpu/threads=2-2 100 %g sec/op\nBenchmarkPython/cpu/threads=4-2 100 %g sec/op\n",
			1e-6, 1.15e-6+float64(round)*0.01e-6, 1.2e-6), nil
	}
	out := filepath.Join(t.TempDir(), "cal.txt")
	var log bytes.Buffer
	if err := Run(context.Background(), Options{Interpreters: []Interpreter{in}, Behaviours: []Behaviour{b}, Rounds: 3, Out: out, NCPU: 1, Log: &log, Exe: fake}); err != nil {
		t.Fatalf("Run: %v\n%s", err, log.String())
	}
	if round != 3 {
		t.Errorf("the program ran %d times, want once a round", round)
	}
	if !strings.Contains(log.String(), "round 3/3") {
		t.Errorf("log lacks the rounds:\n%s", log.String())
	}
	// Every result carries the calibrate key; the figures are 3 rounds
	// of speedup@2 and speedup@4 on each of the three sides, and
	// CPython's are the canned ones (1/1.16, 1/1.17, 1/1.18 at 2).
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	count := map[results.Figure]int{}
	var cpy []float64
	var others int
	rd := benchfmt.NewReader(f, out)
	for rd.Scan() {
		r, ok := rd.Result().(*benchfmt.Result)
		if !ok {
			t.Fatalf("bad line: %v", rd.Result())
		}
		if r.GetConfig(results.KeyCalibrate) != "rounds=3" {
			t.Errorf("%s: no calibrate key", r.Name)
		}
		fig, ok, err := results.ParseFigure(string(r.Name))
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			others++
			continue
		}
		count[fig]++
		if fig.Impl == results.ImplCPython && fig.Figure == "speedup@2" {
			cpy = append(cpy, r.Values[0].Value)
		}
	}
	if len(count) != 6 {
		t.Errorf("%d figures, want 6: %v", len(count), count)
	}
	for fig, n := range count {
		if n != 3 {
			t.Errorf("%+v: %d rounds, want 3", fig, n)
		}
	}
	if slices.Sort(cpy); len(cpy) != 3 || cpy[1] < 0.85 || cpy[1] > 0.86 {
		t.Errorf("CPython's speedup@2 rounds %v, want 1/1.18, 1/1.17, 1/1.16", cpy)
	}
	// CPython's 3 lines and parbench's 3 points, each round.
	if others != 18 {
		t.Errorf("%d other lines, want 18", others)
	}
}

func TestLookup(t *testing.T) {
	bs, err := Lookup("switch,cpu")
	if err != nil || len(bs) != 2 || bs[0].Name != "switch" || bs[1].Name != "cpu" {
		t.Errorf("Lookup(switch,cpu) = %v, %v", bs, err)
	}
	if _, err := Lookup("cpu,nope"); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("Lookup(nope) error %v, want one naming it", err)
	}
	// Every behaviour's parbench sweeps are valid configurations.
	// A Path: the CPython side runs it as its service command, which
	// must not be empty.
	for _, in := range []Interpreter{{Major: 3, Path: "python3"}, {Major: 2, Path: "python2.7"}} {
		for _, b := range Behaviours {
			if !b.runsOn(in) {
				continue
			}
			for _, s := range b.parbench(in, 2) {
				if err := s.cfg.Validate(); err != nil {
					t.Errorf("%s on CPython %d: %v", b.Name, in.Major, err)
				}
			}
			if b.pythonSweeps == nil {
				continue
			}
			for _, s := range b.pythonSweeps(in, "/tmp", 2) {
				if err := s.cfg.Validate(); err != nil {
					t.Errorf("%s's CPython side on CPython %d: %v", b.Name, in.Major, err)
				}
			}
		}
	}
}
