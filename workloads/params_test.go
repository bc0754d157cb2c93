package workloads_test

import (
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/parbench/parbench/workloads"
)

// knobs are the Param* names, each with a change away from its default.
var knobs = map[string]func(*workloads.Params){
	workloads.ParamIOLatency:      func(p *workloads.Params) { p.IOLatency = 5 * time.Millisecond },
	workloads.ParamServerLatency:  func(p *workloads.Params) { p.ServerLatency = time.Millisecond },
	workloads.ParamIOFraction:     func(p *workloads.Params) { p.IOFraction = 0.9 },
	workloads.ParamOpTime:         func(p *workloads.Params) { p.OpTime = 2 * time.Millisecond },
	workloads.ParamCPUGoroutines:  func(p *workloads.Params) { p.CPUGoroutines = 3 },
	workloads.ParamDB:             func(p *workloads.Params) { p.DB = "postgres://u@h/db" },
	workloads.ParamFaults:         func(p *workloads.Params) { p.Faults = "on" },
	workloads.ParamRate:           func(p *workloads.Params) { p.Rate = 100 },
	workloads.ParamReplicas:       func(p *workloads.Params) { p.Replicas = 5 },
	workloads.ParamPartition:      func(p *workloads.Params) { p.Partition = workloads.PartitionHalves },
	workloads.ParamPhaseTime:      func(p *workloads.Params) { p.PhaseTime = 2 * time.Second },
	workloads.ParamSyncInterval:   func(p *workloads.Params) { p.SyncInterval = 10 * time.Millisecond },
	workloads.ParamRequestTimeout: func(p *workloads.Params) { p.RequestTimeout = time.Second },
	workloads.ParamWriteQuorum:    func(p *workloads.Params) { p.WriteQuorum = 3 },
	workloads.ParamReadQuorum:     func(p *workloads.Params) { p.ReadQuorum = 1 },
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

// TestReplicatedParamsValidate checks the bounds of the replicated
// workloads' knobs: each value just inside is valid, each just outside
// is a *ParamError naming its field.
func TestReplicatedParamsValidate(t *testing.T) {
	for _, tc := range []struct {
		param string
		set   func(*workloads.Params)
		ok    bool
	}{
		{workloads.ParamReplicas, func(p *workloads.Params) { p.Replicas = 1 }, true},
		{workloads.ParamReplicas, func(p *workloads.Params) { p.Replicas = workloads.MaxReplicas }, true},
		{workloads.ParamReplicas, func(p *workloads.Params) { p.Replicas = 0 }, false},
		{workloads.ParamReplicas, func(p *workloads.Params) { p.Replicas = workloads.MaxReplicas + 1 }, false},
		{workloads.ParamPartition, func(p *workloads.Params) { p.Partition = workloads.PartitionIsolateLeader }, true},
		{workloads.ParamPartition, func(p *workloads.Params) { p.Partition = "" }, false},
		{workloads.ParamPartition, func(p *workloads.Params) { p.Partition = "majority" }, false},
		{workloads.ParamPhaseTime, func(p *workloads.Params) { p.PhaseTime = 100 * time.Millisecond }, true},
		{workloads.ParamPhaseTime, func(p *workloads.Params) { p.PhaseTime = time.Minute }, true},
		{workloads.ParamPhaseTime, func(p *workloads.Params) { p.PhaseTime = 99 * time.Millisecond }, false},
		{workloads.ParamPhaseTime, func(p *workloads.Params) { p.PhaseTime = time.Minute + 1 }, false},
		{workloads.ParamSyncInterval, func(p *workloads.Params) { p.SyncInterval = time.Millisecond }, true},
		{workloads.ParamSyncInterval, func(p *workloads.Params) { p.SyncInterval = 10 * time.Second }, true},
		{workloads.ParamSyncInterval, func(p *workloads.Params) { p.SyncInterval = 0 }, false},
		{workloads.ParamSyncInterval, func(p *workloads.Params) { p.SyncInterval = 11 * time.Second }, false},
		{workloads.ParamRequestTimeout, func(p *workloads.Params) { p.RequestTimeout = time.Millisecond }, true},
		{workloads.ParamRequestTimeout, func(p *workloads.Params) { p.RequestTimeout = 10 * time.Second }, true},
		{workloads.ParamRequestTimeout, func(p *workloads.Params) { p.RequestTimeout = time.Millisecond - 1 }, false},
		{workloads.ParamRequestTimeout, func(p *workloads.Params) { p.RequestTimeout = 10*time.Second + 1 }, false},
		{workloads.ParamWriteQuorum, func(p *workloads.Params) { p.WriteQuorum = workloads.MaxReplicas }, true},
		{workloads.ParamWriteQuorum, func(p *workloads.Params) { p.WriteQuorum = -1 }, false},
		{workloads.ParamWriteQuorum, func(p *workloads.Params) { p.WriteQuorum = workloads.MaxReplicas + 1 }, false},
		{workloads.ParamReadQuorum, func(p *workloads.Params) { p.ReadQuorum = workloads.MaxReplicas }, true},
		{workloads.ParamReadQuorum, func(p *workloads.Params) { p.ReadQuorum = -1 }, false},
		{workloads.ParamReadQuorum, func(p *workloads.Params) { p.ReadQuorum = workloads.MaxReplicas + 1 }, false},
	} {
		p := workloads.DefaultParams()
		tc.set(&p)
		err := p.Validate()
		if tc.ok {
			if err != nil {
				t.Errorf("%s %s: Validate() = %v, want nil", tc.param, p.Value(tc.param), err)
			}
			continue
		}
		var pe *workloads.ParamError
		if !errors.As(err, &pe) || pe.Param != tc.param {
			t.Errorf("%s %s: Validate() = %v, want a *ParamError naming %s", tc.param, p.Value(tc.param), err, tc.param)
		}
	}
}
