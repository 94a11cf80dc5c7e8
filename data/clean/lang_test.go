package clean_test

import (
	"os"
	"testing"

	"emergence/data/clean"
)

// TestIdentifyRealText identifies real prose: the Go memory model (English) and apt-get's
// German and French manual pages as Debian ships them.
func TestIdentifyRealText(t *testing.T) {
	d := goMemPage(t, "")
	cases := map[string]string{"en": d.Text}
	for _, l := range []string{"de", "fr"} {
		b, err := os.ReadFile("testdata/apt-get." + l + ".txt")
		if err != nil {
			t.Fatal(err)
		}
		cases[l] = clean.NormaliseText(string(b))
	}
	for want, text := range cases {
		lang, score := clean.Identify(text)
		if lang != want || score < clean.MinLanguageScore || score > 1_000_000 {
			t.Errorf("%s text: Identify = %q %d ppm, want %q with score >= %d", want, lang, score, want, clean.MinLanguageScore)
		}
		if l2, s2 := clean.Identify(text); l2 != lang || s2 != score {
			t.Errorf("%s text: second Identify gave %q %d, first %q %d", want, l2, s2, lang, score)
		}
		_, _, r, ok := clean.LanguageFilter(text, []string{"en"})
		if (want == "en") != ok {
			t.Errorf("%s text: LanguageFilter(en) ok=%v reason %+v", want, ok, r)
		}
		if !ok && r.Rule != "language_"+want {
			t.Errorf("%s text: reason %+v, want language_%s", want, r, want)
		}
	}
	if lang, _, r, ok := clean.LanguageFilter("1234 5678 ++ --", nil); ok || r.Filter != "language" {
		t.Errorf("digits only: kept as %q (%+v)", lang, r)
	}
}
