package model

import (
	"fmt"
	"math/big"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr/mimc"

	"emergence/zkml/statement"
)

// PackBits is the number of bits packed into one field element before it is
// hashed (BN254's scalar field has 254 bits; 248 leaves room to spare).
const PackBits = 248

// Domain separation tags, the first element of every hash.
var (
	TagCommit = tagElement("emergence/zkml/commit/v1")
	TagShape  = tagElement("emergence/zkml/shape/v1")
	TagExam   = tagElement("emergence/zkml/exam/v1")
	TagInput  = tagElement("emergence/zkml/input/v1")
	TagMask   = tagElement("emergence/zkml/mask/v1")
)

func tagElement(s string) *big.Int { return new(big.Int).SetBytes([]byte(s)) }

// Salt is the secret blinding element of a weight commitment.
type Salt struct{ v fr.Element }

// NewSalt draws a uniformly random salt.
func NewSalt() (Salt, error) {
	var s Salt
	if _, err := s.v.SetRandom(); err != nil {
		return Salt{}, fmt.Errorf("draw salt: %w", err)
	}
	return s, nil
}

// SaltFromBytes derives a salt from bytes (reduced modulo the field), for
// deterministic tests.
func SaltFromBytes(b []byte) Salt {
	var s Salt
	s.v.SetBigInt(new(big.Int).SetBytes(b))
	return s
}

// ParseSalt parses a hex salt as written by Hex.
func ParseSalt(h string) (Salt, error) {
	v, err := ParseElement(h)
	if err != nil {
		return Salt{}, err
	}
	var s Salt
	s.v.SetBigInt(v)
	return s, nil
}

// Hex returns the salt as 0x-prefixed hex.
func (s Salt) Hex() string { return HexElement(s.BigInt()) }

// BigInt returns the salt's value.
func (s Salt) BigInt() *big.Int { return s.v.BigInt(new(big.Int)) }

// HexElement formats a field element as 0x + 64 hex digits.
func HexElement(v *big.Int) string { return statement.HexElement(v) }

// ParseElement parses a 0x-prefixed hex field element, rejecting values not
// below the BN254 scalar modulus.
func ParseElement(h string) (*big.Int, error) { return statement.ParseElement(h) }

// MiMC hashes field elements with gnark-crypto's BN254 MiMC
// (Miyaguchi–Preneel), the same function as gnark's std/hash/mimc.
func MiMC(elems ...*big.Int) *big.Int {
	h := mimc.NewMiMC()
	var buf [fr.Bytes]byte
	for _, e := range elems {
		var x fr.Element
		x.SetBigInt(e)
		buf = x.Bytes()
		if _, err := h.Write(buf[:]); err != nil {
			// x is reduced, so Write cannot reject it.
			panic(fmt.Sprintf("mimc write of a reduced element: %v", err))
		}
	}
	return new(big.Int).SetBytes(h.Sum(nil))
}

// PackGroups splits items of the given bit widths, in order, into
// consecutive groups whose widths sum to at most PackBits. Each group
// becomes one field element, first item in the lowest bits.
func PackGroups(widths []int) [][2]int {
	var groups [][2]int
	start, used := 0, 0
	for i, w := range widths {
		if used+w > PackBits && i > start {
			groups = append(groups, [2]int{start, i})
			start, used = i, 0
		}
		used += w
	}
	if start < len(widths) {
		groups = append(groups, [2]int{start, len(widths)})
	}
	return groups
}

// Pack packs unsigned values (value i < 2^widths[i]) into field elements
// following PackGroups.
func Pack(values []*big.Int, widths []int) []*big.Int {
	var out []*big.Int
	for _, g := range PackGroups(widths) {
		acc := new(big.Int)
		shift := 0
		for i := g[0]; i < g[1]; i++ {
			acc.Add(acc, new(big.Int).Lsh(values[i], uint(shift)))
			shift += widths[i]
		}
		out = append(out, acc)
	}
	return out
}

// ShapeDigest binds a commitment to the model's public shape.
func ShapeDigest(s Shape) *big.Int {
	e := []*big.Int{TagShape, big.NewInt(int64(s.InputBits)), big.NewInt(int64(len(s.Layers)))}
	for _, l := range s.Layers {
		for _, v := range []int{l.In, l.Out, l.WeightBits, l.BiasBits, l.Shift} {
			e = append(e, big.NewInt(int64(v)))
		}
	}
	return MiMC(e...)
}

// WeightWidths lists the packing widths of a model's parameters in
// canonical order: per layer, the weights row by row, then the biases.
func WeightWidths(s Shape) []int {
	var w []int
	for _, l := range s.Layers {
		for i := 0; i < l.In*l.Out; i++ {
			w = append(w, l.WeightBits)
		}
		for i := 0; i < l.Out; i++ {
			w = append(w, l.BiasBits)
		}
	}
	return w
}

// OffsetValues lists a model's parameters in canonical order, each shifted
// by 2^(width-1) so that it is unsigned.
func OffsetValues(m *Model) []*big.Int {
	var v []*big.Int
	for _, l := range m.Layers {
		wo := int64(1) << (l.WeightBits - 1)
		for _, row := range l.Weights {
			for _, w := range row {
				v = append(v, big.NewInt(w+wo))
			}
		}
		bo := int64(1) << (l.BiasBits - 1)
		for _, b := range l.Bias {
			v = append(v, big.NewInt(b+bo))
		}
	}
	return v
}

// Commit computes the hiding commitment to m's weights:
// MiMC(TagCommit, ShapeDigest, packed parameters..., salt).
func Commit(m *Model, salt Salt) (*big.Int, error) {
	if err := m.Shape().Validate(); err != nil {
		return nil, err
	}
	s := m.Shape()
	e := []*big.Int{TagCommit, ShapeDigest(s)}
	e = append(e, Pack(OffsetValues(m), WeightWidths(s))...)
	e = append(e, salt.BigInt())
	return MiMC(e...), nil
}

// InputDigest is the public digest of a private inference input:
// MiMC(TagInput, features, inputBits, packed features...).
func InputDigest(x []int64, inputBits int) *big.Int {
	vals := make([]*big.Int, len(x))
	widths := make([]int, len(x))
	for i, v := range x {
		vals[i] = big.NewInt(v)
		widths[i] = inputBits
	}
	e := []*big.Int{TagInput, big.NewInt(int64(len(x))), big.NewInt(int64(inputBits))}
	e = append(e, Pack(vals, widths)...)
	return MiMC(e...)
}

// InferenceMask is the blinding of a model's Pedersen commitment in
// inference proofs: MiMC(TagMask, salt). It is secret (the salt is) and
// fixed per model, so every inference proof of the model carries the same
// commitment, which the chain compares with the model's binding.
func InferenceMask(salt Salt) *big.Int { return MiMC(TagMask, salt.BigInt()) }
