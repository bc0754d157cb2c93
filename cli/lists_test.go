package cli

import (
	"errors"
	"strings"
	"testing"

	"github.com/parbench/parbench/bench"
)

func TestParseInts(t *testing.T) {
	for _, tc := range []struct {
		in, want, err string
	}{
		{"1,2,4", "1,2,4", ""},
		{" 1 , 3-5 ", "1,3,4,5", ""},
		{"8", "8", ""},
		// Range and repeats are bench.Config.Validate's to refuse.
		{"0,65", "0,65", ""},
		{"1-3,2", "1,2,3,2", ""},
		{"", "", "--procs: empty list (want e.g. 1,2,4 or 1-16)"},
		{"-1", "", `--procs: "-1" is negative (want 1 to 64)`},
		{"99999999999999999999", "", "--procs: 99999999999999999999 out of range (want 1 to 64)"},
		{"1-5000", "", `--procs: range "1-5000" has more than 4096 values`},
		{"4-2", "", `--procs: range "4-2" runs backwards (want LO-HI with LO <= HI)`},
		{"x", "", `--procs: "x" is not a whole number (want e.g. 1,2,4 or 1-16)`},
		{"1,,2", "", `--procs: "" is not a whole number (want e.g. 1,2,4 or 1-16)`},
	} {
		got, err := parseInts("--procs", tc.in, 64)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err || !errors.As(err, new(usageError)) {
				t.Errorf("parseInts(%q) = %v, %v; want usage error %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || joinInts(got) != tc.want {
			t.Errorf("parseInts(%q) = %v, %v; want %s", tc.in, got, err, tc.want)
		}
	}
}

func TestParseStrings(t *testing.T) {
	if got, err := parseStrings("--lock", "none, gil"); err != nil || strings.Join(got, "|") != "none|gil" {
		t.Errorf("parseStrings = %q, %v", got, err)
	}
	for in, want := range map[string]string{
		"":          `--lock: empty name in list ""`,
		"none,":     `--lock: empty name in list "none,"`,
		"none,none": `--lock: "none" given twice`,
	} {
		if _, err := parseStrings("--lock", in); err == nil || err.Error() != want {
			t.Errorf("parseStrings(%q) = %v, want %q", in, err, want)
		}
	}
}

// FuzzParseInts checks the list flag parser on any input: no panic; an
// error is a usage error naming the flag; a list reads back the same
// from its canonical form, and Config.Validate accepts it or names its
// field.
func FuzzParseInts(f *testing.F) {
	for _, s := range []string{"1,2,4", "1-16", "", "-", "1-", "-1", "4-2", "1,1", " 7 ", "1-4096", "99999999999999999999", "+3", "0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		const hi = bench.MaxProcs
		xs, err := parseInts("--procs", s, hi)
		if err != nil {
			if !errors.As(err, new(usageError)) || !strings.HasPrefix(err.Error(), "--procs: ") {
				t.Fatalf("parseInts(%q): error %q is not a usage error naming the flag", s, err)
			}
			return
		}
		if len(xs) == 0 {
			t.Fatalf("parseInts(%q) = no values", s)
		}
		again, err := parseInts("--procs", joinInts(xs), hi)
		if err != nil || joinInts(again) != joinInts(xs) {
			t.Fatalf("parseInts(%q) = %v, but its canonical form gives %v, %v", s, xs, again, err)
		}
		c := bench.DefaultConfig()
		c.Procs = xs
		var fe *bench.FieldError
		if err := c.Validate(); err != nil && (!errors.As(err, &fe) || fe.Field != "Procs") {
			t.Fatalf("Validate of --procs %q: %v, want nil or a FieldError of Procs", s, err)
		}
		seen := map[int]bool{}
		for _, x := range xs {
			if x < 0 {
				t.Fatalf("parseInts(%q) = %v: %d is negative", s, xs, x)
			}
			if fe == nil && (x < 1 || x > hi || seen[x]) {
				t.Fatalf("Validate accepted --procs %v: %d out of range or repeated", xs, x)
			}
			seen[x] = true
		}
	})
}

// FuzzParseStrings checks the name list parser: no panic, no empty or
// repeated name accepted.
func FuzzParseStrings(f *testing.F) {
	for _, s := range []string{"none,gil", "", ",", "a,a", " a , b ", "cpu/*"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		names, err := parseStrings("--lock", s)
		if err != nil {
			if !errors.As(err, new(usageError)) || !strings.HasPrefix(err.Error(), "--lock: ") {
				t.Fatalf("parseStrings(%q): error %q is not a usage error naming the flag", s, err)
			}
			return
		}
		seen := map[string]bool{}
		for _, n := range names {
			if n == "" || n != strings.TrimSpace(n) || strings.Contains(n, ",") || seen[n] {
				t.Fatalf("parseStrings(%q) = %q: bad or repeated name %q", s, names, n)
			}
			seen[n] = true
		}
	})
}
