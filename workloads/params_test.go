package workloads_test

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/parbench/parbench/workloads"
)

// knobs are the Param* names, each with a change away from its default.
var knobs = map[string]func(*workloads.Params){
	workloads.ParamIOLatency:     func(p *workloads.Params) { p.IOLatency = 5 * time.Millisecond },
	workloads.ParamServerLatency: func(p *workloads.Params) { p.ServerLatency = time.Millisecond },
	workloads.ParamIOFraction:    func(p *workloads.Params) { p.IOFraction = 0.9 },
	workloads.ParamOpTime:        func(p *workloads.Params) { p.OpTime = 2 * time.Millisecond },
	workloads.ParamCPUGoroutines: func(p *workloads.Params) { p.CPUGoroutines = 3 },
	workloads.ParamDB:            func(p *workloads.Params) { p.DB = "postgres://u@h/db" },
	workloads.ParamFaults:        func(p *workloads.Params) { p.Faults = "on" },
	workloads.ParamRate:          func(p *workloads.Params) { p.Rate = 100 },
}

// TestEveryWorkloadDeclaresParams checks that every workload of this
// package says which knobs it reads, each a field of Params (bench's
// TestEveryWorkloadParamUser checks the webapp ones too).
func TestEveryWorkloadDeclaresParams(t *testing.T) {
	fields := reflect.TypeFor[workloads.Params]()
	for _, w := range workloads.All() {
		u, ok := w.(workloads.ParamUser)
		if !ok {
			t.Errorf("%s is not a workloads.ParamUser", w.Name())
			continue
		}
		for _, name := range u.Params() {
			if _, ok := fields.FieldByName(name); !ok || knobs[name] == nil {
				t.Errorf("%s declares %q, not a knob of Params", w.Name(), name)
			}
		}
	}
	for name, want := range map[string][]string{
		"io/sleep":       {workloads.ParamIOLatency},
		"cpu/sha256":     nil,
		"mixed":          {workloads.ParamIOFraction, workloads.ParamOpTime},
		"latency/convoy": {workloads.ParamCPUGoroutines, workloads.ParamServerLatency},
	} {
		ws, err := workloads.Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		for knob := range knobs {
			if got := workloads.Uses(ws[0], knob); got != slices.Contains(want, knob) {
				t.Errorf("Uses(%s, %s) = %v", name, knob, got)
			}
		}
	}
}

// TestParamsChanged checks that Changed names exactly the knob moved
// away from its default, and nothing for the defaults ("off" faults
// and TempDir included).
func TestParamsChanged(t *testing.T) {
	d := workloads.DefaultParams()
	d.Faults, d.TempDir = "off", "/somewhere"
	if got := d.Changed(); len(got) != 0 {
		t.Errorf("defaults: Changed() = %v, want none", got)
	}
	for name, set := range knobs {
		p := workloads.DefaultParams()
		set(&p)
		if got := p.Changed(); !slices.Equal(got, []string{name}) {
			t.Errorf("%s set: Changed() = %v", name, got)
		}
		if p.Value(name) == "" {
			t.Errorf("Value(%s) is empty", name)
		}
	}
	p := workloads.DefaultParams()
	p.DB = "postgres://u:secret@h/db"
	if v := p.Value(workloads.ParamDB); v == p.DB || len(v) == 0 {
		t.Errorf("Value(DB) = %q: a DSN must not be echoed", v)
	}
}
