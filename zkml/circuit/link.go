package circuit

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"math/big"
	"runtime"
	"sync"

	"github.com/consensys/gnark-crypto/ecc"
	curve "github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/backend"
	"github.com/consensys/gnark/backend/groth16"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/multicommit"

	"emergence/zkml/model"
	"emergence/zkml/verifier"
)

// LinkCircuit opens a model's MiMC commitment and puts the same parameters
// (offset, canonical order) into the proof's first Pedersen commitment.
// Proved once per model, it is the first half of a binding (see
// verifier.VerifyBinding).
type LinkCircuit struct {
	Commitment frontend.Variable `gnark:",public"`
	// Submitter is the address allowed to submit the binding: a link proof
	// copied from the mempool cannot bind the model to another commitment
	// first.
	Submitter frontend.Variable `gnark:",public"`
	// U are the offset parameters (model.OffsetValues), committed in this
	// order, then the blinding Mask (random per link proof).
	U    []frontend.Variable
	Mask frontend.Variable
	Salt frontend.Variable

	shape model.Shape
}

// NewLinkCircuit allocates the link circuit of a shape.
func NewLinkCircuit(s model.Shape) (*LinkCircuit, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return &LinkCircuit{U: make([]frontend.Variable, len(model.WeightWidths(s))), shape: s}, nil
}

// Define implements frontend.Circuit.
func (c *LinkCircuit) Define(api frontend.API) error {
	useInConstraint(api, c.Submitter)
	// First commitment: the parameters. The range checker's commitment
	// comes second.
	if err := commitBlinded(api, c.U, c.Mask); err != nil {
		return err
	}
	rc, err := newBlindedChecker(api)
	if err != nil {
		return err
	}
	return assertOpening(api, rc, c.shape, c.U, c.Salt, c.Commitment)
}

// commitBlinded puts vars and the blinding wire mask into a commitment of
// their own (the first, when called first).
func commitBlinded(api frontend.API, vars []frontend.Variable, mask frontend.Variable) error {
	committer, ok := api.(frontend.Committer)
	if !ok {
		return errors.New("the circuit needs a builder with commitments (Groth16 R1CS)")
	}
	// A committed wire must be in a constraint to count.
	useInConstraint(api, mask)
	if _, err := committer.Commit(append(append([]frontend.Variable(nil), vars...), mask)...); err != nil {
		return fmt.Errorf("commit parameters: %w", err)
	}
	return nil
}

// newBlindedChecker returns std/rangecheck's checker with a fresh random
// wire added to its commitment: ProveMasked zeroes gnark's own blinding,
// and this wire takes its place.
func newBlindedChecker(api frontend.API) (checker, error) {
	rc := newChecker(api)
	blind, err := api.Compiler().NewHint(freshBlinding, 1)
	if err != nil {
		return nil, fmt.Errorf("blinding: %w", err)
	}
	useInConstraint(api, blind[0])
	multicommit.WithCommitment(api, func(frontend.API, frontend.Variable) error { return nil }, blind[0])
	return rc, nil
}

// freshBlinding is a hint returning uniformly random field elements.
func freshBlinding(mod *big.Int, ins, outs []*big.Int) error {
	if len(ins) != 0 {
		return errors.New("blinding hint takes no input")
	}
	for i := range outs {
		v, err := rand.Int(rand.Reader, mod)
		if err != nil {
			return err
		}
		outs[i] = v
	}
	return nil
}

func init() { solver.RegisterHint(freshBlinding) }

// AssignLink builds the witness of the link proof of m with the blinding
// mask (RandomMask; ProveBinding needs it again), bound to the submitter
// (see SubmitterElement).
func AssignLink(m *model.Model, mask, submitter *big.Int) (*LinkCircuit, error) {
	c, err := NewLinkCircuit(m.Shape())
	if err != nil {
		return nil, err
	}
	salt, err := model.ParseSalt(m.Salt)
	if err != nil {
		return nil, err
	}
	commitment, err := model.ParseElement(m.Commitment)
	if err != nil {
		return nil, err
	}
	for i, v := range model.OffsetValues(m) {
		c.U[i] = v
	}
	c.Commitment, c.Salt, c.Mask, c.Submitter = commitment, salt.BigInt(), mask, submitter
	return c, nil
}

// maskHintName is gnark's hint that draws the random blinding of every
// Groth16 commitment (frontend.Committer.Commit adds one committed wire).
const maskHintName = "github.com/consensys/gnark/internal/hints.Randomize"

// maskHintID finds that hint among the registered ones.
var maskHintID = func() solver.HintID {
	for _, h := range solver.GetRegisteredHints() {
		if solver.GetHintName(h) == maskHintName {
			return solver.GetHintID(h)
		}
	}
	return 0
}()

// ProveMasked proves like Prove, but with gnark's own commitment blinding
// set to zero instead of a fresh random value. The inference and link
// circuits carry their blindings as explicit wires (commitBlinded,
// newBlindedChecker), so that the inference commitment is the same for
// every proof of a model and the link proof's blinding is known to the
// binding prover.
func ProveMasked(ccs constraint.ConstraintSystem, pk groth16.ProvingKey, assignment frontend.Circuit) (groth16.Proof, error) {
	if maskHintID == 0 {
		return nil, fmt.Errorf("gnark's commitment mask hint %s is not registered: this build expects gnark %s", maskHintName, GnarkVersion)
	}
	w, err := frontend.NewWitness(assignment, ecc.BN254.ScalarField())
	if err != nil {
		return nil, fmt.Errorf("witness: %w", err)
	}
	zero := func(_ *big.Int, ins, outs []*big.Int) error {
		if len(ins) != 0 {
			return errors.New("mask hint takes no input")
		}
		for i := range outs {
			outs[i] = new(big.Int)
		}
		return nil
	}
	proof, err := groth16.Prove(ccs, pk, w, backend.WithSolverOptions(solver.OverrideHint(maskHintID, zero)))
	if err != nil {
		return nil, fmt.Errorf("prove: %w", err)
	}
	return proof, nil
}

// commitmentBasis returns the Pedersen basis of a proving key's first
// commitment.
func commitmentBasis(pk groth16.ProvingKey) ([]curve.G1Affine, error) {
	p, ok := pk.(*groth16bn254.ProvingKey)
	if !ok {
		return nil, errors.New("not a BN254 Groth16 proving key")
	}
	if len(p.CommitmentKeys) == 0 {
		return nil, errors.New("the proving key has no commitment")
	}
	return p.CommitmentKeys[0].Basis, nil
}

// bindingColumn is one column of the binding relation: the link circuit's
// basis point lIdx and scale times the inference circuit's point iIdx
// (-1: absent).
type bindingColumn struct {
	lIdx, iIdx int
	scale      *big.Int
}

// bindingColumns lists the columns in witness order: the parameters
// (canonical order), the link proof's mask, the inference mask. A weight
// u_ji of layer l sits in slot j mod Per of the packed element (g, i), so
// its inference column is 2^(Width·(j mod Per)) times that element's point.
// Each basis ends with gnark's own blinding wire, which ProveMasked sets
// to zero: no column has it, so a binding forces it to zero.
func bindingColumns(s model.Shape, nL, nI int) ([]bindingColumn, error) {
	layout := PackLayout(s)
	nP, nB := 0, 0
	for _, lp := range layout {
		nP += lp.Groups * lp.In
		nB += lp.Out
	}
	nParams := len(model.WeightWidths(s))
	if nL != nParams+2 || nI != nP+nB+2 {
		return nil, fmt.Errorf("commitment bases of %d and %d points do not fit the shape (want %d and %d)", nL, nI, nParams+2, nP+nB+2)
	}
	cols := make([]bindingColumn, 0, nParams+2)
	one := big.NewInt(1)
	pOff, bOff := 0, nP
	for _, lp := range layout {
		for j := 0; j < lp.Out; j++ {
			scale := pow2(lp.Width * (j % lp.Per))
			for i := 0; i < lp.In; i++ {
				cols = append(cols, bindingColumn{lIdx: len(cols), iIdx: pOff + (j/lp.Per)*lp.In + i, scale: scale})
			}
		}
		for j := 0; j < lp.Out; j++ {
			cols = append(cols, bindingColumn{lIdx: len(cols), iIdx: bOff + j, scale: one})
		}
		pOff += lp.Groups * lp.In
		bOff += lp.Out
	}
	cols = append(cols, bindingColumn{lIdx: nParams, iIdx: -1, scale: one}, bindingColumn{lIdx: -1, iIdx: nP + nB, scale: one})
	return cols, nil
}

// BindingKey is the proving half of a binding key: one G1 point per column.
type BindingKey struct {
	Points []curve.G1Affine
}

// SetupBinding draws the binding trapdoor (k1, k2) from rnd and computes the
// binding key of the link and inference proving keys: one contribution
// (bindmpc.go) to the all-zero key. Whoever knows the trapdoor can bind a
// commitment to other parameters: like SetupOneParty, this is one party's
// setup.
func SetupBinding(s model.Shape, pkLink, pkInference groth16.ProvingKey, rnd io.Reader) (*BindingKey, *verifier.BindingVK, error) {
	b, err := newBindingBases(Spec{Kind: KindInference, Shape: s}, pkLink, pkInference)
	if err != nil {
		return nil, nil, err
	}
	var d [4]fr.Element // k1, k2 and the proof-of-knowledge nonces
	for i := range d {
		if d[i], err = randScalar(rnd); err != nil {
			return nil, nil, err
		}
	}
	st := b.contribute(b.initialBindingState(), nil, d[0], d[1], d[2], d[3])
	return &st.key, &verifier.BindingVK{K1: st.k1, K2: st.k2}, nil
}

// randScalar draws a non-zero scalar.
func randScalar(rnd io.Reader) (fr.Element, error) {
	var b [48]byte
	for {
		if _, err := io.ReadFull(rnd, b[:]); err != nil {
			return fr.Element{}, fmt.Errorf("randomness: %w", err)
		}
		var e fr.Element
		e.SetBigInt(new(big.Int).SetBytes(b[:]))
		if !e.IsZero() {
			return e, nil
		}
	}
}

// parallel runs f over [0, n) in chunks, one per CPU.
func parallel(n int, f func(lo, hi int)) {
	w := max(runtime.GOMAXPROCS(0), 1)
	chunk := (n + w - 1) / w
	var wg sync.WaitGroup
	for lo := 0; lo < n; lo += chunk {
		wg.Add(1)
		go func(lo, hi int) {
			defer wg.Done()
			f(lo, hi)
		}(lo, min(lo+chunk, n))
	}
	wg.Wait()
}

// msm computes Σ scalars[i]·points[i].
func msm(points []curve.G1Affine, scalars []*big.Int) (curve.G1Affine, error) {
	var out curve.G1Affine
	if len(points) != len(scalars) {
		return out, fmt.Errorf("%d points for %d scalars", len(points), len(scalars))
	}
	s := make([]fr.Element, len(scalars))
	for i, v := range scalars {
		s[i].SetBigInt(v)
	}
	if _, err := out.MultiExp(points, s, ecc.MultiExpConfig{}); err != nil {
		return out, fmt.Errorf("multi-exponentiation: %w", err)
	}
	return out, nil
}

// InferenceCommitment computes E, the commitment every inference proof of
// m carries under the inference proving key: the packed parameters and
// the model's mask in the key's Pedersen basis (gnark's blinding, last, is
// zero).
func InferenceCommitment(pkInference groth16.ProvingKey, m *model.Model) (curve.G1Affine, error) {
	bi, err := commitmentBasis(pkInference)
	if err != nil {
		return curve.G1Affine{}, err
	}
	salt, err := model.ParseSalt(m.Salt)
	if err != nil {
		return curve.G1Affine{}, err
	}
	return msm(bi, append(PackedParams(m), model.InferenceMask(salt), new(big.Int)))
}

// ProveBinding computes the QA-NIZK π that the link proof made with
// linkMask and the inference commitment of m commit to the same parameters.
func ProveBinding(bk *BindingKey, m *model.Model, linkMask *big.Int) (curve.G1Affine, error) {
	salt, err := model.ParseSalt(m.Salt)
	if err != nil {
		return curve.G1Affine{}, err
	}
	w := append(model.OffsetValues(m), linkMask, model.InferenceMask(salt))
	return msm(bk.Points, w)
}

// RandomMask draws a fresh commitment mask for a link proof.
func RandomMask() (*big.Int, error) {
	e, err := randScalar(rand.Reader)
	if err != nil {
		return nil, err
	}
	return e.BigInt(new(big.Int)), nil
}
