package clean

import (
	"strings"

	"github.com/abadojack/whatlanggo"
)

// LangChars is how much of a document language identification reads: the first LangChars
// runes. A web page's language shows in its first paragraphs, and reading a bounded prefix
// keeps the cost of identification independent of page length.
const LangChars = 2000

// MinLanguageScore is datatrove's LanguageFilter threshold (0.65) in parts per million:
// a document is kept only if its language's score is at least this.
const MinLanguageScore = 650_000

// Identify returns the ISO 639-1 code of text's language ("" if none is recognised) and
// the identifier's confidence in parts per million. It uses whatlanggo, a trigram
// identifier for 84 languages (lingua-go, which the issue names, is served but measured
// about ten times slower per document and embeds 124 MB of models in every binary). The
// confidence is computed in floating point and rounded once to an integer, so accept/reject
// decisions compare integers.
func Identify(text string) (lang string, score int64) {
	if n := 0; len(text) > LangChars {
		for i := range text {
			if n == LangChars {
				text = text[:i]
				break
			}
			n++
		}
	}
	text = strings.ReplaceAll(text, "\n", " ")
	info := whatlanggo.Detect(text)
	if info.Lang == -1 || info.Confidence <= 0 {
		return "", 0
	}
	code := info.Lang.Iso6391()
	if code == "" {
		code = info.Lang.Iso6393()
	}
	ppm := int64(info.Confidence*1e6 + 0.5)
	if ppm > 1_000_000 {
		ppm = 1_000_000
	}
	return code, ppm
}

// LanguageFilter is datatrove's LanguageFilter: it keeps text whose identified language is
// one of langs (any language if langs is empty) with a score of at least MinLanguageScore.
// It returns the language and score it found in either case.
func LanguageFilter(text string, langs []string) (lang string, score int64, r Reason, ok bool) {
	lang, score = Identify(text)
	if lang == "" {
		return lang, score, Reason{Filter: "language", Rule: "unknown_language"}, false
	}
	if len(langs) > 0 {
		found := false
		for _, l := range langs {
			if l == lang {
				found = true
				break
			}
		}
		if !found {
			return lang, score, Reason{Filter: "language", Rule: "language_" + lang}, false
		}
	}
	if score < MinLanguageScore {
		return lang, score, Reason{Filter: "language", Rule: "language_score_below_threshold"}, false
	}
	return lang, score, Reason{}, true
}
