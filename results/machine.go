package results

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Config is one file configuration line, "key: value".
type Config struct{ Key, Value string }

// WriteConfig writes cfg to w as file configuration lines, "key: value",
// for a writer whose results benchfmt.Writer does not write (package
// bench/partest writes them before testing's result lines). Whitespace
// in a value, newlines included, becomes single spaces, and a key with
// an empty value is left out: its line would delete the key. A key that
// the Go benchmark format would not read as one (empty, or not a
// lower-case letter then no space, upper-case letter or colon) is an
// error, and nothing is written.
func WriteConfig(w io.Writer, cfg []Config) error {
	var b strings.Builder
	for _, c := range cfg {
		r, _ := utf8.DecodeRuneInString(c.Key)
		if !unicode.IsLower(r) || strings.IndexFunc(c.Key, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsUpper(r) || r == ':' }) >= 0 {
			return fmt.Errorf("configuration key %q: want a lower-case letter first and no space, upper-case letter or colon", c.Key)
		}
		v := strings.Join(strings.Fields(c.Value), " ")
		if v == "" {
			continue
		}
		fmt.Fprintf(&b, "%s: %s\n", c.Key, v)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Machine describes this machine and this build as file configuration.
func Machine() []Config {
	host, _ := os.Hostname()
	cfg := []Config{
		{KeyGOOS, runtime.GOOS},
		{KeyGOARCH, runtime.GOARCH},
		{KeyCPU, CPUModel()},
		{KeyNCPU, strconv.Itoa(runtime.NumCPU())},
		{KeyCPUQuota, quotaString()},
		{KeyHost, host},
		{KeyGo, runtime.Version()},
	}
	version, commit := Build()
	cfg = append(cfg, Config{KeyParbenchVersion, version}, Config{KeyParbenchCommit, commit})
	return cfg
}

// Build returns parbench's module version and VCS commit from the build
// information ("devel" and "unknown" when the binary does not carry them).
func Build() (version, commit string) {
	version, commit = "devel", "unknown"
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		version = v
	}
	dirty := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			commit = s.Value
			if len(commit) > 12 {
				commit = commit[:12]
			}
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if dirty && commit != "unknown" {
		commit += "+dirty"
	}
	return
}

// CPUModel returns the processor's model name from /proc/cpuinfo, or
// "unknown".
func CPUModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		k, v, ok := strings.Cut(s.Text(), ":")
		if ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// CPUQuota returns the cgroup v2 CPU quota in CPUs (cpu.max's quota over
// its period), or 0 when there is none or it cannot be read.
func CPUQuota() float64 {
	b, err := os.ReadFile("/sys/fs/cgroup/cpu.max")
	if err != nil {
		return 0
	}
	return parseCPUMax(string(b))
}

func parseCPUMax(s string) float64 {
	f := strings.Fields(s)
	if len(f) != 2 || f[0] == "max" {
		return 0
	}
	q, err1 := strconv.ParseFloat(f[0], 64)
	p, err2 := strconv.ParseFloat(f[1], 64)
	if err1 != nil || err2 != nil || q <= 0 || p <= 0 {
		return 0
	}
	return q / p
}

func quotaString() string {
	q := CPUQuota()
	if q == 0 {
		return "none"
	}
	return strconv.FormatFloat(q, 'g', 4, 64)
}

// AvailableCPUs returns the CPUs this process may use: the affinity mask
// (runtime.NumCPU) capped by the cgroup quota, rounded up.
func AvailableCPUs() int {
	n := runtime.NumCPU()
	if q := CPUQuota(); q > 0 {
		n = min(n, max(1, int(math.Ceil(q))))
	}
	return n
}
