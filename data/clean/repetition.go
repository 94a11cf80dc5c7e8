package clean

import "strings"

// GopherRepetition applies part of datatrove's GopherRepetitionFilter with its defaults to
// normalised text: duplicate lines ≤ 30 % of lines and ≤ 20 % of characters, and the most
// frequent word 2-, 3- and 4-gram covering ≤ 20 %, 18 % and 16 % of the characters of all
// words. (The 5..10-gram duplicate fractions are not implemented yet.) Integer comparisons.
func GopherRepetition(text string) (Reason, bool) {
	fail := func(rule string) (Reason, bool) { return Reason{Filter: "gopher_repetition", Rule: rule}, false }
	lines := strings.Split(text, "\n")
	seen := map[string]bool{}
	var dupLines, dupChars, chars int
	for _, l := range lines {
		chars += len(l)
		if seen[l] {
			dupLines++
			dupChars += len(l)
		}
		seen[l] = true
	}
	if 10*dupLines > 3*len(lines) {
		return fail("dup_line_frac")
	}
	if 10*dupChars > 2*chars {
		return fail("dup_line_char_frac")
	}
	words := strings.Fields(text)
	wordChars := 0
	for _, w := range words {
		wordChars += len(w)
	}
	for _, c := range []struct{ n, pct int }{{2, 20}, {3, 18}, {4, 16}} {
		counts := map[string]int{}
		best, bestLen := 0, 0
		for i := 0; i+c.n <= len(words); i++ {
			g := strings.Join(words[i:i+c.n], " ")
			counts[g]++
			l := len(g) - (c.n - 1)
			if v := counts[g] * l; v > best*bestLen || (v == best*bestLen && l > bestLen) {
				best, bestLen = counts[g], l
			}
		}
		if best > 1 && 100*best*bestLen > c.pct*wordChars {
			return fail([]string{"", "", "top_2_gram", "top_3_gram", "top_4_gram"}[c.n])
		}
	}
	return Reason{}, true
}
