package claim_test

import (
	"errors"
	"testing"

	"emergence/personhood/claim"
)

// FuzzDecodeProof feeds arbitrary bytes to the proof decoder and verifier:
// they must return an error or a proof, never panic. The seed corpus holds
// a valid proof, mutations of it and edge cases (testdata/fuzz/FuzzDecodeProof).
func FuzzDecodeProof(f *testing.F) {
	p, v := keys(f)
	_, _, w := fixture(f)
	proof, err := p.Prove(&w)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(proof)
	f.Add([]byte{})
	f.Add(make([]byte, claim.ProofSize))
	f.Add(bytesOf(0xff, claim.ProofSize))
	f.Fuzz(func(t *testing.T, b []byte) {
		dp, err := claim.DecodeProof(b)
		if err != nil {
			if !errors.Is(err, claim.ErrMalformedProof) {
				t.Fatalf("decode error %v is not ErrMalformedProof", err)
			}
			return
		}
		if dp == nil {
			t.Fatal("nil proof without error")
		}
		if err := v.Verify(b, w.Public); err != nil && !errors.Is(err, claim.ErrInvalidProof) {
			t.Fatalf("verify error %v is neither nil nor ErrInvalidProof", err)
		}
	})
}

// FuzzDecodeVerifyingKey feeds arbitrary bytes to the verifying-key decoder:
// it must return a key or ErrMalformedKey, never panic or over-allocate.
func FuzzDecodeVerifyingKey(f *testing.F) {
	_, v := keys(f)
	vk, err := v.EncodeVerifyingKey()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(vk)
	f.Add([]byte{})
	f.Add(make([]byte, claim.VerifyingKeySize))
	flipped := append([]byte{}, vk...)
	flipped[300] ^= 0xff
	f.Add(flipped)
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, err := claim.DecodeVerifyingKey(b); err != nil && !errors.Is(err, claim.ErrMalformedKey) {
			t.Fatalf("decode error %v is not ErrMalformedKey", err)
		}
	})
}
