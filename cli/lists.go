package cli

import (
	"errors"
	"strconv"
	"strings"
)

// maxRange bounds how many values one lo-hi range may expand to.
const maxRange = 4096

// parseInts parses the syntax of a list flag: comma-separated whole
// numbers, each either N or an inclusive range LO-HI. Whether the values
// are in range and distinct is bench.Config.Validate's to say; hi, the
// largest valid value, only words the errors about a sign or a number
// too long to read. Errors name the flag and say what would be valid.
func parseInts(flag, s string, hi int) ([]int, error) {
	if strings.TrimSpace(s) == "" {
		return nil, usagef("%s: empty list (want e.g. 1,2,4 or 1-16)", flag)
	}
	var xs []int
	for _, field := range strings.Split(s, ",") {
		field = strings.TrimSpace(field)
		if strings.HasPrefix(field, "-") {
			return nil, usagef("%s: %q is negative (want 1 to %d)", flag, field, hi)
		}
		lo, up, isRange := strings.Cut(field, "-")
		a, err := parseWhole(flag, lo, hi)
		if err != nil {
			return nil, err
		}
		if !isRange {
			xs = append(xs, a)
			continue
		}
		b, err := parseWhole(flag, up, hi)
		if err != nil {
			return nil, err
		}
		if b < a {
			return nil, usagef("%s: range %q runs backwards (want LO-HI with LO <= HI)", flag, field)
		}
		if b-a >= maxRange {
			return nil, usagef("%s: range %q has more than %d values", flag, field, maxRange)
		}
		for x := a; x <= b; x++ {
			xs = append(xs, x)
		}
	}
	return xs, nil
}

func parseWhole(flag, s string, hi int) (int, error) {
	x, err := strconv.Atoi(s)
	if errors.Is(err, strconv.ErrRange) {
		return 0, usagef("%s: %s out of range (want 1 to %d)", flag, s, hi)
	}
	if err != nil {
		return 0, usagef("%s: %q is not a whole number (want e.g. 1,2,4 or 1-16)", flag, s)
	}
	return x, nil
}

// parseStrings splits a comma-separated list of names, rejecting empty
// and repeated names.
func parseStrings(flag, s string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			return nil, usagef("%s: empty name in list %q", flag, s)
		}
		if seen[f] {
			return nil, usagef("%s: %q given twice", flag, f)
		}
		seen[f] = true
		out = append(out, f)
	}
	return out, nil
}

// optionalList is a list flag without a default: ints is nil until the
// command line (or a resumed file) sets it.
type optionalList struct {
	s   string
	set bool
}

func (l *optionalList) String() string { return l.s }

func (l *optionalList) Set(s string) error {
	l.s, l.set = s, true
	return nil
}

// ints parses the list as parseInts does, or returns nil when unset.
func (l *optionalList) ints(flag string, hi int) ([]int, error) {
	if !l.set {
		return nil, nil
	}
	return parseInts(flag, l.s, hi)
}

func joinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ",")
}
