package circuit

import (
	"fmt"
	"math/big"
	"math/bits"

	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/multicommit"

	"emergence/zkml/model"
)

// ExamCircuit proves that the committed model classifies at least Claim
// samples of a fixed public exam correctly.
type ExamCircuit struct {
	// Public inputs, in this order.
	Commitment frontend.Variable `gnark:",public"`
	// Statement is the exam's statement for the model shape
	// (model.Exam.Statement): its digest, size, shape and name, as the chain
	// recomputes them from the exam's registration.
	Statement frontend.Variable `gnark:",public"`
	Claim     frontend.Variable `gnark:",public"`
	// Submitter is the address allowed to submit the proof on chain.
	Submitter frontend.Variable `gnark:",public"`

	// Private: the model and its salt.
	Salt frontend.Variable
	W    [][]frontend.Variable
	B    [][]frontend.Variable
	// Advice for all samples, sample-major: hidden quotient, remainder and
	// sign per hidden layer, the logits, and a correctness flag per sample.
	Q, Rem, Sign [][]frontend.Variable
	Logits       []frontend.Variable
	Correct      []frontend.Variable

	shape model.Shape
	exam  *model.Exam
}

// NewExamCircuit allocates the accuracy circuit of a model shape over an exam.
func NewExamCircuit(s model.Shape, e *model.Exam) (*ExamCircuit, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if err := e.Validate(); err != nil {
		return nil, err
	}
	if e.Features != s.Layers[0].In || e.Classes != s.Classes() {
		return nil, fmt.Errorf("exam has %d features and %d classes, model shape %d and %d", e.Features, e.Classes, s.Layers[0].In, s.Classes())
	}
	if e.InputBits > s.InputBits {
		return nil, fmt.Errorf("exam features are %d bits wide, model inputs %d", e.InputBits, s.InputBits)
	}
	c := &ExamCircuit{shape: s, exam: e}
	n := e.N()
	allocModel(s, &c.W, &c.B, &c.Q, &c.Rem, &c.Sign, n)
	c.Logits = make([]frontend.Variable, n*s.Classes())
	c.Correct = make([]frontend.Variable, n)
	return c, nil
}

// Define implements frontend.Circuit.
func (c *ExamCircuit) Define(api frontend.API) error {
	s, e := c.shape, c.exam
	n := e.N()
	bnd := s.Bounds()
	// The range checker must be created before any other commitment user so
	// that its deferred commitment runs first.
	rc := newChecker(api)
	useInConstraint(api, c.Submitter)
	if err := assertCommitment(api, rc, s, c.W, c.B, c.Salt, c.Commitment); err != nil {
		return err
	}
	stmt, err := e.Statement(s)
	if err != nil {
		return err
	}
	api.AssertIsEqual(c.Statement, stmt)

	// Requantization and ReLU of every hidden entry of every sample.
	acts := make([][]frontend.Variable, len(c.Q))
	for l := range c.Q {
		ls := s.Layers[l]
		acts[l] = make([]frontend.Variable, n*ls.Out)
		for i := range acts[l] {
			var rem frontend.Variable
			if ls.Shift > 0 {
				rem = c.Rem[l][i]
			}
			acts[l][i] = requantReLU(api, rc, nil, c.Q[l][i], rem, c.Sign[l][i], ls.Shift, bnd.ActBits[l])
		}
	}

	// Accuracy: a sample flagged correct has its label's logit above every
	// lower index and at least every higher index. An unflagged sample's
	// differences are shifted into range by 2^(R-1).
	k := s.Classes()
	R := signWidth(bnd.ArgmaxBits)
	half := pow2(R - 1)
	for i := 0; i < n; i++ {
		ci := c.Correct[i]
		api.AssertIsBoolean(ci)
		y := e.Y[i]
		slack := api.Mul(api.Sub(1, ci), half)
		for j := 0; j < k; j++ {
			if j == y {
				continue
			}
			d := api.Sub(c.Logits[i*k+y], c.Logits[i*k+j])
			if j < y {
				d = api.Sub(d, 1)
			}
			rc.Check(api.Add(d, slack), R)
		}
	}
	rc.Check(api.Sub(sum(api, c.Correct), c.Claim), bits.Len(uint(n))+1)

	// Freivalds: all layers over all samples against one challenge drawn
	// from a commitment to the parameters and the advice.
	var committed []frontend.Variable
	for l := range c.W {
		committed = append(committed, c.W[l]...)
		committed = append(committed, c.B[l]...)
	}
	for l := range c.Q {
		committed = append(committed, c.Q[l]...)
		committed = append(committed, c.Rem[l]...)
		committed = append(committed, c.Sign[l]...)
	}
	committed = append(committed, c.Logits...)
	multicommit.WithCommitment(api, func(api frontend.API, rho frontend.Variable) error {
		r := make([]frontend.Variable, n)
		r[0] = 1
		for i := 1; i < n; i++ {
			r[i] = api.Mul(r[i-1], rho)
		}
		rsum := sum(api, r)
		for l, ls := range s.Layers {
			// u_k = Σ_i r_i·A[i][k]
			u := make([]frontend.Variable, ls.In)
			for kk := 0; kk < ls.In; kk++ {
				terms := make([]frontend.Variable, 0, n)
				for i := 0; i < n; i++ {
					if l == 0 {
						if x := e.X[i][kk]; x != 0 {
							terms = append(terms, api.Mul(r[i], x))
						}
					} else {
						terms = append(terms, api.Mul(r[i], acts[l-1][i*ls.In+kk]))
					}
				}
				u[kk] = sum(api, terms)
			}
			for j := 0; j < ls.Out; j++ {
				// lhs = Σ_i r_i·Z[i][j]
				lhs := make([]frontend.Variable, n)
				for i := 0; i < n; i++ {
					var z frontend.Variable
					if l == len(s.Layers)-1 {
						z = c.Logits[i*ls.Out+j]
					} else {
						var rem frontend.Variable
						if ls.Shift > 0 {
							rem = c.Rem[l][i*ls.Out+j]
						}
						z = accOf(api, c.Q[l][i*ls.Out+j], rem, ls.Shift)
					}
					lhs[i] = api.Mul(r[i], z)
				}
				rhs := make([]frontend.Variable, 0, ls.In+1)
				for kk := 0; kk < ls.In; kk++ {
					rhs = append(rhs, api.Mul(u[kk], c.W[l][j*ls.In+kk]))
				}
				rhs = append(rhs, api.Mul(rsum, c.B[l][j]))
				api.AssertIsEqual(sum(api, lhs), sum(api, rhs))
			}
		}
		return nil
	}, committed...)
	return nil
}

// ExamPublic are the public inputs of an accuracy proof.
type ExamPublic struct {
	Commitment string `json:"commitment"`
	ExamDigest string `json:"examDigest"`
	Claim      int    `json:"claim"`
	N          int    `json:"n"`
	Submitter  string `json:"submitter"`
	// Name and ShapeDigest complete the exam statement (ExamPublics).
	Name        string `json:"name"`
	ShapeDigest string `json:"shapeDigest"`
}

// ErrClaimTooHigh is returned by AssignExam when the model does not reach the claim.
type ErrClaimTooHigh struct{ Claim, Correct, N int }

func (e *ErrClaimTooHigh) Error() string {
	return fmt.Sprintf("model classifies %d of %d exam samples correctly, below the claim of %d", e.Correct, e.N, e.Claim)
}

// AssignExam builds the witness of an accuracy proof of m on e for claim,
// bound to the submitter (see SubmitterElement). It refuses with
// *ErrClaimTooHigh when the model scores below claim.
func AssignExam(m *model.Model, e *model.Exam, claim int, submitter *big.Int) (*ExamCircuit, ExamPublic, error) {
	c, err := NewExamCircuit(m.Shape(), e)
	if err != nil {
		return nil, ExamPublic{}, err
	}
	salt, err := model.ParseSalt(m.Salt)
	if err != nil {
		return nil, ExamPublic{}, err
	}
	commitment, err := model.ParseElement(m.Commitment)
	if err != nil {
		return nil, ExamPublic{}, err
	}
	if claim < 0 {
		return nil, ExamPublic{}, fmt.Errorf("claim %d is negative", claim)
	}
	digest := e.Digest()
	stmt, err := e.Statement(m.Shape())
	if err != nil {
		return nil, ExamPublic{}, err
	}
	k := m.Classes
	correct := 0
	for i, x := range e.X {
		tr, err := m.Eval(x)
		if err != nil {
			return nil, ExamPublic{}, fmt.Errorf("exam sample %d: %w", i, err)
		}
		for l := range c.Q {
			out := m.Layers[l].Out
			assignHidden(tr.Acc[l], m.Layers[l].Shift, c.Q[l], c.Rem[l], c.Sign[l], i*out)
		}
		for j, v := range tr.Logits {
			c.Logits[i*k+j] = v
		}
		if tr.Class == e.Y[i] {
			c.Correct[i] = 1
			correct++
		} else {
			c.Correct[i] = 0
		}
	}
	if claim > correct {
		return nil, ExamPublic{}, &ErrClaimTooHigh{Claim: claim, Correct: correct, N: e.N()}
	}
	c.Commitment, c.Statement, c.Claim, c.Salt, c.Submitter = commitment, stmt, claim, salt.BigInt(), submitter
	assignParams(m, c.W, c.B)
	pub := ExamPublic{Commitment: m.Commitment, ExamDigest: model.HexElement(digest), Claim: claim, N: e.N(), Submitter: model.HexElement(submitter),
		Name: e.Name, ShapeDigest: model.HexElement(model.ShapeDigest(m.Shape()))}
	return c, pub, nil
}
