package verifier_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"testing"

	"emergence/zkml/verifier"
)

// fixture is a real proof of the tiny inference circuit with its key and
// public inputs (testdata/zkml, made with the one-party setup).
func fixture(t testing.TB) (vk, proof []byte, pub []*big.Int) {
	t.Helper()
	dir := filepath.Join("..", "..", "testdata", "zkml")
	var err error
	if vk, err = os.ReadFile(filepath.Join(dir, "tiny-vk.bin")); err != nil {
		t.Fatal(err)
	}
	if proof, err = os.ReadFile(filepath.Join(dir, "tiny-proof.bin")); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "tiny-publics.json"))
	if err != nil {
		t.Fatal(err)
	}
	var hexes []string
	if err := json.Unmarshal(raw, &hexes); err != nil {
		t.Fatal(err)
	}
	for _, h := range hexes {
		v, err := verifier.ParseElement(h)
		if err != nil {
			t.Fatal(err)
		}
		pub = append(pub, v)
	}
	return vk, proof, pub
}

func TestFixture(t *testing.T) {
	vk, proof, pub := fixture(t)
	if err := verifier.Verify(vk, proof, pub); err != nil {
		t.Fatalf("fixture proof rejected: %v", err)
	}
	bad := append([]*big.Int(nil), pub...)
	bad[2] = big.NewInt(1)
	if err := verifier.Verify(vk, proof, bad); !errors.Is(err, verifier.ErrInvalidProof) {
		t.Fatalf("tampered class: %v", err)
	}
	bad = append([]*big.Int(nil), pub...)
	bad[3] = big.NewInt(0x4321)
	if err := verifier.Verify(vk, proof, bad); !errors.Is(err, verifier.ErrInvalidProof) {
		t.Fatalf("tampered submitter: %v", err)
	}
	k, err := verifier.DecodeVK(vk)
	if err != nil {
		t.Fatal(err)
	}
	if n := verifier.NumPublics(k); n != 4 {
		t.Fatalf("NumPublics=%d", n)
	}
}

// FuzzVerifyProof: arbitrary proof bytes against the fixture key return an
// error (or verify only when they decode to the fixture proof), never panic
// or allocate unboundedly.
func FuzzVerifyProof(f *testing.F) {
	vk, proof, pub := fixture(f)
	k, err := verifier.DecodeVK(vk)
	if err != nil {
		f.Fatal(err)
	}
	want, err := verifier.DecodeProof(proof, k)
	if err != nil {
		f.Fatal(err)
	}
	var raw bytes.Buffer
	want.WriteRawTo(&raw)
	f.Add(proof)
	f.Add(raw.Bytes())
	f.Add(proof[:len(proof)-1])
	f.Add(append(append([]byte(nil), proof...), 0))
	f.Add([]byte{0x80, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		err := verifier.VerifyDecoded(k, data, pub)
		if err == nil {
			got, derr := verifier.DecodeProof(data, k)
			if derr != nil || !got.Ar.Equal(&want.Ar) || !got.Bs.Equal(&want.Bs) || !got.Krs.Equal(&want.Krs) {
				t.Fatalf("accepted a proof that is not the fixture's")
			}
		}
	})
}

// FuzzDecodeVK: arbitrary key bytes decode to an error or a checked key,
// never a panic; a key that decodes must not verify the fixture proof
// unless it is the fixture key.
func FuzzDecodeVK(f *testing.F) {
	vk, proof, pub := fixture(f)
	f.Add(vk)
	f.Add(vk[:len(vk)-1])
	f.Add(vk[:200])
	f.Add(make([]byte, 600))
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := verifier.DecodeVK(data)
		if err != nil {
			return
		}
		if verifier.VerifyDecoded(k, proof, pub) == nil && !bytes.Equal(data, vk) {
			ref, _ := verifier.DecodeVK(vk)
			if !k.G1.Alpha.Equal(&ref.G1.Alpha) || !k.G2.Delta.Equal(&ref.G2.Delta) {
				t.Fatalf("a foreign key verified the fixture proof")
			}
		}
	})
}

// bindingFixture is the tiny model's binding (testdata/zkml, written by the
// circuit package's TestVerifierFixtures).
func bindingFixture(t testing.TB) (lvk *verifier.Key, bvk *verifier.BindingVK, publics []*big.Int, e, linkProof, pi []byte) {
	t.Helper()
	dir := filepath.Join("..", "..", "testdata", "zkml")
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	var fx struct {
		Commitment, Submitter     string
		Binding, LinkProof, Proof []byte
	}
	if err := json.Unmarshal(read("tiny-binding.json"), &fx); err != nil {
		t.Fatal(err)
	}
	var err error
	if lvk, err = verifier.DecodeVK(read("tiny-link-vk.bin")); err != nil {
		t.Fatal(err)
	}
	if bvk, err = verifier.DecodeBindingVK(read("tiny-binding-vk.bin")); err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{fx.Commitment, fx.Submitter} {
		v, err := verifier.ParseElement(h)
		if err != nil {
			t.Fatal(err)
		}
		publics = append(publics, v)
	}
	return lvk, bvk, publics, fx.Binding, fx.LinkProof, fx.Proof
}

// FuzzVerifyBinding: arbitrary E, π and link-proof bytes against the
// fixture keys return an error, never panic; whatever verifies decodes to
// the fixture's E and π.
func FuzzVerifyBinding(f *testing.F) {
	lvk, bvk, c, e, lp, pi := bindingFixture(f)
	if err := verifier.VerifyBinding(lvk, bvk, lp, c, e, pi); err != nil {
		f.Fatalf("fixture binding rejected: %v", err)
	}
	wantE, _ := verifier.DecodeG1(e)
	wantPi, _ := verifier.DecodeG1(pi)
	f.Add(e, pi, lp)
	f.Add(pi, e, lp)
	f.Add(e[:31], pi, lp)
	f.Add(e, pi, lp[:len(lp)-1])
	f.Add(make([]byte, 32), make([]byte, 32), lp)
	f.Fuzz(func(t *testing.T, e2, pi2, lp2 []byte) {
		if verifier.VerifyBinding(lvk, bvk, lp2, c, e2, pi2) != nil {
			return
		}
		gotE, _ := verifier.DecodeG1(e2)
		gotPi, _ := verifier.DecodeG1(pi2)
		if !gotE.Equal(&wantE) || !gotPi.Equal(&wantPi) {
			t.Fatal("accepted a binding that is not the fixture's")
		}
	})
}

// FuzzDecodeBindingVK: arbitrary bytes decode to an error or a checked
// key, never a panic.
func FuzzDecodeBindingVK(f *testing.F) {
	_, bvk, _, _, _, _ := bindingFixture(f)
	good := bvk.Bytes()
	f.Add(good)
	f.Add(good[:64])
	f.Add(make([]byte, verifier.BindingVKSize))
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := verifier.DecodeBindingVK(data)
		if err == nil && (k.K1.IsInfinity() || k.K2.IsInfinity()) {
			t.Fatal("decoded a binding key with an identity point")
		}
	})
}
