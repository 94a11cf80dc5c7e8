package claimer_test

import (
	"errors"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"emergence/personhood"
	"emergence/personhood/claimer"
	"emergence/personhood/devkeys"
	"emergence/personhood/identity"
	"emergence/personhood/tree"
)

func TestProvingKey(t *testing.T) {
	dev := personhood.DefaultParams()
	if pk, err := claimer.ProvingKey(dev, nil); err != nil || len(pk) != len(devkeys.ProvingKey) {
		t.Fatalf("devnet params: %v (%d bytes)", err, len(pk))
	}
	file := []byte("key from a file")
	if pk, err := claimer.ProvingKey(dev, file); err != nil || string(pk) != string(file) {
		t.Fatalf("a key file given is used: %v %q", err, pk)
	}
	other := dev
	other.VerifyingKey = "00"
	if _, err := claimer.ProvingKey(other, nil); !errors.Is(err, claimer.ErrNotDevnetKeys) {
		t.Fatalf("another network's params without a key file: %v, want ErrNotDevnetKeys", err)
	}
}

// path returns the answer the "path" query gives for leaf index i of a
// tree holding commitments.
func path(t *testing.T, depth int, commitments []fr.Element, i uint64) personhood.PathInfo {
	t.Helper()
	tr, err := tree.New(tree.NewMemStore(), depth, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range commitments {
		if _, _, err := tr.Insert(c, 1); err != nil {
			t.Fatal(err)
		}
	}
	root, err := tr.Root()
	if err != nil {
		t.Fatal(err)
	}
	p, err := tr.Proof(i)
	if err != nil {
		t.Fatal(err)
	}
	info := personhood.PathInfo{Index: p.Index, Root: personhood.FieldString(root)}
	for _, s := range p.Siblings {
		info.Siblings = append(info.Siblings, personhood.FieldString(s))
	}
	return info
}

// TestProveChecksBeforeProving checks the two cheap failures: a path that
// does not lead from the identity to the root, and a proving key that
// does not fit, each before any proving work.
func TestProveChecksBeforeProving(t *testing.T) {
	a, err := identity.New()
	if err != nil {
		t.Fatal(err)
	}
	b, err := identity.New()
	if err != nil {
		t.Fatal(err)
	}
	params := personhood.DefaultParams()
	params.TreeDepth = 4
	p := path(t, 4, []fr.Element{a.Commitment(), b.Commitment()}, 1)
	ext, signal := identity.EpochExternalNullifier(1), fr.NewElement(7)
	if _, _, err := claimer.Prove(params, nil, a, p, ext, signal); err == nil {
		t.Fatal("a proof was made on another identity's path")
	}
	p = path(t, 4, []fr.Element{a.Commitment(), b.Commitment()}, 0)
	if _, _, err := claimer.Prove(params, []byte("not a proving key"), a, p, ext, signal); !errors.Is(err, claimer.ErrKeyMismatch) {
		t.Fatalf("a bad proving key: %v, want ErrKeyMismatch", err)
	}
}
