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
