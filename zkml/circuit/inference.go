package circuit

import (
	"fmt"
	"math/big"

	"github.com/consensys/gnark/frontend"

	"emergence/zkml/model"
)

// InferenceCircuit proves that a model maps a private input to a public
// class. The model's parameters are not hashed in the circuit: they are the
// first secret inputs and go into the proof's first Pedersen commitment
// (gnark's Groth16 commitment), which costs no constraint, blinded by the
// Mask wire (model.InferenceMask, fixed per model). The chain accepts the
// proof only if that commitment equals the binding registered for the
// model's MiMC commitment (see LinkCircuit and verifier.VerifyBinding), so
// the proof is about the committed model.
//
// Dense layers use packed weights: the offset weights u = w + 2^(bits-1) of
// Per consecutive neurons share one field element, Width bits apart, so one
// multiplication by an activation yields Per products. The per-neuron sums
// are read back from the packed sum with range-checked advice. Range checks
// go through std/rangecheck, whose commitment (the proof's second) carries
// a fresh random blinding wire. Prove with ProveMasked, which zeroes gnark's
// own commitment blinding: every blinding of this circuit is an explicit
// wire.
type InferenceCircuit struct {
	// Public inputs, in this order. Commitment names the model; the
	// circuit does not open it (the binding does).
	Commitment  frontend.Variable `gnark:",public"`
	InputDigest frontend.Variable `gnark:",public"`
	Class       frontend.Variable `gnark:",public"`
	// Submitter is the address (as a field element) allowed to submit the
	// proof on chain, so a copied proof cannot be claimed by someone else.
	Submitter frontend.Variable `gnark:",public"`

	// Committed parameters, in this order (the order of the commitment
	// basis): per layer Groups×In packed weights P[l][g*In+i], then per
	// layer the offset biases, then the blinding.
	P    [][]frontend.Variable
	UB   [][]frontend.Variable
	Mask frontend.Variable

	// Private input and advice.
	X []frontend.Variable
	// Slot[l][j] = Σ_i u_ji·a_i, the unpacked sums of layer l.
	Slot [][]frontend.Variable
	// Per hidden layer, quotient, remainder and sign of every neuron.
	Q, Rem, Sign [][]frontend.Variable
	// OneHot selects Class among the logits.
	OneHot []frontend.Variable

	shape model.Shape
}

// packBits is the room a packed sum may use: below the BN254 scalar field
// (254 bits), so a packed sum never wraps and its slots are unique.
const packBits = 252

// LayerPack is how the inference circuit packs one dense layer.
type LayerPack struct {
	In, Out int
	// Width is the bit width of one slot: the largest Σ_i u_ji·a_i fits.
	Width int
	// Per neurons share a packed element; Groups = ceil(Out/Per).
	Per, Groups int
}

// PackLayout returns the packing of every layer of a shape. The bound of
// layer l's input is the one the circuit enforces: InputBits for the
// input, the padded ReLU check width for hidden activations.
func PackLayout(s model.Shape) []LayerPack {
	b := s.Bounds()
	one := big.NewInt(1)
	maxA := new(big.Int).Sub(pow2(s.InputBits), one)
	out := make([]LayerPack, len(s.Layers))
	for l, ls := range s.Layers {
		if l > 0 {
			maxA = new(big.Int).Sub(pow2(signWidth(b.ActBits[l-1])), one)
		}
		bound := new(big.Int).Sub(pow2(ls.WeightBits), one)
		bound.Mul(bound, maxA)
		bound.Mul(bound, big.NewInt(int64(ls.In)))
		w := max(bound.BitLen(), 1)
		per := max(min(packBits/w, ls.Out), 1)
		out[l] = LayerPack{In: ls.In, Out: ls.Out, Width: w, Per: per, Groups: (ls.Out + per - 1) / per}
	}
	return out
}

// NewInferenceCircuit allocates the circuit for a model shape.
func NewInferenceCircuit(s model.Shape) (*InferenceCircuit, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	c := &InferenceCircuit{shape: s}
	for l, lp := range PackLayout(s) {
		if lp.Width > packBits {
			return nil, fmt.Errorf("layer %d: sums need %d bits, more than the %d a packed element holds", l, lp.Width, packBits)
		}
		c.P = append(c.P, make([]frontend.Variable, lp.Groups*lp.In))
		c.UB = append(c.UB, make([]frontend.Variable, lp.Out))
		c.Slot = append(c.Slot, make([]frontend.Variable, lp.Out))
	}
	var unusedW, unusedB [][]frontend.Variable
	allocModel(s, &unusedW, &unusedB, &c.Q, &c.Rem, &c.Sign, 1)
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
	bnd := s.Bounds()
	layout := PackLayout(s)
	useInConstraint(api, c.Submitter)
	useInConstraint(api, c.Commitment)
	var params []frontend.Variable
	for _, p := range c.P {
		params = append(params, p...)
	}
	for _, ub := range c.UB {
		params = append(params, ub...)
	}
	if err := commitBlinded(api, params, c.Mask); err != nil {
		return err
	}
	rc, err := newBlindedChecker(api)
	if err != nil {
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
		z := packedDense(api, rc, layout[l], ls, c.P[l], c.UB[l], c.Slot[l], a)
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
			next[j] = requantReLU(api, rc, z[j], c.Q[l][j], rem, c.Sign[l][j], ls.Shift, bnd.ActBits[l])
		}
		a = next
	}
	argmaxLowest(api, rc, logits, c.OneHot, c.Class, bnd.ArgmaxBits)
	return nil
}

// packedDense returns z_j = Σ_i w_ji·a_i + b_j for every neuron of a layer.
// Per group, one multiplication per input gives Σ_i P_gi·a_i, which must
// equal Σ_j slot_j·2^(Width·j) with every slot in [0, 2^Width): since the
// whole sum stays below 2^packBits, the slots are exactly Σ_i u_ji·a_i.
// Then z_j = slot_j − 2^(WeightBits−1)·Σ_i a_i + ub_j − 2^(BiasBits−1).
func packedDense(api frontend.API, rc frontend.Rangechecker, lp LayerPack, ls model.LayerShape, p, ub, slot, a []frontend.Variable) []frontend.Variable {
	for g := 0; g < lp.Groups; g++ {
		terms := make([]frontend.Variable, lp.In)
		for i := range a {
			terms[i] = api.Mul(p[g*lp.In+i], a[i])
		}
		lo, hi := g*lp.Per, min((g+1)*lp.Per, lp.Out)
		parts := make([]frontend.Variable, 0, hi-lo)
		for j := lo; j < hi; j++ {
			rc.Check(slot[j], lp.Width)
			parts = append(parts, api.Mul(slot[j], pow2(lp.Width*(j-lo))))
		}
		api.AssertIsEqual(sum(api, terms), sum(api, parts))
	}
	sumA := sum(api, a)
	woff, boff := pow2(ls.WeightBits-1), pow2(ls.BiasBits-1)
	z := make([]frontend.Variable, lp.Out)
	for j := range z {
		z[j] = api.Sub(api.Add(slot[j], ub[j]), api.Mul(sumA, woff), boff)
	}
	return z
}

// argmaxLowest asserts that class is the argmax of logits with the lowest
// index winning ties: with e the one-hot vector of class,
// L_c − L_k − [k < c] ≥ 0 for every k.
func argmaxLowest(api frontend.API, rc frontend.Rangechecker, logits, oneHot []frontend.Variable, class frontend.Variable, argmaxBits int) {
	n := len(logits)
	idx := make([]frontend.Variable, n)
	sel := make([]frontend.Variable, n)
	for j, e := range oneHot {
		api.AssertIsBoolean(e)
		idx[j] = api.Mul(e, j)
		sel[j] = api.Mul(e, logits[j])
	}
	api.AssertIsEqual(sum(api, oneHot), 1)
	api.AssertIsEqual(sum(api, idx), class)
	lc := sum(api, sel)
	for k := 0; k < n; k++ {
		var lt frontend.Variable = 0
		if k+1 < n {
			lt = sum(api, oneHot[k+1:])
		}
		rc.Check(api.Sub(lc, logits[k], lt), signWidth(argmaxBits))
	}
}

// InferencePublic are the public inputs of an inference proof.
type InferencePublic struct {
	Commitment  string `json:"commitment"`
	InputDigest string `json:"inputDigest"`
	Class       int    `json:"class"`
	Submitter   string `json:"submitter"`
}

// PackedParams returns the committed values of the inference circuit in
// basis order: the packed offset weights of every layer, then the offset
// biases.
func PackedParams(m *model.Model) []*big.Int {
	layout := PackLayout(m.Shape())
	var out, biases []*big.Int
	for l, layer := range m.Layers {
		lp := layout[l]
		woff := int64(1) << (layer.WeightBits - 1)
		for g := 0; g < lp.Groups; g++ {
			for i := 0; i < lp.In; i++ {
				v := new(big.Int)
				for j := min((g+1)*lp.Per, lp.Out) - 1; j >= g*lp.Per; j-- {
					v.Lsh(v, uint(lp.Width))
					v.Add(v, big.NewInt(layer.Weights[j][i]+woff))
				}
				out = append(out, v)
			}
		}
		boff := int64(1) << (layer.BiasBits - 1)
		for _, b := range layer.Bias {
			biases = append(biases, big.NewInt(b+boff))
		}
	}
	return append(out, biases...)
}

// AssignInference builds the full witness of an inference proof of m on x,
// bound to the submitter (see SubmitterElement). Prove it with ProveMasked.
func AssignInference(m *model.Model, x []int64, submitter *big.Int) (*InferenceCircuit, InferencePublic, error) {
	s := m.Shape()
	c, err := NewInferenceCircuit(s)
	if err != nil {
		return nil, InferencePublic{}, err
	}
	tr, err := m.Eval(x)
	if err != nil {
		return nil, InferencePublic{}, err
	}
	salt, err := model.ParseSalt(m.Salt)
	if err != nil {
		return nil, InferencePublic{}, err
	}
	c.Mask = model.InferenceMask(salt)
	commitment, err := model.ParseElement(m.Commitment)
	if err != nil {
		return nil, InferencePublic{}, err
	}
	digest := model.InputDigest(x, s.InputBits)
	c.Commitment, c.InputDigest, c.Class, c.Submitter = commitment, digest, tr.Class, submitter
	params := PackedParams(m)
	k := 0
	for l := range c.P {
		for i := range c.P[l] {
			c.P[l][i] = params[k]
			k++
		}
	}
	for l := range c.UB {
		for j := range c.UB[l] {
			c.UB[l][j] = params[k]
			k++
		}
	}
	for i, v := range x {
		c.X[i] = v
	}
	a := x
	for l, layer := range m.Layers {
		// slot_j = z_j − b_j + 2^(WeightBits−1)·Σ a.
		var sumA int64
		for _, v := range a {
			sumA += v
		}
		woff := new(big.Int).Mul(big.NewInt(sumA), pow2(layer.WeightBits-1))
		for j, z := range tr.Acc[l] {
			c.Slot[l][j] = new(big.Int).Add(big.NewInt(z-layer.Bias[j]), woff)
		}
		if l < len(c.Q) {
			assignHidden(tr.Acc[l], layer.Shift, c.Q[l], c.Rem[l], c.Sign[l], 0)
			a = tr.Act[l]
		}
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
