package zkml_test

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// allowed lists the only imports of the module's state-transition code:
// no floats (math), time, randomness, I/O or the off-chain packages
// (model trains with floats; circuit compiles and proves).
var allowed = map[string]bool{
	"bytes":                   true,
	"crypto/sha256":           true,
	"encoding/binary":         true,
	"encoding/hex":            true,
	"encoding/json":           true,
	"errors":                  true,
	"fmt":                     true,
	"math/big":                true,
	"net/url":                 true, // url.Values in the query signature only
	"strconv":                 true,
	"strings":                 true,
	"sync":                    true, // guards the decoded-key cache (CheckTx and FinalizeBlock)
	"emergence/app":           true,
	"emergence/store":         true,
	"emergence/tx":            true,
	"emergence/zkml/verifier": true,
}

func TestDeterministicImports(t *testing.T) {
	for _, dir := range []string{".", "verifier"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		checked := 0
		for _, name := range files {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			src, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			f, err := parser.ParseFile(token.NewFileSet(), name, src, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, imp := range f.Imports {
				p, _ := strconv.Unquote(imp.Path.Value)
				if dir == "verifier" && strings.HasPrefix(p, "github.com/consensys/") {
					continue // gnark's verifier and curve arithmetic
				}
				if !allowed[p] {
					t.Errorf("%s imports %q: not allowed in deterministic code", name, p)
				}
			}
			checked++
		}
		if checked == 0 {
			t.Fatalf("no source files checked in %s", dir)
		}
	}
}
