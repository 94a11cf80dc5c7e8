package clean_test

import (
	"strings"
	"testing"

	"emergence/data/clean"
)

func TestC4QualityRealPages(t *testing.T) {
	d := goMemPage(t, "https://go.dev/ref/mem")
	// The memory model quotes Go code with braces: C4 rejects code pages.
	if _, r, ok := clean.C4Quality(d.Text); ok || r.Rule != "curly_bracket" {
		t.Fatalf("got %+v %v, want curly_bracket", r, ok)
	}
	var prose []string
	for _, l := range strings.Split(d.Text, "\n") {
		if !strings.ContainsAny(l, "{}") {
			prose = append(prose, l)
		}
	}
	out, r, ok := clean.C4Quality(strings.Join(prose, "\n") + "\nThis site uses cookies to improve it.")
	if !ok {
		t.Fatalf("prose rejected: %+v", r)
	}
	if strings.Contains(out, "cookies") {
		t.Fatal("policy line kept")
	}
	if _, r, ok := clean.C4Quality("One. Two. Three."); ok || r.Rule != "too_few_sentences" {
		t.Fatalf("got %+v %v", r, ok)
	}
}

func TestMaskPII(t *testing.T) {
	in := "Mail gopher@golang.org or call +1 555-123-4567 from 192.168.1.20."
	want := "Mail email@example.com or call <phone> from 0.0.0.0."
	if got := clean.MaskPII(in); got != want {
		t.Fatalf("MaskPII = %q, want %q", got, want)
	}
}
