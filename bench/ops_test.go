package bench

import (
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
)

// TestDivideExactlyOnce checks that strong scaling runs every op index
// exactly once, whatever the goroutine count and chunk size, and that the
// per-goroutine counts add up.
func TestDivideExactlyOnce(t *testing.T) {
	for _, tc := range []struct {
		g     int
		n     int64
		chunk int64
	}{
		{1, 1, 1}, {1, 1000, 7}, {2, 1000, 1}, {3, 1000, 64}, {8, 999, 10},
		{64, 10000, 3}, {100, 50, 1}, {7, 5, 100}, {16, 1 << 14, 1000},
	} {
		t.Run(fmt.Sprintf("g=%d/n=%d/chunk=%d", tc.g, tc.n, tc.chunk), func(t *testing.T) {
			hits := make([]atomic.Int32, tc.n)
			begun := make([]atomic.Int32, tc.g)
			ended := make([]atomic.Int32, tc.g)
			done, _, err := divide(new(atomic.Bool), tc.g, tc.n, tc.chunk, false, func(bool) {},
				func(w int) { begun[w].Add(1) },
				func(w int) { ended[w].Add(1) },
				func(w int, i int64) error { hits[i].Add(1); return nil })
			if err != nil {
				t.Fatal(err)
			}
			for i := range hits {
				if h := hits[i].Load(); h != 1 {
					t.Fatalf("op %d ran %d times, want 1", i, h)
				}
			}
			var sum int64
			for _, d := range done {
				sum += d
			}
			if sum != tc.n {
				t.Errorf("goroutines report %d ops, want %d", sum, tc.n)
			}
			for w := range tc.g {
				if begun[w].Load() != 1 || ended[w].Load() != 1 {
					t.Errorf("goroutine %d: begin %d times, end %d times, want 1 each", w, begun[w].Load(), ended[w].Load())
				}
			}
		})
	}
}

// TestDivideWeak checks that weak scaling gives each goroutine n ops.
func TestDivideWeak(t *testing.T) {
	const g, n = 5, 300
	var per [g]atomic.Int64
	done, _, err := divide(new(atomic.Bool), g, n, 16, true, func(bool) {}, func(int) {}, func(int) {},
		func(w int, i int64) error { per[w].Add(1); return nil })
	if err != nil {
		t.Fatal(err)
	}
	for w := range g {
		if per[w].Load() != n || done[w] != n {
			t.Errorf("goroutine %d did %d ops (reported %d), want %d", w, per[w].Load(), done[w], n)
		}
	}
}

// TestDivideStopsOnError checks that the first error comes back, every
// goroutine still calls end, and the others stop early.
func TestDivideStopsOnError(t *testing.T) {
	boom := errors.New("boom")
	var ran atomic.Int64
	var ended atomic.Int32
	_, _, err := divide(new(atomic.Bool), 4, 1_000_000, 10, false, func(bool) {}, func(int) {},
		func(int) { ended.Add(1) },
		func(w int, i int64) error {
			ran.Add(1)
			if i == 100 {
				return boom
			}
			return nil
		})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
	if ended.Load() != 4 {
		t.Errorf("%d goroutines called end, want 4", ended.Load())
	}
	if ran.Load() >= 1_000_000 {
		t.Errorf("all %d ops ran after an error", ran.Load())
	}
}

// TestDivideClock checks that the clock brackets the work: mark(true)
// comes before any op and mark(false) after the last.
func TestDivideClock(t *testing.T) {
	var started, stopped atomic.Bool
	var early atomic.Int32
	_, wall, err := divide(new(atomic.Bool), 3, 100, 1, false,
		func(start bool) {
			if start {
				started.Store(true)
			} else {
				stopped.Store(true)
			}
		},
		func(int) {}, func(int) {},
		func(int, int64) error {
			if !started.Load() || stopped.Load() {
				early.Add(1)
			}
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if early.Load() != 0 {
		t.Errorf("%d ops ran outside the timed region", early.Load())
	}
	if !stopped.Load() || wall <= 0 {
		t.Errorf("stopped=%v wall=%v, want the clock stopped after a positive time", stopped.Load(), wall)
	}
}

// TestCheckOps checks the runner's own count: a lost or a duplicated op
// fails the sample.
func TestCheckOps(t *testing.T) {
	for _, tc := range []struct {
		done []int64
		ops  int64
		weak bool
		ok   bool
	}{
		{[]int64{5, 5}, 10, false, true},
		{[]int64{5, 4}, 10, false, false}, // one lost
		{[]int64{6, 5}, 10, false, false}, // one done twice
		{[]int64{10, 10, 10}, 10, true, true},
		{[]int64{10, 9, 10}, 10, true, false},
	} {
		sum, err := checkOps(tc.done, tc.ops, len(tc.done), tc.weak)
		if (err == nil) != tc.ok {
			t.Errorf("checkOps(%v, %d, weak=%v) = %d, %v; want ok=%v", tc.done, tc.ops, tc.weak, sum, err, tc.ok)
		}
	}
}
