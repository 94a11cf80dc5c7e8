package verifier

import (
	"fmt"
	"math/big"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr/mimc"
)

// TagExamStatement separates exam statements from every other MiMC hash of
// the zkml circuits.
var TagExamStatement = new(big.Int).SetBytes([]byte("emergence/zkml/examstmt/v1"))

// nameChunk is the number of name bytes packed into one field element.
const nameChunk = 31

// ExamStatement is the public input that ties an exam circuit's key to
// what an exam registration says about it:
//
//	MiMC(TagExamStatement, examDigest, n, shapeDigest, len(name), name in 31-byte big-endian chunks…)
//
// The exam circuit compiles it in as a constant and the chain recomputes
// it from the registered metadata, so a key registered under another
// name, sample count, exam or model shape verifies no proof. Every field
// is fixed-size or length-prefixed.
func ExamStatement(examDigest *big.Int, n uint64, shapeDigest *big.Int, name string) (*big.Int, error) {
	if len(name) > 1<<10 {
		return nil, fmt.Errorf("exam name of %d bytes", len(name))
	}
	el := []*big.Int{TagExamStatement, examDigest, new(big.Int).SetUint64(n), shapeDigest, big.NewInt(int64(len(name)))}
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
