package apptest

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// bannedImports may not appear in code that runs in consensus.
var bannedImports = map[string]string{
	"math/rand":    "randomness",
	"math/rand/v2": "randomness",
	"crypto/rand":  "randomness",
	"os":           "I/O",
	"io/ioutil":    "I/O",
	"net":          "network I/O",
	"net/http":     "network I/O",
	"sync":         "concurrency",
	"sync/atomic":  "concurrency",
	"runtime":      "scheduling",
	"unsafe":       "memory layout",
	"math":         "floating point (math/bits is fine)",
	"reflect":      "map-order-dependent reflection",
}

// bannedCalls are package functions that read the wall clock or sleep.
var bannedCalls = map[string]bool{"time.Now": true, "time.Since": true, "time.Until": true, "time.Sleep": true, "time.After": true, "time.Tick": true, "time.NewTimer": true, "time.NewTicker": true}

// CheckDeterministic fails the test if the non-test Go files in dir import
// packages or call functions that make state transitions machine-dependent:
// randomness, I/O, concurrency, floating point, the wall clock, or start
// goroutines. extraAllowed lists imports the package needs for types only.
// (Map iteration order cannot be seen without type information; code
// review and the invariant tests cover it.)
func CheckDeterministic(t *testing.T, dir string, extraAllowed ...string) {
	t.Helper()
	allowed := map[string]bool{}
	for _, a := range extraAllowed {
		allowed[a] = true
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		n++
		for _, imp := range af.Imports {
			p := strings.Trim(imp.Path.Value, `"`)
			if why, bad := bannedImports[p]; bad && !allowed[p] {
				t.Errorf("%s imports %s (%s) in consensus code", fset.Position(imp.Pos()), p, why)
			}
		}
		ast.Inspect(af, func(nd ast.Node) bool {
			switch x := nd.(type) {
			case *ast.GoStmt:
				t.Errorf("%s starts a goroutine in consensus code", fset.Position(x.Pos()))
			case *ast.SelectorExpr:
				if id, ok := x.X.(*ast.Ident); ok && bannedCalls[id.Name+"."+x.Sel.Name] {
					t.Errorf("%s uses %s.%s (wall clock) in consensus code", fset.Position(x.Pos()), id.Name, x.Sel.Name)
				}
			case *ast.Ident:
				if x.Name == "float32" || x.Name == "float64" {
					t.Errorf("%s uses %s in consensus code", fset.Position(x.Pos()), x.Name)
				}
			}
			return true
		})
	}
	if n == 0 {
		t.Fatalf("no Go files in %s", dir)
	}
}
