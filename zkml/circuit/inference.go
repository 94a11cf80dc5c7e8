package circuit

import (
	"math/big"

	"github.com/consensys/gnark/frontend"

	"emergence/zkml/model"
)

// InferenceCircuit proves that the committed model maps a private input to
// a public class.
type InferenceCircuit struct {
	// Public inputs, in this order.
	Commitment  frontend.Variable `gnark:",public"`
	InputDigest frontend.Variable `gnark:",public"`
	Class       frontend.Variable `gnark:",public"`
	// Submitter is the address (as a field element) allowed to submit the
	// proof on chain, so a copied proof cannot be claimed by someone else.
	Submitter frontend.Variable `gnark:",public"`

	// Private: the model, its salt and the input.
	Salt frontend.Variable
	W    [][]frontend.Variable // per layer, Out×In row-major
	B    [][]frontend.Variable
	X    []frontend.Variable
	// Advice: per hidden layer, quotient, remainder and sign of every neuron.
	Q, Rem, Sign [][]frontend.Variable
	// OneHot selects Class among the logits.
	OneHot []frontend.Variable

	shape model.Shape
}

// NewInferenceCircuit allocates the circuit for a model shape.
func NewInferenceCircuit(s model.Shape) (*InferenceCircuit, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	c := &InferenceCircuit{shape: s}
	allocModel(s, &c.W, &c.B, &c.Q, &c.Rem, &c.Sign, 1)
	c.X = make([]frontend.Variable, s.Layers[0].In)
	c.OneHot = make([]frontend.Variable, s.Classes())
	return c, nil
}

// allocModel sizes the parameter and advice slices for n samples.
func allocModel(s model.Shape, w, b, q, rem, sign *[][]frontend.Variable, n int) {
	for i, l := range s.Layers {
		*w = append(*w, make([]frontend.Variable, l.In*l.Out))
		*b = append(*b, make([]frontend.Variable, l.Out))
		if i < len(s.Layers)-1 {
			*q = append(*q, make([]frontend.Variable, n*l.Out))
			*sign = append(*sign, make([]frontend.Variable, n*l.Out))
			r := 0
			if l.Shift > 0 {
				r = n * l.Out
			}
			*rem = append(*rem, make([]frontend.Variable, r))
		}
	}
}

// Define implements frontend.Circuit.
func (c *InferenceCircuit) Define(api frontend.API) error {
	s := c.shape
	b := s.Bounds()
	rc := newChecker(api)
	bindPublic(api, c.Submitter)
	if err := assertCommitment(api, rc, s, c.W, c.B, c.Salt, c.Commitment); err != nil {
		return err
	}
	// Input digest, which also range-checks every feature.
	widths := make([]int, len(c.X))
	for i := range widths {
		widths[i] = s.InputBits
	}
	elems := []frontend.Variable{model.TagInput, len(c.X), s.InputBits}
	elems = append(elems, packChecked(api, rc, c.X, widths)...)
	d, err := mimcHash(api, elems...)
	if err != nil {
		return err
	}
	api.AssertIsEqual(d, c.InputDigest)

	a := c.X
	var logits []frontend.Variable
	for l, ls := range s.Layers {
		z := make([]frontend.Variable, ls.Out)
		for j := 0; j < ls.Out; j++ {
			terms := make([]frontend.Variable, 0, ls.In+1)
			for k := 0; k < ls.In; k++ {
				terms = append(terms, api.Mul(c.W[l][j*ls.In+k], a[k]))
			}
			terms = append(terms, c.B[l][j])
			z[j] = sum(api, terms)
		}
		if l == len(s.Layers)-1 {
			logits = z
			break
		}
		next := make([]frontend.Variable, ls.Out)
		for j := range z {
			var rem frontend.Variable
			if ls.Shift > 0 {
				rem = c.Rem[l][j]
			}
			next[j] = requantReLU(api, rc, z[j], c.Q[l][j], rem, c.Sign[l][j], ls.Shift, b.ActBits[l])
		}
		a = next
	}
	// Argmax with the lowest index winning ties: with e the one-hot vector of
	// Class, L_c - L_k - [k < c] >= 0 for every k.
	n := len(logits)
	idx := make([]frontend.Variable, n)
	sel := make([]frontend.Variable, n)
	for j, e := range c.OneHot {
		api.AssertIsBoolean(e)
		idx[j] = api.Mul(e, j)
		sel[j] = api.Mul(e, logits[j])
	}
	api.AssertIsEqual(sum(api, c.OneHot), 1)
	api.AssertIsEqual(sum(api, idx), c.Class)
	lc := sum(api, sel)
	for k := 0; k < n; k++ {
		var lt frontend.Variable = 0
		if k+1 < n {
			lt = sum(api, c.OneHot[k+1:])
		}
		rc.Check(api.Sub(lc, logits[k], lt), signWidth(b.ArgmaxBits))
	}
	return nil
}

// InferencePublic are the public inputs of an inference proof.
type InferencePublic struct {
	Commitment  string `json:"commitment"`
	InputDigest string `json:"inputDigest"`
	Class       int    `json:"class"`
	Submitter   string `json:"submitter"`
}

// AssignInference builds the full witness of an inference proof of m on x,
// bound to the submitter (see SubmitterElement).
func AssignInference(m *model.Model, x []int64, submitter *big.Int) (*InferenceCircuit, InferencePublic, error) {
	s := m.Shape()
	c, err := NewInferenceCircuit(s)
	if err != nil {
		return nil, InferencePublic{}, err
	}
	salt, err := model.ParseSalt(m.Salt)
	if err != nil {
		return nil, InferencePublic{}, err
	}
	tr, err := m.Eval(x)
	if err != nil {
		return nil, InferencePublic{}, err
	}
	commitment, err := model.ParseElement(m.Commitment)
	if err != nil {
		return nil, InferencePublic{}, err
	}
	digest := model.InputDigest(x, s.InputBits)
	c.Commitment, c.InputDigest, c.Class, c.Salt, c.Submitter = commitment, digest, tr.Class, salt.BigInt(), submitter
	assignParams(m, c.W, c.B)
	for i, v := range x {
		c.X[i] = v
	}
	for l := range c.Q {
		assignHidden(tr.Acc[l], m.Layers[l].Shift, c.Q[l], c.Rem[l], c.Sign[l], 0)
	}
	for j := range c.OneHot {
		c.OneHot[j] = 0
	}
	c.OneHot[tr.Class] = 1
	pub := InferencePublic{Commitment: m.Commitment, InputDigest: model.HexElement(digest), Class: tr.Class, Submitter: model.HexElement(submitter)}
	return c, pub, nil
}

func assignParams(m *model.Model, w, b [][]frontend.Variable) {
	for l, layer := range m.Layers {
		for j, row := range layer.Weights {
			for k, v := range row {
				w[l][j*layer.In+k] = v
			}
			b[l][j] = layer.Bias[j]
		}
	}
}

// assignHidden writes the advice of one sample's hidden layer at offset off.
func assignHidden(acc []int64, shift int, q, rem, sign []frontend.Variable, off int) {
	for j, z := range acc {
		qv := z >> uint(shift)
		q[off+j] = qv
		if shift > 0 {
			rem[off+j] = z - qv<<uint(shift)
		}
		if qv < 0 {
			sign[off+j] = 1
		} else {
			sign[off+j] = 0
		}
	}
}
