package clean

import (
	"strings"
	"unicode"
)

// Reason says why a filter rejected a document, as datatrove's exclusion writer records it:
// the filter's name and the rule that failed.
type Reason struct {
	Filter string
	Rule   string
}

// gopherStopWords are datatrove's GopherQualityFilter stop words.
var gopherStopWords = map[string]bool{"the": true, "be": true, "to": true, "of": true, "and": true, "that": true, "have": true, "with": true}

// GopherQuality applies datatrove's GopherQualityFilter with its default thresholds
// (min_doc_words 50, max_doc_words 100000, average word length 3..10, symbol/word ratio
// ≤ 0.1, bullet lines ≤ 0.9, ellipsis lines ≤ 0.3, words with a letter ≥ 0.8, at least 2
// stop words) to normalised text. Every ratio is compared in integers (a*den ≤ b*num), so
// the decision is the same on every machine. It returns ok, or the first failing rule.
func GopherQuality(text string) (Reason, bool) { return gopherQuality(tokenise(text)) }

// tokens is a text cut into words and lines once, for every filter that reads both.
type tokens struct {
	text  string
	words []string
	lines []string
}

func tokenise(text string) tokens {
	return tokens{text: text, words: strings.Fields(text), lines: strings.Split(text, "\n")}
}

func gopherQuality(tk tokens) (Reason, bool) {
	fail := func(rule string) (Reason, bool) { return Reason{Filter: "gopher_quality", Rule: rule}, false }
	text, words := tk.text, tk.words
	var nonSymbol, letters, stop, symbols int
	var totalLen int
	for _, w := range words {
		hasNonPunct, hasLetter := false, false
		for _, r := range w {
			if !unicode.IsPunct(r) && !unicode.IsSymbol(r) {
				hasNonPunct = true
			}
			if unicode.IsLetter(r) {
				hasLetter = true
			}
		}
		if hasNonPunct {
			nonSymbol++
			totalLen += len([]rune(w))
		}
		if hasLetter {
			letters++
		}
		if gopherStopWords[strings.ToLower(w)] {
			stop++
		}
	}
	n := nonSymbol
	if n < 50 {
		return fail("gopher_short_doc")
	}
	if n > 100000 {
		return fail("gopher_long_doc")
	}
	if totalLen < 3*n {
		return fail("gopher_below_avg_threshold")
	}
	if totalLen > 10*n {
		return fail("gopher_above_avg_threshold")
	}
	symbols = strings.Count(text, "#") + strings.Count(text, "...") + strings.Count(text, "…")
	if 10*symbols > len(words) {
		return fail("gopher_too_many_hashes_or_ellipsis")
	}
	lines := tk.lines
	var bullets, ellipsis int
	for _, l := range lines {
		if strings.HasPrefix(l, "•") || strings.HasPrefix(l, "-") || strings.HasPrefix(l, "*") {
			bullets++
		}
		if strings.HasSuffix(l, "...") || strings.HasSuffix(l, "…") {
			ellipsis++
		}
	}
	if 10*bullets > 9*len(lines) {
		return fail("gopher_too_many_bullets")
	}
	if 10*ellipsis > 3*len(lines) {
		return fail("gopher_too_many_end_ellipsis")
	}
	if 10*letters < 8*len(words) {
		return fail("gopher_below_alpha_threshold")
	}
	if stop < 2 {
		return fail("gopher_enough_stop_words")
	}
	return Reason{}, true
}
