// Package clean is the data market's cleaning pipeline (issue 11 item 4): main-text
// extraction from HTML, text normalisation, and the Gopher, C4 and FineWeb quality filters
// with datatrove's thresholds. Everything here is deterministic: the same input bytes give
// the same output bytes on every machine. Acceptance decisions use only integer ratios,
// never floating point.
package clean

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Document is the main text extracted from one HTML page.
type Document struct {
	// URL is the page's address as given to Extract.
	URL string
	// Title is the page's <title> ("" if none).
	Title string
	// Language is the language the page declares (html lang), "" if none.
	Language string
	// Text is the extracted main text after NormaliseText.
	Text string
}

// NormaliseText puts text in the canonical form that is hashed and filtered: Unicode NFC;
// "\r\n" and "\r" become "\n"; within each line every run of Unicode white space becomes one
// ASCII space and leading and trailing space is removed; empty lines are dropped; the lines
// are joined with a single "\n" and there is no trailing newline. Case and punctuation are
// kept. NormaliseText is idempotent.
func NormaliseText(s string) string {
	s = norm.NFC.String(s)
	var out strings.Builder
	out.Grow(len(s))
	space, line := false, false // a space is pending; the current line has text
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		raw := s[i : i+n] // invalid bytes are kept as they are
		i += n
		switch {
		case r == '\n' || r == '\r':
			space = false
			if line {
				out.WriteByte('\n')
				line = false
			}
		case r < utf8.RuneSelf && r != ' ' && (r < '\t' || r > '\r') || r >= utf8.RuneSelf && !unicode.IsSpace(r):
			if space && line {
				out.WriteByte(' ')
			}
			space, line = false, true
			out.WriteString(raw)
		default:
			space = true
		}
	}
	t := out.String()
	// A text that ends in a line break has one written after its last line.
	return strings.TrimSuffix(t, "\n")
}

// PageText is the text whose SHA-256 a crawler's receipt carries: Extract's normalised main
// text, or "" for a page with no readable content. Crawlers and dataset builders call this
// one function, so they agree on a page's text hash.
func PageText(html []byte, pageURL string) string {
	d, err := Extract(html, pageURL)
	if err != nil {
		return ""
	}
	return d.Text
}
