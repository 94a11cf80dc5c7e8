package clean_test

import (
	"strings"
	"testing"

	"emergence/data/clean"
)

func TestFineWebQualityRealPage(t *testing.T) {
	d := goMemPage(t, "")
	prose := proseLines(d.Text)
	text := strings.Join(prose, "\n")
	if r, ok := clean.FineWebQuality(text); !ok {
		t.Fatalf("the memory model's prose rejected: %+v", r)
	}
	// The same words with terminal punctuation removed from every line.
	var bare []string
	for _, l := range prose {
		bare = append(bare, strings.TrimRight(l, ".!?:\"'"))
	}
	if r, ok := clean.FineWebQuality(strings.Join(bare, "\n")); ok || r.Rule != "line_punct_ratio" {
		t.Fatalf("no terminal punctuation: %+v %v, want line_punct_ratio", r, ok)
	}
	// One word per line: a list, not prose.
	words := strings.Fields(text)
	if r, ok := clean.FineWebQuality(strings.Join(words, ".\n") + "."); ok || r.Rule != "short_line_ratio" {
		t.Fatalf("word per line: %+v %v, want short_line_ratio", r, ok)
	}
	// A long line repeated: more than 1 % of characters in duplicated lines.
	if r, ok := clean.FineWebQuality(text + "\n" + prose[0] + "\n" + prose[1]); ok || r.Rule != "char_dup_ratio" {
		t.Fatalf("duplicated lines: %+v %v, want char_dup_ratio", r, ok)
	}
	if r, ok := clean.FineWebQuality(""); ok || r.Rule != "empty" {
		t.Fatalf("empty: %+v %v", r, ok)
	}
}
