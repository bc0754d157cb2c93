package analysis

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// roundsOf builds the two points of a ratio whose k-th samples were
// taken in round k of one segment, as a parbench file's are.
func roundsOf(base, pt []float64) (*Point, *Point) {
	mk := func(xs []float64) *Point {
		p := &Point{N: len(xs), secs: slices.Clone(xs)}
		for k, x := range xs {
			p.seq = append(p.seq, roundSample{round(1)<<32 | round(k+1), x})
		}
		return p
	}
	return mk(base), mk(pt)
}

// unpairedOf builds the same two points with no rounds.
func unpairedOf(base, pt []float64) (*Point, *Point) {
	b, p := roundsOf(base, pt)
	for _, q := range []*Point{b, p} {
		for i := range q.seq {
			q.seq[i].round = 0
		}
	}
	return b, p
}

// law draws the samples of rounds 0..n-1 of a baseline and a point that
// is truly speedup times faster: each round's drift multiplies both of
// its samples by exp(drift x N(0,1)), each sample has its own noise
// exp(noise x N(0,1)), and slow(k) multiplies the point's k-th sample
// alone (a core lost mid-run).
type law struct {
	n                int
	speedup          float64
	drift, noise     float64
	slow             func(k int) float64
	resamples, seeds int
}

func (l law) draw(seed uint64) (base, pt []float64) {
	rng := rand.New(rand.NewPCG(seed, 16))
	for k := range l.n {
		d := math.Exp(l.drift * rng.NormFloat64())
		b := 1e-3 * d * math.Exp(l.noise*rng.NormFloat64())
		p := 1e-3 / l.speedup * d * math.Exp(l.noise*rng.NormFloat64())
		if l.slow != nil {
			p *= l.slow(k)
		}
		base, pt = append(base, b), append(pt, p)
	}
	return base, pt
}

// trial is what many seeds of a law give: how often each interval
// covered the true speedup, and their median widths (Hi/Lo: a ratio's
// spread is relative).
type trial struct {
	pairedCover, unpairedCover float64
	pairedWidth, unpairedWidth float64
}

func (l law) trials(t *testing.T) trial {
	t.Helper()
	var tr trial
	var pw, uw []float64
	for seed := range uint64(l.seeds) {
		base, pt := l.draw(seed)
		name := fmt.Sprint("paired-law-", seed)
		pb, pp := roundsOf(base, pt)
		paired, pairs := speedup(newRand(1, name), pb, pp, l.resamples, 0.95)
		if pairs != l.n {
			t.Fatalf("seed %d: %d rounds paired, want %d", seed, pairs, l.n)
		}
		ub, up := unpairedOf(base, pt)
		unpaired, none := speedup(newRand(1, name), ub, up, l.resamples, 0.95)
		if none != 0 {
			t.Fatalf("seed %d: %d rounds paired with no rounds read", seed, none)
		}
		if paired.Value != unpaired.Value {
			t.Fatalf("seed %d: the estimate moved with the pairing: %v paired, %v not", seed, paired.Value, unpaired.Value)
		}
		if paired.Contains(l.speedup) {
			tr.pairedCover++
		}
		if unpaired.Contains(l.speedup) {
			tr.unpairedCover++
		}
		pw, uw = append(pw, paired.Hi/paired.Lo), append(uw, unpaired.Hi/unpaired.Lo)
	}
	tr.pairedCover /= float64(l.seeds)
	tr.unpairedCover /= float64(l.seeds)
	tr.pairedWidth, tr.unpairedWidth = median(pw)-1, median(uw)-1
	t.Logf("%d seeds: paired covers %.1f%%, width %.1f%%; unpaired covers %.1f%%, width %.1f%%",
		l.seeds, 100*tr.pairedCover, 100*tr.pairedWidth, 100*tr.unpairedCover, 100*tr.unpairedWidth)
	return tr
}

// minCover is the coverage below which a nominal 95% interval is
// wrong beyond doubt over seeds trials: 3 binomial standard errors
// below 95% (the seeds are fixed, so the test gives the same answer
// every run).
func minCover(seeds int) float64 {
	return 0.95 - 3*math.Sqrt(0.95*0.05/float64(seeds))
}

// TestPairedDrift: a drift shared by both points of each round (a
// log-normal factor of 30% a round) and 3% noise of each sample, true
// speedup exactly 2. The paired interval covers 2 at about the nominal
// rate and is several times narrower than the unpaired one, which
// counts the drift twice. It fails if the pairing is off by a round.
func TestPairedDrift(t *testing.T) {
	l := law{n: 10, speedup: 2, drift: 0.3, noise: 0.03, resamples: 1000, seeds: 200}
	tr := l.trials(t)
	if tr.pairedCover < minCover(l.seeds) {
		t.Errorf("paired interval covers the true speedup in %.1f%% of %d seeds, want about 95%% (at least %.1f%%)", 100*tr.pairedCover, l.seeds, 100*minCover(l.seeds))
	}
	if tr.pairedWidth > 0.25*tr.unpairedWidth {
		t.Errorf("paired interval %.1f%% wide, unpaired %.1f%%: want the paired one at most a quarter as wide under a shared drift", 100*tr.pairedWidth, 100*tr.unpairedWidth)
	}
}

// TestPairedNoDrift: independent samples (5% noise) of two points with
// no difference at all. Pairing them gains nothing, so the paired
// interval covers 1 as often as the unpaired one and is about as wide:
// it must not narrow where there is nothing to cancel.
func TestPairedNoDrift(t *testing.T) {
	l := law{n: 10, speedup: 1, noise: 0.05, resamples: 1000, seeds: 200}
	tr := l.trials(t)
	if tr.pairedCover < minCover(l.seeds) {
		t.Errorf("paired interval covers the true speedup in %.1f%% of %d seeds, want about 95%% (at least %.1f%%)", 100*tr.pairedCover, l.seeds, 100*minCover(l.seeds))
	}
	if r := tr.pairedWidth / tr.unpairedWidth; r < 0.85 || r > 1.15 {
		t.Errorf("no drift: paired interval %.1f%% wide, unpaired %.1f%% (ratio %.2f): want about the same width", 100*tr.pairedWidth, 100*tr.unpairedWidth, r)
	}
}

// TestPairedCoreLost: a core lost for the second half of a run slows
// only the parallel point (P=2) of each of those rounds by 1.6x, a
// change that no drift of the round explains. The paired interval must
// widen (the samples disagree, round by round), as the unpaired one
// does: pairing must not hide a machine that changed under the run.
func TestPairedCoreLost(t *testing.T) {
	quiet := law{n: 20, speedup: 2, drift: 0.1, noise: 0.03, resamples: 1000, seeds: 100}
	lost := quiet
	lost.slow = func(k int) float64 {
		if k >= quiet.n/2 {
			return 1.6
		}
		return 1
	}
	q, l := quiet.trials(t), lost.trials(t)
	if l.pairedWidth < 3*q.pairedWidth {
		t.Errorf("a core lost for half the rounds: paired interval %.1f%% wide against %.1f%% on a quiet machine; want it at least 3 times wider", 100*l.pairedWidth, 100*q.pairedWidth)
	}
	if l.pairedWidth < 0.5*l.unpairedWidth {
		t.Errorf("a core lost for half the rounds: paired interval %.1f%% wide against %.1f%% unpaired; want the pairing not to hide it", 100*l.pairedWidth, 100*l.unpairedWidth)
	}
}

// roundFile is a parbench file of two points, A (GOMAXPROCS 1) and B
// (2), whose samples encode their run segment and round: A's sample of
// segment s, round r is (100s+r) µs and B's half of it, so a pair of
// one round has a ratio of exactly 2. Segment 1 is a run that was
// interrupted after A's third round and B's second; segment 2 resumed
// it, with A taking 2 more rounds and B 3. Counting the samples over the
// whole file would pair A's third sample (segment 1, round 3) with B's
// third (segment 2, round 1).
func roundFile(version bool, date string) string {
	var sb strings.Builder
	sb.WriteString("parbench-calibration: timer-resolution=20ns\nparbench-calibration:\n")
	sb.WriteString("goos: linux\ngoarch: amd64\ncpu: Synthetic\nncpu: 2\nhost: h\n")
	if version {
		sb.WriteString("parbench-version: devel\n")
	}
	sb.WriteString("date: " + date + "\n\n")
	line := func(p, seg, r int) {
		us := float64(100*seg + r)
		if p == 2 {
			us /= 2
		}
		fmt.Fprintf(&sb, "BenchmarkCPU/x/lock=none/goroutines=2-%d 100 %g sec/op\n", p, us*1e-6)
	}
	line(1, 1, 1)
	line(2, 1, 1)
	line(2, 1, 2)
	line(1, 1, 2)
	line(1, 1, 3)
	sb.WriteString("parbench-interrupted: signal\nparbench-interrupted:\n")
	sb.WriteString("parbench-resumed: date=x samples-in-file=5\nparbench-resumed:\n")
	line(2, 2, 1)
	line(1, 2, 1)
	line(1, 2, 2)
	line(2, 2, 2)
	line(2, 2, 3)
	return sb.String()
}

// goTestText is go test output for roundFile's point: each -count
// sample of one benchmark after the other, so its k-th samples were not
// taken together (their ratios are not 2, which TestRoundsRead's check
// of each pair would catch).
const goTestText = `pkg: example
BenchmarkCPU/x/lock=none/goroutines=2-1 100 0.0005 sec/op
BenchmarkCPU/x/lock=none/goroutines=2-1 100 0.00051 sec/op
BenchmarkCPU/x/lock=none/goroutines=2-1 100 0.00052 sec/op
BenchmarkCPU/x/lock=none/goroutines=2-2 100 0.0003 sec/op
BenchmarkCPU/x/lock=none/goroutines=2-2 100 0.00031 sec/op
BenchmarkCPU/x/lock=none/goroutines=2-2 100 0.00032 sec/op
`

// TestRoundsRead reads files whose rounds are known and checks which
// samples the paired bootstrap joins: each pair is of one round (the
// ratio of its samples is exactly 2), and the count of pairs is that
// of the rounds both points share, across resumed runs, runs
// concatenated in one file and files read together, and none where
// the file does not keep the round contract or lost a line.
func TestRoundsRead(t *testing.T) {
	run1, run2 := roundFile(true, "2026-01-01"), roundFile(true, "2026-01-02")
	noCalib := func(s string) string {
		return strings.Replace(s, "parbench-calibration: timer-resolution=20ns\nparbench-calibration:\n", "", 1)
	}
	for _, tc := range []struct {
		name  string
		files []string
		pairs int
	}{
		{"resumed", []string{run1}, 4},
		{"go test output", []string{roundFile(false, "2026-01-01")}, 0},
		{"two runs in one file", []string{run1 + run2}, 8},
		{"one run twice in one file", []string{run1 + run1}, 8},
		// Without their calibration notes, only the resumed parts
		// are known to be runs of their own: 2 rounds each.
		{"two runs in one file, no calibration notes", []string{noCalib(run1) + noCalib(run2)}, 4},
		// go test output appended to a run with cat still carries
		// the run's keys, parbench-version too: it pairs nothing, the
		// run keeps its 4 rounds.
		{"a run, then go test output", []string{run1 + "\n" + goTestText}, 4},
		{"two files", []string{run1, run2}, 8},
		{"a line lost", []string{strings.Replace(run1, "BenchmarkCPU/x/lock=none/goroutines=2-1 100 0.000102 sec/op", "BenchmarkCPU/x/lock=none/goroutines=2-1 100 0.000102", 1)}, 0},
		{"a point under two names", []string{strings.Replace(run1, "BenchmarkCPU/x/lock=none/goroutines=2-2 100 5.05e-05", "BenchmarkCPU/x/lock=none/goroutines=2/gomaxprocs=2 100 5.05e-05", 1)}, 0},
		{"a sample skipped", []string{strings.Replace(run1, "goroutines=2-1 100 0.000102 sec/op", "goroutines=2-1 100 -0.000102 sec/op", 1)}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := NewBuilder(DefaultOptions())
			if err != nil {
				t.Fatal(err)
			}
			for i, f := range tc.files {
				if err := b.Read(strings.NewReader(f), fmt.Sprintf("f%d.txt", i)); err != nil {
					t.Fatal(err)
				}
			}
			rep, err := b.Report()
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Groups) != 1 {
				t.Fatalf("%d groups, want 1: %v", len(rep.Groups), rep.Warnings)
			}
			var base, pt *Point
			for _, p := range rep.Groups[0].Points {
				if p.Procs == 1 {
					base = p
				} else {
					pt = p
				}
			}
			if got := pt.Parallel.Pairs; got != tc.pairs {
				t.Errorf("S(2) paired %d rounds, want %d", got, tc.pairs)
			}
			rs := pairRounds(base.seq, pt.seq)
			for k := range rs.pb {
				if b, p := base.seq[rs.pb[k]].secs, pt.seq[rs.pp[k]].secs; math.Abs(b/p-2) > 1e-9 {
					t.Errorf("paired a sample of %.0fµs with one of %.0fµs: not one round", 1e6*b, 2e6*p)
				}
			}
			if n := len(rs.pb) + len(rs.sb); n != base.N {
				t.Errorf("the pairing holds %d of the baseline's %d samples", n, base.N)
			}
			if n := len(rs.pp) + len(rs.sp); n != pt.N {
				t.Errorf("the pairing holds %d of the point's %d samples", n, pt.N)
			}
		})
	}
}

// TestPairedNoiseClaimsNothing: many groups with no effect anywhere,
// written as parbench writes its rounds, claim no more with the
// pairing than without it (the same file without its parbench-version
// line, which pairs nothing): on independent noise, and on noise under
// a drift of 20% a round shared by every point, which the pairing
// cancels and the unpaired intervals count as spread. The claims'
// p-values are the unpaired Mann-Whitney tests either way; a narrower
// interval must not turn noise into a claim.
func TestPairedNoiseClaimsNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("100 groups, 4 times")
	}
	for _, drift := range []float64{0, 0.2} {
		f := manyGroups("noise", 100, 4, levels(1, 4), []int{1, 4}, 10, 0.05, func(p, g int) float64 { return 1e-6 }, nil)
		f.drift = drift
		unpaired := f.write(t, 12)
		f.config = append(f.config, [2]string{"parbench-version", "synthetic"})
		// A run opens with its calibration note: the round contract
		// holds from there.
		paired := append([]byte("parbench-calibration: timer-resolution=20ns\nparbench-calibration:\n"), f.write(t, 12)...)
		var made [2]int
		var pairs [2]int
		for i, data := range [][]byte{unpaired, paired} {
			rep := reportWith(t, data, fastOptions())
			n, kinds := claimsMade(rep)
			made[i] = n
			for _, g := range rep.Groups {
				for _, p := range g.Points {
					if p.Parallel != nil {
						pairs[i] += p.Parallel.Pairs
					}
				}
			}
			t.Logf("drift %.0f%%, paired %v: %d claims over %d groups (%v), %d rounds paired", 100*drift, i == 1, n, len(rep.Groups), kinds, pairs[i])
		}
		if pairs[0] != 0 || pairs[1] == 0 {
			t.Fatalf("drift %.0f%%: %d rounds paired without the parbench-version line, %d with it: want none, then some", 100*drift, pairs[0], pairs[1])
		}
		if made[1] > 2 || made[1] > made[0]+1 {
			t.Errorf("drift %.0f%%, pure noise: %d claims made with the pairing, %d without; want at most 2, and no more than one beyond the unpaired count", 100*drift, made[1], made[0])
		}
	}
}
