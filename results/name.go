package results

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Point is one point of a sweep: what ran, under which lock, with how
// many goroutines on how many Ps.
type Point struct {
	// Workload is the workload path, e.g. "cpu/sha256" or "mixed".
	Workload string
	// Lock is the lock mode; "" when the name had no /lock= key.
	Lock string
	// Extra holds further keys, in name order, between lock and
	// goroutines (e.g. exec=processes).
	Extra []KV
	// Goroutines is G; 0 when the name had no /goroutines= key.
	Goroutines int
	// Procs is GOMAXPROCS; 0 when the name had no -N suffix.
	Procs int
}

// KV is one key=value part of a result name.
type KV struct{ Key, Value string }

// kindNames maps a workload family to its benchmark base name where the
// plain title case would be wrong.
var kindNames = map[string]string{"cpu": "CPU", "io": "IO"}

// Name returns the result name of p without the "Benchmark" prefix (which
// benchfmt.Writer adds): Kind/rest/lock=L/goroutines=G-P.
func (p Point) Name() string {
	family, rest, _ := strings.Cut(p.Workload, "/")
	kind, ok := kindNames[family]
	if !ok && family != "" {
		r, n := utf8.DecodeRuneInString(family) // a rune, not a byte: names may be any UTF-8
		kind = string(unicode.ToUpper(r)) + family[n:]
	}
	var b strings.Builder
	b.WriteString(kind)
	if rest != "" {
		b.WriteString("/")
		b.WriteString(rest)
	}
	if p.Lock != "" {
		fmt.Fprintf(&b, "/lock=%s", p.Lock)
	}
	for _, kv := range p.Extra {
		fmt.Fprintf(&b, "/%s=%s", kv.Key, kv.Value)
	}
	if p.Goroutines > 0 {
		fmt.Fprintf(&b, "/goroutines=%d", p.Goroutines)
	}
	if p.Procs > 0 {
		fmt.Fprintf(&b, "-%d", p.Procs)
	}
	return b.String()
}

// Get returns the value of an Extra key, or "".
func (p Point) Get(key string) string {
	for _, kv := range p.Extra {
		if kv.Key == key {
			return kv.Value
		}
	}
	return ""
}

// ErrBadName is wrapped by ParseName's errors.
var ErrBadName = errors.New("bad result name")

// ParseName parses a result name as benchfmt stores it (without the
// "Benchmark" prefix). Positional parts after the base name form the
// workload path; key=value parts set Lock, Goroutines or Extra; a final
// -N sets Procs. A plain `go test -bench` name such as "CPU/sha256-2"
// parses with Lock "" and Goroutines 0, and so does one with Go's prefix,
// "BenchmarkCPU/sha256-2" ("Benchmark" then a capital letter, as the
// testing package requires). The base name becomes the workload's
// family in lowercase where Point.Name writes it so ("CPU", "Webapp")
// and stays as written otherwise ("ShardedMap"): Name writes the
// workload back as the same name either way. Empty parts ("CPU//x") are
// an error.
func ParseName(name string) (Point, error) {
	var p Point
	rest := name
	// Go's own prefix, as in go test's output: "Benchmark" then a
	// capital, as testing requires (BenchmarkCPU, not Benchmarkcpu).
	if r, ok := strings.CutPrefix(name, "Benchmark"); ok {
		if c, _ := utf8.DecodeRuneInString(r); unicode.IsUpper(c) {
			rest = r
		}
	}
	if i := strings.LastIndexByte(rest, '-'); i >= 0 && i < len(rest)-1 && allDigits(rest[i+1:]) {
		n, err := strconv.Atoi(rest[i+1:])
		if err != nil || n <= 0 {
			return Point{}, fmt.Errorf("%w %q: GOMAXPROCS suffix %q", ErrBadName, name, rest[i:])
		}
		p.Procs = n
		rest = rest[:i]
	}
	parts := strings.Split(rest, "/")
	if parts[0] == "" {
		return Point{}, fmt.Errorf("%w %q: empty base name", ErrBadName, name)
	}
	path := []string{family(parts[0])}
	for _, part := range parts[1:] {
		if part == "" {
			return Point{}, fmt.Errorf("%w %q: empty part between slashes", ErrBadName, name)
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			if len(path) > 0 && len(p.Extra) == 0 && p.Lock == "" && p.Goroutines == 0 {
				path = append(path, part)
				continue
			}
			return Point{}, fmt.Errorf("%w %q: part %q after a key=value part", ErrBadName, name, part)
		}
		switch k {
		case "lock":
			p.Lock = v
		case "goroutines":
			g, err := strconv.Atoi(v)
			if err != nil || g <= 0 {
				return Point{}, fmt.Errorf("%w %q: goroutines=%q is not a positive integer", ErrBadName, name, v)
			}
			p.Goroutines = g
		default:
			p.Extra = append(p.Extra, KV{k, v})
		}
	}
	p.Workload = strings.Join(path, "/")
	return p, nil
}

// family returns the workload family a name's base part stands for: the
// lowercase family that Point.Name writes as base ("CPU" for cpu,
// "Webapp" for webapp), or base as written when Name cannot have
// written it, so that a user's go test name keeps the case its author
// gave it (ShardedMap, not shardedmap; JSONParse, not jsonparse). A
// base that Name would write as Go's prefix and a capital
// ("benchmarkA" as "BenchmarkA", which ParseName reads without the
// prefix) is lowercased too.
func family(base string) string {
	low := strings.ToLower(base)
	if (Point{Workload: low}).Name() == base {
		return low
	}
	if r, ok := strings.CutPrefix((Point{Workload: base}).Name(), "Benchmark"); ok {
		if c, _ := utf8.DecodeRuneInString(r); unicode.IsUpper(c) {
			return low
		}
	}
	return base
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
