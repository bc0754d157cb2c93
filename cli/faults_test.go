package cli

import "testing"

// TestFaultsPerWorkload checks that each family checks --faults for
// itself, in the sweeps that have it: the cluster workloads take off
// and crash only, webapp refuses crash (not one of its faults), and a
// sweep that nothing in reads --faults is refused as before.
func TestFaultsPerWorkload(t *testing.T) {
	checkUsageErrors(t, []usageCase{
		{"webapp faults for cluster", []string{"--workloads", "cluster/counter", "--faults", "on"},
			`--faults "on": the cluster workloads' faults: want off or crash`, "restarted at the heal)"},
		{"crash for webapp", []string{"--workloads", "webapp/read", "--faults", "crash"},
			`--faults "crash": crash is the cluster workloads' fault (a replica killed and restarted), not webapp's`, "(valid: on, or latency, jitter, drop, reset, bad, busy, timeout, seed)"},
		{"crash for a sweep with webapp", []string{"--workloads", "cluster/counter,webapp/read", "--faults", "crash"},
			`--faults "crash": crash is the cluster workloads' fault`, "timeout, seed)"},
		{"crash for cpu", []string{"--workloads", "cpu/sha256", "--faults", "crash"},
			`--faults "crash": no workload in --workloads reads it (it is for `, "): drop it, or add one of those to --workloads"},
	})
}
