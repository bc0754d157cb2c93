package results

import (
	"bytes"
	"strings"
	"testing"

	"golang.org/x/perf/benchfmt"
)

// readConfig reads what WriteConfig wrote as benchfmt reads a file's
// configuration: that of a result after it.
func readConfig(t testing.TB, out []byte) *benchfmt.Result {
	t.Helper()
	rd := benchfmt.NewReader(bytes.NewReader(append(out, "BenchmarkX 1 1 ns/op\n"...)), "out")
	for rd.Scan() {
		if res, ok := rd.Result().(*benchfmt.Result); ok {
			return res
		}
		t.Fatalf("%s: %v", out, rd.Result())
	}
	t.Fatalf("%s: no result", out)
	return nil
}

func TestWriteConfig(t *testing.T) {
	var b bytes.Buffer
	cfg := append(Machine(), Config{KeyClasses, "ShardedMap=cpu"}, Config{KeyDate, " a\nb  c "}, Config{KeyProfiles, " \n"})
	if err := WriteConfig(&b, cfg); err != nil {
		t.Fatal(err)
	}
	res := readConfig(t, b.Bytes())
	for _, c := range cfg[:len(cfg)-1] {
		if got, want := res.GetConfig(c.Key), strings.Join(strings.Fields(c.Value), " "); got != want {
			t.Errorf("%s: read back %q, want %q", c.Key, got, want)
		}
	}
	if strings.Contains(b.String(), KeyProfiles) {
		t.Errorf("an empty value was written:\n%s", b.String())
	}
	for _, key := range []string{"", "Host", "my key", "1st"} {
		b.Reset()
		if err := WriteConfig(&b, []Config{{KeyGOOS, "linux"}, {key, "x"}}); err == nil || b.Len() > 0 {
			t.Errorf("key %q: error %v, wrote %q; want an error and nothing written", key, err, b.String())
		}
	}
}

// FuzzWriteConfig: whatever the key and value, WriteConfig refuses the
// pair or writes a line that benchfmt reads back as key: the value with
// its whitespace collapsed.
func FuzzWriteConfig(f *testing.F) {
	f.Add("cpu", "Intel(R) Xeon(R) Processor @ 2.80GHz")
	f.Add("classes", "ShardedMap=cpu,io/sleep=io")
	f.Add("k", "a\nb")
	f.Add("Key", "v")
	f.Fuzz(func(t *testing.T, key, value string) {
		var b bytes.Buffer
		if err := WriteConfig(&b, []Config{{key, value}}); err != nil {
			return
		}
		want := strings.Join(strings.Fields(value), " ")
		if want == "" {
			if b.Len() > 0 {
				t.Fatalf("empty value written: %q", b.String())
			}
			return
		}
		if got := readConfig(t, b.Bytes()).GetConfig(key); got != want {
			t.Fatalf("%q: %q read back as %q, want %q", b.String(), value, got, want)
		}
	})
}
