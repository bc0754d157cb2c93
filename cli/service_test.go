package cli

import (
	"bytes"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/parbench/parbench/results"
)

// servedKeys are the file configuration keys that only a sweep with a
// server shape writes.
var servedKeys = []string{results.KeyServerWorkers, results.KeyServerThreads, results.KeyHandlerCPU, results.KeyDBLatency}

// TestServerShapeUsageErrors checks the bad server shapes: exit 2, a
// message naming the flag and what would be valid, and no file.
func TestServerShapeUsageErrors(t *testing.T) {
	checkUsageErrors(t, []usageCase{
		{"zero threads", []string{"--workloads", "webapp/read", "--server-threads", "0"}, "--server-threads 0: want 1 to 256 threads per worker process", ""},
		{"too many workers", []string{"--workloads", "webapp/read", "--server-workers", "2,65"}, "--server-workers 65: want 1 to 64 worker processes", ""},
		{"too many threads", []string{"--workloads", "webapp/read", "--server-threads", "300"}, "--server-threads 300: want 1 to 256 threads per worker process", ""},
		{"negative workers", []string{"--workloads", "webapp/read", "--server-workers", "-1"}, `--server-workers: "-1" is negative (want 1 to 64)`, ""},
		{"empty threads", []string{"--workloads", "webapp/read", "--server-threads", ""}, "--server-threads: empty list (want e.g. 1,2,4 or 1-16)", ""},
		{"threads twice", []string{"--workloads", "webapp/read", "--server-threads", "1-4,2"}, "--server-threads: 2 given twice", ""},
		{"not served", []string{"--workloads", "cpu/sha256", "--server-threads", "2"},
			"--server-threads: cpu/sha256 has no service to shape (served workloads: ", "): drop it from --workloads, or drop --server-threads"},
		{"not served, both", []string{"--workloads", "webapp/read,cpu/sha256", "--server-workers", "2", "--server-threads", "2"},
			"--server-workers: cpu/sha256 has no service to shape (served workloads: ", "): drop it from --workloads, or drop --server-workers and --server-threads"},
		{"bad handler", []string{"--workloads", "webapp/read", "--server-threads", "2", "--handler-cpu", "2s"}, "--handler-cpu 2s: want a duration from 0 to 1s", ""},
		{"handler without shape", []string{"--workloads", "webapp/read", "--handler-cpu", "1ms"},
			"--handler-cpu 1ms: only the service of a served sweep runs a handler: add --server-threads or --server-workers, or drop it", ""},
		{"handler for cpu", []string{"--workloads", "cpu/sha256", "--handler-cpu", "1ms"}, "--handler-cpu 1ms: no workload in --workloads reads it (it is for ", "): drop it, or add one of those to --workloads"},
		{"bad db latency", []string{"--workloads", "webapp/read", "--server-threads", "2", "--db-latency", "2s"}, "--db-latency 2s: want a duration from 0 to 1s", ""},
		{"negative db latency", []string{"--workloads", "webapp/read", "--server-threads", "2", "--db-latency", "-1ms"}, "--db-latency -1ms: want a duration from 0 to 1s", ""},
		{"db latency without shape", []string{"--workloads", "webapp/read", "--db-latency", "1ms"},
			"--db-latency 1ms: only the service of a served sweep adds it to its database calls: add --server-threads or --server-workers, or drop it", ""},
		{"command's bad quote", []string{"--workloads", "webapp/read", "--server-cmd", `python3 'app.py`}, `--server-cmd "python3 'app.py": a single quote without its end`, ""},
		{"command under a lock", []string{"--workloads", "webapp/read", "--server-cmd", "python3 app.py", "--lock", "none,gil"},
			`--server-cmd "python3 app.py": the command's interpreter has its own lock (its GIL), so --lock must be none, not gil`, ""},
		{"empty command", []string{"--workloads", "webapp/read", "--server-cmd", " "}, `--server-cmd "": empty command (want a program and its arguments)`, ""},
		{"command for cpu", []string{"--workloads", "cpu/sha256", "--server-cmd", "python3 app.py"},
			"--server-cmd: cpu/sha256 has no service to shape (served workloads: ", "): drop it from --workloads, or drop --server-cmd"},
	})
}

// TestServerShapeResumeFlags checks that the file configuration keys of
// a served sweep set their flags when resumed: the resumed Config has
// the file's shape and handler, and writes the same lines again.
func TestServerShapeResumeFlags(t *testing.T) {
	fs, f := newRunFlags(new(bytes.Buffer))
	for _, a := range [][2]string{{"workloads", "webapp/read"}, {"lock", "none"}, {"procs", "2"}, {"goroutines", "4"},
		{"server-workers", "1,2"}, {"server-threads", "2-4"}, {"handler-cpu", "1ms"}, {"db-latency", "2ms"},
		{"server-cmd", `python3 "my app.py" -c 'it''s'`}} {
		if err := fs.Set(a[0], a[1]); err != nil {
			t.Fatal(err)
		}
	}
	c, err := f.config()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.Service.Workers, []int{1, 2}) || !slices.Equal(c.Service.Threads, []int{2, 3, 4}) || c.Params.HandlerCPU != time.Millisecond ||
		c.Params.DBLatency != 2*time.Millisecond || !slices.Equal(c.Service.Command, []string{"python3", "my app.py", "-c", "its"}) {
		t.Fatalf("config: Service %+v, HandlerCPU %v, DBLatency %v", c.Service, c.Params.HandlerCPU, c.Params.DBLatency)
	}
	keys := []string{results.KeyServerWorkers, results.KeyServerThreads, results.KeyHandlerCPU, results.KeyDBLatency, results.KeyServerCmd}
	var file bytes.Buffer
	want := map[string]string{}
	for _, kv := range c.FileConfig(time.Unix(0, 0)) {
		file.WriteString(kv.Key + ": " + kv.Value + "\n")
		if slices.Contains(keys, kv.Key) {
			want[kv.Key] = kv.Value
		}
	}
	if len(want) != len(keys) {
		t.Fatalf("FileConfig writes %v of %v", want, keys)
	}
	name := c.Points()[0].Name()
	file.WriteString("\nBenchmark" + name + " 10 1000 ns/op\n")

	rc := resumeConfig(t, file.Bytes())
	if !slices.Equal(rc.Service.Workers, c.Service.Workers) || !slices.Equal(rc.Service.Threads, c.Service.Threads) || rc.Params.HandlerCPU != c.Params.HandlerCPU ||
		rc.Params.DBLatency != c.Params.DBLatency || !slices.Equal(rc.Service.Command, c.Service.Command) {
		t.Errorf("resumed config: Service %+v, HandlerCPU %v, DBLatency %v; want %+v, %v, %v", rc.Service, rc.Params.HandlerCPU, rc.Params.DBLatency, c.Service, c.Params.HandlerCPU, c.Params.DBLatency)
	}
	for _, kv := range rc.FileConfig(time.Unix(0, 0)) {
		if w, ok := want[kv.Key]; ok && kv.Value != w {
			t.Errorf("resumed %s: %q, the file's %q", kv.Key, kv.Value, w)
		}
	}
	if got := rc.Points()[0].Name(); got != name {
		t.Errorf("resumed first point %s, the file's %s", got, name)
	}
}

// TestFormatRoundTripServed runs a small served sweep, as `parbench
// run` does, and reads its keys and names back through the analysis:
// the shape's lists and the handler as the file's, the handler among
// each group's settings, and the shape in the names.
func TestFormatRoundTripServed(t *testing.T) {
	out := filepath.Join(t.TempDir(), "r.txt")
	var stdout, stderr bytes.Buffer
	code := Run([]string{"run", "--workloads", "webapp/read", "--lock", "gil", "--server-threads", "1,2", "--handler-cpu", "100us",
		"--procs", "1", "--goroutines", "2", "--count", "1", "--benchtime", "10ms", "--quiet", "--out", out}, &stdout, &stderr)
	if code != exitOK {
		t.Fatalf("run: exit %d, stderr: %s", code, stderr.String())
	}
	rep := readReport(t, out)
	for k, w := range map[string]string{results.KeyServerWorkers: "1", results.KeyServerThreads: "1,2", results.KeyHandlerCPU: "100µs"} {
		if v := rep.Files[0].Get(k); v != w {
			t.Errorf("key %s: read back %q, want %q", k, v, w)
		}
	}
	checkSettings(t, rep, results.KeyHandlerCPU+"=100µs")
	n, _ := countResults(t, out)
	for _, name := range []string{"Webapp/read/lock=gil/server-workers=1/server-threads=1/goroutines=2-1", "Webapp/read/lock=gil/server-workers=1/server-threads=2/goroutines=2-1"} {
		if n[name] != 1 {
			t.Errorf("%s: %d samples, want 1 (have %v)", name, n[name], n)
		}
	}
}
