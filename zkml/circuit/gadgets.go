package circuit

import (
	"fmt"
	"math/big"

	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/hash/mimc"
	"github.com/consensys/gnark/std/rangecheck"

	"emergence/zkml/model"
)

// checker is the subset of std/rangecheck the circuits use.
type checker = frontend.Rangechecker

func newChecker(api frontend.API) checker { return rangecheck.New(api) }

// pow2 returns 2^n.
func pow2(n int) *big.Int { return new(big.Int).Lsh(big.NewInt(1), uint(n)) }

// sum adds terms in one call, so that gnark builds (and compresses) a single
// linear expression.
func sum(api frontend.API, terms []frontend.Variable) frontend.Variable {
	switch len(terms) {
	case 0:
		return 0
	case 1:
		return terms[0]
	case 2:
		return api.Add(terms[0], terms[1])
	default:
		return api.Add(terms[0], terms[1], terms[2:]...)
	}
}

// packChecked range-checks vals[i] to widths[i] bits and packs them into
// field elements exactly like model.Pack.
func packChecked(api frontend.API, rc checker, vals []frontend.Variable, widths []int) []frontend.Variable {
	for i, v := range vals {
		rc.Check(v, widths[i])
	}
	var out []frontend.Variable
	for _, g := range model.PackGroups(widths) {
		terms := make([]frontend.Variable, 0, g[1]-g[0])
		shift := 0
		for i := g[0]; i < g[1]; i++ {
			terms = append(terms, api.Mul(vals[i], pow2(shift)))
			shift += widths[i]
		}
		out = append(out, sum(api, terms))
	}
	return out
}

// mimcHash hashes elements with gnark's MiMC (same as model.MiMC).
func mimcHash(api frontend.API, elems ...frontend.Variable) (frontend.Variable, error) {
	h, err := mimc.NewMiMC(api)
	if err != nil {
		return nil, fmt.Errorf("mimc: %w", err)
	}
	h.Write(elems...)
	return h.Sum(), nil
}

// assertCommitment range-checks every parameter to its declared width and
// asserts MiMC(TagCommit, ShapeDigest, packed parameters..., salt) == commitment.
func assertCommitment(api frontend.API, rc checker, s model.Shape, w, b [][]frontend.Variable, salt, commitment frontend.Variable) error {
	var vals []frontend.Variable
	for l, ls := range s.Layers {
		off := pow2(ls.WeightBits - 1)
		for _, v := range w[l] {
			vals = append(vals, api.Add(v, off))
		}
		boff := pow2(ls.BiasBits - 1)
		for _, v := range b[l] {
			vals = append(vals, api.Add(v, boff))
		}
	}
	return assertOpening(api, rc, s, vals, salt, commitment)
}

// assertOpening is assertCommitment on the offset parameters in canonical
// order (model.OffsetValues).
func assertOpening(api frontend.API, rc checker, s model.Shape, offset []frontend.Variable, salt, commitment frontend.Variable) error {
	elems := []frontend.Variable{model.TagCommit, model.ShapeDigest(s)}
	elems = append(elems, packChecked(api, rc, offset, model.WeightWidths(s))...)
	elems = append(elems, salt)
	h, err := mimcHash(api, elems...)
	if err != nil {
		return err
	}
	api.AssertIsEqual(h, commitment)
	return nil
}

// requantReLU constrains q = floor(z / 2^shift) via z = q·2^shift + rem with
// rem in [0, 2^shift), and returns a = max(0, q) using the sign bit sigma:
// t = q - 2σq - σ (q if σ = 0, -q-1 if σ = 1) is range-checked to actBits,
// which forces σ = 1 exactly when q < 0. When z is nil the caller defines z
// as q·2^shift + rem itself (the exam circuit's Freivalds check).
func requantReLU(api frontend.API, rc checker, z, q, rem, sigma frontend.Variable, shift, actBits int) frontend.Variable {
	if shift > 0 {
		rc.Check(rem, shift)
	}
	if z != nil {
		recomposed := q
		if shift > 0 {
			recomposed = api.Add(api.Mul(q, pow2(shift)), rem)
		}
		api.AssertIsEqual(z, recomposed)
	}
	api.AssertIsBoolean(sigma)
	p := api.Mul(sigma, q)
	t := api.Sub(q, api.Mul(p, 2), sigma)
	rc.Check(t, signWidth(actBits))
	return api.Sub(q, p)
}

// signWidth rounds a width up to a multiple of 16 for checks whose only
// job is to prove a sign (t above, logit differences in the argmax): any
// width from the true bound up to ~250 bits is sound there, because the
// checked values are integers far below the field size, and widths that
// are whole limbs of the range checker avoid its extra query for a partial
// top limb. Remainder and parameter widths are never padded: they must be exact.
func signWidth(bits int) int { return (bits + 15) / 16 * 16 }

// accOf returns the accumulator of a hidden entry as a linear expression.
func accOf(api frontend.API, q, rem frontend.Variable, shift int) frontend.Variable {
	if shift == 0 {
		return q
	}
	return api.Add(api.Mul(q, pow2(shift)), rem)
}

// useInConstraint puts v into a constraint. A public input that appears in
// no constraint has a zero verifying-key point in Groth16 and could be
// changed freely; a committed wire in no constraint does not count in the
// commitment.
func useInConstraint(api frontend.API, v frontend.Variable) {
	sq := api.Mul(v, v)
	api.AssertIsEqual(sq, api.Mul(v, v))
}
