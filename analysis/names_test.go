package analysis

import (
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// TestNoRulesByWorkloadName fails if the analysis, its plots or its page
// decide anything by a workload's name: a comparison of a workload with
// a string literal or a constant (==, !=, a switch case), or a
// strings.HasPrefix, Contains and the like of a workload with one. What
// a workload is comes from its class (Group.Class), which the runner
// writes from the workload itself; results.LegacyClass alone reads a
// class from a name, for files written before the classes line.
func TestNoRulesByWorkloadName(t *testing.T) {
	var files []string
	for _, dir := range []string{".", "plot", "htmlreport"} {
		fs, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fs {
			if !strings.HasSuffix(f, "_test.go") {
				files = append(files, f)
			}
		}
	}
	if len(files) < 10 {
		t.Fatalf("found only %d source files: %v", len(files), files)
	}
	for _, f := range files {
		for _, found := range nameRules(t, f, nil) {
			t.Errorf("%s: a rule by workload name: %s (use Group.Class)", found.pos, found.expr)
		}
	}
}

// TestNameRulesDetected checks the detector on the rules the analysis
// had before classes.
func TestNameRulesDetected(t *testing.T) {
	const src = `package x
import "github.com/parbench/parbench/analysis/plot"
const Convoy = "latency/convoy"
func f(g *Group, s *Section, workload string) {
	_ = strings.Contains(g.Workload, "stream")
	_ = !strings.HasPrefix(g.Workload, "cpu/")
	_ = g.Workload == "cpu"
	_ = strings.HasPrefix(s.Workload, "io/")
	_ = g.Workload == Convoy
	_ = "webapp/read" != workload
	_ = g.Workload != plot.Convoy
	switch g.Workload {
	case "mixed":
	}
	_ = a.workload != b.workload // two workloads: fine
	_ = g.Class == results.ClassIO // fine
}`
	got := nameRules(t, "x.go", []byte(src))
	if len(got) != 8 {
		t.Errorf("found %d rules by name, want 8:", len(got))
		for _, r := range got {
			t.Logf("  %s: %s", r.pos, r.expr)
		}
	}
}

type nameRule struct {
	pos  token.Position
	expr string
}

// nameRules parses one Go file (src, or the file itself if src is nil)
// and returns its rules by workload name.
func nameRules(t *testing.T, name string, src []byte) []nameRule {
	t.Helper()
	fset := token.NewFileSet()
	var s any
	if src != nil {
		s = src
	}
	file, err := parser.ParseFile(fset, name, s, 0)
	if err != nil {
		t.Fatal(err)
	}
	pkgs := map[string]bool{} // the names of the imported packages
	for _, im := range file.Imports {
		path := strings.Trim(im.Path.Value, `"`)
		name := path[strings.LastIndex(path, "/")+1:]
		if im.Name != nil {
			name = im.Name.Name
		}
		pkgs[name] = true
	}
	consts := map[string]bool{}
	for _, d := range file.Decls {
		if gd, ok := d.(*ast.GenDecl); ok && gd.Tok == token.CONST {
			for _, sp := range gd.Specs {
				for _, n := range sp.(*ast.ValueSpec).Names {
					consts[n.Name] = true
				}
			}
		}
	}
	isWorkload := func(e ast.Expr) bool {
		switch e := e.(type) {
		case *ast.SelectorExpr:
			return strings.EqualFold(e.Sel.Name, "workload")
		case *ast.Ident:
			return strings.EqualFold(e.Name, "workload")
		}
		return false
	}
	// isName is a string literal or a named constant (of this file, or
	// a package's, such as plot.Convoy).
	isName := func(e ast.Expr) bool {
		switch e := e.(type) {
		case *ast.BasicLit:
			return e.Kind == token.STRING
		case *ast.Ident:
			return consts[e.Name]
		case *ast.SelectorExpr:
			x, ok := e.X.(*ast.Ident)
			return ok && pkgs[x.Name] && ast.IsExported(e.Sel.Name)
		}
		return false
	}
	stringsFuncs := map[string]bool{"HasPrefix": true, "HasSuffix": true, "Contains": true, "EqualFold": true,
		"Index": true, "CutPrefix": true, "CutSuffix": true, "TrimPrefix": true, "TrimSuffix": true, "Cut": true}
	var out []nameRule
	add := func(n ast.Node) {
		var b strings.Builder
		if err := printer.Fprint(&b, fset, n); err != nil {
			t.Fatal(err)
		}
		out = append(out, nameRule{fset.Position(n.Pos()), b.String()})
	}
	ast.Inspect(file, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.BinaryExpr:
			if (n.Op == token.EQL || n.Op == token.NEQ) &&
				(isWorkload(n.X) && isName(n.Y) || isWorkload(n.Y) && isName(n.X)) {
				add(n)
			}
		case *ast.CallExpr:
			sel, ok := n.Fun.(*ast.SelectorExpr)
			if !ok {
				break
			}
			if pkg, ok := sel.X.(*ast.Ident); !ok || pkg.Name != "strings" || !stringsFuncs[sel.Sel.Name] {
				break
			}
			work, name := false, false
			for _, a := range n.Args {
				work = work || isWorkload(a)
				name = name || isName(a)
			}
			if work && name {
				add(n)
			}
		case *ast.SwitchStmt:
			if n.Tag == nil || !isWorkload(n.Tag) {
				break
			}
			for _, st := range n.Body.List {
				for _, e := range st.(*ast.CaseClause).List {
					if isName(e) {
						add(e)
					}
				}
			}
		}
		return true
	})
	return out
}
