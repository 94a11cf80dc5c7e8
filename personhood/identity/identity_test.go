package identity_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"emergence/personhood/identity"
	"emergence/personhood/poseidon"
	"emergence/personhood/sealbox"
)

func TestDerivationFollowsSemaphore(t *testing.T) {
	var secret [32]byte
	copy(secret[:], "fixed test secret for derivation")
	id := identity.FromSecret(secret)
	sum := sha256.Sum256(secret[:])
	seed := hex.EncodeToString(sum[:])
	h := sha256.Sum256([]byte(seed + "identity_nullifier"))
	want := new(big.Int).Mod(new(big.Int).SetBytes(h[:]), fr.Modulus())
	var got big.Int
	id.Nullifier.BigInt(&got)
	if got.Cmp(want) != 0 {
		t.Fatalf("nullifier = %v, want %v", &got, want)
	}
	if c, w := id.Commitment(), poseidon.Hash(id.Nullifier, id.Trapdoor); !c.Equal(&w) {
		t.Fatal("commitment is not H(nullifier, trapdoor)")
	}
	if id.Trapdoor.Equal(&id.Nullifier) {
		t.Fatal("trapdoor equals nullifier")
	}
}

func TestNullifiersAreSeparatedByEpochAndApp(t *testing.T) {
	id, err := identity.New()
	if err != nil {
		t.Fatal(err)
	}
	e1, e2 := identity.EpochExternalNullifier(1), identity.EpochExternalNullifier(2)
	a := identity.AppExternalNullifier("label")
	n1, n2, na := id.NullifierHash(e1), id.NullifierHash(e2), id.NullifierHash(a)
	if n1.Equal(&n2) || n1.Equal(&na) || n2.Equal(&na) {
		t.Fatal("nullifier hashes collide across epochs or apps")
	}
	again := id.NullifierHash(identity.EpochExternalNullifier(1))
	if !again.Equal(&n1) {
		t.Fatal("nullifier hash not deterministic")
	}
}

func TestHashToFieldIsKeccakShifted(t *testing.T) {
	// keccak256("") = c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470
	e := identity.HashToField(nil)
	var got big.Int
	e.BigInt(&got)
	want, _ := new(big.Int).SetString("c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a4", 16)
	if got.Cmp(want) != 0 {
		t.Fatalf("HashToField(\"\") = %x, want %x", &got, want)
	}
}

func TestSignal(t *testing.T) {
	addr := make([]byte, 20)
	addr[19] = 7
	s, err := identity.Signal(addr)
	if err != nil {
		t.Fatal(err)
	}
	if want := poseidon.FromUint64(7); !s.Equal(&want) {
		t.Fatal("signal of address ...07 is not 7")
	}
	if _, err := identity.Signal(nil); err == nil {
		t.Fatal("empty address accepted")
	}
	if _, err := identity.Signal(make([]byte, 32)); err == nil {
		t.Fatal("32-byte address accepted")
	}
}

func TestEncodeDecode(t *testing.T) {
	id, _ := identity.New()
	plain, err := id.Encode(nil)
	if err != nil {
		t.Fatal(err)
	}
	if identity.Encrypted(plain) {
		t.Fatal("plain file reported encrypted")
	}
	got, err := identity.Decode(plain, nil)
	if err != nil || got.Secret != id.Secret {
		t.Fatalf("plain round trip: %v", err)
	}
	sealed, err := id.Encode([]byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	if !identity.Encrypted(sealed) || strings.Contains(string(sealed), hex.EncodeToString(id.Secret[:])) {
		t.Fatal("sealed file exposes the secret")
	}
	if _, err := identity.Decode(sealed, nil); !errors.Is(err, identity.ErrPassphraseRequired) {
		t.Fatalf("no passphrase: err = %v", err)
	}
	if _, err := identity.Decode(sealed, []byte("bad")); !errors.Is(err, sealbox.ErrDecrypt) {
		t.Fatalf("bad passphrase: err = %v", err)
	}
	got, err = identity.Decode(sealed, []byte("pw"))
	if err != nil || got.Secret != id.Secret {
		t.Fatalf("sealed round trip: %v", err)
	}
	for _, bad := range []string{"", "{}", `{"version":1,"secret":"zz"}`, `{"version":1,"secret":"00","commitment":"1"}`} {
		if _, err := identity.Decode([]byte(bad), nil); !errors.Is(err, identity.ErrMalformed) {
			t.Fatalf("Decode(%q) err = %v, want ErrMalformed", bad, err)
		}
	}
	tampered := strings.Replace(string(plain), `"commitment": "`, `"commitment": "1`, 1)
	if _, err := identity.Decode([]byte(tampered), nil); !errors.Is(err, identity.ErrMalformed) {
		t.Fatalf("wrong commitment: err = %v", err)
	}
}
