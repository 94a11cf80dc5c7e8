package circuit

import (
	"math/big"
	"math/bits"
	"slices"
	"sync"

	curve "github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr/fft"
	"github.com/consensys/gnark-crypto/ecc/bn254/mpcsetup"
	gmpc "github.com/consensys/gnark/backend/groth16/bn254/mpcsetup"
	"github.com/consensys/gnark/constraint"
	cs "github.com/consensys/gnark/constraint/bn254"
)

// initPhase2 computes what gnark's (*mpcsetup.Phase2).Initialize computes
// (the same points, TestInitPhase2MatchesGnark pins it), in a form that
// uses every core and reports progress: gnark's version accumulates every
// R1CS term in affine coordinates (an inversion per addition) with a full
// scalar multiplication for each coefficient, on one core; it took 83 % of
// a two-contributor ceremony, and ran in the first contribution, in
// verify and in finalize. Here the terms of a wire that share a general
// coefficient are summed first and multiplied once (539k terms share 7k
// (wire, coefficient) pairs in a 7,760-constraint exam circuit), sums are
// Jacobian, a coefficient −k with small k multiplies by k and negates, the
// six accumulations run in two groups on separate goroutines and the
// Lagrange bases are computed by batch-affine FFTs (newLagrangeBases):
// 9.0 s against gnark's 81.7 s on that circuit with the Jacobian FFTs
// before those (BenchmarkInitPhase2Exam). The Lagrange bases, which depend on phase 1
// only and cost most of the rest, are taken from lag when it is not nil
// (a ceremony keeps them with its phase 1) and returned. progress, when
// not nil, is called with the constraints done out of the total (from one
// goroutine at a time).
func initPhase2(r1cs *cs.R1CS, commons *gmpc.SrsCommons, lag *lagrangeBases, progress func(done, total int)) (*gmpc.Phase2, *gmpc.Phase2Evaluations, *lagrangeBases) {
	n := len(commons.G1.AlphaTau)
	if n < r1cs.GetNbConstraints() {
		panic("number of constraints is larger than the phase-1 domain")
	}
	if lag == nil || len(lag.Tau1) != n {
		lag = newLagrangeBases(commons, nil)
	}
	coeffTau1, coeffAlphaTau1, coeffBetaTau1, coeffTau2 := lag.Tau1, lag.AlphaTau1, lag.BetaTau1, lag.Tau2
	var wg sync.WaitGroup

	nbInternal, nbSecret, nbPublic := r1cs.GetNbVariables()
	nWires := nbInternal + nbSecret + nbPublic
	coeffs := newCoeffTable(r1cs.Coefficients)

	// Group 1: A, βA (left terms), αB (right terms); group 2: B in G1 and
	// G2 (right terms), C (output terms). A G2 multiplication costs about
	// three G1 ones, so the groups are about even.
	a1, bA, aB, b1, c1 := newAccG1(nWires), newAccG1(nWires), newAccG1(nWires), newAccG1(nWires), newAccG1(nWires)
	b2 := newAccG2(nWires)
	total := r1cs.GetNbConstraints()
	var mu sync.Mutex
	done := [2]int{}
	report := func(g, i int) {
		if progress == nil || (i%1024 != 0 && i != total) {
			return
		}
		mu.Lock()
		done[g] = i
		d := min(done[0], done[1])
		progress(d, total)
		mu.Unlock()
	}
	wg.Add(2)
	go func() {
		defer wg.Done()
		it := r1cs.GetR1CIterator()
		i := 0
		for c := it.Next(); c != nil; c = it.Next() {
			for _, t := range c.L {
				a1.add(t, &coeffTau1[i])
				bA.add(t, &coeffBetaTau1[i])
			}
			for _, t := range c.R {
				aB.add(t, &coeffAlphaTau1[i])
			}
			i++
			report(0, i)
		}
		a1.finish(coeffs)
		bA.finish(coeffs)
		aB.finish(coeffs)

	}()
	go func() {
		defer wg.Done()
		it := r1cs.GetR1CIterator()
		i := 0
		for c := it.Next(); c != nil; c = it.Next() {
			for _, t := range c.R {
				b1.add(t, &coeffTau1[i])
				b2.add(t, &coeffTau2[i])
			}
			for _, t := range c.O {
				c1.add(t, &coeffTau1[i])
			}
			i++
			report(1, i)
		}
		b1.finish(coeffs)
		b2.finish(coeffs)
		c1.finish(coeffs)

	}()
	wg.Wait()

	var evals gmpc.Phase2Evaluations
	commitments := r1cs.CommitmentInfo.(constraint.Groth16Commitments)
	evals.PublicAndCommitmentCommitted = commitments.GetPublicAndCommitmentCommitted(commitments.CommitmentIndexes(), nbPublic)
	// βA + αB + C, the private and public wires' keys before δ and γ.
	for j := range bA.res {
		bA.res[j].AddAssign(&aB.res[j]).AddAssign(&c1.res[j])
	}
	var sum []curve.G1Affine
	wg.Add(3)
	go func() { defer wg.Done(); evals.G1.A = curve.BatchJacobianToAffineG1(a1.res) }()
	go func() { defer wg.Done(); evals.G1.B = curve.BatchJacobianToAffineG1(b1.res) }()
	go func() { defer wg.Done(); sum = curve.BatchJacobianToAffineG1(bA.res) }()
	wg.Wait()
	evals.G2.B = make([]curve.G2Affine, nWires)
	parallel(nWires, func(lo, hi int) {
		for j := lo; j < hi; j++ {
			evals.G2.B[j].FromJacobian(&b2.res[j])
		}
	})

	p := new(gmpc.Phase2)
	_, _, g1, g2 := curve.Generators()
	p.Parameters.G1.Delta = g1
	p.Parameters.G2.Delta = g2
	// Z[i] = τⁱ(τⁿ − 1) for i < n−1, in bit-reversed order.
	p.Parameters.G1.Z = make([]curve.G1Affine, n)
	for i := range n - 1 {
		p.Parameters.G1.Z[i].Sub(&commons.G1.Tau[i+n], &commons.G1.Tau[i])
	}
	bitReverse(p.Parameters.G1.Z)
	p.Parameters.G1.Z = p.Parameters.G1.Z[:n-1]

	evals.G1.CKK = make([][]curve.G1Affine, len(commitments))
	p.Sigmas = make([]mpcsetup.UpdateProof, len(commitments))
	p.Parameters.G1.SigmaCKK = make([][]curve.G1Affine, len(commitments))
	p.Parameters.G2.Sigma = make([]curve.G2Affine, len(commitments))
	committedBy := make([]int, nWires) // commitment whose private input wire j is, or -1
	for j := range committedBy {
		committedBy[j] = -1
	}
	nbCommitted := 0
	for k, pc := range commitments.GetPrivateCommitted() {
		for _, w := range pc {
			committedBy[w] = k
		}
		nbCommitted += len(pc)
	}
	for k := range commitments {
		evals.G1.CKK[k] = make([]curve.G1Affine, 0, len(commitments[k].PrivateCommitted))
		p.Parameters.G2.Sigma[k] = g2
	}
	p.Parameters.G1.PKK = make([]curve.G1Affine, 0, nbInternal+nbSecret-nbCommitted-len(commitments))
	evals.G1.VKK = make([]curve.G1Affine, 0, nbPublic+len(commitments))
	seen := 0
	for j := 0; j < nWires; j++ {
		isCommitment := seen < len(commitments) && commitments[seen].CommitmentIndex == j
		switch k := committedBy[j]; {
		case k != -1:
			evals.G1.CKK[k] = append(evals.G1.CKK[k], sum[j])
		case j < nbPublic || isCommitment:
			evals.G1.VKK = append(evals.G1.VKK, sum[j])
		default:
			p.Parameters.G1.PKK = append(p.Parameters.G1.PKK, sum[j])
		}
		if isCommitment {
			seen++
		}
	}
	for k := range commitments {
		p.Parameters.G1.SigmaCKK[k] = slices.Clone(evals.G1.CKK[k])
	}
	p.Challenge = nil
	return p, &evals, lag
}

// lagrangeBases are phase 1's parameters in the Lagrange basis of a
// domain of n: [Lᵢ(τ)]₁, [αLᵢ(τ)]₁, [βLᵢ(τ)]₁ and [Lᵢ(τ)]₂.
type lagrangeBases struct {
	Tau1, AlphaTau1, BetaTau1 []curve.G1Affine
	Tau2                      []curve.G2Affine
}

// newLagrangeBases computes the Lagrange bases of commons's domain, one
// transform after another, each on every core (lagrangeG1): (n/2)·log n −
// n + 1 twiddle multiplications and n multiplications by 1/n each, where
// n is the domain, which no other part of a ceremony's circuit-specific
// work comes near. progress, when not nil, hears of the multiplications
// done (a G2 one counts three), from one goroutine at a time.
func newLagrangeBases(commons *gmpc.SrsCommons, progress func(done, total int)) *lagrangeBases {
	n := len(commons.G1.AlphaTau)
	l := new(lagrangeBases)
	per := n/2*bits.TrailingZeros(uint(n)) - n + 1
	total := 3*per + 3*per
	var mu sync.Mutex
	done := 0
	tick := func(k int) {
		mu.Lock()
		done += k
		if progress != nil {
			progress(min(done, total), total)
		}
		mu.Unlock()
	}
	domain := fft.NewDomain(uint64(n))
	twiddles, _ := domain.TwiddlesInv()
	var tw []glvDigits
	if n > 1 {
		tw = glvDigitsOf(twiddles[0])
	}
	inv := newGLVDigits(&domain.CardinalityInv)
	// One after another, each on every core: four at once would run
	// eight goroutines on two cores, preempting each other.
	l.Tau1 = lagrangeG1(commons.G1.Tau, n, tw, &inv, tick)
	l.AlphaTau1 = lagrangeG1(commons.G1.AlphaTau, n, tw, &inv, tick)
	l.BetaTau1 = lagrangeG1(commons.G1.BetaTau, n, tw, &inv, tick)
	l.Tau2 = lagrangeG2(commons.G2.Tau, n, tw, &inv, func(k int) { tick(3 * k) })
	if progress != nil {
		progress(total, total)
	}
	return l
}

// smallCoeff bounds the coefficients multiplied by double-and-add.
const smallCoeff = 1 << 32

// coeffTable classifies an R1CS's coefficients once: a scalar to multiply
// by and whether to negate afterwards.
type coeffTable struct {
	scalar []big.Int
	neg    []bool
}

func newCoeffTable(c []fr.Element) *coeffTable {
	t := &coeffTable{scalar: make([]big.Int, len(c)), neg: make([]bool, len(c))}
	for i := range c {
		var m fr.Element
		m.Neg(&c[i])
		if !c[i].IsUint64() && m.IsUint64() && m.Uint64() < smallCoeff {
			m.BigInt(&t.scalar[i])
			t.neg[i] = true
		} else {
			c[i].BigInt(&t.scalar[i])
		}
	}
	return t
}

// accG1 accumulates Σ coefficient·point per wire. Terms with a general
// coefficient are first summed per (wire, coefficient) and multiplied
// once at the end: in the exam circuit 539k such terms share 7k pairs.
type accG1 struct {
	res  []curve.G1Jac
	idx  map[uint64]int // (wire, coefficient id) → sums index; never iterated
	keys []uint64
	sums []curve.G1Jac
}

func newAccG1(n int) *accG1 { return &accG1{res: make([]curve.G1Jac, n), idx: make(map[uint64]int)} }

func (a *accG1) add(t constraint.Term, v *curve.G1Affine) {
	w := t.WireID()
	switch id := t.CoeffID(); id {
	case constraint.CoeffIdZero:
	case constraint.CoeffIdOne:
		a.res[w].AddMixed(v)
	case constraint.CoeffIdMinusOne:
		var n curve.G1Affine
		n.Neg(v)
		a.res[w].AddMixed(&n)
	case constraint.CoeffIdTwo:
		a.res[w].AddMixed(v).AddMixed(v)
	default:
		k := uint64(w)<<32 | uint64(id)
		i, ok := a.idx[k]
		if !ok {
			i = len(a.sums)
			a.idx[k] = i
			a.keys = append(a.keys, k)
			a.sums = append(a.sums, curve.G1Jac{})
		}
		a.sums[i].AddMixed(v)
	}
}

// finish multiplies each (wire, coefficient) sum and adds it to its wire.
func (a *accG1) finish(t *coeffTable) {
	for i, k := range a.keys {
		w, id := k>>32, k&(1<<32-1)
		p := &a.sums[i]
		p.ScalarMultiplication(p, &t.scalar[id])
		if t.neg[id] {
			a.res[w].SubAssign(p)
		} else {
			a.res[w].AddAssign(p)
		}
	}
	a.idx, a.keys, a.sums = nil, nil, nil
}

// accG2 is accG1 in G2.
type accG2 struct {
	res  []curve.G2Jac
	idx  map[uint64]int
	keys []uint64
	sums []curve.G2Jac
}

func newAccG2(n int) *accG2 { return &accG2{res: make([]curve.G2Jac, n), idx: make(map[uint64]int)} }

func (a *accG2) add(t constraint.Term, v *curve.G2Affine) {
	w := t.WireID()
	switch id := t.CoeffID(); id {
	case constraint.CoeffIdZero:
	case constraint.CoeffIdOne:
		a.res[w].AddMixed(v)
	case constraint.CoeffIdMinusOne:
		var n curve.G2Affine
		n.Neg(v)
		a.res[w].AddMixed(&n)
	case constraint.CoeffIdTwo:
		a.res[w].AddMixed(v).AddMixed(v)
	default:
		k := uint64(w)<<32 | uint64(id)
		i, ok := a.idx[k]
		if !ok {
			i = len(a.sums)
			a.idx[k] = i
			a.keys = append(a.keys, k)
			a.sums = append(a.sums, curve.G2Jac{})
		}
		a.sums[i].AddMixed(v)
	}
}

func (a *accG2) finish(t *coeffTable) {
	for i, k := range a.keys {
		w, id := k>>32, k&(1<<32-1)
		p := &a.sums[i]
		p.ScalarMultiplication(p, &t.scalar[id])
		if t.neg[id] {
			a.res[w].SubAssign(p)
		} else {
			a.res[w].AddAssign(p)
		}
	}
	a.idx, a.keys, a.sums = nil, nil, nil
}

func bitReverse[T any](a []T) {
	n := uint64(len(a))
	nn := uint64(64 - bits.TrailingZeros64(n))
	for i := uint64(0); i < n; i++ {
		if j := bits.Reverse64(i) >> nn; j > i {
			a[i], a[j] = a[j], a[i]
		}
	}
}
