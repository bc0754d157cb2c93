package bench

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/pprof/profile"
	"github.com/parbench/parbench/bench/prof"
	"github.com/parbench/parbench/internal/rtmetrics"
	"github.com/parbench/parbench/results"
	"github.com/parbench/parbench/workloads"
	"golang.org/x/perf/benchfmt"
)

// profiledRun runs a small CPU-bound sweep under two locking modes with
// every profile and a trace, and returns the folder and the results.
func profiledRun(t *testing.T) (string, *prof.Session, []*benchfmt.Result) {
	t.Helper()
	ws, err := workloads.Lookup("cpu/sha256")
	if err != nil {
		t.Fatal(err)
	}
	c := testConfig(ws...)
	c.Locks = []string{"gil", "mutex"}
	c.Goroutines = []int{3}
	c.Count = 2
	c.Benchtime = 40 * time.Millisecond
	opt := prof.DefaultOptions()
	opt.Dir = filepath.Join(t.TempDir(), "r.txt.profiles")
	opt.Kinds = append(prof.Kinds(), prof.Trace)
	match, err := prof.PointFilter("/lock:gil /gomaxprocs:2")
	if err != nil {
		t.Fatal(err)
	}
	opt.TracePoint = match
	mutexBefore := runtime.SetMutexProfileFraction(-1)
	s, err := prof.Start(opt)
	if err != nil {
		t.Fatal(err)
	}
	c.Profile = s
	rs := run(t, c)
	files, err := s.Stop()
	if err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if len(files) != 5 {
		t.Errorf("Stop wrote %v, want 5 files", files)
	}
	if got := runtime.SetMutexProfileFraction(-1); got != mutexBefore {
		t.Errorf("mutex profile fraction %d after Stop, want %d restored", got, mutexBefore)
	}
	return opt.Dir, s, rs
}

func parseFile(t *testing.T, path string) *profile.Profile {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := profile.Parse(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if err := p.CheckValid(); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return p
}

// TestProfiles checks each profile of a run: it parses, the CPU and gil
// profiles carry the point labels on their samples, the gil profile's
// total agrees with the locks' own accounting within 5%, and `go tool
// pprof -raw` and `go tool trace` open the files.
func TestProfiles(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a profiled sweep")
	}
	dir, s, rs := profiledRun(t)
	wantLabels := []string{results.LabelWorkload, results.LabelLock, results.LabelGoroutines, results.LabelProcs}

	for _, k := range prof.Kinds() {
		t.Run(string(k), func(t *testing.T) {
			p := parseFile(t, filepath.Join(dir, k.File()))
			if k == prof.Mutex || k == prof.Block {
				return // the runtime writes no labels into these
			}
			if len(p.Sample) == 0 {
				t.Fatal("no samples")
			}
			labelled := 0
			for _, smp := range p.Sample {
				ok := true
				for _, key := range wantLabels {
					ok = ok && len(smp.Label[key]) == 1
				}
				if ok {
					labelled++
					if w := smp.Label[results.LabelWorkload][0]; w != "cpu/sha256" {
						t.Errorf("workload label %q", w)
					}
				}
			}
			// CPU samples of the runner between samples carry no labels;
			// the workload's must, and they are most of the CPU.
			if k == prof.GIL && labelled != len(p.Sample) || labelled == 0 {
				t.Errorf("%d of %d samples carry all of %v", labelled, len(p.Sample), wantLabels)
			}
		})
	}

	t.Run("gil total", func(t *testing.T) {
		p := parseFile(t, filepath.Join(dir, prof.GIL.File()))
		var total int64
		for _, smp := range p.Sample {
			total += smp.Value[1]
		}
		acc := s.WaitProfile().AccountedTotal().Nanoseconds()
		if acc == 0 {
			t.Fatal("the locks accounted no wait: the sweep did not contend")
		}
		if r := float64(total) / float64(acc); r < 0.95 || r > 1.05 {
			t.Errorf("gil profile total %dns, locks' accounting %dns: ratio %.3f, want within 5%%", total, acc, r)
		}
	})

	// Every sample has its mutex wait. user-sec/op is left out of a
	// sample over which getrusage's user time stood still: Linux splits
	// the precise run time into user and system by tick samples and
	// keeps each monotonic, so over a short window on a busy machine the
	// user share may not grow (CI saw it at GOMAXPROCS=1 under -race).
	// Most samples must have it.
	t.Run("runtime metrics", func(t *testing.T) {
		withUser := 0
		for _, r := range rs {
			units := map[string]bool{}
			for _, v := range r.Values {
				units[v.Unit] = true
			}
			if !units[rtmetrics.UnitMutexWait] {
				t.Errorf("%s: no %s", r.Name, rtmetrics.UnitMutexWait)
			}
			if units[rtmetrics.UnitUserPerOp] {
				withUser++
			}
		}
		if 2*withUser < len(rs) {
			t.Errorf("%d of %d samples have %s, want most", withUser, len(rs), rtmetrics.UnitUserPerOp)
		}
	})

	t.Run("go tool", func(t *testing.T) {
		goCmd, err := exec.LookPath("go")
		if err != nil {
			t.Skip("go is not on PATH")
		}
		for _, k := range prof.Kinds() {
			out, err := exec.Command(goCmd, "tool", "pprof", "-raw", filepath.Join(dir, k.File())).CombinedOutput()
			if err != nil {
				t.Errorf("go tool pprof -raw %s: %v\n%s", k.File(), err, out)
			}
		}
		out, err := exec.Command(goCmd, "tool", "trace", "-d=parsed", filepath.Join(dir, prof.Trace.File())).CombinedOutput()
		if err != nil {
			t.Fatalf("go tool trace: %v\n%.2000s", err, out)
		}
		// The trace is of the GOMAXPROCS=2 point.
		if !strings.Contains(string(out), `Name="/sched/gomaxprocs:threads" Value=Value{Uint64(2)}`) {
			t.Errorf("the trace does not record GOMAXPROCS=2")
		}
	})
}

// TestProfileOffIsNil checks that without profiling the lock gets no
// recorder: the no-profiling path is the path without the hooks.
func TestProfileOffIsNil(t *testing.T) {
	r := newRunner(context.Background(), DefaultConfig())
	pt := &point{}
	if o := r.lockOptions(pt); o.Waits != nil {
		t.Error("a recorder without profiling")
	}
	if stop := r.traceStart(pt, 1); stop != nil {
		t.Error("a trace without profiling")
	}
	called := false
	r.profiled(pt, func() { called = true })
	if !called {
		t.Error("profiled did not run f")
	}
}
