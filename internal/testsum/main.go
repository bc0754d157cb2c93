// Command testsum runs go test with -json and prints what go test would
// print without it, then one closing line naming the tests that skipped
// and why: a newcomer without Chromium or PostgreSQL sees at the end
// which tests did not run, and the README says how to run them. `make
// test` runs it:
//
//	go build -o bin/testsum ./internal/testsum && bin/testsum go test -race ./...
//
// The flow:
//
//  1. Insert -json after "test" and run the command, its stderr
//     passed through.
//  2. Read its events (cmd/test2json's TestEvent) one line at a time;
//     a line that is not an event is printed as it is.
//  3. Print the package lines (ok, FAIL, no test files) and the build
//     output as they come; keep each test's output until it ends, print
//     it if the test failed (less test2json's === framing lines), and
//     remember the last logged line of a skipped test as its reason.
//  4. At the end print a line naming the failed tests, if any, and the
//     skipped line, and exit with go test's status.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"regexp"
	"slices"
	"strings"
)

func main() {
	os.Exit(testsum(os.Args[1:], os.Stdout, os.Stderr))
}

// testsum runs args (a go test command line) with -json and returns its
// exit status; 2 for a command line it cannot run.
func testsum(args []string, stdout, stderr io.Writer) int {
	if len(args) < 2 || args[1] != "test" {
		fmt.Fprintln(stderr, "usage: testsum go test [flags] [packages]")
		return 2
	}
	cmd := exec.Command(args[0], slices.Concat(args[1:2], []string{"-json"}, args[2:])...)
	cmd.Stderr = stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		fmt.Fprintln(stderr, "testsum:", err)
		return 1
	}
	// An interrupt reaches go test too (one process group): let it end
	// its tests and say so, and still print what ran.
	signal.Ignore(os.Interrupt)
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(stderr, "testsum: %s: %v\n", strings.Join(args, " "), err)
		return 1
	}
	s := newSummary(stdout)
	readErr := s.read(out)
	err = cmd.Wait()
	s.finish()
	if readErr != nil {
		fmt.Fprintln(stderr, "testsum: reading go test's output:", readErr)
	}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		return exit.ExitCode()
	case err != nil:
		fmt.Fprintln(stderr, "testsum:", err)
		return 1
	case readErr != nil:
		return 1
	}
	return 0
}

// event is one line of go test -json (cmd/test2json's TestEvent, and
// go build's BuildEvent for build output).
type event struct {
	Action  string
	Package string
	Test    string
	Output  string
}

// skipped is a test that skipped, with the reason it logged.
type skipped struct {
	pkg, test, reason string
}

// summary turns the event stream into go test's plain output and
// collects the failed and skipped tests.
type summary struct {
	w       io.Writer
	midLine bool                        // the last write did not end its line
	out     map[string]*strings.Builder // each running test's output, by package and test
	order   []string                    // the keys of out, in the order the tests started
	failed  []string                    // "pkg TestName"
	skipped []skipped
}

func newSummary(w io.Writer) *summary {
	return &summary{w: w, out: map[string]*strings.Builder{}}
}

// read handles every line of r, of any length.
func (s *summary) read(r io.Reader) error {
	br := bufio.NewReader(r)
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			s.line(line)
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// line handles one line of go test -json's output.
func (s *summary) line(line []byte) {
	var e event
	if len(line) == 0 || line[0] != '{' || json.Unmarshal(line, &e) != nil || e.Action == "" {
		s.write(string(line)) // not an event: go test's own words, shown as they are
		return
	}
	switch e.Action {
	case "build-output":
		s.write(e.Output)
		return
	case "build-fail":
		return
	}
	if e.Test == "" {
		// The package: ok, FAIL, "no test files", and what a test
		// binary prints outside any test (a crash, a TestMain).
		if e.Action == "output" && strings.HasPrefix(e.Output, "FAIL") {
			s.flush(e.Package) // before the package's FAIL line, as go test prints them
		}
		if e.Action == "output" && !framing(e.Output) {
			s.write(e.Output)
		}
		if e.Action == "fail" {
			s.flush(e.Package)
			if !slices.ContainsFunc(s.failed, func(f string) bool { return strings.HasPrefix(f, shortPkg(e.Package)+" ") }) {
				// No test of it failed: it did not build, or its
				// binary failed outside any test.
				s.failed = append(s.failed, shortPkg(e.Package)+" (the package)")
			}
		}
		return
	}
	key := e.Package + " " + e.Test
	b := s.out[key]
	if b == nil {
		b = new(strings.Builder)
		s.out[key] = b
		s.order = append(s.order, key)
	}
	switch e.Action {
	case "output":
		b.WriteString(e.Output)
	case "fail":
		s.print(failedFirst(b.String(), e.Test))
		name := shortPkg(e.Package) + " " + e.Test
		if !slices.ContainsFunc(s.failed, func(f string) bool { return strings.HasPrefix(f, name+"/") }) {
			s.failed = append(s.failed, name) // not a parent whose subtest failed
		}
		s.end(key)
	case "skip":
		s.skipped = append(s.skipped, skipped{shortPkg(e.Package), e.Test, skipReason(b.String())})
		s.end(key)
	case "pass":
		s.end(key)
	}
}

// flush prints the output of the tests of pkg that never ended (a test
// binary that crashed or timed out in them) and counts them as failed.
func (s *summary) flush(pkg string) {
	for _, key := range slices.Clone(s.order) {
		if strings.HasPrefix(key, pkg+" ") {
			s.print(s.out[key].String())
			s.failed = append(s.failed, shortPkg(pkg)+" "+strings.TrimPrefix(key, pkg+" "))
			s.end(key)
		}
	}
}

func (s *summary) end(key string) {
	delete(s.out, key)
	s.order = slices.DeleteFunc(s.order, func(k string) bool { return k == key })
}

// print writes a test's output less test2json's framing lines, as go
// test without -v prints a failed test.
func (s *summary) print(out string) {
	for line := range strings.Lines(out) {
		if !framing(line) {
			s.write(line)
		}
	}
}

// failedFirst moves test's "--- FAIL: test" line, which -v prints after
// the test's log, to the front, where go test without -v prints it.
func failedFirst(out, test string) string {
	var head, rest strings.Builder
	for line := range strings.Lines(out) {
		if head.Len() == 0 && strings.HasPrefix(strings.TrimLeft(line, " "), "--- FAIL: "+test+" ") {
			head.WriteString(line)
		} else {
			rest.WriteString(line)
		}
	}
	return head.String() + rest.String()
}

// framing reports whether line is one of the lines -v adds around a
// test's output (=== RUN, PAUSE, CONT, NAME) or a package's bare PASS.
func framing(line string) bool {
	return strings.HasPrefix(line, "=== ") || line == "PASS\n"
}

// logLine matches a line that t.Log, t.Skip or t.Error wrote:
// "    file_test.go:33: message".
var logLine = regexp.MustCompile(`^\s+[\w.-]+\.go:\d+: (.*)$`)

// skipReason returns the last message a skipped test logged (its
// t.Skip's), or "no reason given".
func skipReason(out string) string {
	reason := "no reason given"
	for line := range strings.Lines(out) {
		if m := logLine.FindStringSubmatch(strings.TrimRight(line, "\r\n")); m != nil {
			reason = m[1]
		}
	}
	return reason
}

// shortPkg drops the module path from a package path, as the README
// names packages.
func shortPkg(pkg string) string {
	return strings.TrimPrefix(strings.TrimPrefix(pkg, "github.com/parbench/parbench"), "/")
}

func (s *summary) write(text string) {
	if text != "" {
		io.WriteString(s.w, text)
		s.midLine = !strings.HasSuffix(text, "\n")
	}
}

// finish prints what never ended, then a line naming the failed tests,
// if any, and the skipped line.
func (s *summary) finish() {
	for _, key := range slices.Clone(s.order) {
		s.print(s.out[key].String())
		s.end(key)
	}
	if s.midLine {
		s.write("\n")
	}
	if len(s.failed) > 0 {
		fmt.Fprintf(s.w, "failed: %s\n", oneLine(strings.Join(s.failed, ", ")))
	}
	fmt.Fprintln(s.w, skippedLine(s.skipped))
}

// skippedLine names the skipped tests, grouped by reason, on one line:
// "skipped: 2 tests: analysis/htmlreport TestBrowser (no Chromium: ...);
// workloads/webapp TestPostgres (PARBENCH_TEST_POSTGRES is not set: ...)".
// A reason shared by more than 3 tests names 3 and counts the rest.
func skippedLine(sk []skipped) string {
	if len(sk) == 0 {
		return "skipped: none"
	}
	var reasons []string
	names := map[string][]string{}
	for _, t := range sk {
		if names[t.reason] == nil {
			reasons = append(reasons, t.reason)
		}
		names[t.reason] = append(names[t.reason], oneLine(t.pkg+" "+t.test))
	}
	var groups []string
	for _, r := range reasons {
		n := names[r]
		list := strings.Join(n[:min(len(n), 3)], ", ")
		if len(n) > 3 {
			list += fmt.Sprintf(" and %d more", len(n)-3)
		}
		groups = append(groups, list+" ("+oneLine(r)+")")
	}
	return fmt.Sprintf("skipped: %s: %s", count(len(sk)), strings.Join(groups, "; "))
}

// oneLine keeps a name or reason from breaking the closing lines.
func oneLine(s string) string {
	return strings.NewReplacer("\n", " ", "\r", " ").Replace(s)
}

func count(n int) string {
	if n == 1 {
		return "1 test"
	}
	return fmt.Sprintf("%d tests", n)
}
