package claim_test

import (
	"encoding/binary"
	"errors"
	"sync"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/logger"

	"emergence/personhood/claim"
	"emergence/personhood/identity"
	"emergence/personhood/poseidon"
	"emergence/personhood/tree"
)

const testDepth = 10

var (
	setupOnce sync.Once
	prover    *claim.Prover
	verifier  *claim.Verifier
	setupErr  error
)

func keys(t testing.TB) (*claim.Prover, *claim.Verifier) {
	t.Helper()
	setupOnce.Do(func() {
		logger.Disable()
		prover, verifier, setupErr = claim.Setup(testDepth)
	})
	if setupErr != nil {
		t.Fatal(setupErr)
	}
	return prover, verifier
}

// fixture enrols a few identities and returns a valid witness for one of them.
func fixture(t testing.TB) (*identity.Identity, *tree.Tree, claim.Witness) {
	t.Helper()
	tr, err := tree.New(tree.NewMemStore(), testDepth, 10)
	if err != nil {
		t.Fatal(err)
	}
	var me *identity.Identity
	for i := 0; i < 5; i++ {
		id, err := identity.New()
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := tr.Insert(id.Commitment(), 1); err != nil {
			t.Fatal(err)
		}
		if i == 3 {
			me = id
		}
	}
	idx, ok, err := tr.IndexOf(me.Commitment())
	if err != nil || !ok {
		t.Fatal("identity not in tree", err)
	}
	path, err := tr.Proof(idx)
	if err != nil {
		t.Fatal(err)
	}
	root, _ := tr.Root()
	ext := identity.EpochExternalNullifier(7)
	sig, _ := identity.Signal([]byte("recipient-address-20"))
	return me, tr, claim.Witness{
		IdentityNullifier: me.Nullifier,
		IdentityTrapdoor:  me.Trapdoor,
		Path:              path,
		Public:            claim.PublicInputs{Root: root, NullifierHash: me.NullifierHash(ext), Signal: sig, ExternalNullifier: ext},
	}
}

func TestValidProofVerifiesAndTamperedInputsFail(t *testing.T) {
	p, v := keys(t)
	_, _, w := fixture(t)
	proof, err := p.Prove(&w)
	if err != nil {
		t.Fatal(err)
	}
	if len(proof) != claim.ProofSize {
		t.Fatalf("proof is %d bytes, want %d", len(proof), claim.ProofSize)
	}
	if err := v.Verify(proof, w.Public); err != nil {
		t.Fatalf("valid proof rejected: %v", err)
	}
	one := poseidon.FromUint64(1)
	add := func(e fr.Element) fr.Element { var r fr.Element; r.Add(&e, &one); return r }
	cases := []struct {
		name string
		edit func(*claim.PublicInputs)
	}{
		{"wrong root", func(p *claim.PublicInputs) { p.Root = add(p.Root) }},
		{"wrong signal (redirected recipient)", func(p *claim.PublicInputs) { p.Signal = add(p.Signal) }},
		{"wrong nullifier hash", func(p *claim.PublicInputs) { p.NullifierHash = add(p.NullifierHash) }},
		{"wrong external nullifier (other epoch)", func(p *claim.PublicInputs) { p.ExternalNullifier = identity.EpochExternalNullifier(8) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pub := w.Public
			tc.edit(&pub)
			if err := v.Verify(proof, pub); !errors.Is(err, claim.ErrInvalidProof) {
				t.Fatalf("err = %v, want ErrInvalidProof", err)
			}
		})
	}
}

func TestProverRefusesFalseStatements(t *testing.T) {
	p, _ := keys(t)
	_, _, w := fixture(t)
	stranger, _ := identity.New()
	cases := []struct {
		name string
		edit func(*claim.Witness)
	}{
		{"identity not in tree", func(w *claim.Witness) {
			w.IdentityNullifier, w.IdentityTrapdoor = stranger.Nullifier, stranger.Trapdoor
			w.Public.NullifierHash = stranger.NullifierHash(w.Public.ExternalNullifier)
		}},
		{"nullifier hash of another epoch", func(w *claim.Witness) {
			w.Public.NullifierHash = identity.NullifierHash(identity.EpochExternalNullifier(1), w.IdentityNullifier)
		}},
		{"wrong path index", func(w *claim.Witness) { w.Path.Index ^= 1 }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			bad := w
			bad.Path.Siblings = append([]fr.Element(nil), w.Path.Siblings...)
			tc.edit(&bad)
			if _, err := p.Prove(&bad); !errors.Is(err, claim.ErrWitness) {
				t.Fatalf("err = %v, want ErrWitness", err)
			}
		})
	}
	short := w
	short.Path.Siblings = w.Path.Siblings[:3]
	if _, err := p.Prove(&short); !errors.Is(err, claim.ErrWitness) {
		t.Fatalf("short path: err = %v", err)
	}
}

func TestProofForLatestRootAfterMoreInserts(t *testing.T) {
	p, v := keys(t)
	me, tr, w := fixture(t)
	other, _ := identity.New()
	if _, _, err := tr.Insert(other.Commitment(), 2); err != nil {
		t.Fatal(err)
	}
	root, _ := tr.Root()
	path, _ := tr.Proof(w.Path.Index)
	w.Path, w.Public.Root = path, root
	proof, err := p.Prove(&w)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Verify(proof, w.Public); err != nil {
		t.Fatalf("proof against latest root rejected: %v", err)
	}
	if got := me.NullifierHash(w.Public.ExternalNullifier); !got.Equal(&w.Public.NullifierHash) {
		t.Fatal("nullifier hash changed with the tree")
	}
}

func TestKeyEncodingRoundTrip(t *testing.T) {
	p, v := keys(t)
	vkb, err := v.EncodeVerifyingKey()
	if err != nil {
		t.Fatal(err)
	}
	if len(vkb) != claim.VerifyingKeySize {
		t.Fatalf("verifying key is %d bytes, VerifyingKeySize %d", len(vkb), claim.VerifyingKeySize)
	}
	v2, err := claim.DecodeVerifyingKey(vkb)
	if err != nil {
		t.Fatal(err)
	}
	pkb, err := p.WriteKey()
	if err != nil {
		t.Fatal(err)
	}
	p2, err := claim.NewProver(testDepth, pkb)
	if err != nil {
		t.Fatal(err)
	}
	_, _, w := fixture(t)
	proof, err := p2.Prove(&w)
	if err != nil {
		t.Fatal(err)
	}
	if err := v2.Verify(proof, w.Public); err != nil {
		t.Fatalf("proof from reloaded keys rejected: %v", err)
	}
	for _, bad := range [][]byte{nil, vkb[:100], append(append([]byte{}, vkb...), 0)} {
		if _, err := claim.DecodeVerifyingKey(bad); !errors.Is(err, claim.ErrMalformedKey) {
			t.Fatalf("key of %d bytes: err = %v", len(bad), err)
		}
	}
	// An x coordinate above the field modulus: invalid on every run (flipping
	// bits of a coordinate can land on another valid point).
	flipped := append([]byte{}, vkb...)
	for i := 0; i < 32; i++ {
		flipped[i] = 0xff
	}
	if _, err := claim.DecodeVerifyingKey(flipped); !errors.Is(err, claim.ErrMalformedKey) {
		t.Fatalf("corrupted key: err = %v", err)
	}
	if _, err := claim.NewProver(testDepth, pkb[:50]); err == nil {
		t.Fatal("truncated proving key accepted")
	}
}

func TestDecodeProofRejectsMalformed(t *testing.T) {
	p, v := keys(t)
	_, _, w := fixture(t)
	proof, err := p.Prove(&w)
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string][]byte{
		"empty":    nil,
		"short":    proof[:claim.ProofSize-1],
		"long":     append(append([]byte{}, proof...), 0),
		"all ones": bytesOf(0xff, claim.ProofSize),
		"not on curve": func() []byte {
			b := append([]byte{}, proof...)
			b[5] ^= 0x55
			return b
		}(),
	}
	for name, b := range cases {
		if err := v.Verify(b, w.Public); !errors.Is(err, claim.ErrMalformedProof) && !errors.Is(err, claim.ErrInvalidProof) {
			t.Fatalf("%s: err = %v, want malformed or invalid", name, err)
		}
	}
	if _, err := claim.DecodeProof(proof[:10]); !errors.Is(err, claim.ErrMalformedProof) {
		t.Fatalf("short: err = %v", err)
	}
}

func bytesOf(b byte, n int) []byte {
	out := make([]byte, n)
	for i := range out {
		out[i] = b
	}
	return out
}

func TestConstraintCount(t *testing.T) {
	p, _ := keys(t)
	n := p.Constraints()
	t.Logf("depth %d: %d constraints", testDepth, n)
	// 12 Poseidon2 compressions plus one select per level plus the signal square.
	if n < 12*150 || n > 12*250 {
		t.Fatalf("%d constraints at depth %d, outside the expected 1800..3000", n, testDepth)
	}
}

// TestDecodeVerifyingKeyHostilePrefixes replays FuzzDecodeVerifyingKey's
// finding: a key of the right length whose length prefixes declare 2^32
// entries made gnark try to allocate 51 GB. The prefixes are checked first.
func TestDecodeVerifyingKeyHostilePrefixes(t *testing.T) {
	_, v := keys(t)
	vkb, err := v.EncodeVerifyingKey()
	if err != nil {
		t.Fatal(err)
	}
	// len(K) after the six base points, the committed-index lists and the
	// commitment-key count after the five K points.
	for _, off := range []int{288, 288 + 4 + 5*32, 288 + 4 + 5*32 + 4} {
		bad := append([]byte{}, vkb...)
		binary.BigEndian.PutUint32(bad[off:], 0xfffffff0)
		if _, err := claim.DecodeVerifyingKey(bad); !errors.Is(err, claim.ErrMalformedKey) {
			t.Fatalf("prefix at byte %d: err = %v", off, err)
		}
	}
	// An uncompressed first point shifts every later field.
	bad := append([]byte{}, vkb...)
	bad[0] &^= 0xc0
	if _, err := claim.DecodeVerifyingKey(bad); !errors.Is(err, claim.ErrMalformedKey) {
		t.Fatalf("uncompressed point: err = %v", err)
	}
}
