package analysis

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// sortedMedian is the resampler's specification: draw len(src)
// elements with rng.IntN, in order, sort them, take the middle (the
// mean of the two middle ones for an even count).
func sortedMedian(rng *rand.Rand, src []float64) float64 {
	n := len(src)
	if n == 0 {
		return math.NaN()
	}
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = src[rng.IntN(n)]
	}
	slices.Sort(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

// TestResamplerMatchesSort checks that the counting resampler gives,
// bit for bit, the medians of sorting each resample, from the same
// generator stream: the report's numbers depend on it. The samples have
// odd and even sizes, ties, and runs of equal values.
func TestResamplerMatchesSort(t *testing.T) {
	gen := rand.New(rand.NewPCG(7, 7))
	for _, n := range []int{0, 1, 2, 3, 4, 5, 10, 11, 64, 199, 200} {
		for _, distinct := range []int{1, 2, 3, 1000} {
			src := make([]float64, n)
			for i := range src {
				src[i] = 1e-6 * float64(1+gen.IntN(distinct))
			}
			r := newResampler(src)
			name := fmt.Sprint(n, distinct)
			a, b := newRand(1, name), stdRand(1, name)
			for rep := range 300 {
				got, want := r.median(a), sortedMedian(b, src)
				if math.Float64bits(got) != math.Float64bits(want) && !(math.IsNaN(got) && math.IsNaN(want)) {
					t.Fatalf("n=%d distinct=%d resample %d: median %v, want %v (sorting)", n, distinct, rep, got, want)
				}
			}
			if a.Uint64() != b.Uint64() {
				t.Fatalf("n=%d distinct=%d: the generators drifted apart: the resampler drew a different number of values", n, distinct)
			}
		}
	}
}

// TestResamplerKeepsSource checks that preparing a resampler neither
// keeps nor reorders its sample.
func TestResamplerKeepsSource(t *testing.T) {
	src := []float64{3, 1, 2}
	r := newResampler(src)
	if !slices.Equal(src, []float64{3, 1, 2}) {
		t.Fatalf("newResampler reordered its sample: %v", src)
	}
	src[0] = 100
	if slices.Contains(r.sorted, 100) {
		t.Fatal("newResampler kept its caller's slice")
	}
}

// stdRand is the generator newRand copies: math/rand/v2's own, over a
// PCG with the same seeds.
func stdRand(seed uint64, name string) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(name))
	return rand.New(rand.NewPCG(seed, h.Sum64()))
}

// TestStream checks that the bootstrap's generator is rand.PCG, value
// for value, from several seeds.
func TestStream(t *testing.T) {
	for _, name := range []string{"", "a", "vm|cpu/sha256|none||par|2|2"} {
		for _, seed := range []uint64{0, 1, 1 << 63} {
			s := newRand(seed, name)
			h := fnv.New64a()
			h.Write([]byte(name))
			std := rand.NewPCG(seed, h.Sum64())
			for i := range 10000 {
				if got, want := s.Uint64(), std.Uint64(); got != want {
					t.Fatalf("seed %d, name %q, value %d: %#x, want rand.PCG's %#x", seed, name, i, got, want)
				}
			}
		}
	}
}

// TestStreamIntN: the paired bootstrap's draws are rand.Rand.IntN's,
// for bounds of both of its paths (a power of two: a mask; any other:
// Lemire's reduction), so a paired interval is what resampling with
// math/rand/v2 would give.
func TestStreamIntN(t *testing.T) {
	for _, u := range []uint64{1, 2, 3, 7, 8, 10, 20, 1 << 20, 1<<20 + 1} {
		s := newRand(1, "intN")
		h := fnv.New64a()
		h.Write([]byte("intN"))
		std := rand.New(rand.NewPCG(1, h.Sum64()))
		for i := range 1000 {
			if got, want := s.intN(u), uint64(std.IntN(int(u))); got != want {
				t.Fatalf("bound %d, draw %d: %d, want rand.Rand.IntN's %d", u, i, got, want)
			}
		}
	}
}
