package circuit_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	curve "github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fp"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"

	"emergence/zkml/circuit"
	"emergence/zkml/model"
)

// tinyModel is a 2-feature, 3-class logistic regression: the smallest
// circuit that still exercises commitment, digest, range checks and argmax.
func tinyModel(t testing.TB) *model.Model {
	t.Helper()
	m := &model.Model{
		Format: model.ModelFormat, Version: model.ModelVersion, Kind: model.KindLogReg,
		InputMax: 7, Classes: 3, InputBits: 3,
		Layers: []model.Layer{{
			LayerShape: model.LayerShape{In: 2, Out: 3, WeightBits: 4, BiasBits: 4},
			Weights:    [][]int64{{2, -1}, {-1, 3}, {1, 1}},
			Bias:       []int64{0, -2, 1},
		}},
	}
	if err := m.Seal(model.SaltFromBytes([]byte("tiny"))); err != nil {
		t.Fatal(err)
	}
	return m
}

type proved struct {
	vk, proof []byte
	pub       []*big.Int
}

var (
	provedOnce sync.Once
	provedFix  proved
	provedErr  error
)

// tinyProof sets up the tiny inference circuit with a one-party setup and
// proves one input, once per test binary.
func tinyProof(t testing.TB) proved {
	t.Helper()
	provedOnce.Do(func() {
		m := tinyModel(t)
		spec := circuit.Spec{Kind: circuit.KindInference, Shape: m.Shape()}
		ccs, err := spec.Compile()
		if err != nil {
			provedErr = err
			return
		}
		pk, vk, err := circuit.SetupOneParty(ccs)
		if err != nil {
			provedErr = err
			return
		}
		w, pub, err := circuit.AssignInference(m, []int64{5, 2}, big.NewInt(0x1234))
		if err != nil {
			provedErr = err
			return
		}
		p, err := circuit.Prove(ccs, pk, w)
		if err != nil {
			provedErr = err
			return
		}
		provedFix.proof, _ = circuit.MarshalProof(p)
		provedFix.vk, _ = circuit.MarshalVK(vk)
		provedFix.pub, provedErr = circuit.InferencePublics(pub)
	})
	if provedErr != nil {
		t.Fatal(provedErr)
	}
	return provedFix
}

func TestGroth16ProveVerify(t *testing.T) {
	p := tinyProof(t)
	if err := circuit.Verify(p.vk, p.proof, p.pub); err != nil {
		t.Fatalf("honest proof rejected: %v", err)
	}
	for i := range p.pub {
		pub := append([]*big.Int(nil), p.pub...)
		pub[i] = new(big.Int).Add(pub[i], big.NewInt(1))
		if err := circuit.Verify(p.vk, p.proof, pub); !errors.Is(err, circuit.ErrInvalidProof) {
			t.Errorf("public input %d tampered: err=%v, want ErrInvalidProof", i, err)
		}
	}
}

func TestVerifyRejectsMalformed(t *testing.T) {
	p := tinyProof(t)
	vk, err := circuit.DecodeVK(p.vk)
	if err != nil {
		t.Fatal(err)
	}
	good, err := circuit.DecodeProof(p.proof, vk)
	if err != nil {
		t.Fatal(err)
	}
	raw := func(pr *groth16bn254.Proof) []byte {
		var b bytes.Buffer
		if _, err := pr.WriteRawTo(&b); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	// A G2 point on the curve but outside the prime-order subgroup.
	var u curve.G2Affine
	{
		var x fp.Element
		x.SetUint64(7)
		for {
			var e curve.E2
			e.A0 = x
			cand := curve.MapToCurve2(&e)
			if cand.IsOnCurve() && !cand.IsInSubGroup() {
				u = cand
				break
			}
			x.SetUint64(x.Uint64() + 1)
		}
	}
	wrongSub := *good
	wrongSub.Bs = u
	offCurve := raw(good)
	offCurve[40] ^= 0x01 // Ar's y coordinate in the raw encoding
	noCommit := *good
	noCommit.Commitments = nil

	bigPub := append([]*big.Int(nil), p.pub...)
	bigPub[0] = new(big.Int).Lsh(big.NewInt(1), 300)

	cases := []struct {
		name  string
		vk    []byte
		proof []byte
		pub   []*big.Int
		want  error
	}{
		{"empty proof", p.vk, nil, p.pub, circuit.ErrMalformedProof},
		{"truncated proof", p.vk, p.proof[:len(p.proof)-5], p.pub, circuit.ErrMalformedProof},
		{"trailing bytes", p.vk, append(append([]byte(nil), p.proof...), 0), p.pub, circuit.ErrMalformedProof},
		{"oversized proof", p.vk, make([]byte, circuit.MaxProofBytes+1), p.pub, circuit.ErrMalformedProof},
		{"point not on curve", p.vk, offCurve, p.pub, circuit.ErrMalformedProof},
		{"G2 point outside subgroup", p.vk, raw(&wrongSub), p.pub, circuit.ErrMalformedProof},
		{"missing commitment", p.vk, raw(&noCommit), p.pub, circuit.ErrMalformedProof},
		{"too few publics", p.vk, p.proof, p.pub[:3], circuit.ErrPublicInputs},
		{"public above modulus", p.vk, p.proof, bigPub, circuit.ErrPublicInputs},
		{"empty key", nil, p.proof, p.pub, circuit.ErrMalformedKey},
		{"truncated key", p.vk[:len(p.vk)/2], p.proof, p.pub, circuit.ErrMalformedKey},
		{"oversized key", make([]byte, circuit.MaxVKBytes+1), p.proof, p.pub, circuit.ErrMalformedKey},
	}
	for _, c := range cases {
		err := circuit.Verify(c.vk, c.proof, c.pub)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: err=%v, want %v", c.name, err, c.want)
		}
	}
}

// FuzzVerify feeds arbitrary bytes as a proof and as a key; the verifier
// must return an error (or accept only a genuinely valid proof), never panic.
func FuzzVerify(f *testing.F) {
	p := tinyProof(f)
	f.Add(p.proof, false)
	f.Add(p.proof[:100], false)
	f.Add(p.vk, true)
	f.Add(p.vk[:len(p.vk)-1], true)
	f.Add([]byte{0xff, 0xff, 0xff}, false)
	f.Add(make([]byte, 388), false)
	f.Fuzz(func(t *testing.T, data []byte, asKey bool) {
		if asKey {
			if err := circuit.Verify(data, p.proof, p.pub); err == nil && !bytes.Equal(data, p.vk) {
				// A different encoding of the same key may verify; it must decode to the same key.
				a, _ := circuit.DecodeVK(data)
				b, _ := circuit.DecodeVK(p.vk)
				if a == nil || !a.G1.Alpha.Equal(&b.G1.Alpha) {
					t.Fatalf("foreign key accepted")
				}
			}
			return
		}
		err := circuit.Verify(p.vk, data, p.pub)
		if err == nil && !bytes.Equal(data, p.proof) {
			vk, _ := circuit.DecodeVK(p.vk)
			a, _ := circuit.DecodeProof(data, vk)
			b, _ := circuit.DecodeProof(p.proof, vk)
			if a == nil || !a.Ar.Equal(&b.Ar) || !a.Krs.Equal(&b.Krs) {
				t.Fatalf("foreign proof accepted")
			}
		}
	})
}

func TestCeremonyTwoContributors(t *testing.T) {
	m := tinyModel(t)
	dir := t.TempDir()
	spec := circuit.Spec{Kind: circuit.KindInference, Shape: m.Shape()}
	c, err := circuit.CeremonyInit(dir, spec)
	if err != nil {
		t.Fatal(err)
	}
	contribute := func() {
		t.Helper()
		c, err = circuit.OpenCeremony(dir)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Contribute(); err != nil {
			t.Fatal(err)
		}
	}
	contribute()
	contribute()
	if n, err := c.Verify(); err != nil || n != 2 {
		t.Fatalf("Verify phase 1: n=%d err=%v", n, err)
	}
	beacon := []byte("public beacon round 1234567")
	if _, err := c.Finalize(beacon, ""); err != nil {
		t.Fatal(err)
	}
	contribute()
	contribute()
	// A beacon closes one phase only.
	if _, err := c.Finalize(beacon, ""); err == nil || !strings.Contains(err.Error(), "already closed phase 1") {
		t.Fatalf("a reused beacon: %v", err)
	}
	if n, err := c.Verify(); err != nil || n != 6 {
		t.Fatalf("Verify phase 2: n=%d err=%v", n, err)
	}
	beacon = []byte("public beacon round 1234568")
	// Closing phase 2 of an inference ceremony seals the inference and
	// link keys (VerifyPhase2 checks every contribution) and opens phase 3,
	// the binding key.
	if info, err := c.Finalize(beacon, ""); err != nil || info != nil || c.Phase != 3 || len(c.Phase2Link) != 2 {
		t.Fatalf("closing phase 2: info=%v err=%v phase=%d link contributions=%d", info, err, c.Phase, len(c.Phase2Link))
	}
	contribute()
	contribute()
	if n, err := c.Verify(); err != nil || n != 8 {
		t.Fatalf("Verify phase 3: n=%d err=%v", n, err)
	}
	beacon = []byte("public beacon round 1234569")
	keys := filepath.Join(dir, "keys")
	info, err := c.Finalize(beacon, keys)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Finalized || len(c.Phase1) != 2 || len(c.Phase2) != 2 || len(c.Phase3) != 2 {
		t.Fatalf("ceremony state %d/%v with %d+%d+%d contributions", c.Phase, c.Finalized, len(c.Phase1), len(c.Phase2), len(c.Phase3))
	}
	if _, err := c.Contribute(); err == nil {
		t.Fatal("a finalized ceremony took a contribution")
	}
	k, err := circuit.LoadKeys(keys)
	if err != nil {
		t.Fatal(err)
	}
	if k.Info.VKHash != info.VKHash || !strings.Contains(k.Info.Setup, "binding-key MPC") {
		t.Fatalf("loaded keys differ: %+v", k.Info)
	}
	pk, err := k.ProvingKey()
	if err != nil {
		t.Fatal(err)
	}
	ccs, err := k.Spec.Compile()
	if err != nil {
		t.Fatal(err)
	}
	proof, pub, err := circuit.ProveInference(ccs, pk, m, []int64{1, 6}, big.NewInt(0))
	if err != nil {
		t.Fatal(err)
	}
	pb, _ := circuit.MarshalProof(proof)
	pf := &circuit.ProofFile{Format: circuit.ProofFormat, Version: circuit.FilesVersion, Kind: circuit.KindInference, VKHash: k.Info.VKHash, Inference: &pub, Proof: pb}
	b, err := circuit.Bind(k, m, big.NewInt(0))
	if err != nil {
		t.Fatal(err)
	}
	if err := b.VerifyWith(k); err != nil {
		t.Fatalf("binding from ceremony keys rejected: %v", err)
	}
	if err := pf.VerifyBoundWith(k, b); err != nil {
		t.Fatalf("proof from ceremony keys rejected: %v", err)
	}
	// Verify picks the check: bound with a binding, alone without one.
	other := *b
	other.Commitment = strings.Repeat("0", len(b.Commitment))
	if err := pf.Verify(k, b); err != nil {
		t.Fatalf("Verify with the binding: %v", err)
	}
	if err := pf.Verify(k, nil); err != nil {
		t.Fatalf("Verify without a binding: %v", err)
	}
	if err := pf.Verify(k, &other); err == nil {
		t.Fatal("Verify accepted the proof under a binding of another model commitment")
	}
	// A binding-key contribution whose points do not follow its secrets
	// (two points swapped, hash republished) is caught by Verify.
	c3, _ := circuit.OpenCeremony(dir)
	f := filepath.Join(dir, c3.Phase3[1].File)
	raw, _ := os.ReadFile(f)
	p0 := append([]byte(nil), raw[4:68]...)
	copy(raw[4:68], raw[68:132])
	copy(raw[68:132], p0)
	os.WriteFile(f, raw, 0o644)
	h := sha256.Sum256(raw)
	c3.Phase3[1].SHA256 = hex.EncodeToString(h[:])
	if _, err := c3.Verify(); err == nil || !strings.Contains(err.Error(), "phase 3 contribution 2") {
		t.Fatalf("Verify accepted a binding contribution with swapped points: %v", err)
	}
	// A tampered contribution is caught by Verify.
	c2, _ := circuit.OpenCeremony(dir)
	c2.Phase1[0].SHA256 = c2.Phase1[1].SHA256
	if _, err := c2.Verify(); err == nil {
		t.Fatal("Verify accepted a contribution that does not match its hash")
	}
}
