package bank

import (
	"encoding/json"
	"testing"

	"emergence/app"
	"emergence/tx"
)

func sendSeeds() [][]byte {
	to := tx.ModuleAddress("fuzz").String()
	canon, _ := json.Marshal(SendMsg{To: tx.ModuleAddress("fuzz"), Amount: 18446744073709551615})
	return [][]byte{canon,
		[]byte(`{"to":"` + to + `","amount":1}`),
		[]byte(`{"to":"` + to + `","amount":0}`),
		[]byte(`{"to":"` + to + `","amount":01}`),
		[]byte(`{"to":"` + to + `","amount":18446744073709551616}`),
		[]byte(`{"to":"` + to + `","amount":-1}`),
		[]byte(`{"to":"` + to + `","amount":1.0}`),
		[]byte(`{"to":"` + to + `","amount":"1"}`),
		[]byte(`{"amount":1,"to":"` + to + `"}`),
		[]byte(`{"to":"` + to + `","amount":1,"to":"` + to + `"}`),
		[]byte(`{"to":"` + to + `","amount":1} `),
		[]byte(`{"to":"` + to + `", "amount":1}`),
		[]byte(`{"to":"EMRG1` + to[5:] + `","amount":1}`),
		[]byte(`{"to":"\u0065` + to[1:] + `","amount":1}`),
		[]byte(`{"to":"` + to[:len(to)-1] + `q","amount":1}`),
		[]byte(`{"to":"","amount":1}`),
		[]byte(`{"to":"`), []byte(`{"to":"}`), []byte(`{}`), []byte(``), []byte(`}`),
	}
}

// TestDecodeSendIsDecodeMsg: on canonical sends and near misses, decodeSend
// gives DecodeMsg's verdict and value, and takes the fast path only for
// canonical ones.
func TestDecodeSendIsDecodeMsg(t *testing.T) {
	fast := 0
	for _, raw := range sendSeeds() {
		checkDecodeSend(t, raw)
		var m SendMsg
		if decodeSendCanonical(raw, &m) {
			fast++
		}
	}
	if fast != 3 {
		t.Fatalf("%d seeds took the fast path, want the 3 canonical ones", fast)
	}
}

func FuzzDecodeSend(f *testing.F) {
	for _, raw := range sendSeeds() {
		f.Add(raw)
	}
	f.Fuzz(checkDecodeSend)
}

func checkDecodeSend(t *testing.T, raw []byte) {
	var got, want SendMsg
	gerr, werr := decodeSend(raw, &got), app.DecodeMsg(raw, &want)
	if (gerr == nil) != (werr == nil) || (gerr != nil && gerr.Error() != werr.Error()) {
		t.Fatalf("%q: decodeSend %v, DecodeMsg %v", raw, gerr, werr)
	}
	if gerr == nil && got != want {
		t.Fatalf("%q: decodeSend %+v, DecodeMsg %+v", raw, got, want)
	}
	var fast SendMsg
	if decodeSendCanonical(raw, &fast) && (werr != nil || fast != want) {
		t.Fatalf("%q: fast path took %+v, DecodeMsg %+v %v", raw, fast, want, werr)
	}
}

// BenchmarkDecodeSend: a canonical send's message through decodeSend and
// through app.DecodeMsg.
func BenchmarkDecodeSend(b *testing.B) {
	raw, _ := json.Marshal(SendMsg{To: tx.ModuleAddress("bench"), Amount: 1})
	for _, c := range []struct {
		name string
		fn   func([]byte, *SendMsg) error
	}{{"decodeSend", decodeSend}, {"DecodeMsg", func(r []byte, m *SendMsg) error { return app.DecodeMsg(r, m) }}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				var m SendMsg
				if err := c.fn(raw, &m); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
