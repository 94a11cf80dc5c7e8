package clean_test

import (
	"strings"
	"testing"

	"emergence/data/clean"
)

func TestGopherRepetitionRealPage(t *testing.T) {
	d := goMemPage(t, "")
	// The page's code samples repeat lines ("}" 34 times): Gopher rejects that, rightly.
	if r, ok := clean.GopherRepetition(d.Text); ok || r.Rule != "dup_line_frac" {
		t.Fatalf("page with code: got %+v %v, want dup_line_frac", r, ok)
	}
	prose := proseLines(d.Text)
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

// TestGopherRepetitionLongNGrams plants a repeated 12-word span in real prose: the
// duplicated 5..10-gram rules see it, the line and top-n-gram rules do not.
func TestGopherRepetitionLongNGrams(t *testing.T) {
	d := goMemPage(t, "")
	prose := proseLines(d.Text)
	text := strings.Join(prose[:20], "\n")
	if r, ok := clean.GopherRepetition(text); !ok {
		t.Fatalf("prose rejected: %+v", r)
	}
	// Append each line again with one word changed, so no line is a duplicate but most
	// of the text sits in repeated long n-grams.
	var again []string
	for i, l := range prose[:20] {
		w := strings.Fields(l)
		w[len(w)/2] = strings.Repeat("x", i+1)
		again = append(again, strings.Join(w, " "))
	}
	r, ok := clean.GopherRepetition(text + "\n" + strings.Join(again, "\n"))
	if ok || !strings.HasPrefix(r.Rule, "duplicated_") || !strings.HasSuffix(r.Rule, "_n_grams") {
		t.Fatalf("repeated spans: got %+v %v, want a duplicated_N_n_grams rule", r, ok)
	}
}
