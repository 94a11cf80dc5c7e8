package clean_test

import (
	"strings"
	"testing"

	"emergence/data/clean"
)

func shingles(s string) map[string]bool {
	w := strings.Fields(clean.SimplifyText(s))
	m := map[string]bool{}
	for i := 0; i+5 <= len(w); i++ {
		m[strings.Join(w[i:i+5], " ")] = true
	}
	return m
}

func jaccard(a, b string) (num, den int) {
	x, y := shingles(a), shingles(b)
	for k := range x {
		if y[k] {
			num++
		}
	}
	return num, len(x) + len(y) - num
}

// TestNearDuplicateRecall plants pairs cut from real prose (the Go memory model) with a
// fixed number of replaced words: recall must be ≥ 0.9 at Jaccard ≥ 0.8 and false
// positives ≤ 1 % at Jaccard ≤ 0.5.
func TestNearDuplicateRecall(t *testing.T) {
	d := goMemPage(t, "")
	words := strings.Fields(clean.SimplifyText(d.Text))
	const win = 200
	var hiPairs, hiFound, loPairs, loFound int
	for start := 0; start+win <= len(words); start += 20 {
		base := words[start : start+win]
		for _, edits := range []int{3, 30} {
			m := append([]string(nil), base...)
			for e := 0; e < edits; e++ {
				m[(e*win)/edits+(start%7)] = "zzplanted" + strings.Repeat("q", e)
			}
			a, b := strings.Join(base, " "), strings.Join(m, " ")
			num, den := jaccard(a, b)
			dd := clean.NewDeduper()
			dd.Add(a)
			dup := dd.Add(b)
			switch {
			case 10*num >= 8*den:
				hiPairs++
				if dup {
					hiFound++
				}
			case 2*num <= den:
				loPairs++
				if dup {
					loFound++
				}
			}
		}
	}
	t.Logf("J>=0.8: %d/%d found; J<=0.5: %d/%d flagged", hiFound, hiPairs, loFound, loPairs)
	if hiPairs < 20 || loPairs < 20 {
		t.Fatalf("too few planted pairs: %d high, %d low", hiPairs, loPairs)
	}
	if 10*hiFound < 9*hiPairs {
		t.Fatalf("recall %d/%d < 0.9", hiFound, hiPairs)
	}
	if 100*loFound > loPairs {
		t.Fatalf("false positives %d/%d > 1%%", loFound, loPairs)
	}
}
