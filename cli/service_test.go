package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parbench/parbench/results"
)

// servedKeys are the file configuration keys that only a sweep with a
// server shape writes.
var servedKeys = []string{results.KeyServerWorkers, results.KeyServerThreads, results.KeyHandlerCPU}

// TestServerShapeUsageErrors checks the bad server shapes: exit 2, a
// message naming the flag and what would be valid, and no file.
func TestServerShapeUsageErrors(t *testing.T) {
	out := filepath.Join(t.TempDir(), "r.txt")
	for _, tc := range []struct {
		name         string
		args         []string
		want, suffix string // the whole message, or its start and end
	}{
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
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			args := append([]string{"run", "--quiet", "--procs", "1", "--goroutines", "1", "--count", "1", "--out", out}, tc.args...)
			code := Run(args, &stdout, &stderr)
			got := lastLine(stderr.String())
			ok := got == "parbench: "+tc.want
			if tc.suffix != "" {
				ok = strings.HasPrefix(got, "parbench: "+tc.want) && strings.HasSuffix(got, tc.suffix)
			}
			if code != exitUsage || !ok {
				t.Errorf("exit %d, message\n got: %s\nwant: parbench: %s...%s", code, got, tc.want, tc.suffix)
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("left %s behind", out)
				os.Remove(out)
			}
		})
	}
}

// TestServerShapeResumeFlags checks that the file configuration keys of
// a served sweep set their flags when resumed: the resumed Config has
// the file's shape and handler, and writes the same lines again.
func TestServerShapeResumeFlags(t *testing.T) {
	fs, f := newRunFlags(new(bytes.Buffer))
	for _, a := range [][2]string{{"workloads", "webapp/read"}, {"lock", "gil"}, {"procs", "2"}, {"goroutines", "4"},
		{"server-workers", "1,2"}, {"server-threads", "2-4"}, {"handler-cpu", "1ms"}} {
		if err := fs.Set(a[0], a[1]); err != nil {
			t.Fatal(err)
		}
	}
	c, err := f.config()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.Service.Workers, []int{1, 2}) || !slices.Equal(c.Service.Threads, []int{2, 3, 4}) || c.Params.HandlerCPU != time.Millisecond {
		t.Fatalf("config: Service %+v, HandlerCPU %v", c.Service, c.Params.HandlerCPU)
	}
	keys := []string{results.KeyServerWorkers, results.KeyServerThreads, results.KeyHandlerCPU}
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
	path := filepath.Join(t.TempDir(), "r.txt")
	if err := os.WriteFile(path, file.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}

	fs, f = newRunFlags(new(bytes.Buffer))
	if err := parseFlags(fs, []string{"--resume", path}); err != nil {
		t.Fatal(err)
	}
	if _, err := loadResume(fs, f, givenFlags(fs)); err != nil {
		t.Fatal(err)
	}
	rc, err := f.config()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rc.Service.Workers, c.Service.Workers) || !slices.Equal(rc.Service.Threads, c.Service.Threads) || rc.Params.HandlerCPU != c.Params.HandlerCPU {
		t.Errorf("resumed config: Service %+v, HandlerCPU %v; want %+v, %v", rc.Service, rc.Params.HandlerCPU, c.Service, c.Params.HandlerCPU)
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
	if len(rep.Groups) == 0 {
		t.Fatal("no group")
	}
	for _, g := range rep.Groups {
		if !strings.Contains(g.Settings, results.KeyHandlerCPU+"=100µs") {
			t.Errorf("%s: settings %q lack handler-cpu", g.Label(), g.Settings)
		}
	}
	n, _ := countResults(t, out)
	for _, name := range []string{"Webapp/read/lock=gil/server-workers=1/server-threads=1/goroutines=2-1", "Webapp/read/lock=gil/server-workers=1/server-threads=2/goroutines=2-1"} {
		if n[name] != 1 {
			t.Errorf("%s: %d samples, want 1 (have %v)", name, n[name], n)
		}
	}
}
