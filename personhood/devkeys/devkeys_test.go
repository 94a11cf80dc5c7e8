package devkeys_test

import (
	"flag"
	"os"
	"testing"

	"github.com/consensys/gnark/logger"

	"emergence/personhood/claim"
	"emergence/personhood/devkeys"
	"emergence/personhood/identity"
	"emergence/personhood/tree"
)

var write = flag.Bool("devkeys.write", false, "run a fresh setup and overwrite claim30.pk and claim30.vk")

// TestWriteDevKeys regenerates the embedded keys when -devkeys.write is given;
// otherwise it checks that the committed files are the ones embedded.
func TestWriteDevKeys(t *testing.T) {
	if !*write {
		vk, err := os.ReadFile("claim30.vk")
		if err != nil || string(vk) != string(devkeys.VerifyingKey) {
			t.Fatalf("claim30.vk differs from the embedded key (err %v)", err)
		}
		return
	}
	logger.Disable()
	p, v, err := claim.Setup(devkeys.Depth)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := p.WriteKey()
	if err != nil {
		t.Fatal(err)
	}
	vk, err := v.EncodeVerifyingKey()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("claim30.pk", pk, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("claim30.vk", vk, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestEmbeddedKeysMatch proves with the embedded proving key and verifies
// with the embedded verifying key.
func TestEmbeddedKeysMatch(t *testing.T) {
	logger.Disable()
	v, err := claim.DecodeVerifyingKey(devkeys.VerifyingKey)
	if err != nil {
		t.Fatal(err)
	}
	p, err := claim.NewProver(devkeys.Depth, devkeys.ProvingKey)
	if err != nil {
		t.Fatal(err)
	}
	tr, _ := tree.New(tree.NewMemStore(), devkeys.Depth, 1)
	id, _ := identity.New()
	if _, _, err := tr.Insert(id.Commitment(), 1); err != nil {
		t.Fatal(err)
	}
	path, _ := tr.Proof(0)
	root, _ := tr.Root()
	ext := identity.EpochExternalNullifier(3)
	sig, _ := identity.Signal([]byte{9, 9, 9})
	w := claim.Witness{IdentityNullifier: id.Nullifier, IdentityTrapdoor: id.Trapdoor, Path: path,
		Public: claim.PublicInputs{Root: root, NullifierHash: id.NullifierHash(ext), Signal: sig, ExternalNullifier: ext}}
	proof, err := p.Prove(&w)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Verify(proof, w.Public); err != nil {
		t.Fatalf("embedded keys do not match: %v", err)
	}
}
