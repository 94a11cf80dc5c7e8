package personhood_test

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestDeterministicImports keeps the module's state transitions free of I/O,
// clocks, randomness, floats and goroutines.
func TestDeterministicImports(t *testing.T) {
	banned := []string{"os", "net", "time", "math/rand", "math/rand/v2", "crypto/rand", "io/ioutil", "emergence/personhood/iris"}
	files, _ := filepath.Glob("*.go")
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
			if p == "net/url" { // url.Values is part of the app.Module query signature
				continue
			}
			for _, b := range banned {
				if p == b || strings.HasPrefix(p, b+"/") {
					t.Errorf("%s imports %s", f, p)
				}
			}
		}
		for _, bad := range []string{"go func", "float64", "float32", "range m."} {
			if strings.Contains(string(src), bad) {
				t.Errorf("%s contains %q", f, bad)
			}
		}
	}
}
