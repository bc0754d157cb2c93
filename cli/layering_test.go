package cli

import (
	"go/parser"
	"go/token"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/parbench/parbench/"

// TestImportsFlowOneWay checks the layering the README draws: workloads
// <- bench -> results files -> analysis, wired together by cli alone.
// The run side (workloads, bench, results, internal) never imports
// analysis, analysis, which reads anyone's files, never imports the run
// side, and no package below the command imports cli or cmd. The one
// package of bench a workload may import is bench/gil, the locks: a
// served workload's service processes (webapp's) hold one, as the
// runner's goroutines do, and make it through internal/procs.
func TestImportsFlowOneWay(t *testing.T) {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	deps := func(pattern string) []string {
		out, err := exec.Command(goCmd, "list", "-deps", "-f", "{{.ImportPath}}", pattern).Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", pattern, err)
		}
		return strings.Fields(string(out))
	}
	for _, c := range []struct {
		pattern string
		never   []string
		allowed []string // packages under a never entry that may be imported
	}{
		{"../workloads/...", []string{"analysis", "bench", "cli", "cmd"}, []string{"bench/gil"}},
		{"../bench/...", []string{"analysis", "cli", "cmd"}, nil},
		{"../results/...", []string{"analysis", "bench", "workloads", "cli", "cmd"}, nil},
		{"../internal/...", []string{"analysis", "cli", "cmd"}, nil},
		{"../analysis/...", []string{"bench", "workloads", "internal", "cli", "cmd"}, nil},
	} {
	deps:
		for _, d := range deps(c.pattern) {
			for _, a := range c.allowed {
				if d == module+a {
					continue deps
				}
			}
			for _, n := range c.never {
				if d == module+n || strings.HasPrefix(d, module+n+"/") {
					t.Errorf("%s imports %s", c.pattern, d)
				}
			}
		}
	}
}

// TestCommandIsThin checks that the commands under cmd/ import, of this
// module, only cli and workload packages: the command is cli.Main plus
// the workloads its binary carries, so a user's own binary, built the
// same way, has every feature the official one has.
func TestCommandIsThin(t *testing.T) {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	out, err := exec.Command(goCmd, "list", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", "../cmd/...").Output()
	if err != nil {
		t.Fatalf("go list ../cmd/...: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) == 0 || lines[0] == "" {
		t.Fatal("go list ../cmd/... listed no command")
	}
	for _, line := range lines {
		f := strings.Fields(line)
		for _, im := range f[1:] {
			rest, ok := strings.CutPrefix(im, module)
			if !ok || rest == "cli" || rest == "workloads" || strings.HasPrefix(rest, "workloads/") {
				continue
			}
			t.Errorf("%s imports %s; a command imports only cli and workload packages", f[0], im)
		}
	}
}

// TestRunPathWithoutAnalysis checks that the run command's files do not
// import analysis: `parbench run` writes results files and leaves
// reading them to the report. (profile.go and the report's files do:
// `parbench profile` ends with a summary of the profiles it wrote.)
func TestRunPathWithoutAnalysis(t *testing.T) {
	for _, name := range []string{"cli.go", "resume.go", "errors.go", "exec.go", "lists.go", "progress.go", "calibration.go"} {
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, im := range f.Imports {
			p, _ := strconv.Unquote(im.Path.Value)
			if strings.HasPrefix(p, module+"analysis") {
				t.Errorf("%s imports %s", name, p)
			}
		}
	}
}
