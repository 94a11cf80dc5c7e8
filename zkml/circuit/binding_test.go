package circuit_test

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"math/big"
	"os"
	"path/filepath"
	"sync"
	"testing"

	curve "github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark/backend/groth16"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	cs "github.com/consensys/gnark/constraint/bn254"

	"emergence/zkml/circuit"
	"emergence/zkml/model"
	"emergence/zkml/verifier"
)

// bindingKeys are one-party inference, link and binding keys of the tiny
// shape, made once per test binary.
type bindingKeys struct {
	ccsI, ccsL *cs.R1CS
	pkI, pkL   groth16.ProvingKey
	vkI, vkL   *verifier.Key
	bk         *circuit.BindingKey
	bvk        *verifier.BindingVK
}

var (
	bindOnce sync.Once
	bindFix  bindingKeys
	bindErr  error
)

func tinyBindingKeys(t *testing.T) *bindingKeys {
	t.Helper()
	bindOnce.Do(func() {
		s := tinyModel(t).Shape()
		k := &bindFix
		var vkI, vkL groth16.VerifyingKey
		if k.ccsI, bindErr = (circuit.Spec{Kind: circuit.KindInference, Shape: s}).Compile(); bindErr != nil {
			return
		}
		if k.ccsL, bindErr = (circuit.Spec{Kind: circuit.KindLink, Shape: s}).Compile(); bindErr != nil {
			return
		}
		if k.pkI, vkI, bindErr = circuit.SetupOneParty(k.ccsI); bindErr != nil {
			return
		}
		if k.pkL, vkL, bindErr = circuit.SetupOneParty(k.ccsL); bindErr != nil {
			return
		}
		if k.bk, k.bvk, bindErr = circuit.SetupBinding(s, k.pkL, k.pkI, rand.Reader); bindErr != nil {
			return
		}
		b, _ := circuit.MarshalVK(vkI)
		if k.vkI, bindErr = verifier.DecodeVK(b); bindErr != nil {
			return
		}
		b, _ = circuit.MarshalVK(vkL)
		k.vkL, bindErr = verifier.DecodeVK(b)
	})
	if bindErr != nil {
		t.Fatal(bindErr)
	}
	return &bindFix
}

// bound is a model's binding material: E, the link proof and π, and the
// link proof's public inputs (commitment, submitter).
type bound struct {
	e, linkProof, pi []byte
	publics          []*big.Int
}

// binder is the submitter the test bindings are made for.
var binder = big.NewInt(0xb1d)

func bindModel(t *testing.T, k *bindingKeys, m *model.Model) bound {
	t.Helper()
	e, lp, pi, err := circuit.BindParts(k.ccsL, k.pkL, k.pkI, k.bk, m, binder)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := model.ParseElement(m.Commitment)
	return bound{e: e, linkProof: lp, pi: pi, publics: []*big.Int{c, binder}}
}

// inferProof proves an inference; masked=false proves with gnark's random
// commitment blinding instead of ProveMasked.
func inferProof(t *testing.T, k *bindingKeys, m *model.Model, x []int64, masked bool) ([]byte, []*big.Int) {
	t.Helper()
	w, pub, err := circuit.AssignInference(m, x, big.NewInt(7))
	if err != nil {
		t.Fatal(err)
	}
	var p groth16.Proof
	if masked {
		p, err = circuit.ProveMasked(k.ccsI, k.pkI, w)
	} else {
		p, err = circuit.Prove(k.ccsI, k.pkI, w)
	}
	if err != nil {
		t.Fatal(err)
	}
	b, _ := circuit.MarshalProof(p)
	pubs, _ := circuit.InferencePublics(pub)
	return b, pubs
}

// otherModel has tinyModel's shape and salt but one weight changed.
func otherModel(t *testing.T) *model.Model {
	m := tinyModel(t)
	m.Layers[0].Weights[1][0]++
	if err := m.Seal(model.SaltFromBytes([]byte("tiny"))); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestBinding proves an inference and a binding of the tiny model and
// checks that every mismatch between model, binding and proof is refused.
func TestBinding(t *testing.T) {
	k := tinyBindingKeys(t)
	m, other := tinyModel(t), otherModel(t)
	b, bo := bindModel(t, k, m), bindModel(t, k, other)
	if err := verifier.VerifyBinding(k.vkL, k.bvk, b.linkProof, b.publics, b.e, b.pi); err != nil {
		t.Fatalf("honest binding: %v", err)
	}
	proof, pubs := inferProof(t, k, m, []int64{5, 2}, true)
	if err := verifier.VerifyBound(k.vkI, proof, pubs, b.e); err != nil {
		t.Fatalf("honest inference: %v", err)
	}
	// A second input carries the same commitment.
	proof2, pubs2 := inferProof(t, k, m, []int64{0, 7}, true)
	if err := verifier.VerifyBound(k.vkI, proof2, pubs2, b.e); err != nil {
		t.Fatalf("second inference: %v", err)
	}

	otherProof, otherPubs := inferProof(t, k, other, []int64{5, 2}, true)
	randomMask, randomPubs := inferProof(t, k, m, []int64{5, 2}, false)
	// An x coordinate above the field modulus is never a point.
	notPoint := bytes.Repeat([]byte{0xff}, 32)
	var gen curve.G1Affine
	_, _, gen, _ = curve.Generators()
	genB := gen.Bytes()
	thief := []*big.Int{b.publics[0], big.NewInt(0x0bad)}
	bindCases := []struct {
		name             string
		linkProof, e, pi []byte
		publics          []*big.Int
		want             error
	}{
		{"E of another model", b.linkProof, bo.e, b.pi, b.publics, verifier.ErrInvalidBinding},
		{"link proof of another model", bo.linkProof, b.e, b.pi, b.publics, verifier.ErrInvalidProof},
		{"another model's whole binding under this commitment", bo.linkProof, bo.e, bo.pi, b.publics, verifier.ErrInvalidProof},
		{"pi of another model", b.linkProof, b.e, bo.pi, b.publics, verifier.ErrInvalidBinding},
		{"pi replaced by the generator", b.linkProof, b.e, genB[:], b.publics, verifier.ErrInvalidBinding},
		{"E truncated", b.linkProof, b.e[:31], b.pi, b.publics, verifier.ErrMalformedBinding},
		{"pi not a point", b.linkProof, b.e, notPoint, b.publics, verifier.ErrMalformedBinding},
		{"E not a point", b.linkProof, notPoint, b.pi, b.publics, verifier.ErrMalformedBinding},
		{"link proof truncated", b.linkProof[:40], b.e, b.pi, b.publics, verifier.ErrMalformedProof},
		{"submitted by another account", b.linkProof, b.e, b.pi, thief, verifier.ErrInvalidProof},
	}
	for _, c := range bindCases {
		err := verifier.VerifyBinding(k.vkL, k.bvk, c.linkProof, c.publics, c.e, c.pi)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
	}
	boundCases := []struct {
		name    string
		proof   []byte
		pubs    []*big.Int
		binding []byte
	}{
		{"another model's inference under this binding", otherProof, otherPubs, b.e},
		{"this model's inference under another binding", proof, pubs, bo.e},
		{"proof with a fresh random mask", randomMask, randomPubs, b.e},
	}
	for _, c := range boundCases {
		if err := verifier.VerifyBound(k.vkI, c.proof, c.pubs, c.binding); !errors.Is(err, verifier.ErrInvalidProof) {
			t.Errorf("%s: got %v, want ErrInvalidProof", c.name, err)
		}
	}
	// E moved along the inference mask's column, with π moved to match:
	// the QA-NIZK accepts it (the mask is a free column), so whoever holds a
	// link proof could bind the model to a commitment its owner's proofs do
	// not carry. That is why the link proof is bound to its submitter: a
	// copy taken from the mempool verifies for nobody else.
	basis := k.pkI.(*groth16bn254.ProvingKey).CommitmentKeys[0].Basis
	var e, shifted, pi, piShifted curve.G1Affine
	if _, err := e.SetBytes(b.e); err != nil {
		t.Fatal(err)
	}
	pi.SetBytes(b.pi)
	shifted.Add(&e, &basis[len(basis)-2])
	piShifted.Add(&pi, &k.bk.Points[len(k.bk.Points)-1])
	sb, pb := shifted.Bytes(), piShifted.Bytes()
	if err := verifier.VerifyBinding(k.vkL, k.bvk, b.linkProof, b.publics, sb[:], pb[:]); err != nil {
		t.Fatalf("the binder's own mask variant: %v", err)
	}
	if err := verifier.VerifyBinding(k.vkL, k.bvk, b.linkProof, thief, sb[:], pb[:]); !errors.Is(err, verifier.ErrInvalidProof) {
		t.Fatalf("a copied link proof with a shifted E: got %v, want ErrInvalidProof", err)
	}
	if err := verifier.VerifyBound(k.vkI, proof, pubs, sb[:]); !errors.Is(err, verifier.ErrInvalidProof) {
		t.Fatalf("the owner's proof under the shifted E: got %v", err)
	}

	// The other model binds fine on its own.
	if err := verifier.VerifyBinding(k.vkL, k.bvk, bo.linkProof, bo.publics, bo.e, bo.pi); err != nil {
		t.Fatalf("other model's binding: %v", err)
	}
	if err := verifier.VerifyBound(k.vkI, otherProof, otherPubs, bo.e); err != nil {
		t.Fatalf("other model's inference: %v", err)
	}
}

var updateFixtures = flag.Bool("update-fixtures", false, "rewrite testdata/zkml (the verifier's fuzz fixtures) from fresh one-party keys")

// verifierFixture is testdata/zkml/tiny-binding.json.
type verifierFixture struct {
	Commitment string `json:"commitment"`
	Submitter  string `json:"submitter"`
	Binding    []byte `json:"binding"`
	LinkProof  []byte `json:"linkProof"`
	Proof      []byte `json:"proof"`
}

// TestVerifierFixtures checks that the verifier's fuzz fixtures are a
// valid, bound inference proof of the tiny model; -update-fixtures
// rewrites them.
func TestVerifierFixtures(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "zkml")
	if *updateFixtures {
		k := tinyBindingKeys(t)
		m := tinyModel(t)
		b := bindModel(t, k, m)
		w, pub, err := circuit.AssignInference(m, []int64{5, 2}, big.NewInt(0x1234))
		if err != nil {
			t.Fatal(err)
		}
		p, err := circuit.ProveMasked(k.ccsI, k.pkI, w)
		if err != nil {
			t.Fatal(err)
		}
		pb, _ := circuit.MarshalProof(p)
		pubs, _ := circuit.InferencePublics(pub)
		hexes := make([]string, len(pubs))
		for i, v := range pubs {
			hexes[i] = model.HexElement(v)
		}
		var ivk, lvk bytes.Buffer
		k.vkI.WriteTo(&ivk)
		k.vkL.WriteTo(&lvk)
		pj, _ := json.Marshal(hexes)
		fj, _ := json.MarshalIndent(verifierFixture{Commitment: m.Commitment, Submitter: model.HexElement(binder), Binding: b.e, LinkProof: b.linkProof, Proof: b.pi}, "", "  ")
		for name, data := range map[string][]byte{
			"tiny-vk.bin": ivk.Bytes(), "tiny-proof.bin": pb, "tiny-publics.json": pj,
			"tiny-link-vk.bin": lvk.Bytes(), "tiny-binding-vk.bin": k.bvk.Bytes(), "tiny-binding.json": fj,
		} {
			if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	var fx verifierFixture
	if err := json.Unmarshal(read("tiny-binding.json"), &fx); err != nil {
		t.Fatal(err)
	}
	var hexes []string
	if err := json.Unmarshal(read("tiny-publics.json"), &hexes); err != nil {
		t.Fatal(err)
	}
	var pubs []*big.Int
	for _, h := range hexes {
		v, err := model.ParseElement(h)
		if err != nil {
			t.Fatal(err)
		}
		pubs = append(pubs, v)
	}
	vk, err := verifier.DecodeVK(read("tiny-vk.bin"))
	if err != nil {
		t.Fatal(err)
	}
	lvk, err := verifier.DecodeVK(read("tiny-link-vk.bin"))
	if err != nil {
		t.Fatal(err)
	}
	bvk, err := verifier.DecodeBindingVK(read("tiny-binding-vk.bin"))
	if err != nil {
		t.Fatal(err)
	}
	c, _ := model.ParseElement(fx.Commitment)
	sub, _ := model.ParseElement(fx.Submitter)
	if err := verifier.VerifyBinding(lvk, bvk, fx.LinkProof, []*big.Int{c, sub}, fx.Binding, fx.Proof); err != nil {
		t.Fatalf("fixture binding: %v", err)
	}
	if err := verifier.VerifyBound(vk, read("tiny-proof.bin"), pubs, fx.Binding); err != nil {
		t.Fatalf("fixture proof: %v", err)
	}
}
