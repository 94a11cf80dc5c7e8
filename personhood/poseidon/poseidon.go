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

// Round constants of the instance, flattened: two per full round, one per
// partial round, in round order (gnark-crypto's NewParameters derivation).
var full1, partial, full2 = func() (f1 [FullRounds / 2][2]fr.Element, p [PartialRounds]fr.Element, f2 [FullRounds / 2][2]fr.Element) {
	rk := bnposeidon2.NewParameters(Width, FullRounds, PartialRounds).RoundKeys
	for i := 0; i < FullRounds/2; i++ {
		f1[i] = [2]fr.Element{rk[i][0], rk[i][1]}
		f2[i] = [2]fr.Element{rk[FullRounds/2+PartialRounds+i][0], rk[FullRounds/2+PartialRounds+i][1]}
	}
	for i := 0; i < PartialRounds; i++ {
		p[i] = rk[FullRounds/2+i][0]
	}
	return f1, p, f2
}()

// sbox raises x to the fifth power.
func sbox(x *fr.Element) {
	var t fr.Element
	t.Square(x)
	t.Square(&t)
	x.Mul(x, &t)
}

// external applies the width-2 external matrix circ(2, 1).
func external(a, b *fr.Element) {
	var t fr.Element
	t.Add(a, b)
	a.Add(a, &t)
	b.Add(b, &t)
}

// Hash compresses two field elements into one: the right lane of the
// Poseidon2 permutation of (left, right), plus right (feed-forward). It equals
// gnark-crypto's Permutation.Compress (a test holds them together) and
// gnark's in-circuit Compress, unrolled here for width 2.
func Hash(left, right fr.Element) fr.Element {
	a, b := left, right
	external(&a, &b)
	for i := range full1 {
		a.Add(&a, &full1[i][0])
		b.Add(&b, &full1[i][1])
		sbox(&a)
		sbox(&b)
		external(&a, &b)
	}
	var s fr.Element
	for i := range partial {
		a.Add(&a, &partial[i])
		sbox(&a)
		// Internal matrix [[2, 1], [1, 3]]: a += a+b, b = 2b + a+b.
		s.Add(&a, &b)
		a.Add(&a, &s)
		b.Double(&b)
		b.Add(&b, &s)
	}
	for i := range full2 {
		a.Add(&a, &full2[i][0])
		b.Add(&b, &full2[i][1])
		sbox(&a)
		sbox(&b)
		external(&a, &b)
	}
	b.Add(&b, &right)
	return b
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
