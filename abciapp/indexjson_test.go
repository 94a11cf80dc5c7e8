package abciapp

import (
	"bytes"
	"encoding/json"
	"testing"

	"emergence/app"
)

// indexStrings are strings on and off appendString's fast path.
var indexStrings = []string{"", "bank/send", "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08",
	`say "hi"`, `back\slash`, "<script>&", "tab\there", "new\nline", "\x00\x1f\x7f", "héllo", "\xff\xfe bad utf-8",
	"\u2028 line sep", "emrg1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq"}

func indexCases() ([]app.TxResult, []AccountTx) {
	var rs []app.TxResult
	var hs []AccountTx
	for i, s := range indexStrings {
		t := indexStrings[(i+3)%len(indexStrings)]
		rs = append(rs,
			app.TxResult{Hash: s, Height: int64(i) - 3, Index: i * 1000, Code: uint32(i), Codespace: t, Log: s, GasWanted: ^uint64(0) - uint64(i), GasUsed: uint64(i)},
			app.TxResult{Hash: s, Events: []app.Event{{Type: t}, {Type: s, Attrs: []app.Attribute{}}, {Type: s, Attrs: []app.Attribute{{Key: s, Value: t}, {Key: t, Value: s}}}}},
			app.TxResult{Events: []app.Event{}})
		hs = append(hs,
			AccountTx{Hash: s, Height: -int64(i), Index: -i, Code: ^uint32(0), Codespace: t, Role: s, Msgs: []string{s, t}},
			AccountTx{Hash: s, Role: "signer", Msgs: []string{}},
			AccountTx{Role: t})
	}
	return rs, hs
}

// TestIndexJSONIsMarshals: the hand-written index encoders give exactly
// json.Marshal's bytes, on and off the fast path and for nil and empty
// lists.
func TestIndexJSONIsMarshals(t *testing.T) {
	rs, hs := indexCases()
	for i := range rs {
		want, _ := json.Marshal(rs[i])
		if got := appendTxResult(nil, &rs[i]); !bytes.Equal(got, want) {
			t.Errorf("tx result %d:\n got %s\nwant %s", i, got, want)
		}
	}
	for i := range hs {
		want, _ := json.Marshal(hs[i])
		if got := appendAccountTx(nil, &hs[i]); !bytes.Equal(got, want) {
			t.Errorf("account tx %d:\n got %s\nwant %s", i, got, want)
		}
	}
}

func FuzzIndexJSON(f *testing.F) {
	for _, s := range indexStrings {
		f.Add(s, s+"x", int64(7), uint64(3), 2)
	}
	f.Fuzz(func(t *testing.T, a, b string, h int64, g uint64, n int) {
		n = n % 4
		var evs []app.Event
		var msgs []string
		for i := 0; i < n; i++ {
			evs = append(evs, app.Event{Type: a, Attrs: []app.Attribute{{Key: b, Value: a}}})
			msgs = append(msgs, b)
		}
		r := app.TxResult{Hash: a, Height: h, Index: n, Code: uint32(g), Codespace: b, Log: a + b, GasWanted: g, GasUsed: g / 2, Events: evs}
		if got, want := appendTxResult(nil, &r), app.MustJSON(r); !bytes.Equal(got, want) {
			t.Fatalf("tx result:\n got %s\nwant %s", got, want)
		}
		rec := AccountTx{Hash: b, Height: h, Index: -n, Code: uint32(h), Codespace: a, Role: b, Msgs: msgs}
		if got, want := appendAccountTx(nil, &rec), app.MustJSON(rec); !bytes.Equal(got, want) {
			t.Fatalf("account tx:\n got %s\nwant %s", got, want)
		}
	})
}
