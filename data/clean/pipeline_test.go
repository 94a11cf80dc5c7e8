package clean_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"emergence/data/clean"
)

// TestPipelineReasons runs real pages through the whole pipeline and checks that every
// rejected document keeps a reason, that the counts add up, and that a second copy of a
// kept page is removed as a near duplicate.
func TestPipelineReasons(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.html")
	files = append(files, docPages(t, 40)...)
	p := clean.NewPipeline(clean.Options{Languages: []string{"en"}})
	var kept []string
	n := 0
	for _, f := range files {
		html, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		o := p.Process(html, "file://"+f)
		n++
		if o.Kept != (o.Reason == clean.Reason{}) {
			t.Fatalf("%s: kept=%v with reason %+v", f, o.Kept, o.Reason)
		}
		if !o.Kept && (o.Reason.Filter == "" || o.Reason.Rule == "") {
			t.Fatalf("%s: rejected without a reason", f)
		}
		if o.Kept {
			if o.Language != "en" || o.LanguageScore < clean.MinLanguageScore {
				t.Fatalf("%s: kept with language %q %d", f, o.Language, o.LanguageScore)
			}
			kept = append(kept, f)
		}
	}
	if len(kept) == 0 {
		t.Fatal("no page kept")
	}
	html, _ := os.ReadFile(kept[0])
	if o := p.Process(html, "copy"); o.Kept || o.Reason.Rule != "near_duplicate" {
		t.Fatalf("copy of a kept page: %+v", o.Reason)
	}
	n++
	if o := p.Process([]byte("<html><body></body></html>"), "empty"); o.Kept || o.Reason.Filter != "extract" {
		t.Fatalf("empty page: %+v", o.Reason)
	}
	n++
	total := 0
	var names []string
	for _, c := range p.Counts() {
		total += c.N
		names = append(names, c.Filter)
	}
	if total != n {
		t.Fatalf("counts %v add to %d, want %d", p.Counts(), total, n)
	}
	if got := strings.Join(names, ","); got != strings.Join(clean.Filters, ",")+",kept" {
		t.Fatalf("count order %s", got)
	}
}

// docGlobs match the documentation pages testdata/site/install-docs.sh installs.
var docGlobs = []string{
	"/usr/share/doc/postgresql-doc-*/html/*.html",
	"/usr/share/doc/python3.*/html/*/*.html",
	"/usr/share/doc/sqlite3/*.html",
	"/usr/share/doc/git-doc/*.html",
}

// docPages returns up to n real HTML pages from the machine's documentation
// (../../testdata/site/install-docs.sh installs them); it fails if there are none.
func docPages(t testing.TB, n int) []string {
	t.Helper()
	var out []string
	for _, pat := range docGlobs {
		fs, _ := filepath.Glob(pat)
		out = append(out, fs...)
	}
	if len(out) == 0 {
		t.Fatal("no documentation pages: run testdata/site/install-docs.sh")
	}
	if n > 0 && len(out) > n {
		// Spread the sample over the sets.
		step := len(out) / n
		var s []string
		for i := 0; i < len(out) && len(s) < n; i += step {
			s = append(s, out[i])
		}
		out = s
	}
	return out
}
