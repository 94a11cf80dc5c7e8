package clean

import (
	"regexp"
	"strings"
)

var (
	c4Citation = regexp.MustCompile(`\[\d*\]|\[edit\]|\[citation needed\]`)
	c4Policy   = []string{"terms of use", "privacy policy", "cookie policy", "uses cookies", "use of cookies", "use cookies"}
)

// C4Quality applies datatrove's C4QualityFilter with its defaults to normalised text: it
// removes citation marks ([1], [edit], [citation needed]), drops lines without terminal
// punctuation, with fewer than 3 words, mentioning "javascript" or a policy phrase, and rejects
// the document if a word is over 1000 characters, it mentions "lorem ipsum", it contains "{",
// or fewer than 5 sentences remain. It returns the kept text, or the failing rule.
func C4Quality(text string) (string, Reason, bool) {
	fail := func(rule string) (string, Reason, bool) { return "", Reason{Filter: "c4_quality", Rule: rule}, false }
	lower := strings.ToLower(text)
	if strings.Contains(lower, "lorem ipsum") {
		return fail("lorem_ipsum")
	}
	if strings.Contains(text, "{") {
		return fail("curly_bracket")
	}
	var kept []string
	for _, line := range strings.Split(text, "\n") {
		if strings.IndexByte(line, '[') >= 0 {
			line = c4Citation.ReplaceAllString(line, "")
		}
		line = strings.TrimSpace(line)
		words := strings.Fields(line)
		for _, w := range words {
			if len(w) > 1000 {
				return fail("too_long_word")
			}
		}
		if len(words) < 3 {
			continue
		}
		if !strings.HasSuffix(line, ".") && !strings.HasSuffix(line, "?") && !strings.HasSuffix(line, "!") && !strings.HasSuffix(line, `"`) {
			continue
		}
		ll := strings.ToLower(line)
		if strings.Contains(ll, "javascript") {
			continue
		}
		policy := false
		for _, p := range c4Policy {
			if strings.Contains(ll, p) {
				policy = true
				break
			}
		}
		if policy {
			continue
		}
		kept = append(kept, line)
	}
	out := strings.Join(kept, "\n")
	if sentences(out) < 5 {
		return fail("too_few_sentences")
	}
	return out, Reason{}, true
}

// sentences counts the ends of sentences as C4 does: each run of ".", "!" or "?" followed
// by white space or the end of the text (the matches of `[.!?]+(\s|$)`).
func sentences(s string) int {
	n := 0
	for i := 0; i < len(s); {
		if c := s[i]; c != '.' && c != '!' && c != '?' {
			i++
			continue
		}
		j := i + 1
		for j < len(s) && (s[j] == '.' || s[j] == '!' || s[j] == '?') {
			j++
		}
		switch {
		case j == len(s):
			n++
		case s[j] == ' ' || s[j] == '\t' || s[j] == '\n' || s[j] == '\r' || s[j] == '\f':
			n++
			j++
		}
		i = j
	}
	return n
}
