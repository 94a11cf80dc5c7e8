package tx_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"emergence/tx"
)

func key(s string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte(s))
	return ed25519.NewKeyFromSeed(seed[:])
}

func TestSignDecodeVerify(t *testing.T) {
	k := key("a")
	m, err := tx.NewMsg("bank/send", map[string]any{"amount": 5})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := tx.Sign(tx.Body{ChainID: "c", Nonce: 3, Fee: 10, GasLimit: 100, Msgs: []tx.Msg{m}}, k)
	if err != nil {
		t.Fatal(err)
	}
	d, err := tx.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Verify(); err != nil {
		t.Fatal(err)
	}
	if got, want := d.Body.Signer, tx.AddressFromPubKey(k.Public().(ed25519.PublicKey)); got != want {
		t.Fatalf("signer %s, want %s", got, want)
	}
	if d.Body.Nonce != 3 || d.Body.Msgs[0].Type != "bank/send" {
		t.Fatalf("body %+v", d.Body)
	}
	// Any flipped bit breaks decoding or the signature.
	for i := range raw {
		bad := bytes.Clone(raw)
		bad[i] ^= 0x01
		if d, err := tx.Decode(bad); err == nil && d.Verify() == nil {
			t.Fatalf("flipping byte %d still verifies", i)
		}
	}
	// Someone else's key for the same signer.
	d.PubKey = key("b").Public().(ed25519.PublicKey)
	if err := d.Verify(); !errors.Is(err, tx.ErrSignature) {
		t.Fatalf("foreign key: %v", err)
	}
}

func TestDecodeRejectsNonCanonical(t *testing.T) {
	k := key("a")
	pub := k.Public().(ed25519.PublicKey)
	signer := tx.AddressFromPubKey(pub)
	canon, _ := json.Marshal(tx.Body{ChainID: "c", Signer: signer, Msgs: []tx.Msg{{Type: "x/y", Value: json.RawMessage(`{}`)}}})
	for name, body := range map[string][]byte{
		"spaces":       bytes.ReplaceAll(canon, []byte(`,"nonce"`), []byte(`, "nonce"`)),
		"unknown":      bytes.Replace(canon, []byte(`{"chain_id"`), []byte(`{"x":1,"chain_id"`), 1),
		"duplicate":    bytes.Replace(canon, []byte(`"nonce":0`), []byte(`"nonce":0,"nonce":5`), 1),
		"trailing":     append(bytes.Clone(canon), ' ', '{', '}'),
		"no messages":  bytes.Replace(canon, []byte(`[{"type":"x/y","value":{}}]`), []byte(`[]`), 1),
		"upper signer": bytes.Replace(canon, []byte(signer.String()), bytes.ToUpper([]byte(signer.String())), 1),
	} {
		raw := tx.Encode(body, pub, ed25519.Sign(k, body))
		if _, err := tx.Decode(raw); !errors.Is(err, tx.ErrMalformed) {
			t.Errorf("%s: Decode err = %v, want ErrMalformed", name, err)
		}
	}
	if _, err := tx.Decode(tx.Encode(canon, pub, ed25519.Sign(k, canon))); err != nil {
		t.Fatalf("canonical body rejected: %v", err)
	}
}

func TestAddress(t *testing.T) {
	a := tx.AddressFromPubKey(key("a").Public().(ed25519.PublicKey))
	s := a.String()
	if s[:4] != "emg1" {
		t.Fatalf("address %s lacks the emg1 prefix", s)
	}
	b, err := tx.ParseAddress(s)
	if err != nil || b != a {
		t.Fatalf("round trip: %v %v", b, err)
	}
	for _, bad := range []string{"", "emg1", "cosmos1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqnrql8a", s[:len(s)-1] + "x", s + "q"} {
		if _, err := tx.ParseAddress(bad); !errors.Is(err, tx.ErrInvalidAddress) {
			t.Errorf("ParseAddress(%q) = %v, want ErrInvalidAddress", bad, err)
		}
	}
	if tx.ModuleAddress("pool/ubi") == tx.ModuleAddress("pool/fees") {
		t.Fatal("module addresses collide")
	}
}

// TestVerify checks the node's verifier: it agrees with crypto/ed25519 on
// honest, tampered and malformed signatures; on adversarial small-order
// encodings it follows ZIP-215; and batch verification always gives the
// same answers as one-by-one verification (the property that keeps nodes
// that batch and nodes that do not in agreement).
func TestVerify(t *testing.T) {
	var all []tx.SigCheck
	for i := 0; i < 50; i++ {
		k := key(string(rune('a' + i%5)))
		pub := k.Public().(ed25519.PublicKey)
		msg := []byte{byte(i), 1, 2, 3}
		sig := ed25519.Sign(k, msg)
		cases := [][3][]byte{
			{pub, msg, sig},
			{pub, append(bytes.Clone(msg), 9), sig},
			{pub, msg, append(bytes.Clone(sig[:63]), sig[63]^0x80)},
			{append(bytes.Clone(pub[:31]), pub[31]^0xff), msg, sig},
			{pub, msg, sig[:10]},
		}
		for j, c := range cases {
			if got, want := tx.VerifySignature(c[0], c[1], c[2]), ed25519.Verify(c[0], c[1], c[2]); got != want {
				t.Fatalf("case %d/%d: VerifySignature = %v, crypto/ed25519 says %v", i, j, got, want)
			}
			all = append(all, tx.SigCheck{Pub: c[0], Msg: c[1], Sig: c[2]})
		}
	}
	// Small-order key and signature: ZIP-215 accepts what the cofactorless
	// check of crypto/ed25519 may reject; single and batch must agree.
	all = append(all, tx.SigCheck{Pub: make([]byte, 32), Msg: []byte("m"), Sig: make([]byte, 64)},
		tx.SigCheck{Pub: bytes.Repeat([]byte{0xff}, 32), Msg: []byte("m"), Sig: make([]byte, 64)},
		tx.SigCheck{Pub: []byte{1, 2}, Msg: []byte("m"), Sig: make([]byte, 64)})
	for _, n := range []int{1, 2, 7, 64, len(all)} {
		got := tx.VerifyBatch(all[:n])
		for i, c := range all[:n] {
			if want := tx.VerifySignature(c.Pub, c.Msg, c.Sig); got[i] != want {
				t.Fatalf("batch of %d, entry %d: batch says %v, single says %v", n, i, got[i], want)
			}
		}
	}
	b := tx.NewBatcher(2)
	defer b.Close()
	done := make(chan bool, len(all))
	for _, c := range all {
		go func(c tx.SigCheck) { done <- b.Verify(c) == tx.VerifySignature(c.Pub, c.Msg, c.Sig) }(c)
	}
	for range all {
		if !<-done {
			t.Fatal("Batcher disagrees with VerifySignature")
		}
	}
	// Many callers' VerifyMany at once: each gets its own verdicts, in order.
	many := make(chan bool, 4)
	for k := 0; k < 4; k++ {
		go func(k int) {
			part := all[k%2:]
			got, ok := b.VerifyMany(part), true
			for i, c := range part {
				ok = ok && got[i] == tx.VerifySignature(c.Pub, c.Msg, c.Sig)
			}
			many <- ok
		}(k)
	}
	for k := 0; k < 4; k++ {
		if !<-many {
			t.Fatal("Batcher.VerifyMany disagrees with VerifySignature")
		}
	}
}

func TestMinFee(t *testing.T) {
	for _, c := range []struct{ gas, price, want uint64 }{
		{0, 10, 0},
		{1, 10, 1},
		{100, 10, 1},
		{101, 10, 2},
		{1_000_000, 10, 10_000},
		{1_000_001, 10, 10_001},
		{^uint64(0), 1, ^uint64(0)/1000 + 1},
		{^uint64(0), 10, ^uint64(0)},
	} {
		if got := tx.MinFee(c.gas, c.price); got != c.want {
			t.Errorf("MinFee(%d, %d) = %d, want %d", c.gas, c.price, got, c.want)
		}
	}
}

// TestHashHex pins the tx hash's text form: upper-case hex of the SHA-256 of
// the encoding, as CometBFT prints it, whichever way it is formatted.
func TestHashHex(t *testing.T) {
	for _, raw := range [][]byte{nil, []byte("x"), bytes.Repeat([]byte{0xab, 0x01}, 200)} {
		h := sha256.Sum256(raw)
		want := strings.ToUpper(hex.EncodeToString(h[:]))
		if got := tx.HashHex(raw); got != want {
			t.Errorf("HashHex(%x) = %s, want %s", raw, got, want)
		}
		if got := tx.HashString(tx.Hash(raw)); got != want {
			t.Errorf("HashString(Hash(%x)) = %s, want %s", raw, got, want)
		}
	}
}
