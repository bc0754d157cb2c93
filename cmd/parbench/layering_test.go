package main

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
// <- bench -> results files -> analysis. The run side (workloads, bench,
// results, internal) never imports analysis, and analysis, which reads
// anyone's files, never imports the run side.
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
	}{
		{"../../workloads/...", []string{"analysis", "bench", "cmd"}},
		{"../../bench/...", []string{"analysis", "cmd"}},
		{"../../results/...", []string{"analysis", "bench", "workloads", "cmd"}},
		{"../../internal/...", []string{"analysis", "cmd"}},
		{"../../analysis/...", []string{"bench", "workloads", "internal", "cmd"}},
	} {
		for _, d := range deps(c.pattern) {
			for _, n := range c.never {
				if d == module+n || strings.HasPrefix(d, module+n+"/") {
					t.Errorf("%s imports %s", c.pattern, d)
				}
			}
		}
	}
}

// TestRunPathWithoutAnalysis checks that the run command's files do not
// import analysis: `parbench run` writes results files and leaves
// reading them to the report. (profile.go and the report's files do:
// `parbench profile` ends with a summary of the profiles it wrote.)
func TestRunPathWithoutAnalysis(t *testing.T) {
	for _, name := range []string{"cli.go", "resume.go", "errors.go", "exec.go", "lists.go", "progress.go", "calibration.go", "main.go"} {
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
