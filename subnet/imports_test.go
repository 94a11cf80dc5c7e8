package subnet_test

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// allowed lists the only imports of the module's state-transition code.
// Anything else (math and its float functions, math/rand, time, os, net,
// sync, unsafe, reflect, the worker and HTTP packages, …) is refused.
var allowed = map[string]bool{
	"bytes":                 true,
	"crypto/sha256":         true,
	"encoding/binary":       true,
	"encoding/hex":          true,
	"encoding/json":         true,
	"fmt":                   true,
	"net/url":               true, // url.Values in the query signature only
	"strconv":               true,
	"strings":               true,
	"emergence/app":         true,
	"emergence/fixed":       true,
	"emergence/store":       true,
	"emergence/subnet/yuma": true,
	"emergence/tx":          true,
}

func TestDeterministicImports(t *testing.T) {
	files, err := filepath.Glob("*.go")
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
			if !allowed[p] {
				t.Errorf("%s imports %q: not allowed in deterministic package subnet", name, p)
			}
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("no source files checked")
	}
}
