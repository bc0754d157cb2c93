package partest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parbench/parbench/bench"
	"github.com/parbench/parbench/bench/gil"
	"github.com/parbench/parbench/internal/rtmetrics"
	"github.com/parbench/parbench/results"
	"github.com/parbench/parbench/workloads"
	"golang.org/x/perf/benchfmt"
)

// The tests run this test binary again (os.Args[0]) on the
// BenchmarkSelf benchmarks below, as go test -bench would, and read its
// output as parbench report does. selfEnv guards them: set, it names the
// file where each sample is recorded (afterSample) with what its op saw.
const selfEnv = "PARTEST_SELF_RECORD"

// record is one sample a sub-benchmark took, as its B saw it.
type record struct {
	Name  string   // the sub-benchmark's name, without -N
	B     int      // which B of that name (testing makes one per -cpu and -count)
	N     int      // b.N
	Ops   int64    // the sample's ops
	Wall  int64    // the sample's window, ns
	Procs int      // GOMAXPROCS as newOp saw it
	Units []string // the sample's figures, as Sample gave them
}

var (
	seenProcs atomic.Int64 // GOMAXPROCS as the last newOp saw it
	recMu     sync.Mutex
	recBs     = map[*testing.B]int{} // holds each B, so no two share an address
	recFile   *os.File
)

// selfRecord skips the benchmark unless a test runs it, and records
// each sample then.
func selfRecord(b *testing.B) {
	path := os.Getenv(selfEnv)
	if path == "" {
		b.Skip("run by TestSelf* only")
	}
	recMu.Lock()
	defer recMu.Unlock()
	if recFile != nil {
		return
	}
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	recFile = f
	afterSample = func(b *testing.B, s bench.Sample) {
		recMu.Lock()
		defer recMu.Unlock()
		id, ok := recBs[b]
		if !ok {
			id = len(recBs)
			recBs[b] = id
		}
		r := record{Name: b.Name(), B: id, N: b.N, Ops: s.Ops, Wall: s.Wall.Nanoseconds(), Procs: int(seenProcs.Swap(0))}
		for _, v := range s.Values {
			r.Units = append(r.Units, v.Unit)
		}
		line, _ := json.Marshal(r)
		fmt.Fprintf(recFile, "%s\n", line)
	}
}

// spinOp is a CPU op of about a microsecond that marks its work (Spin
// calls Check) and records the GOMAXPROCS it runs at.
func spinOp(env Env) (func() error, error) {
	seenProcs.Store(int64(runtime.GOMAXPROCS(0)))
	return func() error {
		workloads.Spin(env, 1)
		return nil
	}, nil
}

func BenchmarkSelfSpin(b *testing.B) {
	selfRecord(b)
	Run(b, Sweep{Goroutines: []int{1, 2}, Locks: []string{"none", "gil"}, Class: "cpu"}, spinOp)
}

var errSelfBoom = errors.New("partest-self-boom")

func BenchmarkSelfFail(b *testing.B) {
	selfRecord(b)
	var n atomic.Int64
	Run(b, Sweep{Goroutines: []int{1}, Locks: []string{"none"}}, func(Env) (func() error, error) {
		return func() error {
			if n.Add(1) == 3 {
				return errSelfBoom
			}
			return nil
		}, nil
	})
}

func BenchmarkSelfBadLock(b *testing.B) {
	selfRecord(b)
	Run(b, Sweep{Locks: []string{"none", "gli"}}, spinOp)
}

func BenchmarkSelfBadGoroutines(b *testing.B) {
	selfRecord(b)
	Run(b, Sweep{Goroutines: []int{1, 0}}, spinOp)
}

func BenchmarkSelfBadClass(b *testing.B) {
	selfRecord(b)
	Run(b, Sweep{Class: "cpu-bound"}, spinOp)
}

// self runs this test binary on the benchmarks that bench matches with
// args, and returns its output, its records, and its error.
func self(t *testing.T, bench string, args ...string) ([]byte, []record, error) {
	t.Helper()
	if testing.Short() {
		t.Skip("runs benchmarks in a child process")
	}
	path := filepath.Join(t.TempDir(), "records")
	cmd := exec.Command(os.Args[0], append([]string{"-test.run=^$", "-test.bench=" + bench, "-test.timeout=5m"}, args...)...)
	cmd.Env = append(os.Environ(), selfEnv+"="+path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if stderr.Len() > 0 {
		t.Logf("stderr of %v:\n%s", cmd.Args, stderr.Bytes())
	}
	var recs []record
	if data, rerr := os.ReadFile(path); rerr == nil {
		s := bufio.NewScanner(bytes.NewReader(data))
		for s.Scan() {
			var r record
			if err := json.Unmarshal(s.Bytes(), &r); err != nil {
				t.Fatalf("record %q: %v", s.Text(), err)
			}
			recs = append(recs, r)
		}
	}
	return out, recs, err
}

// read reads go test output as parbench report does, through benchfmt,
// and fails on any line it cannot read.
func read(t *testing.T, out []byte) []*benchfmt.Result {
	t.Helper()
	var rs []*benchfmt.Result
	rd := benchfmt.NewReader(bytes.NewReader(out), "out.txt")
	for rd.Scan() {
		switch rec := rd.Result().(type) {
		case *benchfmt.SyntaxError:
			t.Errorf("%v", rec)
		case *benchfmt.Result:
			rs = append(rs, rec.Clone())
		}
	}
	if err := rd.Err(); err != nil {
		t.Fatal(err)
	}
	return rs
}

// reported returns the record testing reported for each B: its last.
func reported(recs []record) map[int]record {
	last := map[int]record{}
	for _, r := range recs {
		last[r.B] = r
	}
	return last
}

// resultRecords pairs each result line with the B that made it: the
// k-th line of a name is the k-th B of that name, in order of first
// sample.
func resultRecords(t *testing.T, rs []*benchfmt.Result, recs []record) []record {
	t.Helper()
	bs := map[string][]int{} // name -> its Bs in order
	seen := map[int]bool{}
	for _, r := range recs {
		if !seen[r.B] {
			seen[r.B] = true
			bs[r.Name] = append(bs[r.Name], r.B)
		}
	}
	last := reported(recs)
	used := map[string]int{}
	var out []record
	for _, res := range rs {
		full := string(res.Name.Full())
		if i := strings.LastIndexByte(full, '-'); i >= 0 {
			full = full[:i]
		}
		k := used[full]
		used[full]++
		ids := bs["Benchmark"+full]
		if k >= len(ids) {
			t.Fatalf("result %d of %s: no B recorded for it (%d Bs)", k, full, len(ids))
		}
		out = append(out, last[ids[k]])
	}
	return out
}

// label returns the GOMAXPROCS a go test result name says: its -N
// suffix, which go test leaves out for 1.
func label(p results.Point) int { return max(p.Procs, 1) }

func value(res *benchfmt.Result, unit string) (float64, bool) {
	for _, v := range res.Values {
		if v.Unit == unit {
			return v.Value, true
		}
	}
	return 0, false
}

// TestSelf runs BenchmarkSelfSpin under -cpu 1,2 -count 2 and checks
// each line: its name and keys, that it was measured at the GOMAXPROCS
// its name says, b.N ops, ns/op the sample's window, every figure of
// the sample, and the figures' sense: parallelism about 1 for one
// goroutine spinning, a gil whose two goroutines wait for it.
func TestSelf(t *testing.T) {
	out, recs, err := self(t, "^BenchmarkSelfSpin$", "-test.cpu=1,2", "-test.count=2", "-test.benchtime=20ms")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	rs := read(t, out)
	want, _ := Sweep{Goroutines: []int{1, 2}, Locks: []string{"none", "gil"}}.Names()
	if len(rs) != len(want)*2*2 {
		t.Fatalf("%d results, want %d (%d sub-benchmarks x 2 cpus x 2 counts):\n%s", len(rs), len(want)*4, len(want), out)
	}
	base, _ := results.ParseName("BenchmarkSelfSpin")
	checkConfig(t, rs[0], base.Workload)
	// The first sample of each sub-benchmark is testing's probe call:
	// at -cpu's first value, 1, whatever the one before left.
	first := map[string]bool{}
	for _, r := range recs {
		if !first[r.Name] {
			first[r.Name] = true
			if r.Procs != 1 {
				t.Errorf("%s: its first call (testing's probe) ran at GOMAXPROCS %d, want 1, -cpu's first", r.Name, r.Procs)
			}
		}
	}
	// The highest parallelism of one goroutine, as a share of what the
	// machine left it: on c CPUs with o other threads runnable (the
	// line's other-runnable) and a share s stolen (steal-frac), the
	// kernel's fair share for one thread is min(1, c(1-s)/(1+o)).
	best1 := 0.0
	bestWait := 0.0 // the highest wait-share of two goroutines under gil
	for i, rec := range resultRecords(t, rs, recs) {
		res := rs[i]
		line := fmt.Sprintf("line %d %s", i+1, res.Name.Full())
		p, err := results.ParseName(string(res.Name.Full()))
		if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		wantName := fmt.Sprintf("BenchmarkSelfSpin/%s", want[(i/4)%len(want)])
		if rec.Name != wantName || p.Workload != base.Workload {
			t.Errorf("%s: sub-benchmark %s (workload %q), want %s", line, rec.Name, p.Workload, wantName)
		}
		procs := label(p)
		if wantProcs := 1 + (i/2)%2; procs != wantProcs {
			t.Errorf("%s: GOMAXPROCS %d by its name, want %d (lines go -cpu 1 twice, then 2 twice)", line, procs, wantProcs)
		}
		if rec.Procs != procs {
			t.Errorf("%s: measured at GOMAXPROCS %d, labelled %d", line, rec.Procs, procs)
		}
		if res.Iters != rec.N || rec.Ops != int64(rec.N) {
			t.Errorf("%s: %d iterations, sample of %d ops, b.N %d: want all equal", line, res.Iters, rec.Ops, rec.N)
		}
		checkFigures(t, line, res, rec)
		par, _ := value(res, "parallelism")
		switch {
		case p.Goroutines == 1:
			// One goroutine spinning keeps at most one core busy,
			// and some of one: others' work on this shared machine
			// may take the core from it for much of a window, but
			// not of every window (best1 below).
			if !(par > 0 && par < 1.6) {
				t.Errorf("%s: parallelism %.3g, want about 1 (0 to 1.6) for one spinning goroutine", line, par)
			}
			others, _ := value(res, "other-runnable")
			steal, _ := value(res, "steal-frac")
			fair := min(1, float64(runtime.NumCPU())*(1-steal)/(1+others))
			best1 = max(best1, par/fair)
		case p.Lock == "gil" && p.Goroutines == 2:
			// Two goroutines take turns on the lock, so they wait for
			// it, unless the OS never ran them at once: on a starved
			// machine one may finish its ops before the other starts
			// (it read 0 once, with four test binaries on 2 CPUs), but
			// not in every line.
			ws, ok := value(res, gil.UnitWait)
			if !ok || ws < 0 {
				t.Errorf("%s: wait-share %v (present %v), want a share", line, ws, ok)
			}
			bestWait = max(bestWait, ws)
		}
	}
	if bestWait <= 0 {
		t.Errorf("wait-share 0 in every line of two goroutines under gil, want > 0 in one: they take turns on the lock")
	}
	if best1 < 0.5 {
		t.Errorf("parallelism of one spinning goroutine at most %.3g of its fair share of the CPUs in 8 lines, want about 1 (at least 0.5) in one of them", best1)
	}
	if t.Failed() {
		t.Logf("output:\n%s", out)
	}
}

// checkFigures checks that a line carries ns/op of the sample's window
// and every figure of the sample, and nothing else but B/op and
// allocs/op.
func checkFigures(t *testing.T, line string, res *benchfmt.Result, rec record) {
	t.Helper()
	var units []string
	for _, v := range res.Values {
		units = append(units, v.Unit)
	}
	// Read back in parbench's own units: the line reads as a parbench
	// run's.
	want := append([]string{"sec/op"}, rec.Units...)
	for _, u := range []string{"cpu-sec/op", "parallelism"} {
		if !slices.Contains(want, u) {
			t.Errorf("%s: the sample has no %s", line, u)
		}
	}
	slices.Sort(units)
	slices.Sort(want)
	if !slices.Equal(units, want) {
		t.Errorf("%s: units %v, want the sample's %v", line, units, want)
	}
	sec, _ := value(res, "sec/op")
	if window := float64(rec.Wall) / 1e9 / float64(rec.Ops); sec < window*0.999 || sec > window*1.001 {
		t.Errorf("%s: %g sec/op, want the sample's window over its ops, %g", line, sec, window)
	}
}

// checkConfig checks the configuration partest wrote before the lines:
// the machine as parbench run writes it, strong scaling and the class.
func checkConfig(t *testing.T, res *benchfmt.Result, workload string) {
	t.Helper()
	for _, c := range results.Machine() {
		if c.Value == "" {
			continue
		}
		got := res.GetConfig(c.Key)
		if c.Key == results.KeyCPU && got != "" {
			continue // testing writes its own cpu line after ours
		}
		if got != strings.Join(strings.Fields(c.Value), " ") {
			t.Errorf("configuration %s: %q, want %q", c.Key, got, c.Value)
		}
	}
	if got := res.GetConfig(results.KeyScaling); got != string(bench.Strong) {
		t.Errorf("configuration %s: %q, want strong", results.KeyScaling, got)
	}
	def := gil.DefaultOptions() // a zero Sweep's lock options
	for key, want := range map[string]string{
		results.KeySwitchInterval: def.SwitchInterval.String(),
		results.KeyCheckInterval:  strconv.Itoa(def.CheckInterval),
	} {
		if got := res.GetConfig(key); got != want {
			t.Errorf("configuration %s: %q, want %q", key, got, want)
		}
	}
	m, err := results.ParseClasses(res.GetConfig(results.KeyClasses))
	if err != nil || m.Of(workload) != results.ClassCPU {
		t.Errorf("classes line %q (%v): class of %s %v, want cpu", res.GetConfig(results.KeyClasses), err, workload, m.Of(workload))
	}
}

// TestSelfOneX checks -benchtime=1x, where testing reports its probe
// call: with -cpu 1,2 every sub-benchmark but the first would be
// measured at the GOMAXPROCS 2 the one before left while labelled -1.
func TestSelfOneX(t *testing.T) {
	out, recs, err := self(t, "^BenchmarkSelfSpin$", "-test.cpu=1,2", "-test.count=2", "-test.benchtime=1x")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	rs := read(t, out)
	if len(rs) != 16 {
		t.Fatalf("%d results, want 16:\n%s", len(rs), out)
	}
	for i, rec := range resultRecords(t, rs, recs) {
		p, _ := results.ParseName(string(rs[i].Name.Full()))
		if rec.Procs != label(p) || rs[i].Iters != 1 {
			t.Errorf("line %d %s: %d iterations measured at GOMAXPROCS %d, want 1 at %d", i+1, rs[i].Name.Full(), rs[i].Iters, rec.Procs, label(p))
		}
	}
}

// TestSelfVerbose checks that go test -v output reads as plain output
// does: benchfmt skips the sub-benchmark names -v prints alone.
func TestSelfVerbose(t *testing.T) {
	out, _, err := self(t, "^BenchmarkSelfSpin$", "-test.cpu=1,2", "-test.benchtime=1x", "-test.v")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if rs := read(t, out); len(rs) != 8 {
		t.Errorf("%d results, want 8:\n%s", len(rs), out)
	}
}

// TestSelfFailures checks that an op's error and each bad Sweep field
// fail the benchmark with a message that names them.
func TestSelfFailures(t *testing.T) {
	out, _, err := self(t, "^BenchmarkSelf(Fail|Bad)", "-test.benchtime=1000x")
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("exit: %v, want a failure\n%s", err, out)
	}
	text := string(out)
	for _, tc := range []struct{ bench, want string }{
		{"BenchmarkSelfFail/lock=none/goroutines=1", errSelfBoom.Error()},
		{"BenchmarkSelfBadLock", `Sweep.Locks: unknown lock mode "gli"`},
		{"BenchmarkSelfBadLock", strings.Join(gil.Modes(), ", ")},
		{"BenchmarkSelfBadGoroutines", "Sweep.Goroutines: 0 out of range"},
		{"BenchmarkSelfBadClass", `Sweep.Class: "cpu-bound" is not a class`},
	} {
		i := strings.Index(text, "--- FAIL: "+tc.bench)
		if i < 0 {
			t.Errorf("no failure of %s", tc.bench)
			continue
		}
		block := text[i:]
		if j := strings.Index(block[1:], "--- "); j >= 0 {
			block = block[:j+1]
		}
		if !strings.Contains(block, tc.want) {
			t.Errorf("failure of %s says:\n%s\nwant it to say %q", tc.bench, block, tc.want)
		}
	}
	if t.Failed() {
		t.Logf("output:\n%s", out)
	}
}

func TestSweepNormalized(t *testing.T) {
	names, err := Sweep{}.Names()
	want := []string{
		"lock=none/goroutines=1", "lock=none/goroutines=2", "lock=none/goroutines=8", "lock=none/goroutines=64",
		"lock=gil/goroutines=1", "lock=gil/goroutines=2", "lock=gil/goroutines=8", "lock=gil/goroutines=64",
	}
	if err != nil || !slices.Equal(names, want) {
		t.Errorf("Sweep{}.Names() = %v, %v; want %v", names, err, want)
	}
	s, _ := Sweep{LockOptions: gil.Options{CheckInterval: 7}}.normalized()
	if s.LockOptions.SwitchInterval != gil.DefaultOptions().SwitchInterval || s.LockOptions.CheckInterval != 7 {
		t.Errorf("LockOptions %+v: want the default switch interval and check interval 7", s.LockOptions)
	}
	for _, tc := range []struct {
		s    Sweep
		want string
	}{
		{Sweep{Goroutines: []int{-1}}, "Sweep.Goroutines: -1 out of range"},
		{Sweep{Goroutines: []int{bench.MaxGoroutines + 1}}, "Sweep.Goroutines"},
		{Sweep{Goroutines: []int{2, 2}}, "Sweep.Goroutines: 2 given twice"},
		{Sweep{Locks: []string{"GIL"}}, "Sweep.Locks"},
		{Sweep{Locks: []string{"gil", "gil"}}, `Sweep.Locks: "gil" given twice`},
		{Sweep{LockOptions: gil.Options{SwitchInterval: -time.Millisecond}}, "Sweep.LockOptions.SwitchInterval"},
		{Sweep{LockOptions: gil.Options{CheckInterval: -1}}, "Sweep.LockOptions.CheckInterval"},
		{Sweep{Class: "unknown"}, "Sweep.Class"},
	} {
		if _, err := tc.s.Names(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want one containing %q", tc.s, err, tc.want)
		}
	}
}

// TestFirstOf checks that the first -cpu value is read as testing reads
// the list: fields trimmed, empty ones skipped.
func TestFirstOf(t *testing.T) {
	for _, tc := range []struct {
		list string
		want int
	}{
		{"", 0},
		{"1,2", 1},
		{" 4 , 1", 4},
		{" ,2", 2},
		{",,3,1", 3},
		{" , ", 0},
		{"x,2", 0}, // testing refuses the list
		{"0", 0},
	} {
		if got := firstOf(tc.list); got != tc.want {
			t.Errorf("firstOf(%q) = %d, want %d", tc.list, got, tc.want)
		}
	}
}

// FuzzFirstOf checks that firstOf never panics and returns 0 or a
// positive value that one of the list's trimmed fields spells.
func FuzzFirstOf(f *testing.F) {
	for _, s := range []string{"", "1,2", " ,2", "x", "-1,4", "99999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, list string) {
		n := firstOf(list)
		if n < 0 {
			t.Fatalf("firstOf(%q) = %d", list, n)
		}
		if n == 0 {
			return
		}
		for field := range strings.SplitSeq(list, ",") {
			if m, err := strconv.Atoi(strings.TrimSpace(field)); err == nil && m == n {
				return
			}
		}
		t.Fatalf("firstOf(%q) = %d, which no field spells", list, n)
	})
}

// TestTestingUnit checks that every unit a sample may carry goes to
// ReportMetric as a unit that benchfmt reads back, from the line testing
// prints, as the same figure in the same unit, and that none replaces
// one of testing's own.
func TestTestingUnit(t *testing.T) {
	units := []string{
		"cpu-sec/op", "parallelism", "steal-frac", "other-runnable",
		gil.UnitSwitches, gil.UnitTenure, gil.UnitWait, gil.UnitHandoff, gil.UnitInOrder,
		rtmetrics.UnitSchedP50, rtmetrics.UnitSchedP99, rtmetrics.UnitMutexWait, rtmetrics.UnitGCShare,
		rtmetrics.UnitUserPerOp, rtmetrics.UnitBytesPerGoroutine,
		workloads.UnitP50, workloads.UnitP90, workloads.UnitP99, workloads.UnitMax, workloads.UnitRate, workloads.UnitLatencies,
		bench.UnitStartup,
	}
	for _, u := range units {
		// A few ns, 0, and a time below what testing prints (read back
		// as 0).
		for _, x := range []float64{2.5e-9, 0, 1e-20} {
			y, tu := testingUnit(x, u)
			if err := checkUnit(tu); err != nil {
				t.Errorf("%s: as %s: %v", u, tu, err)
				continue
			}
			line := "BenchmarkX " + testing.BenchmarkResult{N: 1, T: time.Second, Extra: map[string]float64{tu: y}}.String()
			rd := benchfmt.NewReader(strings.NewReader(line+"\n"), "line")
			if !rd.Scan() {
				t.Fatalf("%q: no result", line)
			}
			res, ok := rd.Result().(*benchfmt.Result)
			if !ok {
				t.Fatalf("%q: %v", line, rd.Result())
			}
			back, found := value(res, u)
			// testing prints seven decimals at most: within that for
			// a figure that is no time, within 0.1% for a time (in ns)
			// but for one below a femtosecond (0).
			tol := 1e-3 * x
			if !strings.Contains(u, "sec") {
				tol = max(tol, 5e-8)
			} else if x < 1e-15 {
				tol = x
			}
			if !found || math.Abs(back-x) > tol {
				t.Errorf("%g %s goes to testing as %g %s, its line %q reads back as %v", x, u, y, tu, line, res.Values)
			}
		}
	}
	if err := checkUnit("ns/op"); err == nil {
		t.Error("checkUnit(ns/op) = nil, want an error")
	}
}

// checkEnv records the Env calls of an op.
type checkEnv struct{ calls []string }

func (e *checkEnv) Check(ticks int) { e.calls = append(e.calls, fmt.Sprintf("Check(%d)", ticks)) }
func (e *checkEnv) BeginIO()        { e.calls = append(e.calls, "BeginIO") }
func (e *checkEnv) EndIO()          { e.calls = append(e.calls, "EndIO") }

// TestOpSwitchPoint checks Run's wrapper of an op: the op's own Env
// calls, then one tick after it (the switch point between ops), none
// after an op that failed; newOp's error and a nil op fail the worker.
func TestOpSwitchPoint(t *testing.T) {
	boom := errors.New("boom")
	fail := false
	in := opInstance{newOp: func(env Env) (func() error, error) {
		return func() error {
			env.BeginIO()
			env.EndIO()
			if fail {
				return boom
			}
			return nil
		}, nil
	}}
	env := &checkEnv{}
	w, err := in.NewWorker(env)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Op(); err != nil {
		t.Fatal(err)
	}
	fail = true
	if err := w.Op(); !errors.Is(err, boom) {
		t.Errorf("Op = %v, want the op's error", err)
	}
	if want := []string{"BeginIO", "EndIO", "Check(1)", "BeginIO", "EndIO"}; !slices.Equal(env.calls, want) {
		t.Errorf("Env calls %v, want %v", env.calls, want)
	}
	if _, err := (opInstance{newOp: func(Env) (func() error, error) { return nil, boom }}).NewWorker(env); !errors.Is(err, boom) {
		t.Errorf("NewWorker of a failing newOp = %v, want its error", err)
	}
	if _, err := (opInstance{newOp: func(Env) (func() error, error) { return nil, nil }}).NewWorker(env); err == nil {
		t.Error("NewWorker of a nil op = nil error, want one")
	}
}
