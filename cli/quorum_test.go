package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parbench/parbench/results"
	_ "github.com/parbench/parbench/workloads/cluster" // cluster/counter, whose CheckReplicated knows the quorums
)

// TestQuorumUsageErrors checks the bad values of --write-quorum and
// --read-quorum: exit 2 and a message naming the flag, whether the
// bound is Params' (Validate), the replicas' (the quorum design's
// CheckReplicated), or the design (cp and ap take no quorums).
func TestQuorumUsageErrors(t *testing.T) {
	counter := []string{"--workloads", "cluster/counter"}
	with := func(args ...string) []string { return append(append([]string(nil), counter...), args...) }
	checkUsageErrors(t, []usageCase{
		{"write quorum above max", with("--write-quorum", "16"), "--write-quorum 16: want 0 (a majority) or 1 to 15", ""},
		{"negative read quorum", with("--read-quorum", "-1"), "--read-quorum -1: want 0 (a majority) or 1 to 15", ""},
		{"write quorum above replicas", with("--consistency", "quorum", "--write-quorum", "4"),
			"--write-quorum 4: cluster/counter under consistency quorum: want 1 to 3, the replicas (0: a majority)", ""},
		{"read quorum above replicas", with("--consistency", "quorum", "--replicas", "5", "--read-quorum", "6"),
			"--read-quorum 6: cluster/counter under consistency quorum: want 1 to 5, the replicas (0: a majority)", ""},
		{"write quorum under cp", with("--write-quorum", "2"),
			"--write-quorum 2: cluster/counter under consistency cp: applies to consistency quorum only", ""},
		{"read quorum under ap", with("--consistency", "ap", "--read-quorum", "1"),
			"--read-quorum 1: cluster/counter under consistency ap: applies to consistency quorum only", ""},
		{"write quorum for cpu", []string{"--workloads", "cpu/sha256", "--write-quorum", "2"},
			"--write-quorum 2: no workload in --workloads reads it (it is for ", "): drop it, or add one of those to --workloads"},
	})
}

// TestQuorumFlags checks that --write-quorum and --read-quorum reach
// the Config, and that their file keys are their flags' names (so that
// a resumed run sets them).
func TestQuorumFlags(t *testing.T) {
	fs, f := newRunFlags(new(bytes.Buffer))
	if err := parseFlags(fs, []string{"--workloads", "cluster/counter", "--consistency", "quorum", "--write-quorum", "3", "--read-quorum", "1"}); err != nil {
		t.Fatal(err)
	}
	c, err := f.config()
	if err != nil {
		t.Fatal(err)
	}
	if c.Params.WriteQuorum != 3 || c.Params.ReadQuorum != 1 {
		t.Errorf("WriteQuorum %d, ReadQuorum %d; want 3, 1", c.Params.WriteQuorum, c.Params.ReadQuorum)
	}
	for _, k := range []string{results.KeyWriteQuorum, results.KeyReadQuorum} {
		if fs.Lookup(flagOf(k)) == nil {
			t.Errorf("file key %s: no flag %s for a resumed run to set", k, flagOf(k))
		}
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
}

// TestHistoriesPictured runs cluster/counter under ap with a partition:
// its histories are not linearizable, and the run draws the first with
// porcupine beside the results file and names it on stderr; under cp,
// linearizable, it draws nothing.
func TestHistoriesPictured(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		design string
		want   bool
	}{{"ap", true}, {"cp", false}} {
		out := filepath.Join(dir, c.design+".txt")
		var stdout, stderr bytes.Buffer
		args := []string{"run", "--workloads", "cluster/counter", "--consistency", c.design, "--count", "1",
			"--phase-time", "300ms", "--sync-interval", "20ms", "--out", out, "--quiet"}
		if code := Run(args, &stdout, &stderr); code != exitOK {
			t.Fatalf("%s: exit %d: %s", c.design, code, stderr.String())
		}
		pic := filepath.Join(results.HistoriesDir(out), "cluster-counter-"+c.design+".html")
		_, err := os.Stat(pic)
		said := strings.Contains(stderr.String(), "drawn by porcupine: "+pic)
		if (err == nil) != c.want || said != c.want {
			t.Errorf("%s: picture at %s: %v (want one: %v); stderr names it: %v\n%s", c.design, pic, err, c.want, said, stderr.String())
		}
	}
}
