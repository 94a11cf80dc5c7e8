package clean

import (
	"strings"
	"unicode/utf8"
)

// terminalPunct are the line endings FineWebQuality counts as terminal punctuation: the
// Latin ones and their full-width, CJK, Arabic, Devanagari and Ethiopic forms.
var terminalPunct = []string{".", "!", "?", "\"", "'", "”", "’", "…", "。", "！", "？", "｡", "؟", "۔", "।", "॥", "።", "፧", "։", "՜", "՞", "︒", "﹒", "﹗", "﹖", "．"}

// FineWebQuality applies datatrove's FineWebQualityFilter with its defaults to normalised
// text: at least 12 % of lines end in terminal punctuation; at most 67 % of lines are 30
// characters or shorter; characters in duplicated lines are at most 1 % of all characters
// (newlines excluded); newlines are at most 0.3 per word. Integer comparisons only.
func FineWebQuality(text string) (Reason, bool) {
	fail := func(rule string) (Reason, bool) { return Reason{Filter: "fineweb_quality", Rule: rule}, false }
	var lines []string
	for _, l := range strings.Split(text, "\n") {
		if strings.TrimSpace(l) != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) == 0 {
		return fail("empty")
	}
	punct, short := 0, 0
	for _, l := range lines {
		for _, p := range terminalPunct {
			if strings.HasSuffix(l, p) {
				punct++
				break
			}
		}
		if utf8.RuneCountInString(l) <= 30 {
			short++
		}
	}
	if 100*punct < 12*len(lines) {
		return fail("line_punct_ratio")
	}
	if 100*short > 67*len(lines) {
		return fail("short_line_ratio")
	}
	seen := make(map[string]bool, len(lines))
	dupChars := 0
	for _, l := range lines {
		if seen[l] {
			dupChars += utf8.RuneCountInString(l)
		}
		seen[l] = true
	}
	total := utf8.RuneCountInString(text) - strings.Count(text, "\n")
	if 100*dupChars > total {
		return fail("char_dup_ratio")
	}
	words := len(strings.Fields(text))
	if words == 0 || 10*strings.Count(text, "\n") > 3*words {
		return fail("list_ratio")
	}
	return Reason{}, true
}
