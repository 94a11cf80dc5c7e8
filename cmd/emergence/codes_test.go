package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"emergence/abciapp"
	"emergence/chain"
	"emergence/store/pebblestore"
)

// composedApp returns the app of the composed chain over a fresh store.
func composedApp(t *testing.T) *abciapp.App {
	t.Helper()
	st, err := pebblestore.Open(filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	c := chain.New()
	a, err := abciapp.New(st, c.AppOptions(nil), c.Modules()...)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

var updateCodes = flag.Bool("update-codes", false, "rewrite testdata/result-codes.txt with the current result codes")

// TestResultCodesAppendOnly holds every module's result codes to the table
// in testdata/result-codes.txt: a code may be added at the end of its
// codespace, never renumbered, reworded or removed (clients and scripts
// match on them). Run with -update-codes after adding codes.
func TestResultCodesAppendOnly(t *testing.T) {
	a := composedApp(t)
	var cur []string
	for _, c := range a.Codes() {
		cur = append(cur, fmt.Sprintf("%s\t%d\t%s", c.Space, c.Num, c.Desc))
	}
	path := filepath.Join("testdata", "result-codes.txt")
	if *updateCodes {
		if err := os.WriteFile(path, []byte(strings.Join(cur, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/emergence -run ResultCodes -update-codes to create it)", err)
	}
	have := map[string]bool{}
	for _, l := range cur {
		have[l] = true
	}
	for _, l := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		if !have[l] {
			t.Errorf("result code %q was renumbered, reworded or removed; codes are append-only", l)
		}
	}
	if got, want := len(cur), len(strings.Split(strings.TrimSpace(string(raw)), "\n")); got != want {
		t.Errorf("%d codes now, %d in %s: run with -update-codes to record new codes", got, want, path)
	}
}

// TestReadmeAppCodes holds the README's table of the app's result codes to
// the codes the app has, so the table cannot drift from the code.
func TestReadmeAppCodes(t *testing.T) {
	a := composedApp(t)
	var want []string
	for _, c := range a.Codes() {
		if c.Space == "app" {
			want = append(want, fmt.Sprintf("| %d | %s |", c.Num, c.Desc))
		}
	}
	raw, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(raw), "### Result codes (codespace `app`)")
	if !ok {
		t.Fatal("README.md has no \"### Result codes (codespace `app`)\" section")
	}
	var got []string
	for _, l := range strings.Split(table, "\n") {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "| ") && !strings.HasPrefix(l, "| code ") {
			got = append(got, l)
		} else if len(got) > 0 && l == "" {
			break
		}
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("README.md's app code table:\n%s\nthe app's codes:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
