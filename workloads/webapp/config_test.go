package webapp

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/parbench/parbench/workloads"
)

func TestParseFaults(t *testing.T) {
	for _, tc := range []struct {
		spec    string
		want    Faults
		wantErr string
	}{
		{spec: "", want: Faults{}},
		{spec: "off", want: Faults{}},
		{spec: "on", want: DefaultFaults()},
		{spec: "reset=0.1,latency=2ms", want: Faults{Reset: 0.1, Latency: 2 * time.Millisecond}},
		{spec: "on,drop=0", want: func() Faults { f := DefaultFaults(); f.Drop = 0; return f }()},
		{spec: "drop=2", wantErr: "drop"},
		{spec: "drop=0.3,reset=0.3", wantErr: "at most 0.5"},
		{spec: "latency=-1ms", wantErr: "latency"},
		{spec: "speed=9", wantErr: "unknown key"},
		{spec: "drop", wantErr: "key=value"},
		{spec: "drop=0.1,on", wantErr: "key=value"},
	} {
		t.Run(tc.spec, func(t *testing.T) {
			got, err := ParseFaults(tc.spec)
			if tc.wantErr != "" {
				var pe *workloads.ParamError
				if !errors.As(err, &pe) || pe.Param != "Faults" || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("error %v, want a ParamError naming Faults and %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("= %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

// TestCheckParamsDBAndFaults: webapp checks the knobs it parses itself
// (workloads.ParamChecker, for the sweeps that have it), crash (the
// cluster workloads' fault) included; Params.Validate, which every
// sweep runs, no longer does.
func TestCheckParamsDBAndFaults(t *testing.T) {
	for _, tc := range []struct {
		db, faults, wantErr string
	}{
		{"", "", ""},
		{"", "off", ""},
		{"postgres://u:p@127.0.0.1:5432/db", "on", ""},
		{"mysql://x", "", "DB"},
		{"", "drop=x", "Faults"},
		{"", "crash", "Faults"},
	} {
		p := workloads.DefaultParams()
		p.DB, p.Faults = tc.db, tc.faults
		if err := p.Validate(); err != nil {
			t.Errorf("Validate(db=%q, faults=%q) = %v: webapp's knobs are webapp's to check", tc.db, tc.faults, err)
		}
		err := workload{}.CheckParams(p)
		var pe *workloads.ParamError
		if (err == nil) != (tc.wantErr == "") || (err != nil && (!errors.As(err, &pe) || pe.Param != tc.wantErr)) {
			t.Errorf("CheckParams(db=%q, faults=%q) = %v, want a ParamError naming %q", tc.db, tc.faults, err, tc.wantErr)
		}
	}
}

func FuzzParseFaults(f *testing.F) {
	for _, s := range []string{"", "on", "on,drop=0.1", "latency=1ms,jitter=2ms,reset=0.01,busy=5ms,seed=9", "drop=1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		got, err := ParseFaults(spec)
		if err != nil {
			if pe := (*workloads.ParamError)(nil); !errors.As(err, &pe) || pe.Param != "Faults" {
				t.Errorf("error %q is not a ParamError naming Faults", err)
			}
			return
		}
		for _, r := range []float64{got.Drop, got.Reset, got.Bad} {
			if !(r >= 0 && r <= 1) {
				t.Errorf("%q: rate %v out of [0, 1]", spec, r)
			}
		}
		if got.Drop+got.Reset > 0.5 || got.Latency < 0 || got.Jitter < 0 || got.Busy < 0 || got.Timeout < 0 {
			t.Errorf("%q: accepted out-of-range faults %+v", spec, got)
		}
	})
}
