package results

import (
	"errors"
	"testing"
)

func TestFigureName(t *testing.T) {
	f := Figure{Behaviour: "convoy", Figure: "p99@cpu1", Python: "3.11.7", Impl: ImplParbench}
	if err := f.Check(); err != nil {
		t.Fatal(err)
	}
	name := f.Name()
	if want := "Calibrate/convoy/figure=p99@cpu1/python=3.11.7/impl=parbench"; name != want {
		t.Fatalf("Name = %q, want %q", name, want)
	}
	for _, n := range []string{name, "Benchmark" + name} {
		got, ok, err := ParseFigure(n)
		if err != nil || !ok || got != f {
			t.Errorf("ParseFigure(%q) = %+v, %v, %v; want %+v", n, got, ok, err, f)
		}
	}
}

func TestParseFigureRejects(t *testing.T) {
	for _, c := range []struct {
		name string
		ok   bool // a Calibrate name, malformed
	}{
		{"CPU/sha256/lock=gil/goroutines=2-2", false},
		{"Python/cpu/threads=2-2", false},
		{"Calibrate", true},
		{"Calibrate/cpu", true},
		{"Calibrate/cpu/figure=x/python=3.11.7/impl=pypy", true},
		{"Calibrate/cpu/figure=x/python=3.11.7/impl=cpython-2", true},
		{"Calibrate/cpu/figure=x/python=3.11.7", true},
		{"Calibrate/cpu/x/figure=x/python=3.11.7/impl=cpython", true},
		{"Calibrate/cpu/lock=gil/figure=x/python=3/impl=cpython", true},
		{"Calibrate/cpu/figure=/python=3.11.7/impl=cpython", true},
	} {
		_, ok, err := ParseFigure(c.name)
		if ok != c.ok || (ok && err == nil) {
			t.Errorf("ParseFigure(%q): ok %v, err %v; want ok %v and an error", c.name, ok, err, c.ok)
		}
		if err != nil && !errors.Is(err, ErrBadName) {
			t.Errorf("ParseFigure(%q) error %v does not wrap ErrBadName", c.name, err)
		}
	}
}

// FuzzParseFigure checks that ParseFigure never panics, that its errors
// wrap ErrBadName, and that a figure it accepts round-trips through
// Name.
func FuzzParseFigure(f *testing.F) {
	for _, s := range []string{
		"Calibrate/cpu/figure=speedup@2/python=3.11.7/impl=cpython",
		"BenchmarkCalibrate/switch/figure=tenure@0.5ms/python=2.7.18/impl=model",
		"Calibrate", "Calibrate/", "Calibrate/x/figure=a-1/python=3/impl=cpython", "CPU/sha256-2",
		"Calibrate/x/figure=a/python=3/impl=parbench-2",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		fig, ok, err := ParseFigure(name)
		if err != nil {
			if !ok || !errors.Is(err, ErrBadName) {
				t.Fatalf("ParseFigure(%q): ok %v, error %v (want ok and ErrBadName)", name, ok, err)
			}
			return
		}
		if !ok {
			return
		}
		if err := fig.Check(); err != nil {
			t.Fatalf("ParseFigure(%q) = %+v, which fails Check: %v", name, fig, err)
		}
		again, ok, err := ParseFigure(fig.Name())
		if err != nil || !ok || again != fig {
			t.Fatalf("round trip of %q: %+v, then %q gives %+v, %v, %v", name, fig, fig.Name(), again, ok, err)
		}
	})
}
