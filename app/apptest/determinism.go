package apptest

import (
	"fmt"
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

// Guard says what a package whose code runs in consensus may use.
type Guard struct {
	// Allowed, when not nil, lists the only imports allowed. When nil, the
	// imports in bannedImports are refused and everything else allowed.
	Allowed []string
	// Permit lists banned imports the package may still use, in ban-list
	// mode (e.g. sync for a cache that does not change results).
	Permit []string
	// AllowFloats permits float32/float64 (e.g. a display-only method).
	AllowFloats bool
	// NoMaps refuses map types altogether (so no map can be iterated).
	NoMaps bool
}

// CheckDeterministic is Guard{}.Check: no randomness, I/O, concurrency,
// floating point, wall clock or goroutines in the non-test files of dir.
func CheckDeterministic(t *testing.T, dir string) { Guard{}.Check(t, dir) }

// Check fails the test if the non-test Go files in dir import packages
// outside the guard, start goroutines, read the wall clock or (unless
// allowed) use floating point. Map iteration order cannot be seen without
// type information; code review and the invariant tests cover it.
func (g Guard) Check(t *testing.T, dir string) {
	t.Helper()
	for _, f := range GuardFindings(g, dir) {
		t.Error(f)
	}
}

// GuardFindings returns what Check would report for dir.
func GuardFindings(g Guard, dir string) []string {
	var out []string
	errorf := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	permit := map[string]bool{}
	for _, p := range g.Permit {
		permit[p] = true
	}
	var allowed map[string]bool
	if g.Allowed != nil {
		allowed = map[string]bool{}
		for _, a := range g.Allowed {
			allowed[a] = true
		}
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return []string{err.Error()}
	}
	fset := token.NewFileSet()
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			return append(out, err.Error())
		}
		n++
		for _, imp := range af.Imports {
			p := strings.Trim(imp.Path.Value, `"`)
			if allowed != nil {
				if !allowed[p] {
					errorf("%s imports %s, which is not allowed in this consensus package", fset.Position(imp.Pos()), p)
				}
			} else if why, bad := bannedImports[p]; bad && !permit[p] {
				errorf("%s imports %s (%s) in consensus code", fset.Position(imp.Pos()), p, why)
			}
		}
		ast.Inspect(af, func(nd ast.Node) bool {
			switch x := nd.(type) {
			case *ast.GoStmt, *ast.ChanType, *ast.SelectStmt:
				errorf("%s uses goroutines or channels in consensus code", fset.Position(x.Pos()))
			case *ast.MapType:
				if g.NoMaps {
					errorf("%s declares a map in a package that forbids them", fset.Position(x.Pos()))
				}
			case *ast.BasicLit:
				if !g.AllowFloats && (x.Kind == token.FLOAT || x.Kind == token.IMAG) {
					errorf("%s has the float literal %s in consensus code", fset.Position(x.Pos()), x.Value)
				}
			case *ast.SelectorExpr:
				if id, ok := x.X.(*ast.Ident); ok && bannedCalls[id.Name+"."+x.Sel.Name] {
					errorf("%s uses %s.%s (wall clock) in consensus code", fset.Position(x.Pos()), id.Name, x.Sel.Name)
				}
			case *ast.Ident:
				if !g.AllowFloats && (x.Name == "float32" || x.Name == "float64" || x.Name == "complex64" || x.Name == "complex128") {
					errorf("%s uses %s in consensus code", fset.Position(x.Pos()), x.Name)
				}
			}
			return true
		})
	}
	if n == 0 {
		errorf("no Go files in %s", dir)
	}
	return out
}
