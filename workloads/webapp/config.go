package webapp

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/parbench/parbench/workloads"
)

// Faults is a parsed --faults spec. The zero value injects nothing.
type Faults struct {
	Latency time.Duration // proxy: one-way delay per forwarded chunk
	Jitter  time.Duration // proxy: plus uniform [0, Jitter)
	Drop    float64       // proxy: chance per chunk of closing both sides
	Reset   float64       // proxy: chance per chunk of resetting both sides
	Bad     float64       // client: chance per op of a bad request first
	Busy    time.Duration // service: longest wait for a db connection, then 503
	Timeout time.Duration // client: limit on one attempt
	Seed    uint64        // proxy: random seed
}

// DefaultFaults is the mix that --faults on selects.
func DefaultFaults() Faults {
	return Faults{
		Latency: time.Millisecond,
		Jitter:  time.Millisecond,
		Drop:    0.005,
		Reset:   0.005,
		Bad:     0.02,
		Busy:    5 * time.Millisecond,
		Timeout: 2 * time.Second,
		Seed:    1,
	}
}

// On reports whether any fault is injected.
func (f Faults) On() bool { return f != Faults{} }

// proxied reports whether the proxy has work to do.
func (f Faults) proxied() bool {
	return f.Latency > 0 || f.Jitter > 0 || f.Drop > 0 || f.Reset > 0
}

// ParseFaults parses a Faults spec (parbench's --faults): "" (none), "on" (DefaultFaults), or
// comma-separated key=value pairs, each overriding the zero value; "on"
// may come first to override the defaults instead.
func ParseFaults(spec string) (Faults, error) {
	var f Faults
	spec = strings.TrimSpace(spec)
	if spec == "" || spec == "off" {
		return f, nil
	}
	if spec == "crash" {
		return f, faultsError(spec, errors.New("crash is the cluster workloads' fault (a replica killed and restarted), not webapp's (valid: on, or latency, jitter, drop, reset, bad, busy, timeout, seed)"))
	}
	for i, kv := range strings.Split(spec, ",") {
		kv = strings.TrimSpace(kv)
		if kv == "on" && i == 0 {
			f = DefaultFaults()
			continue
		}
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return f, faultsError(spec, fmt.Errorf("%q is not key=value (valid: on, or latency, jitter, drop, reset, bad, busy, timeout, seed)", kv))
		}
		var err error
		switch k {
		case "latency":
			f.Latency, err = parseDur(v, time.Minute)
		case "jitter":
			f.Jitter, err = parseDur(v, time.Minute)
		case "busy":
			f.Busy, err = parseDur(v, time.Minute)
		case "timeout":
			f.Timeout, err = parseDur(v, time.Hour)
		case "drop":
			f.Drop, err = parseRate(v)
		case "reset":
			f.Reset, err = parseRate(v)
		case "bad":
			f.Bad, err = parseRate(v)
		case "seed":
			f.Seed, err = strconv.ParseUint(v, 10, 64)
		default:
			err = errors.New("unknown key (valid: latency, jitter, drop, reset, bad, busy, timeout, seed)")
		}
		if err != nil {
			return f, faultsError(spec, fmt.Errorf("%s: %w", k, err))
		}
	}
	if f.Drop+f.Reset > 0.5 {
		return f, faultsError(spec, fmt.Errorf("drop+reset = %g: want at most 0.5, or no request gets through", f.Drop+f.Reset))
	}
	return f, nil
}

// faultsError is a bad Faults spec as a *workloads.ParamError, which a
// command reports under its own flag (parbench: --faults).
func faultsError(spec string, err error) error {
	return &workloads.ParamError{Param: workloads.ParamFaults, Value: strconv.Quote(spec), Err: err}
}

func parseDur(v string, hi time.Duration) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, err
	}
	if d < 0 || d > hi {
		return 0, fmt.Errorf("%v: want a duration from 0 to %v", d, hi)
	}
	return d, nil
}

func parseRate(v string) (float64, error) {
	x, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return 0, err
	}
	if !(x >= 0 && x <= 1) {
		return 0, fmt.Errorf("%v: want a probability from 0 to 1", x)
	}
	return x, nil
}

// checkDB validates the DB parameter: empty (SQLite) or a postgres URL.
func checkDB(dsn string) error {
	if dsn == "" || dsn == "sqlite" {
		return nil
	}
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return &workloads.ParamError{Param: workloads.ParamDB, Value: strconv.Quote(dsn), Err: errors.New("want empty (embedded SQLite) or a postgres://user:pass@host:port/db URL")}
	}
	return nil
}

// CheckParams checks the knobs webapp parses itself, DB and Faults
// (workloads.ParamChecker: only in a sweep with a webapp workload).
func (workload) CheckParams(p workloads.Params) error {
	_, err := configFrom(p)
	return err
}

// config is everything Start needs; tests build it directly.
type config struct {
	dsn     string // "" for SQLite
	tempDir string // parent of the SQLite directory
	faults  Faults
	// think is a client's pause between reading and writing back
	// (naive, optimistic): a user editing a form. Tests use it to make
	// overlaps certain.
	think time.Duration
	// noIdem disables idempotency keys, to show what they prevent.
	noIdem bool
	// maxAttempts bounds one op's attempts; then the op fails.
	maxAttempts int
	// bigRows is the size of the heavy report's table (0: the default);
	// tests make it small, as the race detector slows SQLite tenfold.
	bigRows int64
	// conns bounds the store's read pool (0: the defaults,
	// sqliteReaders or pgConns). A served instance's own store needs
	// one: its service processes have theirs.
	conns int
	// handlerCPU is a served request's CPU work (Params.HandlerCPU).
	handlerCPU time.Duration
	// dbLatency is added to each database statement of a served
	// request (Params.DBLatency).
	dbLatency time.Duration
	// rate is the clients' open-loop rate in ops per second
	// (Params.Rate, see open.go); 0 is closed loop.
	rate float64
}

func configFrom(p workloads.Params) (config, error) {
	if err := checkDB(p.DB); err != nil {
		return config{}, err
	}
	f, err := ParseFaults(p.Faults)
	if err != nil {
		return config{}, err
	}
	dsn := p.DB
	if dsn == "sqlite" {
		dsn = ""
	}
	return config{dsn: dsn, tempDir: p.TempDir, faults: f, handlerCPU: p.HandlerCPU, dbLatency: p.DBLatency, rate: p.Rate}, nil
}
