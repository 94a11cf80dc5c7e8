// Package statement holds the public values of the zkml circuits that are
// computed off the proof system: the exam statement and the hex form of
// BN254 scalar field elements. It depends on gnark-crypto's field and MiMC
// only, so that code which makes models (zkml/model, and through it the
// compute market's WebAssembly trainer) does not link Groth16, which
// zkml/verifier does; zkml/verifier exports the same functions under its
// old names.
package statement

import (
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr/mimc"
)

// TagExam separates exam statements from every other MiMC hash of the
// zkml circuits.
var TagExam = new(big.Int).SetBytes([]byte("emergence/zkml/examstmt/v1"))

// nameChunk is the number of name bytes packed into one field element.
const nameChunk = 31

// Exam is the public input that ties an exam circuit's key to what an
// exam registration says about it:
//
//	MiMC(TagExam, examDigest, n, shapeDigest, len(name), name in 31-byte big-endian chunks…)
//
// The exam circuit compiles it in as a constant and the chain recomputes
// it from the registered metadata, so a key registered under another
// name, sample count, exam or model shape verifies no proof. Every field
// is fixed-size or length-prefixed.
func Exam(examDigest *big.Int, n uint64, shapeDigest *big.Int, name string) (*big.Int, error) {
	if len(name) > 1<<10 {
		return nil, fmt.Errorf("exam name of %d bytes", len(name))
	}
	el := []*big.Int{TagExam, examDigest, new(big.Int).SetUint64(n), shapeDigest, big.NewInt(int64(len(name)))}
	for i := 0; i < len(name); i += nameChunk {
		el = append(el, new(big.Int).SetBytes([]byte(name[i:min(i+nameChunk, len(name))])))
	}
	h := mimc.NewMiMC()
	for i, e := range el {
		if e == nil || e.Sign() < 0 || e.Cmp(fr.Modulus()) >= 0 {
			return nil, fmt.Errorf("exam statement element %d is not a field element", i)
		}
		var x fr.Element
		x.SetBigInt(e)
		b := x.Bytes()
		if _, err := h.Write(b[:]); err != nil {
			return nil, fmt.Errorf("exam statement: %w", err)
		}
	}
	return new(big.Int).SetBytes(h.Sum(nil)), nil
}

// ParseElement parses a 0x-prefixed hex field element (up to 64 digits),
// rejecting values not below the BN254 scalar modulus.
func ParseElement(h string) (*big.Int, error) {
	h = strings.TrimPrefix(h, "0x")
	if len(h) == 0 || len(h) > 64 {
		return nil, fmt.Errorf("field element %q: want 1 to 64 hex digits", h)
	}
	v, ok := new(big.Int).SetString(h, 16)
	if !ok {
		return nil, fmt.Errorf("field element %q: not hex", h)
	}
	if v.Cmp(fr.Modulus()) >= 0 {
		return nil, errors.New("field element not below the BN254 scalar modulus")
	}
	return v, nil
}

// HexElement formats a field element as 0x + 64 hex digits.
func HexElement(v *big.Int) string { return fmt.Sprintf("0x%064x", v) }
