// Package poseidon is the one hash of the personhood protocol: the Poseidon2
// 2-to-1 compression over the BN254 scalar field (width 2, 6 full rounds, 50
// partial rounds, gnark-crypto's default round keys), computed natively here
// and in-circuit by package claim with the same parameters.
//
// It derives identity commitments, nullifier hashes and the nodes of the
// identity Merkle tree. The code is deterministic (no floats, maps,
// goroutines or I/O) so consensus code may call it.
package poseidon

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	bnposeidon2 "github.com/consensys/gnark-crypto/ecc/bn254/fr/poseidon2"
)

// Parameters of the Poseidon2 instance. Package claim uses the same numbers
// with gnark's std/permutation/poseidon2 so native and in-circuit hashes agree.
const (
	Width         = 2
	FullRounds    = 6
	PartialRounds = 50
	ElementSize   = fr.Bytes
)

// ErrNotCanonical is returned when 32 bytes do not encode a field element
// below the BN254 scalar-field modulus.
var ErrNotCanonical = errors.New("not a canonical BN254 scalar field element")

var perm = bnposeidon2.NewPermutation(Width, FullRounds, PartialRounds)

// Hash compresses two field elements into one: the right lane of the
// Poseidon2 permutation of (left, right), plus right (feed-forward). It equals
// gnark-crypto's Permutation.Compress and gnark's in-circuit Compress.
func Hash(left, right fr.Element) fr.Element {
	x := [2]fr.Element{left, right}
	if err := perm.Permutation(x[:]); err != nil {
		// The permutation only fails on a buffer of the wrong width, and x has Width elements.
		panic(fmt.Sprintf("poseidon: %v", err))
	}
	var out fr.Element
	out.Add(&x[1], &right)
	return out
}

// FromBytes decodes a 32-byte big-endian canonical field element.
func FromBytes(b []byte) (fr.Element, error) {
	var e fr.Element
	if len(b) != ElementSize {
		return e, fmt.Errorf("field element must be %d bytes, got %d: %w", ElementSize, len(b), ErrNotCanonical)
	}
	if err := e.SetBytesCanonical(b); err != nil {
		return e, fmt.Errorf("decode field element: %w", ErrNotCanonical)
	}
	return e, nil
}

// Bytes encodes e as 32 bytes big-endian.
func Bytes(e fr.Element) [ElementSize]byte {
	return e.Bytes()
}

// FromBigInt reduces nothing: it returns an error unless 0 <= v < r.
func FromBigInt(v *big.Int) (fr.Element, error) {
	var e fr.Element
	if v.Sign() < 0 || v.Cmp(fr.Modulus()) >= 0 {
		return e, fmt.Errorf("value out of field range: %w", ErrNotCanonical)
	}
	e.SetBigInt(v)
	return e, nil
}

// FromUint64 returns the field element v.
func FromUint64(v uint64) fr.Element {
	var e fr.Element
	e.SetUint64(v)
	return e
}
