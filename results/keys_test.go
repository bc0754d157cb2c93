package results

import (
	"slices"
	"testing"
)

// TestKeyRoles checks each list by role against the keys the readers
// relied on before package results named them: the machine keys of
// resume, the settings of the analysis (in its order, which the reports
// print) and the Makefile's ignored keys, plus the classes line.
func TestKeyRoles(t *testing.T) {
	for _, tc := range []struct {
		name      string
		got, want []string
		ordered   bool
	}{
		{"MachineKeys", MachineKeys(), []string{"goos", "goarch", "cpu", "ncpu", "cpu-quota", "go"}, false},
		{"RunKeys", RunKeys(), []string{"date", "host", "parbench-version", "parbench-commit", "profiles", "classes"}, false},
		{"SettingKeys", SettingKeys(), []string{"io-latency", "server-latency", "io-fraction", "op-time", "switch-interval", "check-interval", "cpu-goroutines", "database", "faults", "handler-cpu", "db-latency", "server-cmd", "rate",
			"replicas", "partition", "phase-time", "sync-interval", "request-timeout", "write-quorum", "read-quorum"}, true},
		{"CompareIgnoredKeys", CompareIgnoredKeys(), []string{"goos", "goarch", "cpu", "ncpu", "cpu-quota", "go",
			"date", "host", "parbench-commit", "parbench-version", "profiles", "classes",
			"workloads", "procs", "goroutines", "locks", "count", "target-ci", "benchtime",
			"server-workers", "server-threads", "consistency"}, false},
		{"KeysOf(RoleMode)", KeysOf(RoleMode), []string{"scaling", "exec", "payload", "include-startup"}, false},
	} {
		got, want := slices.Clone(tc.got), slices.Clone(tc.want)
		if !tc.ordered {
			slices.Sort(got)
			slices.Sort(want)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s = %v, want %v", tc.name, tc.got, tc.want)
		}
	}
}

// TestKeysOneRole checks that every key has one role and appears once,
// and that note keys and foreign keys have none.
func TestKeysOneRole(t *testing.T) {
	seen := map[string]bool{}
	n := 0
	for _, r := range []Role{RoleMachine, RoleRun, RoleSweep, RoleMode, RoleSetting} {
		for _, k := range KeysOf(r) {
			if seen[k] {
				t.Errorf("%s listed twice", k)
			}
			seen[k] = true
			n++
			if got := KeyRole(k); got != r {
				t.Errorf("KeyRole(%s) = %v, want %v", k, got, r)
			}
			if IsNoteKey(k) {
				t.Errorf("%s is a note key too", k)
			}
		}
	}
	if len(Keys()) != n {
		t.Errorf("Keys() has %d keys, the roles %d", len(Keys()), n)
	}
	for _, k := range []string{NoteStop, "pkg", "nproc", ""} {
		if r := KeyRole(k); r != RoleUnknown {
			t.Errorf("KeyRole(%q) = %v, want unknown", k, r)
		}
	}
}

// TestMachineKeys checks that Machine writes the machine keys and the
// run keys of the build, and nothing without a role.
func TestMachineKeys(t *testing.T) {
	var got []string
	for _, c := range Machine() {
		got = append(got, c.Key)
		if r := KeyRole(c.Key); r != RoleMachine && r != RoleRun {
			t.Errorf("Machine writes %s, of role %v", c.Key, r)
		}
	}
	for _, k := range MachineKeys() {
		if !slices.Contains(got, k) {
			t.Errorf("Machine does not write %s", k)
		}
	}
}
