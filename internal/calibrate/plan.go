package calibrate

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"golang.org/x/perf/benchfmt"

	"github.com/parbench/parbench/bench"
	"github.com/parbench/parbench/bench/gil"
	"github.com/parbench/parbench/results"
	"github.com/parbench/parbench/workloads"
)

// Behaviour is one behaviour measured on both sides: the Python program
// and its arguments, the parbench points that are its counterpart, and
// how the figures of one round are read from both sides' lines.
type Behaviour struct {
	// Name is the behaviour's name in the table, e.g. "cpu".
	Name string
	// About says what it measures, for `parbench calibrate -h`.
	About string
	// python returns the program runs of one round (a program file of
	// python/ and its arguments).
	python func(in Interpreter) [][]string
	// parbench returns the sweeps of one round, each with a tag that
	// tells its results apart from another sweep's with the same names
	// (the switch intervals).
	parbench func(in Interpreter, ncpu int) []sweep
	// figures reads one round's figures from both sides' lines.
	figures func(in Interpreter, ncpu int, py, pb lines) []figure
	// pythonSweeps, where set, is CPython's side as parbench sweeps
	// instead of programs: a service written in Python
	// (python/webservice.py, unpacked in dir) driven by parbench's own
	// clients. Its lines are keyed as parbench's are (pbKey).
	pythonSweeps func(in Interpreter, dir string, ncpu int) []sweep
	// minMajor is the oldest CPython major version the behaviour runs
	// on (0: all): on an older one it is left out.
	minMajor int
	// needs are workloads the behaviour runs that package workloads
	// does not register itself (webapp's, registered by importing
	// workloads/webapp, as cmd/parbench does): in a binary without
	// them the behaviour is left out.
	needs []string
	// cost is about how long one round of both sides takes on CPython 3
	// and on CPython 2, for the first estimate of the time left.
	cost [2]time.Duration
}

// runsOn reports whether b is measured on in.
func (b Behaviour) runsOn(in Interpreter) bool {
	for _, n := range b.needs {
		if ws, err := workloads.Lookup(n); err != nil || len(ws) != 1 {
			return false
		}
	}
	return in.Major >= b.minMajor
}

// sweep is one bench.Run of a round.
type sweep struct {
	tag string
	cfg bench.Config
}

// figure is one figure of one round from one side (Impl).
type figure struct {
	name, impl, unit string
	value            float64
}

// lines are one side's results of one round, by name: CPython's
// without "Python/" and the -N suffix ("cpu/threads=2"); parbench's as
// tag + " " + the point's name without its -N suffix.
type lines map[string]*benchfmt.Result

// get returns the value of unit of the line named name, NaN if there is
// none.
func (l lines) get(name, unit string) float64 {
	if r := l[name]; r != nil {
		if v, ok := r.Value(unit); ok {
			return v
		}
	}
	return math.NaN()
}

// pyKey is the key of one of CPython's lines.
func pyKey(name string) string {
	name = strings.TrimPrefix(name, "Python/")
	if i := strings.LastIndexByte(name, '-'); i > 0 {
		if _, err := strconv.Atoi(name[i+1:]); err == nil {
			name = name[:i]
		}
	}
	return name
}

// pbKey is the key of one of parbench's lines.
func pbKey(tag string, p results.Point) string {
	p.Procs = 0
	return tag + " " + p.Name()
}

// point is the name of a parbench point, for pbKey.
func point(workload, lock string, g int, extra ...results.KV) results.Point {
	return results.Point{Workload: workload, Lock: lock, Goroutines: g, Extra: extra}
}

// newSweep is a bench.Config of one workload, lock and GOMAXPROCS over
// goroutines, one sample per round.
func newSweep(workload, lock string, procs int, goroutines []int, benchtime time.Duration) bench.Config {
	c := bench.DefaultConfig()
	ws, err := workloads.Lookup(workload)
	if err != nil || len(ws) != 1 {
		panic(fmt.Sprintf("calibrate: workload %q: %v", workload, err)) // a programming error: the names are this file's
	}
	c.Workloads = ws
	c.Locks = []string{lock}
	c.Procs = []int{procs}
	c.Goroutines = goroutines
	c.Count = 1
	c.Benchtime = benchtime
	c.Seed = 1
	return c
}

// speedups returns figures "speedup@T" = sec/op at T=1 over sec/op at
// T, for each T of ts but the first, from one side's lines, named by
// key(T).
func speedups(impl string, ts []int, l lines, key func(t int) string) []figure {
	var out []figure
	base := l.get(key(ts[0]), "sec/op")
	for _, t := range ts[1:] {
		out = append(out, figure{fmt.Sprintf("speedup@%d", t), impl, "x", base / l.get(key(t), "sec/op")})
	}
	return out
}

// model returns a figure of ImplModel.
func model(name, unit string, v float64) figure { return figure{name, results.ImplModel, unit, v} }

func joinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ",")
}

// The behaviours' settings: CPython's defaults where it has one (the
// 5ms switch interval, the check interval of 100), and parbench's
// README figures' otherwise.
var (
	cpuThreads    = []int{1, 2, 4}
	switchTimes   = []time.Duration{500 * time.Microsecond, 5 * time.Millisecond, 50 * time.Millisecond}
	checkInterval = 100
	convoyOps     = 1000
	sleepThreads  = []int{1, 8, 64}
	mixedThreads  = []int{1, 2, 4, 8}
	mixedIO       = 0.75
	mixedOp       = 10 * time.Millisecond
)

// switchSeconds is how long one switch-interval run lasts: at least
// 40 intervals, so that the 50ms interval has 40 tenures.
func switchSeconds(d time.Duration) time.Duration { return max(600*time.Millisecond, 40*d) }

// ms formats a duration as the figures name it: 0.5ms, 5ms, 50ms.
func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'g', -1, 64) + "ms"
}

// Behaviours are the behaviours measured, in the order of the table.
var Behaviours = []Behaviour{
	{
		Name:  "cpu",
		About: "CPU-bound threads against one (1, 2, 4): the speedup the GIL allows (none)",
		python: func(Interpreter) [][]string {
			return [][]string{{"cpu.py", "--threads", joinInts(cpuThreads), "--seconds", "0.3"}}
		},
		parbench: func(in Interpreter, ncpu int) []sweep {
			return []sweep{{"", newSweep("cpu/sha256", in.Lock(), ncpu, cpuThreads, 300*time.Millisecond)}}
		},
		figures: func(in Interpreter, _ int, py, pb lines) []figure {
			out := speedups(results.ImplCPython, cpuThreads, py, func(t int) string { return fmt.Sprintf("cpu/threads=%d", t) })
			out = append(out, speedups(results.ImplParbench, cpuThreads, pb, func(t int) string {
				return pbKey("", point("cpu/sha256", in.Lock(), t))
			})...)
			for _, t := range cpuThreads[1:] {
				out = append(out, model(fmt.Sprintf("speedup@%d", t), "x", 1))
			}
			return out
		},
		cost: [2]time.Duration{5 * time.Second, 4 * time.Second},
	},
	{
		Name: "switch",
		About: "two CPU-bound threads: tenure (time between switches) and switches per second, at switch " +
			"intervals 0.5, 5 and 50ms (CPython 3) or the check interval 100 (CPython 2)",
		python: func(in Interpreter) [][]string {
			if in.Major < 3 {
				return [][]string{{"switch.py", "--check", strconv.Itoa(checkInterval), "--seconds", "1"}}
			}
			var runs [][]string
			for _, d := range switchTimes {
				runs = append(runs, []string{"switch.py", "--interval", strconv.FormatFloat(d.Seconds(), 'g', -1, 64),
					"--seconds", strconv.FormatFloat(switchSeconds(d).Seconds(), 'g', -1, 64)})
			}
			return runs
		},
		parbench: func(in Interpreter, ncpu int) []sweep {
			if in.Major < 3 {
				c := newSweep("cpu/sha256", in.Lock(), ncpu, []int{2}, time.Second)
				c.LockOpts.CheckInterval = checkInterval
				return []sweep{{"check", c}}
			}
			var out []sweep
			for _, d := range switchTimes {
				c := newSweep("cpu/sha256", in.Lock(), ncpu, []int{2}, switchSeconds(d))
				c.LockOpts.SwitchInterval = d
				out = append(out, sweep{ms(d), c})
			}
			return out
		},
		figures: func(in Interpreter, _ int, py, pb lines) []figure {
			var out []figure
			add := func(suffix, pyName, tag string, d time.Duration) {
				p := pbKey(tag, point("cpu/sha256", in.Lock(), 2))
				out = append(out,
					figure{"tenure@" + suffix, results.ImplCPython, "sec", py.get(pyName, gil.UnitTenure)},
					figure{"switches@" + suffix, results.ImplCPython, "/s", py.get(pyName, gil.UnitSwitches)},
					figure{"switches@" + suffix, results.ImplParbench, "/s", pb.get(p, gil.UnitSwitches)})
				// parbench's tenure-p50-sec is one hold, take to drop. Under
				// gil every drop of two CPU-bound goroutines is a switch, so
				// it is the time between switches, as CPython's side
				// measures; under gil-old the holder drops every check
				// interval and mostly takes the lock straight back, so it
				// is not: that row has CPython's side only.
				if in.Major >= 3 {
					out = append(out, figure{"tenure@" + suffix, results.ImplParbench, "sec", pb.get(p, gil.UnitTenure)})
				}
				if d > 0 {
					out = append(out, model("tenure@"+suffix, "sec", d.Seconds()), model("switches@"+suffix, "/s", 1/d.Seconds()))
				}
			}
			if in.Major < 3 {
				add(fmt.Sprintf("check%d", checkInterval), fmt.Sprintf("switch/check-interval=%d", checkInterval), "check", 0)
				return out
			}
			for _, d := range switchTimes {
				add(ms(d), "switch/interval="+ms(d), ms(d), d)
			}
			return out
		},
		cost: [2]time.Duration{10 * time.Second, 3 * time.Second},
	},
	{
		Name: "convoy",
		About: "one IO thread's latency per op (a 64-byte loopback round trip to an echo server in another process, " +
			"then time.sleep(0)) with 0 and 1 CPU-bound thread beside it; CPython alone also runs sleep(0) and the round trip on their own",
		python: func(Interpreter) [][]string {
			ops := strconv.Itoa(convoyOps)
			return [][]string{
				{"convoy.py", "--mode", "both", "--cpu", "0", "--ops", ops},
				{"convoy.py", "--mode", "both", "--cpu", "1", "--ops", ops},
				{"convoy.py", "--mode", "sleep0", "--cpu", "1", "--ops", ops},
				{"convoy.py", "--mode", "socket", "--cpu", "1", "--ops", ops},
			}
		},
		parbench: func(in Interpreter, ncpu int) []sweep {
			var out []sweep
			for _, n := range []int{0, 1} {
				c := newSweep("latency/convoy", in.Lock(), ncpu, []int{1}, 100*time.Millisecond)
				c.Params.CPUGoroutines = n
				// At most 30ms an op for the 1,000 ops of a sample.
				c.SampleTimeout = 30 * time.Second
				out = append(out, sweep{fmt.Sprintf("cpu%d", n), c})
			}
			return out
		},
		figures: func(in Interpreter, _ int, py, pb lines) []figure {
			var out []figure
			for _, n := range []int{0, 1} {
				pyName := fmt.Sprintf("convoy/mode=both/cpu=%d", n)
				p := pbKey(fmt.Sprintf("cpu%d", n), point("latency/convoy", in.Lock(), 1))
				out = append(out,
					figure{fmt.Sprintf("p50@cpu%d", n), results.ImplCPython, "sec", py.get(pyName, workloads.UnitP50)},
					figure{fmt.Sprintf("p50@cpu%d", n), results.ImplParbench, "sec", pb.get(p, workloads.UnitP50)})
				if n == 1 {
					out = append(out,
						figure{"p99@cpu1", results.ImplCPython, "sec", py.get(pyName, workloads.UnitP99)},
						figure{"p99@cpu1", results.ImplParbench, "sec", pb.get(p, workloads.UnitP99)})
				}
			}
			for _, mode := range []string{"sleep0", "socket"} {
				out = append(out, figure{"p50-" + mode + "-only@cpu1", results.ImplCPython, "sec",
					py.get("convoy/mode="+mode+"/cpu=1", workloads.UnitP50)})
			}
			return out
		},
		cost: [2]time.Duration{15 * time.Second, 5 * time.Second},
	},
	{
		Name:  "sleep",
		About: "IO-bound threads each sleeping 1ms per op (1, 8, 64): the waits overlap under the GIL",
		python: func(Interpreter) [][]string {
			return [][]string{{"sleep.py", "--threads", joinInts(sleepThreads), "--seconds", "0.3", "--latency", "0.001"}}
		},
		parbench: func(in Interpreter, ncpu int) []sweep {
			c := newSweep("io/sleep", in.Lock(), ncpu, sleepThreads, 300*time.Millisecond)
			c.Params.IOLatency = time.Millisecond
			return []sweep{{"", c}}
		},
		figures: func(in Interpreter, _ int, py, pb lines) []figure {
			out := speedups(results.ImplCPython, sleepThreads, py, func(t int) string { return fmt.Sprintf("sleep/threads=%d", t) })
			out = append(out, speedups(results.ImplParbench, sleepThreads, pb, func(t int) string {
				return pbKey("", point("io/sleep", in.Lock(), t))
			})...)
			for _, t := range sleepThreads[1:] {
				out = append(out, model(fmt.Sprintf("speedup@%d", t), "x", float64(t)))
			}
			return out
		},
		cost: [2]time.Duration{3 * time.Second, 3 * time.Second},
	},
	{
		Name:  "mixed",
		About: "ops of 10ms, 75% sleep and 25% CPU (1, 2, 4, 8 threads): the speedup follows min(T, 1/(1-f)) = min(T, 4)",
		python: func(Interpreter) [][]string {
			return [][]string{{"mixed.py", "--threads", joinInts(mixedThreads), "--per-thread", "16",
				"--fraction", strconv.FormatFloat(mixedIO, 'g', -1, 64), "--op", strconv.FormatFloat(mixedOp.Seconds(), 'g', -1, 64)}}
		},
		parbench: func(in Interpreter, ncpu int) []sweep {
			c := newSweep("mixed", in.Lock(), ncpu, mixedThreads, 300*time.Millisecond)
			c.Params.IOFraction, c.Params.OpTime = mixedIO, mixedOp
			return []sweep{{"", c}}
		},
		figures: func(in Interpreter, _ int, py, pb lines) []figure {
			out := speedups(results.ImplCPython, mixedThreads, py, func(t int) string { return fmt.Sprintf("mixed/threads=%d", t) })
			out = append(out, speedups(results.ImplParbench, mixedThreads, pb, func(t int) string {
				return pbKey("", point("mixed", in.Lock(), t))
			})...)
			for _, t := range mixedThreads[1:] {
				out = append(out, model(fmt.Sprintf("speedup@%d", t), "x", math.Min(float64(t), 1/(1-mixedIO))))
			}
			return out
		},
		cost: [2]time.Duration{3 * time.Second, 3 * time.Second},
	},
	{
		Name:  "processes",
		About: "CPU-bound work in 2 processes against 1 (multiprocessing; parbench --exec processes), each with its own GIL",
		python: func(Interpreter) [][]string {
			return [][]string{{"procs.py", "--procs", "1,2", "--seconds", "0.3"}}
		},
		parbench: func(in Interpreter, ncpu int) []sweep {
			c := newSweep("cpu/sha256", in.Lock(), 1, []int{1, 2}, 300*time.Millisecond)
			c.Exec.Modes = []string{bench.ExecProcesses}
			return []sweep{{"", c}}
		},
		figures: func(in Interpreter, ncpu int, py, pb lines) []figure {
			out := speedups(results.ImplCPython, []int{1, 2}, py, func(t int) string { return fmt.Sprintf("procs/processes=%d", t) })
			out = append(out, speedups(results.ImplParbench, []int{1, 2}, pb, func(t int) string {
				return pbKey("", point("cpu/sha256", in.Lock(), t, results.KV{Key: "exec", Value: bench.ExecProcesses}, results.KV{Key: "payload", Value: "0"}))
			})...)
			return append(out, model("speedup@2", "x", math.Min(2, float64(ncpu))))
		},
		cost: [2]time.Duration{4 * time.Second, 4 * time.Second},
	},
	webserviceBehaviour,
}

// Lookup returns the behaviours named in a comma-separated list, or
// all of them for "" or "all".
func Lookup(list string) ([]Behaviour, error) {
	if list == "" || list == "all" {
		return Behaviours, nil
	}
	var out []Behaviour
	for _, n := range strings.Split(list, ",") {
		n = strings.TrimSpace(n)
		i := -1
		for j, b := range Behaviours {
			if b.Name == n {
				i = j
			}
		}
		if i < 0 {
			return nil, fmt.Errorf("unknown behaviour %q (valid: %s, or all)", n, strings.Join(Names(), ", "))
		}
		out = append(out, Behaviours[i])
	}
	return out, nil
}

// Names returns the behaviours' names in table order.
func Names() []string {
	var out []string
	for _, b := range Behaviours {
		out = append(out, b.Name)
	}
	return out
}
