package clean_test

import (
	"strings"
	"testing"

	"emergence/data/clean"
)

func TestGopherQualityRealPages(t *testing.T) {
	d := goMemPage(t, "https://go.dev/ref/mem")
	if r, ok := clean.GopherQuality(d.Text); !ok {
		t.Fatalf("the Go memory model (prose) rejected: %+v", r)
	}
	// The first lines of the same real page are too short a document.
	short := strings.Join(strings.Fields(d.Text)[:20], " ")
	if r, ok := clean.GopherQuality(short); ok || r.Rule != "gopher_short_doc" {
		t.Fatalf("20 words: got %+v %v, want gopher_short_doc", r, ok)
	}
	// Its words as a bullet list.
	var b strings.Builder
	for _, w := range strings.Fields(d.Text)[:200] {
		b.WriteString("- " + w + "\n")
	}
	if r, ok := clean.GopherQuality(b.String()); ok || r.Rule != "gopher_too_many_bullets" {
		t.Fatalf("bullets: got %+v %v, want gopher_too_many_bullets", r, ok)
	}
	// Numbers only: no letters.
	nums := strings.Repeat("1234 5678 ", 40)
	if r, ok := clean.GopherQuality(nums); ok || r.Rule != "gopher_below_alpha_threshold" {
		t.Fatalf("numbers: got %+v %v", r, ok)
	}
}
