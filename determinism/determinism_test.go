package determinism_test

import (
	"go/parser"
	"go/token"
	"os"
	"strings"
	"testing"

	"emergence/determinism"
)

// TestConsensus runs the analysis and the link rule over every consensus
// package: each finding must be fixed or annotated with its reason.
func TestConsensus(t *testing.T) {
	fs, err := determinism.Analyze("..", determinism.Consensus...)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fs {
		t.Error(f)
	}
	ls, err := determinism.Links("..", determinism.Consensus)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range ls {
		t.Error(f)
	}
}

// TestCatches proves every rule on testdata: each line of testdata/bad that
// breaks a rule is reported with that rule, nothing else is (the annotated
// map range is not), and the link rule sees what testdata/bad and
// testdata/badlinks link.
func TestCatches(t *testing.T) {
	src, err := os.ReadFile("testdata/bad/bad.go")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(src), "\n")
	want := map[string]string{ // source line (trimmed) -> rule
		`f, _ := strconv.ParseFloat(s, 64)`:                                       "float",
		`return int(f)`:                                                           "float",
		`type Ratio struct{ R float32 }`:                                          "float",
		`func AliasedNow() int64 { return clock.Now().Unix() }`:                   "clock",
		`func Timer() { clock.NewTimer(clock.Second).Stop() }`:                    "clock",
		`for _, v := range m {`:                                                   "maprange",
		`for k := range maps.Keys(m) {`:                                           "maprange",
		`func Go() { go func() {}() }`:                                            "goroutine",
		`func Procs() int { return runtime.NumCPU() }`:                            "scheduling",
		`func MathRand() int { return mrand.Int() }`:                              "random",
		`pub, _, err := ed25519.GenerateKey(nil)`:                                 "random",
		`func ReadFile() ([]byte, error) { return os.ReadFile("x") }`:             "io",
		`func Dial() (net.Conn, error) { return net.Dial("tcp", "localhost:1") }`: "io",
		`//determinism:ok`:                                                        "annotation",
		`//determinism:ok this used to range over a map`:                          "annotation",
	}
	const bad = "emergence/determinism/testdata/bad"
	fs, err := determinism.Analyze(".", determinism.Package{Path: bad})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, f := range fs {
		line := strings.TrimSpace(lines[f.Pos.Line-1])
		if want[line] != f.Rule {
			t.Errorf("unexpected finding %v (on %q)", f, line)
		}
		got[line] = true
	}
	for line, rule := range want {
		if !got[line] {
			t.Errorf("no %s finding on %q", rule, line)
		}
	}

	// NoMaps refuses the map types themselves.
	fs, err = determinism.Analyze(".", determinism.Package{Path: bad, NoMaps: true})
	if err != nil {
		t.Fatal(err)
	}
	maps := 0
	for _, f := range fs {
		if f.Rule == "maptype" {
			maps++
		}
	}
	if maps != 3 { // RangeMap, MapKeys, Annotated
		t.Errorf("NoMaps: %d maptype findings, want 3", maps)
	}

	wantLinks := map[string][]string{
		"emergence/determinism/testdata/bad": {
			"imports math/rand", "imports net (", "imports os (",
			"links emergence/determinism/testdata/bad/helper, which is not a consensus package",
		},
		"emergence/determinism/testdata/badlinks": {
			"imports net/http", "links emergence/label/labeler, which is not a consensus package",
			"links github.com/cometbft/cometbft/rpc/client/http;",
			"imports github.com/spf13/cobra, which links",
		},
	}
	for pkg, wants := range wantLinks {
		ls, err := determinism.Links(".", []determinism.Package{{Path: pkg}})
		if err != nil {
			t.Fatal(err)
		}
		var all []string
		for _, f := range ls {
			all = append(all, f.String())
		}
		joined := strings.Join(all, "\n")
		for _, w := range wants {
			if !strings.Contains(joined, w) {
				t.Errorf("links of %s: no finding contains %q; findings:\n%s", pkg, w, joined)
			}
		}
	}
}

// TestImportsMatchConsensus checks that cache_test.go imports exactly the
// consensus packages.
func TestImportsMatchConsensus(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "cache_test.go", nil, parser.ImportsOnly)
	if err != nil {
		t.Fatal(err)
	}
	imported := map[string]bool{}
	for _, imp := range f.Imports {
		imported[strings.Trim(imp.Path.Value, `"`)] = true
	}
	for _, c := range determinism.Consensus {
		if !imported[c.Path] {
			t.Errorf("cache_test.go does not import consensus package %s", c.Path)
		}
		delete(imported, c.Path)
	}
	for p := range imported {
		t.Errorf("cache_test.go imports %s, which is not in determinism.Consensus", p)
	}
}
