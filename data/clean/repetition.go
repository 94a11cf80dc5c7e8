package clean

import (
	"fmt"
)

// GopherRepetition applies datatrove's GopherRepetitionFilter with its defaults (Gopher,
// table A1) to normalised text: duplicate lines ≤ 30 % of lines and ≤ 20 % of characters;
// the most frequent word 2-, 3- and 4-gram covering ≤ 20 %, 18 % and 16 % of the text's
// characters; and characters inside duplicated word 5..10-grams ≤ 15, 14, 13, 12, 11 and
// 10 % of them. (Paragraph rules are the line rules here: NormaliseText leaves no blank
// lines, so a paragraph is a line.) Integer comparisons only.
func GopherRepetition(text string) (Reason, bool) { return gopherRepetition(tokenise(text)) }

func gopherRepetition(tk tokens) (Reason, bool) {
	fail := func(rule string) (Reason, bool) { return Reason{Filter: "gopher_repetition", Rule: rule}, false }
	text, lines := tk.text, tk.lines
	seen := make(map[string]bool, len(lines))
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
	words := tk.words
	g := newGrams(words)
	t := newTable(len(words))
	total := len(text)
	for _, c := range []struct{ n, pct int }{{2, 20}, {3, 18}, {4, 16}} {
		if top := g.topChars(t, c.n); 100*top > c.pct*total {
			return fail(fmt.Sprintf("top_%d_gram", c.n))
		}
	}
	for n, pct := 5, 15; n <= 10; n, pct = n+1, pct-1 {
		if d := g.dupChars(t, n); 100*d > pct*total {
			return fail(fmt.Sprintf("duplicated_%d_n_grams", n))
		}
	}
	return Reason{}, true
}

// grams finds repeated word n-grams by 64-bit hashes of their words (FNV-1a per word,
// combined polynomially), so no n-gram string is built. Two different n-grams share a key
// with probability about 2^-64 per pair.
type grams struct {
	h   []uint64 // hash of each word
	len []int    // byte length of each word
}

func newGrams(words []string) grams {
	g := grams{h: make([]uint64, len(words)), len: make([]int, len(words))}
	for i, w := range words {
		h := uint64(14695981039346656037)
		for j := 0; j < len(w); j++ {
			h ^= uint64(w[j])
			h *= 1099511628211
		}
		g.h[i], g.len[i] = h, len(w)
	}
	return g
}

func (g grams) key(i, n int) uint64 {
	k := uint64(n)
	for _, h := range g.h[i : i+n] {
		k = k*0x9e3779b97f4a7c15 + h
	}
	return k
}

func (g grams) chars(i, n int) int {
	c := 0
	for _, l := range g.len[i : i+n] {
		c += l
	}
	return c
}

// table is an open-addressing hash table from n-gram keys to counts, sized once for a
// document and cleared between passes, so the nine n-gram passes allocate once.
type table struct {
	keys []uint64
	vals []int32 // 0 marks an empty slot
	mask uint64
}

func newTable(n int) *table {
	size := 16
	for size < 2*n {
		size <<= 1
	}
	return &table{keys: make([]uint64, size), vals: make([]int32, size), mask: uint64(size - 1)}
}

func (t *table) clear() { clear(t.vals) }

// slot returns the index of k's slot, empty or holding k.
func (t *table) slot(k uint64) uint64 {
	i := (k ^ k>>29) * 0xbf58476d1ce4e5b9 >> 7 & t.mask
	for t.vals[i] != 0 && t.keys[i] != k {
		i = (i + 1) & t.mask
	}
	return i
}

// topChars is the character length (words joined by spaces) of the most frequent word
// n-gram times its count, as datatrove's find_top_duplicate, or 0 when no n-gram repeats.
// Ties go to the n-gram that reached the count first.
func (g grams) topChars(t *table, n int) int {
	t.clear()
	best, bestLen := int32(1), 0
	for i := 0; i+n <= len(g.h); i++ {
		k := g.key(i, n)
		s := t.slot(k)
		t.keys[s] = k
		t.vals[s]++
		if c := t.vals[s]; c > best {
			best, bestLen = c, g.chars(i, n)+n-1
		}
	}
	return int(best) * bestLen
}

// dupChars is datatrove's find_all_duplicate: scanning left to right, an n-gram seen
// before adds its characters (words concatenated) and the scan jumps past it, so no
// character is counted twice.
func (g grams) dupChars(t *table, n int) int {
	t.clear()
	dup := 0
	for i := 0; i+n <= len(g.h); {
		k := g.key(i, n)
		s := t.slot(k)
		if t.vals[s] != 0 {
			dup += g.chars(i, n)
			i += n
			continue
		}
		t.keys[s], t.vals[s] = k, 1
		i++
	}
	return dup
}
