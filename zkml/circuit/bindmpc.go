package circuit

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/big"

	"github.com/consensys/gnark-crypto/ecc"
	curve "github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/backend/groth16"
)

// The binding key's trapdoor (k1, k2) is made by a multi-party
// computation like the Groth16 keys: each contributor adds secret
// (δ1, δ2) to it, so the trapdoor is unknown unless every contributor
// colludes. A contribution updates every point P_c += δ1·L_c + δ2·I_c and
// the verifying key K_i += [δ_i]₂, and proves knowledge of δ1 and δ2 with
// Schnorr proofs in G2 bound to the previous state, so that nobody can
// replace the key by one whose trapdoor they know. The last contribution
// is derived from the public beacon.

// bindingState is the binding key after some contributions, with the
// proof of knowledge of the last one (zero in the initial state).
type bindingState struct {
	key    BindingKey
	k1, k2 curve.G2Affine
	r1, r2 curve.G2Affine
	s1, s2 fr.Element
}

func (s *bindingState) WriteTo(w io.Writer) (int64, error) {
	var b bytes.Buffer
	if err := s.key.write(&b); err != nil {
		return 0, err
	}
	for _, p := range []*curve.G2Affine{&s.k1, &s.k2, &s.r1, &s.r2} {
		r := p.RawBytes()
		b.Write(r[:])
	}
	for _, e := range []*fr.Element{&s.s1, &s.s2} {
		r := e.Bytes()
		b.Write(r[:])
	}
	return b.WriteTo(w)
}

func readBindingState(raw []byte) (*bindingState, error) {
	const tail = 4*curve.SizeOfG2AffineUncompressed + 2*fr.Bytes
	if len(raw) < tail+4 {
		return nil, errors.New("binding contribution: truncated")
	}
	k, err := readBindingKey(raw[:len(raw)-tail])
	if err != nil {
		return nil, err
	}
	s := &bindingState{key: *k}
	rest := raw[len(raw)-tail:]
	for _, p := range []*curve.G2Affine{&s.k1, &s.k2, &s.r1, &s.r2} {
		if _, err := p.SetBytes(rest[:curve.SizeOfG2AffineUncompressed]); err != nil {
			return nil, fmt.Errorf("binding contribution: %w", err)
		}
		rest = rest[curve.SizeOfG2AffineUncompressed:]
	}
	for _, e := range []*fr.Element{&s.s1, &s.s2} {
		if err := e.SetBytesCanonical(rest[:fr.Bytes]); err != nil {
			return nil, fmt.Errorf("binding contribution: %w", err)
		}
		rest = rest[fr.Bytes:]
	}
	return s, nil
}

// bindingBases are the two commitment bases and the columns joining them.
type bindingBases struct {
	bl, bi []curve.G1Affine
	cols   []bindingColumn
}

func newBindingBases(s Spec, pkLink, pkInference groth16.ProvingKey) (*bindingBases, error) {
	bl, err := commitmentBasis(pkLink)
	if err != nil {
		return nil, fmt.Errorf("link key: %w", err)
	}
	bi, err := commitmentBasis(pkInference)
	if err != nil {
		return nil, fmt.Errorf("inference key: %w", err)
	}
	cols, err := bindingColumns(s.Shape, len(bl), len(bi))
	if err != nil {
		return nil, err
	}
	return &bindingBases{bl: bl, bi: bi, cols: cols}, nil
}

// initialBindingState is the all-zero key that contributions start from.
func (b *bindingBases) initialBindingState() *bindingState {
	return &bindingState{key: BindingKey{Points: make([]curve.G1Affine, len(b.cols))}}
}

// pokChallenge binds a contribution's proofs of knowledge to the previous
// state (its hash) and to the new key parts.
func pokChallenge(prevHash []byte, d1, d2, r1, r2 *curve.G2Affine) fr.Element {
	h := sha256.New()
	h.Write([]byte("emergence/zkml/binding-mpc/v1"))
	h.Write(prevHash)
	for _, p := range []*curve.G2Affine{d1, d2, r1, r2} {
		b := p.Bytes()
		h.Write(b[:])
	}
	var c fr.Element
	c.SetBytes(h.Sum(nil))
	return c
}

// contribute returns prev updated with (δ1, δ2); r1, r2 are the Schnorr nonces.
func (b *bindingBases) contribute(prev *bindingState, prevHash []byte, d1, d2, r1, r2 fr.Element) *bindingState {
	next := &bindingState{key: BindingKey{Points: make([]curve.G1Affine, len(b.cols))}}
	parallel(len(b.cols), func(lo, hi int) {
		var s1, s2 big.Int
		d1.BigInt(&s1)
		for c := lo; c < hi; c++ {
			col := b.cols[c]
			var acc, t curve.G1Jac
			acc.FromAffine(&prev.key.Points[c])
			if col.lIdx >= 0 {
				t.FromAffine(&b.bl[col.lIdx])
				t.ScalarMultiplication(&t, &s1)
				acc.AddAssign(&t)
			}
			if col.iIdx >= 0 {
				var e fr.Element
				e.SetBigInt(col.scale)
				e.Mul(&e, &d2)
				e.BigInt(&s2)
				t.FromAffine(&b.bi[col.iIdx])
				t.ScalarMultiplication(&t, &s2)
				acc.AddAssign(&t)
			}
			next.key.Points[c].FromJacobian(&acc)
		}
	})
	var dk1, dk2 curve.G2Affine
	dk1.ScalarMultiplicationBase(d1.BigInt(new(big.Int)))
	dk2.ScalarMultiplicationBase(d2.BigInt(new(big.Int)))
	next.k1.Add(&prev.k1, &dk1)
	next.k2.Add(&prev.k2, &dk2)
	next.r1.ScalarMultiplicationBase(r1.BigInt(new(big.Int)))
	next.r2.ScalarMultiplicationBase(r2.BigInt(new(big.Int)))
	c := pokChallenge(prevHash, &dk1, &dk2, &next.r1, &next.r2)
	next.s1.Mul(&c, &d1).Add(&next.s1, &r1)
	next.s2.Mul(&c, &d2).Add(&next.s2, &r2)
	return next
}

// contributeRandom is one participant's contribution, with fresh
// randomness that is forgotten afterwards.
func (b *bindingBases) contributeRandom(prev *bindingState, prevHash []byte) (*bindingState, error) {
	var s [4]fr.Element
	for i := range s {
		var err error
		if s[i], err = randScalar(rand.Reader); err != nil {
			return nil, err
		}
	}
	return b.contribute(prev, prevHash, s[0], s[1], s[2], s[3]), nil
}

// contributeBeacon is the final, public contribution derived from a beacon.
func (b *bindingBases) contributeBeacon(prev *bindingState, prevHash, beacon []byte) *bindingState {
	var s [4]fr.Element
	for i := range s {
		h := sha256.Sum256(append(append([]byte("emergence/zkml/binding-beacon/v1"), byte(i)), beacon...))
		s[i].SetBytes(h[:])
		if s[i].IsZero() {
			s[i].SetOne()
		}
	}
	return b.contribute(prev, prevHash, s[0], s[1], s[2], s[3])
}

// verify checks that next extends prev by one contribution: the proofs of
// knowledge of δ1 and δ2, and, with a random linear combination of the
// columns, that every point moved by δ1·L_c + δ2·I_c for those δ.
func (b *bindingBases) verify(prev, next *bindingState, prevHash []byte) error {
	n := len(b.cols)
	if len(prev.key.Points) != n || len(next.key.Points) != n {
		return fmt.Errorf("binding key of %d points, want %d", len(next.key.Points), n)
	}
	var dk1, dk2 curve.G2Affine
	dk1.Sub(&next.k1, &prev.k1)
	dk2.Sub(&next.k2, &prev.k2)
	if dk1.IsInfinity() || dk2.IsInfinity() {
		return errors.New("the contribution adds nothing to the binding key")
	}
	for _, p := range []*curve.G2Affine{&next.k1, &next.k2, &next.r1, &next.r2} {
		if !p.IsInSubGroup() {
			return errors.New("a G2 point of the contribution is not in the subgroup")
		}
	}
	c := pokChallenge(prevHash, &dk1, &dk2, &next.r1, &next.r2)
	for i, pk := range []struct {
		d, r *curve.G2Affine
		s    *fr.Element
	}{{&dk1, &next.r1, &next.s1}, {&dk2, &next.r2, &next.s2}} {
		var lhs, rhs curve.G2Affine
		lhs.ScalarMultiplicationBase(pk.s.BigInt(new(big.Int)))
		rhs.ScalarMultiplication(pk.d, c.BigInt(new(big.Int)))
		rhs.Add(&rhs, pk.r)
		if !lhs.Equal(&rhs) {
			return fmt.Errorf("proof of knowledge of δ%d does not verify", i+1)
		}
	}
	rho := make([]fr.Element, n)
	for i := range rho {
		if _, err := rho[i].SetRandom(); err != nil {
			return err
		}
	}
	var lPts, iPts []curve.G1Affine
	var lRho, iRho []fr.Element
	for i, col := range b.cols {
		if col.lIdx >= 0 {
			lPts = append(lPts, b.bl[col.lIdx])
			lRho = append(lRho, rho[i])
		}
		if col.iIdx >= 0 {
			var e fr.Element
			e.SetBigInt(col.scale)
			e.Mul(&e, &rho[i])
			iPts = append(iPts, b.bi[col.iIdx])
			iRho = append(iRho, e)
		}
	}
	cfg := ecc.MultiExpConfig{}
	var aNext, aPrev, sumL, sumI curve.G1Affine
	for _, m := range []struct {
		out *curve.G1Affine
		pts []curve.G1Affine
		sc  []fr.Element
	}{{&aNext, next.key.Points, rho}, {&aPrev, prev.key.Points, rho}, {&sumL, lPts, lRho}, {&sumI, iPts, iRho}} {
		if _, err := m.out.MultiExp(m.pts, m.sc, cfg); err != nil {
			return fmt.Errorf("multi-exponentiation: %w", err)
		}
	}
	var delta, negL, negI curve.G1Affine
	delta.Sub(&aNext, &aPrev)
	negL.Neg(&sumL)
	negI.Neg(&sumI)
	_, _, _, g2 := curve.Generators()
	ok, err := curve.PairingCheck([]curve.G1Affine{delta, negL, negI}, []curve.G2Affine{g2, dk1, dk2})
	if err != nil {
		return err
	}
	if !ok {
		return errors.New("the binding key's points do not match the contributed secrets")
	}
	return nil
}
