package clean_test

import (
	"os"
	"strings"
	"testing"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"emergence/data/clean"
)

// goMemPage is testdata/go_mem.html (the Go memory model, a real page)
// extracted as served from pageURL.
func goMemPage(t *testing.T, pageURL string) clean.Document {
	t.Helper()
	html, err := os.ReadFile("testdata/go_mem.html")
	if err != nil {
		t.Fatal(err)
	}
	d, err := clean.Extract(html, pageURL)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// proseLines is the lines of text with at least eight words.
func proseLines(text string) []string {
	var prose []string
	for _, l := range strings.Split(text, "\n") {
		if len(strings.Fields(l)) >= 8 {
			prose = append(prose, l)
		}
	}
	return prose
}

func TestExtractRealPage(t *testing.T) {
	d := goMemPage(t, "https://go.dev/ref/mem")
	if !strings.Contains(d.Text, "happens before") {
		t.Fatalf("extracted text lacks the memory model's prose: %.200q", d.Text)
	}
	if strings.Contains(d.Text, "<p>") || strings.Contains(d.Text, "<a ") {
		t.Fatalf("markup left in text: %.200q", d.Text)
	}
	if got := clean.NormaliseText(d.Text); got != d.Text {
		t.Fatal("Extract's text is not normalised")
	}
	if d2 := goMemPage(t, "https://go.dev/ref/mem"); d2 != d {
		t.Fatal("second extraction differs")
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

// TestExtractMainContent checks the extractor's rules on one page: navigation, header,
// footer, script, style, hidden and boilerplate-classed elements are dropped, the article
// is kept in order with one line per block, implied end tags close paragraphs and list
// items, pre keeps its lines, and entities are decoded.
func TestExtractMainContent(t *testing.T) {
	page := `<!DOCTYPE html><html lang="en"><head><title>A &amp; B</title><style>p{}</style></head><body>
<header><h1>Site name</h1></header>
<nav><ul><li><a href="/">Home</a><li><a href="/x">Other</a></ul></nav>
<div class="sidebar"><p>Sidebar text that is long enough to score, with commas, many, many.</p></div>
<div class="content"><h2>The heading</h2>
<p>First paragraph of the article, which is long enough to score, and has commas, too.
<p>Second paragraph &mdash; also long enough to count, with a <a href="/l">link</a> inside it.
<pre>line one
  line two</pre>
<ul><li>item one<li>item two</ul>
<p hidden>hidden paragraph</p><p style="display: none">invisible paragraph</p>
<script>var x = "script text";</script>
</div>
<footer><p>Copyright footer text, long enough to score, with commas, here.</p></footer>
</body></html>`
	d, err := clean.Extract([]byte(page), "https://example.org/a")
	if err != nil {
		t.Fatal(err)
	}
	want := "The heading\nFirst paragraph of the article, which is long enough to score, and has commas, too.\n" +
		"Second paragraph — also long enough to count, with a link inside it.\nline one\nline two\nitem one\nitem two"
	if d.Text != want {
		t.Fatalf("text\n%s\nwant\n%s", d.Text, want)
	}
	if d.Title != "A & B" || d.Language != "en" || d.URL != "https://example.org/a" {
		t.Fatalf("title %q language %q url %q", d.Title, d.Language, d.URL)
	}
}

// TestExtractCharset decodes a page in the charset it declares when it is not UTF-8.
func TestExtractCharset(t *testing.T) {
	page := []byte("<html><head><meta charset=\"iso-8859-1\"></head><body><p>Caf\xe9 cr\xe8me, a paragraph long enough to be content, with commas, here.</p></body></html>")
	d, err := clean.Extract(page, "")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(d.Text, "Café crème,") {
		t.Fatalf("text %q", d.Text)
	}
}

// normaliseRef is NormaliseText's definition written the slow way, to check the one-pass
// version against.
func normaliseRef(s string) string {
	s = norm.NFC.String(s)
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	var out []string
	for _, line := range strings.Split(s, "\n") {
		if f := strings.FieldsFunc(line, unicode.IsSpace); len(f) > 0 {
			out = append(out, strings.Join(f, " "))
		}
	}
	return strings.Join(out, "\n")
}

// TestNormaliseTextMatchesDefinition compares NormaliseText with normaliseRef on real
// pages' raw bytes and on edge cases.
func TestNormaliseTextMatchesDefinition(t *testing.T) {
	cases := []string{"", "\n", " \r\n ", "a\u0085b\u00a0c\u2028d", "\ta\v\fb\r\rc \n", "x\n\n\ny\n", "e\u0301\u0301"}
	for _, f := range docPages(t, 30) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		cases = append(cases, string(b))
	}
	for _, c := range cases {
		if got, want := clean.NormaliseText(c), normaliseRef(c); got != want {
			t.Fatalf("NormaliseText(%.80q) = %.200q, want %.200q", c, got, want)
		}
	}
}

// FuzzNormaliseText holds NormaliseText to its definition on any input.
func FuzzNormaliseText(f *testing.F) {
	f.Add("a \t b\r\n\r\nc")
	f.Add("\u00a0x\u0085\n")
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := clean.NormaliseText(s), normaliseRef(s); got != want {
			t.Fatalf("NormaliseText(%q) = %q, want %q", s, got, want)
		}
	})
}
