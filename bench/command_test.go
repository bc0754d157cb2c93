package bench

import (
	"slices"
	"testing"
	"time"

	"github.com/parbench/parbench/workloads"
)

func TestParseCommand(t *testing.T) {
	for _, tc := range []struct {
		line string
		want []string // nil: an error
	}{
		{"python3 app.py", []string{"python3", "app.py"}},
		{"  python3\t-u  app.py \n", []string{"python3", "-u", "app.py"}},
		{`python3 -c 'print("hi there")'`, []string{"python3", "-c", `print("hi there")`}},
		{`sh -c "echo \"a b\" \\ c"`, []string{"sh", "-c", `echo "a b" \ c`}},
		{`a'b c'd "e"f`, []string{"ab cd", "ef"}},
		{`x '' ""`, []string{"x", "", ""}},
		{`it\'s a\ b`, []string{"it's", "a b"}},
		{`"a\nb"`, []string{`a\nb`}},
		{"", []string{}},
		{`python3 'app.py`, nil},
		{`python3 "app.py`, nil},
		{`python3 app.py\`, nil},
		{`"a\"`, nil},
	} {
		got, err := ParseCommand(tc.line)
		if tc.want == nil {
			if err == nil {
				t.Errorf("ParseCommand(%q) = %q, want an error", tc.line, got)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("ParseCommand(%q) = %q, %v; want %q", tc.line, got, err, tc.want)
		}
	}
}

func TestFormatCommand(t *testing.T) {
	for _, words := range [][]string{
		{"python3", "internal/calibrate/python/webservice.py"},
		{"python3", "-c", `print("it's")`, ""},
		{"a b", "$HOME", "*", `\`, "'", `"`},
	} {
		line := FormatCommand(words)
		back, err := ParseCommand(line)
		if err != nil || !slices.Equal(back, words) {
			t.Errorf("FormatCommand(%q) = %s, parsed back as %q, %v", words, line, back, err)
		}
	}
	if got := FormatCommand([]string{"python3", "-u", "app.py"}); got != "python3 -u app.py" {
		t.Errorf("plain words quoted: %s", got)
	}
	if got, want := FormatCommand([]string{"it's", "--db", "postgres://u@h/d?sslmode=disable"}), `'it'\''s' --db 'postgres://u@h/d?sslmode=disable'`; got != want {
		t.Errorf("FormatCommand = %s, want %s", got, want)
	}
}

func FuzzFormatCommand(f *testing.F) {
	f.Add("python3 'a b' \"c\\\"d\" e\\ f ''")
	f.Fuzz(func(t *testing.T, line string) {
		words, err := ParseCommand(line)
		if err != nil {
			return
		}
		again := FormatCommand(words)
		back, err := ParseCommand(again)
		if err != nil || !slices.Equal(back, words) {
			t.Fatalf("%q: words %q, formatted %s, parsed back %q, %v", line, words, again, back, err)
		}
	})
}

// TestServiceValidateCommand: a command needs a program and lock none,
// and alone makes the sweep served (one worker, one thread), whose
// points start the service with it.
func TestServiceValidateCommand(t *testing.T) {
	for _, tc := range []struct {
		name  string
		cmd   []string
		locks []string
		want  string
	}{
		{"ok", []string{"python3", "app.py"}, []string{"none"}, ""},
		{"empty", []string{}, []string{"none"}, `Service.Command "": empty command`},
		{"empty program", []string{"", "x"}, []string{"none"}, `Service.Command "'' x": empty command`},
		{"under a lock", []string{"python3", "app.py"}, []string{"none", "gil"},
			`Service.Command "python3 app.py": the command's interpreter has its own lock (its GIL), so Locks must be none, not gil`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := testConfig(newServed("test/served"))
			c.Service.Command, c.Locks = tc.cmd, tc.locks
			checkValidate(t, c.Validate(), "Service.Command", tc.want)
		})
	}

	w := newServed("test/served")
	c := testConfig(w)
	c.Service.Command = []string{"python3", "app.py"}
	c.Procs, c.Goroutines, c.Count, c.Benchtime = []int{1}, []int{1}, 1, 10*time.Millisecond
	run(t, c)
	want := []workloads.Service{{Workers: 1, Threads: 1, Lock: "none", SwitchInterval: c.LockOpts.SwitchInterval,
		CheckInterval: c.LockOpts.CheckInterval, Command: []string{"python3", "app.py"}}}
	if len(w.rec.services) != 1 || !slices.Equal(w.rec.services[0].Command, want[0].Command) || w.rec.services[0].Workers != 1 || w.rec.services[0].Threads != 1 {
		t.Errorf("StartService calls %+v, want %+v", w.rec.services, want)
	}
}
