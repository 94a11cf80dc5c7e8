package poseidon_test

import (
	"bytes"
	"errors"
	"math/big"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	bnposeidon2 "github.com/consensys/gnark-crypto/ecc/bn254/fr/poseidon2"

	"emergence/personhood/poseidon"
)

func TestHashMatchesGnarkCryptoCompress(t *testing.T) {
	p := bnposeidon2.NewPermutation(2, 6, 50)
	for i := uint64(0); i < 20; i++ {
		a, b := poseidon.FromUint64(i*7919+1), poseidon.FromUint64(i*104729+3)
		ab, bb := a.Bytes(), b.Bytes()
		want, err := p.Compress(ab[:], bb[:])
		if err != nil {
			t.Fatal(err)
		}
		got := poseidon.Hash(a, b)
		gb := got.Bytes()
		if !bytes.Equal(gb[:], want) {
			t.Fatalf("Hash(%d) = %x, want %x", i, gb, want)
		}
	}
}

func TestHashIsOrderSensitive(t *testing.T) {
	a, b := poseidon.FromUint64(1), poseidon.FromUint64(2)
	if x, y := poseidon.Hash(a, b), poseidon.Hash(b, a); x.Equal(&y) {
		t.Fatal("Hash(1,2) == Hash(2,1)")
	}
}

func TestFromBytesRejectsNonCanonical(t *testing.T) {
	mod := fr.Modulus().FillBytes(make([]byte, 32))
	if _, err := poseidon.FromBytes(mod); !errors.Is(err, poseidon.ErrNotCanonical) {
		t.Fatalf("FromBytes(r) err = %v, want ErrNotCanonical", err)
	}
	if _, err := poseidon.FromBytes(make([]byte, 31)); !errors.Is(err, poseidon.ErrNotCanonical) {
		t.Fatalf("FromBytes(31 bytes) err = %v, want ErrNotCanonical", err)
	}
	one := poseidon.FromUint64(1)
	ob := one.Bytes()
	got, err := poseidon.FromBytes(ob[:])
	if err != nil || !got.Equal(&one) {
		t.Fatalf("FromBytes(1) = %v, %v", got, err)
	}
	if _, err := poseidon.FromBigInt(new(big.Int).Neg(big.NewInt(1))); err == nil {
		t.Fatal("FromBigInt(-1) accepted")
	}
}

func BenchmarkHash(b *testing.B) {
	x, y := poseidon.FromUint64(1), poseidon.FromUint64(2)
	for b.Loop() {
		x = poseidon.Hash(x, y)
	}
}

// BenchmarkGnarkCryptoPermutation is the reference: gnark-crypto's generic
// permutation on the same instance, for comparison with BenchmarkHash.
func BenchmarkGnarkCryptoPermutation(b *testing.B) {
	p := bnposeidon2.NewPermutation(2, 6, 50)
	x := []fr.Element{poseidon.FromUint64(1), poseidon.FromUint64(2)}
	for b.Loop() {
		if err := p.Permutation(x); err != nil {
			b.Fatal(err)
		}
	}
}
