// Package clean is the data market's cleaning pipeline (issue 11 item 4): main-text
// extraction from HTML, text normalisation, and the Gopher, C4 and FineWeb quality filters
// with datatrove's thresholds. Everything here is deterministic: the same input bytes give
// the same output bytes on every machine. Acceptance decisions use only integer ratios,
// never floating point.
package clean

import (
	"bytes"
	"fmt"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	readability "codeberg.org/readeck/go-readability/v2"
	xhtml "golang.org/x/net/html"
	"golang.org/x/text/unicode/norm"
)

// Document is the main text extracted from one HTML page.
type Document struct {
	// URL is the page's address as given to Extract.
	URL string
	// Title is the page title readability found ("" if none).
	Title string
	// Language is the language the page declares (html lang), "" if none.
	Language string
	// Text is the extracted main text after NormaliseText.
	Text string
}

// Extract finds the main readable content of an HTML page with go-readability v2 (a port of
// Mozilla's Readability.js; go-trafilatura is not available on this machine's module list),
// renders it as plain text and returns it normalised by NormaliseText. url resolves relative
// links and may be empty. A page with no readable content is an error.
func Extract(html []byte, pageURL string) (Document, error) {
	var u *url.URL
	var err error
	if pageURL != "" {
		p, err := url.Parse(pageURL)
		if err != nil {
			return Document{}, fmt.Errorf("clean: parse url: %w", err)
		}
		u = p
	}
	// Valid UTF-8 is parsed directly; anything else goes through readability's own reader,
	// which detects the charset and converts it.
	parser := readability.NewParser()
	parser.DisableJSONLD = true
	var art readability.Article
	if utf8.Valid(html) {
		doc, perr := xhtml.Parse(bytes.NewReader(html))
		if perr != nil {
			return Document{}, fmt.Errorf("clean: parse html: %w", perr)
		}
		art, err = parser.ParseAndMutate(doc, u)
	} else {
		art, err = parser.Parse(bytes.NewReader(html), u)
	}
	if err != nil {
		return Document{}, fmt.Errorf("clean: extract: %w", err)
	}
	if art.Node == nil {
		return Document{}, fmt.Errorf("clean: extract: no readable content")
	}
	var b strings.Builder
	if err := art.RenderText(&b); err != nil {
		return Document{}, fmt.Errorf("clean: render text: %w", err)
	}
	text := NormaliseText(b.String())
	if text == "" {
		return Document{}, fmt.Errorf("clean: extract: no readable content")
	}
	return Document{URL: pageURL, Title: NormaliseText(art.Title()), Language: art.Language(), Text: text}, nil
}

// NormaliseText puts text in the canonical form that is hashed and filtered: Unicode NFC;
// "\r\n" and "\r" become "\n"; within each line every run of Unicode white space becomes one
// ASCII space and leading and trailing space is removed; empty lines are dropped; the lines
// are joined with a single "\n" and there is no trailing newline. Case and punctuation are
// kept. NormaliseText is idempotent.
func NormaliseText(s string) string {
	s = norm.NFC.String(s)
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	var out strings.Builder
	for _, line := range strings.Split(s, "\n") {
		f := strings.FieldsFunc(line, unicode.IsSpace)
		if len(f) == 0 {
			continue
		}
		if out.Len() > 0 {
			out.WriteByte('\n')
		}
		out.WriteString(strings.Join(f, " "))
	}
	return out.String()
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
