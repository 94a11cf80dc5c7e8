package fixedds

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestDeterministicSource parses the package's non-test files and fails on
// anything that could make validators disagree: imports outside a small
// allow-list (no math, math/rand, time, os, sync, unsafe, net...), float types
// or literals, map types (iteration order), goroutines, channels and select.
func TestDeterministicSource(t *testing.T) {
	allowed := map[string]bool{"errors": true, "fmt": true, "math/bits": true}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if !allowed[path] {
				t.Errorf("%s: import %q is not allowed in deterministic code", fset.Position(imp.Pos()), path)
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.Ident:
				if x.Name == "float32" || x.Name == "float64" || x.Name == "complex64" || x.Name == "complex128" {
					t.Errorf("%s: float type %s", fset.Position(x.Pos()), x.Name)
				}
			case *ast.BasicLit:
				if x.Kind == token.FLOAT || x.Kind == token.IMAG {
					t.Errorf("%s: float literal %s", fset.Position(x.Pos()), x.Value)
				}
			case *ast.MapType:
				t.Errorf("%s: map type (iteration order is random)", fset.Position(x.Pos()))
			case *ast.GoStmt:
				t.Errorf("%s: goroutine", fset.Position(x.Pos()))
			case *ast.ChanType:
				t.Errorf("%s: channel", fset.Position(x.Pos()))
			case *ast.SelectStmt:
				t.Errorf("%s: select", fset.Position(x.Pos()))
			}
			return true
		})
	}
	if checked == 0 {
		t.Fatal("no source files checked")
	}
}
