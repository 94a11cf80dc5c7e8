package clean_test

import (
	"os"
	"strings"
	"testing"

	"emergence/data/clean"
)

func TestGopherRepetitionRealPage(t *testing.T) {
	html, err := os.ReadFile("testdata/go_mem.html")
	if err != nil {
		t.Fatal(err)
	}
	d, err := clean.Extract(html, "")
	if err != nil {
		t.Fatal(err)
	}
	// The page's code samples repeat lines ("}" 34 times): Gopher rejects that, rightly.
	if r, ok := clean.GopherRepetition(d.Text); ok || r.Rule != "dup_line_frac" {
		t.Fatalf("page with code: got %+v %v, want dup_line_frac", r, ok)
	}
	var prose []string
	for _, l := range strings.Split(d.Text, "\n") {
		if len(strings.Fields(l)) >= 8 {
			prose = append(prose, l)
		}
	}
	if r, ok := clean.GopherRepetition(strings.Join(prose, "\n")); !ok {
		t.Fatalf("prose rejected: %+v", r)
	}
	first := strings.Split(d.Text, "\n")[0]
	if r, ok := clean.GopherRepetition(strings.Repeat(first+"\n", 10) + d.Text[:200]); ok || r.Rule != "dup_line_frac" {
		t.Fatalf("repeated lines: got %+v %v", r, ok)
	}
	if r, ok := clean.GopherRepetition(strings.Repeat("happens before ", 100)); ok || r.Rule != "top_2_gram" {
		t.Fatalf("repeated bigram: got %+v %v", r, ok)
	}
}
