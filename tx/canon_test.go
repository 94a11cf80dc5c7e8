package tx

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"reflect"
	"testing"
)

// canonSeeds are bodies on both sides of the fast path's edge.
func canonSeeds(tb testing.TB) [][]byte {
	seed := sha256.Sum256([]byte("canon"))
	signer := AddressFromPubKey(ed25519.NewKeyFromSeed(seed[:]).Public().(ed25519.PublicKey))
	var out [][]byte
	for _, b := range []Body{
		{ChainID: "emergence-1", Signer: signer, Nonce: 7, Fee: 86, GasLimit: 8600, Msgs: []Msg{{Type: "bank/send", Value: json.RawMessage(`{"to":"` + signer.String() + `","amount":"1"}`)}}},
		{ChainID: "c", Signer: signer, Nonce: ^uint64(0), Msgs: []Msg{{Type: "x/y", Value: json.RawMessage(`[1,-2.5e+3,0.1,true,false,null,"a\"\\\/\b\f\n\r\tb\u00e9",{},[]]`)}, {Type: "x/z", Value: json.RawMessage(`null`)}}},
		{ChainID: "a<b", Signer: signer, Msgs: []Msg{{Type: "x/y", Value: json.RawMessage(`"<&>"`)}}},
		{ChainID: "é", Signer: signer, Msgs: []Msg{{Type: "x/y", Value: json.RawMessage(`"é\u2028"`)}}},
		{ChainID: "c", Signer: signer},
	} {
		raw, err := json.Marshal(b)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, raw)
	}
	return append(out,
		[]byte(`{"chain_id":"c","signer":"`+signer.String()+`","nonce":01,"fee":0,"gas_limit":0,"msgs":[{"type":"x","value":{}}]}`),
		[]byte(`{"chain_id":"c","signer":"`+signer.String()+`","nonce":18446744073709551616,"fee":0,"gas_limit":0,"msgs":[{"type":"x","value":{}}]}`),
		[]byte(`{"chain_id":"c","signer":"`+signer.String()+`","nonce":0,"fee":0,"gas_limit":0,"msgs":[{"type":"x","value":{ }}]}`),
		[]byte(`{"chain_id":"c","signer":"`+signer.String()+`","nonce":0,"fee":0,"gas_limit":0,"msgs":[{"type":"x","value":"\x"}]}`),
		[]byte(`{"chain_id":"c","signer":"`+signer.String()+`","nonce":0,"fee":0,"gas_limit":0,"msgs":[{"type":"x","value":01}]}`),
		[]byte(`{"chain_id":"c","signer":"`+signer.String()+`","nonce":0,"fee":0,"gas_limit":0,"msgs":[{"type":"x","value":1.}]}`),
	)
}

// FuzzDecode checks that the fast path only accepts bodies the
// encoding/json path accepts, with the same result, and that Decode's
// verdict is the encoding/json path's for every body.
func FuzzDecode(f *testing.F) {
	for _, s := range canonSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var fast, slow Body
		fastOK := parseCanonical(b, &fast)
		slowErr := decodeBody(b, &slow)
		if fastOK {
			if slowErr != nil {
				t.Fatalf("fast path accepted %q, encoding/json refuses it: %v", b, slowErr)
			}
			if !reflect.DeepEqual(fast, slow) {
				t.Fatalf("fast path read %q as %+v, encoding/json as %+v", b, fast, slow)
			}
		}
		raw := Encode(b, make([]byte, ed25519.PublicKeySize), make([]byte, ed25519.SignatureSize))
		d, err := Decode(raw)
		if slowErr != nil || len(slow.Msgs) == 0 || len(slow.Msgs) > MaxMsgs {
			if err == nil {
				t.Fatalf("Decode accepted %q, which encoding/json refuses (%v) or has %d messages", b, slowErr, len(slow.Msgs))
			}
			return
		}
		if err != nil {
			t.Fatalf("Decode refused %q, which encoding/json accepts: %v", b, err)
		}
		if !reflect.DeepEqual(d.Body, slow) {
			t.Fatalf("Decode read %q as %+v, encoding/json as %+v", b, d.Body, slow)
		}
	})
}

// TestFastPathTakesCanonicalBodies checks that the bodies clients sign (as
// json.Marshal writes them) take the fast path, so the speed-up is real.
func TestFastPathTakesCanonicalBodies(t *testing.T) {
	seeds := canonSeeds(t)
	for i, want := range []bool{true, true, false, false, false, false, false, false, false, false, false} {
		var b Body
		if got := parseCanonical(seeds[i], &b); got != want {
			t.Errorf("seed %d %q: fast path %v, want %v", i, seeds[i], got, want)
		}
	}
}

// BenchmarkDecode is Decode of a bank/send as the load generator signs it.
func BenchmarkDecode(b *testing.B) {
	raw := Encode(canonSeeds(b)[0], make([]byte, ed25519.PublicKeySize), make([]byte, ed25519.SignatureSize))
	b.Run("fast", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Decode(raw); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		body := raw[5 : len(raw)-ed25519.PublicKeySize-ed25519.SignatureSize]
		b.ReportAllocs()
		for b.Loop() {
			var t Body
			if err := decodeBody(body, &t); err != nil {
				b.Fatal(err)
			}
		}
	})
}
