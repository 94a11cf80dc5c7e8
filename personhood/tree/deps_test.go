package tree_test

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestNoNondeterministicImports keeps the consensus-facing tree free of
// I/O, clocks, randomness, goroutine helpers and floats' usual sources.
func TestNoNondeterministicImports(t *testing.T) {
	banned := []string{"os", "net", "time", "math/rand", "math/rand/v2", "crypto/rand", "sync", "runtime", "io/ioutil"}
	files, _ := filepath.Glob("*.go")
	more, _ := filepath.Glob("../poseidon/*.go")
	files = append(files, more...)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		af, err := parser.ParseFile(token.NewFileSet(), f, src, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range af.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			for _, b := range banned {
				if p == b || strings.HasPrefix(p, b+"/") {
					t.Errorf("%s imports %s", f, p)
				}
			}
		}
		if strings.Contains(string(src), "go func") || strings.Contains(string(src), "float64") || strings.Contains(string(src), "float32") {
			t.Errorf("%s uses goroutines or floats", f)
		}
	}
}
