package analysis

import (
	"bytes"
	"flag"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"golang.org/x/perf/benchfmt"
)

var update = flag.Bool("update", false, "rewrite testdata/*.txt and golden files")

// bench is one benchmark of a synthetic results file: its name, lock and
// the time per op a known law gives at each point, with noise.
type bench struct {
	name, lock        string
	procs, goroutines []int // goroutines nil: a plain `go test` name
	secs              func(p, g int) float64
	metrics           func(p, g int) []benchfmt.Value
}

// synthFile is a results file generated from known laws.
type synthFile struct {
	config  [][2]string
	benches []bench
	n       int     // samples per point
	noise   float64 // relative standard deviation, log-normal
	plain   bool    // ns/op and go test's framing lines
	// drift, when positive, multiplies every sample of a round (one
	// pass over the benches, as the runner's rounds) by one log-normal
	// factor of that relative standard deviation: a machine that slows
	// and speeds up as a whole.
	drift float64
}

// machine returns file configuration for a machine of ncpu CPUs.
func machine(host string, ncpu int, scaling string) [][2]string {
	c := [][2]string{{"goos", "linux"}, {"goarch", "amd64"}, {"cpu", "Synthetic CPU @ 3.0GHz"},
		{"ncpu", itoa(ncpu)}, {"cpu-quota", "none"}, {"host", host}, {"go", "go1.26.0"}}
	if scaling != "" {
		c = append(c, [2]string{"scaling", scaling})
	}
	return c
}

func itoa(n int) string { return strconv.Itoa(n) }

// write renders f with the given seed.
func (f synthFile) write(tb testing.TB, seed uint64) []byte {
	tb.Helper()
	rng := rand.New(rand.NewPCG(seed, 7))
	var buf bytes.Buffer
	buf.WriteString("# Synthetic results from known laws, written by analysis/synth_test.go (go test ./analysis -update).\n")
	w := benchfmt.NewWriter(&buf)
	res := &benchfmt.Result{}
	for _, kv := range f.config {
		res.Config = append(res.Config, benchfmt.Config{Key: kv[0], Value: []byte(kv[1]), File: true})
	}
	for range f.n {
		d := 1.0
		if f.drift > 0 {
			d = math.Exp(f.drift * rng.NormFloat64())
		}
		for _, b := range f.benches {
			gs := b.goroutines
			if gs == nil {
				gs = []int{0}
			}
			for _, g := range gs {
				for _, p := range b.procs {
					name := b.name
					if b.lock != "" {
						name += "/lock=" + b.lock
					}
					if g > 0 {
						name += "/goroutines=" + itoa(g)
					}
					if p != 1 || !f.plain {
						name += "-" + itoa(p)
					}
					s := d * b.secs(p, g) * math.Exp(f.noise*rng.NormFloat64())
					res.Name = benchfmt.Name(name)
					res.Iters = max(1, int(0.1/s))
					if f.plain {
						res.Values = []benchfmt.Value{{Value: s * 1e9, Unit: "ns/op"}}
					} else {
						res.Values = []benchfmt.Value{{Value: s, Unit: "sec/op"}}
					}
					if b.metrics != nil {
						res.Values = append(res.Values, b.metrics(p, g)...)
					}
					if err := w.Write(res); err != nil {
						tb.Fatal(err)
					}
				}
			}
		}
	}
	if f.plain {
		buf.WriteString("PASS\nok  \texample.com/hash\t12.345s\n")
	}
	return buf.Bytes()
}

// report analyses data with the default options.
func report(tb testing.TB, data []byte) *Report {
	tb.Helper()
	return reportWith(tb, data, DefaultOptions())
}

// reportWith analyses data with opt.
func reportWith(tb testing.TB, data []byte, opt Options) *Report {
	tb.Helper()
	b, err := NewBuilder(opt)
	if err != nil {
		tb.Fatal(err)
	}
	if err := b.Read(bytes.NewReader(data), "synthetic.txt"); err != nil {
		tb.Fatal(err)
	}
	rep, err := b.Report()
	if err != nil {
		tb.Fatal(err)
	}
	return rep
}

// group returns the report's group for workload and lock.
func group(tb testing.TB, rep *Report, workload, lock string) *Group {
	tb.Helper()
	for _, g := range rep.Groups {
		if g.Workload == workload && g.Lock == lock {
			return g
		}
	}
	tb.Fatalf("no group %s lock=%s among %d", workload, lock, len(rep.Groups))
	return nil
}

// amdahlSecs is Amdahl's law for time per op: k = min(p, g, cpus)
// goroutines run at once.
func amdahlSecs(t1, s float64, cpus int) func(p, g int) float64 {
	return func(p, g int) float64 {
		k := float64(min(p, cpus))
		if g > 0 {
			k = math.Min(k, float64(g))
		}
		return t1 * (s + (1-s)/k)
	}
}

// uslSecs is the USL for time per op: 1/X(N) with N = min(p, g, cpus).
func uslSecs(lambda, sigma, kappa float64, cpus int) func(p, g int) float64 {
	return func(p, g int) float64 {
		n := float64(min(p, cpus))
		if g > 0 {
			n = math.Min(n, float64(g))
		}
		return (1 + sigma*(n-1) + kappa*n*(n-1)) / (lambda * n)
	}
}

// kneeSecs is a speedup that is ideal up to knee procs and flat after
// it: T(p) = t1 / min(p, g, knee), a law neither Amdahl nor the USL has.
func kneeSecs(t1 float64, knee int) func(p, g int) float64 {
	return func(p, g int) float64 {
		k := min(p, knee)
		if g > 0 {
			k = min(k, g)
		}
		return t1 / float64(k)
	}
}

// oneCurve is a strong-scaling file of one benchmark, cpu/x lock=none,
// on an ncpu machine: n samples at each of procs, all at goroutines =
// ncpu, so the fits see exactly these levels.
func oneCurve(ncpu int, procs []int, n int, noise float64, secs func(p, g int) float64) synthFile {
	return synthFile{config: machine("m", ncpu, "strong"), n: n, noise: noise, benches: []bench{
		{name: "CPU/x", lock: "none", procs: procs, goroutines: []int{ncpu}, secs: secs},
	}}
}

// oversubscribed adds the cost of CPU work with more goroutines than
// procs, or more procs than CPUs: 5% per doubling, clearly above the
// report's 3% noise floor.
func oversubscribed(f func(p, g int) float64, cpus int) func(p, g int) float64 {
	return func(p, g int) float64 {
		t := f(p, g)
		if g > p {
			t *= 1 + 0.05*math.Log2(float64(g)/float64(p))
		}
		if p > cpus {
			t *= 1 + 0.05*math.Log2(float64(p)/float64(cpus))
		}
		return t
	}
}

// The committed synthetic files: what the golden tests of `parbench
// report` read. TestSyntheticFiles keeps them equal to these generators.
var syntheticFiles = map[string]func() synthFile{
	// A 16-CPU machine: every kind of verdict.
	"laws.txt": func() synthFile {
		procs, gs := []int{1, 2, 4, 8, 16, 32}, []int{1, 16, 64}
		return synthFile{config: machine("big", 16, "strong"), n: 10, noise: 0.02, benches: []bench{
			{name: "CPU/mandelbrot", lock: "none", procs: procs, goroutines: gs,
				secs: oversubscribed(amdahlSecs(20e-6, 0.02, 16), 16)},
			{name: "CPU/sha256", lock: "none", procs: procs, goroutines: gs,
				secs: oversubscribed(uslSecs(1/4e-6, 0.05, 0.002, 16), 16)},
			{name: "CPU/sha256", lock: "gil", procs: procs, goroutines: gs,
				secs: func(p, g int) float64 { return 4.2e-6 * (1 + 0.01*math.Log2(float64(min(p, max(g, 1), 16)))) },
				metrics: func(p, g int) []benchfmt.Value {
					k := float64(min(p, max(g, 1)))
					return []benchfmt.Value{{Value: 1 - 1/k, Unit: "wait-share"}}
				}},
			{name: "CPU/stream", lock: "none", procs: procs, goroutines: gs,
				secs: uslSecs(1/2e-3, 0.3, 0, 16)},
			{name: "IO/sleep", lock: "none", procs: procs, goroutines: gs,
				secs: func(p, g int) float64 { return 1.05e-3 / float64(g) },
				metrics: func(p, g int) []benchfmt.Value {
					return []benchfmt.Value{{Value: 0.02 * float64(min(g, p)), Unit: "parallelism"}}
				}},
		}}
	},
	// Weak scaling: Gustafson's setting.
	"weak.txt": func() synthFile {
		lambda, s := 1/5e-6, 0.1
		return synthFile{config: machine("big", 16, "weak"), n: 10, noise: 0.02, benches: []bench{
			{name: "CPU/mandelbrot", lock: "none", procs: []int{1, 2, 4, 8, 16}, goroutines: []int{1, 2, 4, 8, 16},
				secs: func(p, g int) float64 {
					k := float64(min(p, g))
					return 1 / (lambda * (s + (1-s)*k))
				}},
		}}
	},
	// Plain `go test -bench -cpu 1,2,4,8 -count 6` output.
	"gotest.txt": func() synthFile {
		cfg := [][2]string{{"goos", "linux"}, {"goarch", "amd64"}, {"pkg", "example.com/hash"}, {"cpu", "Synthetic CPU @ 3.0GHz"}}
		return synthFile{config: cfg, n: 6, noise: 0.02, plain: true, benches: []bench{
			{name: "Hash", procs: []int{1, 2, 4, 8}, secs: amdahlSecs(1.5e-6, 0.05, 8)},
			{name: "Parse", procs: []int{1, 2, 4, 8}, secs: amdahlSecs(800e-9, 0.9, 8)},
		}}
	},
}

// TestSyntheticFiles checks the committed synthetic files against their
// generators (-update rewrites them).
func TestSyntheticFiles(t *testing.T) {
	for name, gen := range syntheticFiles {
		t.Run(name, func(t *testing.T) {
			want := gen().write(t, 1)
			path := filepath.Join("testdata", name)
			if *update {
				if err := os.WriteFile(path, want, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./analysis -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from its generator; run go test ./analysis -update", path)
			}
		})
	}
}
