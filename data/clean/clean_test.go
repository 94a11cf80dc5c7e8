package clean_test

import (
	"os"
	"strings"
	"testing"

	"emergence/data/clean"
)

func TestExtractRealPage(t *testing.T) {
	html, err := os.ReadFile("testdata/go_mem.html")
	if err != nil {
		t.Fatal(err)
	}
	d, err := clean.Extract(html, "https://go.dev/ref/mem")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(d.Text, "happens before") {
		t.Fatalf("extracted text lacks the memory model's prose: %.200q", d.Text)
	}
	if strings.Contains(d.Text, "<p>") || strings.Contains(d.Text, "<a ") {
		t.Fatalf("markup left in text: %.200q", d.Text)
	}
	if got := clean.NormaliseText(d.Text); got != d.Text {
		t.Fatal("Extract's text is not normalised")
	}
	d2, err := clean.Extract(html, "https://go.dev/ref/mem")
	if err != nil || d2 != d {
		t.Fatalf("second extraction differs: %v", err)
	}
}

func TestExtractEmpty(t *testing.T) {
	if _, err := clean.Extract([]byte("<html><body></body></html>"), ""); err == nil {
		t.Fatal("empty page extracted without error")
	}
}

func TestNormaliseText(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"  a \t b  \r\n\r\n c\u00a0d \n", "a b\nc d"},
		{"e\u0301", "\u00e9"},
		{"", ""},
		{"x\ry", "x\ny"},
	} {
		if got := clean.NormaliseText(c.in); got != c.want {
			t.Errorf("NormaliseText(%q) = %q, want %q", c.in, got, c.want)
		}
		if got := clean.NormaliseText(c.want); got != c.want {
			t.Errorf("not idempotent on %q", c.want)
		}
	}
}
