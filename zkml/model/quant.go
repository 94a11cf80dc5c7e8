package model

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"math/bits"
	"os"
)

// File format identifiers.
const (
	ModelFormat  = "emergence.zkml.model"
	ModelVersion = 1
	// maxAccBits bounds the magnitude of every accumulator, so that int64
	// arithmetic in Go and field arithmetic in circuits (254 bits) agree.
	maxAccBits = 60
	// MaxWeightBits bounds the weight width.
	MaxWeightBits = 16
	// MaxBiasBits bounds the bias width.
	MaxBiasBits = 40
	// MaxInputBits bounds the input width.
	MaxInputBits = 16
)

// Kinds of model.
const (
	KindMLP    = "mlp"
	KindLogReg = "logreg"
)

// LayerShape is the public part of a dense layer: everything a circuit
// needs except the weight values.
type LayerShape struct {
	In  int `json:"in"`
	Out int `json:"out"`
	// WeightBits is the signed width of every weight: |w| < 2^(WeightBits-1).
	WeightBits int `json:"weightBits"`
	// BiasBits is the signed width of every bias.
	BiasBits int `json:"biasBits"`
	// Shift is the requantization of a hidden layer: a = max(0, floor(z / 2^Shift)).
	// It is 0 for the output layer, whose accumulators are the logits.
	Shift int `json:"shift"`
}

// Shape is the public description of a quantized model.
type Shape struct {
	// InputBits is the unsigned width of every input feature.
	InputBits int          `json:"inputBits"`
	Layers    []LayerShape `json:"layers"`
}

// Layer is a quantized dense layer: z = W·a + b over the integers.
type Layer struct {
	LayerShape
	// WeightScaleBits e: the integer weight is round(w_float · 2^e) relative
	// to the layer's integer input; informational.
	WeightScaleBits int `json:"weightScaleBits"`
	// InputScaleBits α: the integer input of this layer represents
	// a_float · 2^α (α = 0 for the raw input features); informational.
	InputScaleBits int `json:"inputScaleBits"`
	// Weights is Out×In, row-major by output neuron.
	Weights [][]int64 `json:"weights"`
	Bias    []int64   `json:"bias"`
}

// Model is a quantized fixed-point MLP (or logistic regression when it has
// a single layer), the file produced by `emergence zkml train`.
type Model struct {
	Format   string `json:"format"`
	Version  int    `json:"version"`
	Kind     string `json:"kind"`
	InputMax int64  `json:"inputMax"`
	Classes  int    `json:"classes"`
	// InputBits is the unsigned width of an input feature.
	InputBits int     `json:"inputBits"`
	Layers    []Layer `json:"layers"`
	// Salt is the secret blinding of the weight commitment (hex field element).
	Salt string `json:"salt"`
	// Commitment is MiMC(tag, shape, weights, salt), public (hex field element).
	Commitment string `json:"commitment"`
	// Training records how the model was made; informational.
	Training *TrainingInfo `json:"training,omitempty"`
}

// TrainingInfo records provenance and accuracies measured at training time.
type TrainingInfo struct {
	Data          string  `json:"data"`
	Arch          string  `json:"arch"`
	Seed          uint64  `json:"seed"`
	Epochs        int     `json:"epochs"`
	TrainSamples  int     `json:"trainSamples"`
	TestSamples   int     `json:"testSamples"`
	FloatAccuracy float64 `json:"floatAccuracy"`
	QuantAccuracy float64 `json:"quantAccuracy"`
}

// Shape returns the public shape of m.
func (m *Model) Shape() Shape {
	s := Shape{InputBits: m.InputBits}
	for _, l := range m.Layers {
		s.Layers = append(s.Layers, l.LayerShape)
	}
	return s
}

// Classes returns the number of output classes.
func (s Shape) Classes() int { return s.Layers[len(s.Layers)-1].Out }

// Bounds gives, from the shape alone (weights in [-2^(WeightBits-1), 2^(WeightBits-1)),
// biases likewise, inputs in [0, 2^InputBits)), the worst-case magnitudes that the
// circuits range-check against.
type Bounds struct {
	// MaxAcc[l] bounds |z| of layer l for any in-range input and weights.
	MaxAcc []*big.Int
	// ActBits[l] (hidden layers) is the width T with floor(z/2^Shift) in [-2^T, 2^T).
	ActBits []int
	// ArgmaxBits R: logit differences minus one fit in (-2^(R-1), 2^(R-1)).
	ArgmaxBits int
}

// Bounds computes the worst-case bounds of s.
func (s Shape) Bounds() Bounds {
	var b Bounds
	maxIn := new(big.Int).Lsh(big.NewInt(1), uint(s.InputBits))
	maxIn.Sub(maxIn, big.NewInt(1))
	for i, l := range s.Layers {
		w := new(big.Int).Lsh(big.NewInt(1), uint(l.WeightBits-1))
		bias := new(big.Int).Lsh(big.NewInt(1), uint(l.BiasBits-1))
		acc := new(big.Int).Mul(w, maxIn)
		acc.Mul(acc, big.NewInt(int64(l.In)))
		acc.Add(acc, bias)
		b.MaxAcc = append(b.MaxAcc, acc)
		if i < len(s.Layers)-1 {
			q := new(big.Int).Rsh(acc, uint(l.Shift))
			b.ActBits = append(b.ActBits, max(q.BitLen(), 1))
			maxIn = q
		} else {
			d := new(big.Int).Lsh(acc, 1)
			d.Add(d, big.NewInt(1))
			b.ArgmaxBits = d.BitLen() + 1
		}
	}
	return b
}

// Validate checks that s is a well-formed chain of layers within the widths
// the circuits support.
func (s Shape) Validate() error {
	if s.InputBits < 1 || s.InputBits > MaxInputBits {
		return fmt.Errorf("input width %d bits outside [1, %d]", s.InputBits, MaxInputBits)
	}
	if len(s.Layers) == 0 {
		return errors.New("model has no layers")
	}
	if len(s.Layers) > 16 {
		return fmt.Errorf("model has %d layers, at most 16 supported", len(s.Layers))
	}
	for i, l := range s.Layers {
		if l.In <= 0 || l.Out <= 0 || l.In > 1<<16 || l.Out > 1<<16 {
			return fmt.Errorf("layer %d: bad size %d×%d", i, l.In, l.Out)
		}
		if i > 0 && l.In != s.Layers[i-1].Out {
			return fmt.Errorf("layer %d has %d inputs but layer %d has %d outputs", i, l.In, i-1, s.Layers[i-1].Out)
		}
		if l.WeightBits < 2 || l.WeightBits > MaxWeightBits {
			return fmt.Errorf("layer %d: weight width %d outside [2, %d]", i, l.WeightBits, MaxWeightBits)
		}
		if l.BiasBits < 2 || l.BiasBits > MaxBiasBits {
			return fmt.Errorf("layer %d: bias width %d outside [2, %d]", i, l.BiasBits, MaxBiasBits)
		}
		if l.Shift < 0 || l.Shift > 48 {
			return fmt.Errorf("layer %d: shift %d outside [0, 48]", i, l.Shift)
		}
		if i == len(s.Layers)-1 && l.Shift != 0 {
			return fmt.Errorf("output layer %d must have shift 0", i)
		}
	}
	if s.Classes() < 2 {
		return fmt.Errorf("model has %d classes, need at least 2", s.Classes())
	}
	b := s.Bounds()
	for i, acc := range b.MaxAcc {
		if acc.BitLen() > maxAccBits {
			return fmt.Errorf("layer %d: accumulators may reach %d bits, at most %d supported", i, acc.BitLen(), maxAccBits)
		}
	}
	return nil
}

// Validate checks the model file: format, version, shape, and that every
// weight and bias fits its declared width.
func (m *Model) Validate() error {
	if m.Format != ModelFormat {
		return fmt.Errorf("not a model file: format %q, want %q", m.Format, ModelFormat)
	}
	if m.Version != ModelVersion {
		return fmt.Errorf("model file version %d, this build reads version %d", m.Version, ModelVersion)
	}
	if m.Kind != KindMLP && m.Kind != KindLogReg {
		return fmt.Errorf("unknown model kind %q", m.Kind)
	}
	if err := m.Shape().Validate(); err != nil {
		return err
	}
	if m.InputMax < 1 || bits.Len64(uint64(m.InputMax)) > m.InputBits {
		return fmt.Errorf("input max %d does not fit %d bits", m.InputMax, m.InputBits)
	}
	if m.Classes != m.Shape().Classes() {
		return fmt.Errorf("model says %d classes but its output layer has %d", m.Classes, m.Shape().Classes())
	}
	if m.Kind == KindLogReg && len(m.Layers) != 1 {
		return fmt.Errorf("logistic regression has 1 layer, this one has %d", len(m.Layers))
	}
	for i, l := range m.Layers {
		if len(l.Weights) != l.Out || len(l.Bias) != l.Out {
			return fmt.Errorf("layer %d: %d weight rows and %d biases, want %d", i, len(l.Weights), len(l.Bias), l.Out)
		}
		wlo, whi := -int64(1)<<(l.WeightBits-1), int64(1)<<(l.WeightBits-1)-1
		blo, bhi := -int64(1)<<(l.BiasBits-1), int64(1)<<(l.BiasBits-1)-1
		for j, row := range l.Weights {
			if len(row) != l.In {
				return fmt.Errorf("layer %d row %d: %d weights, want %d", i, j, len(row), l.In)
			}
			for _, w := range row {
				if w < wlo || w > whi {
					return fmt.Errorf("layer %d: weight %d outside [%d, %d]", i, w, wlo, whi)
				}
			}
			if l.Bias[j] < blo || l.Bias[j] > bhi {
				return fmt.Errorf("layer %d: bias %d outside [%d, %d]", i, l.Bias[j], blo, bhi)
			}
		}
	}
	return nil
}

// Trace is the full integer evaluation of a model on one input, the advice
// a circuit's witness is built from.
type Trace struct {
	// Acc[l][j] is z of neuron j of layer l.
	Acc [][]int64
	// Act[l] is the output of hidden layer l: max(0, floor(z/2^Shift)).
	Act [][]int64
	// Logits are the accumulators of the output layer.
	Logits []int64
	// Class is the argmax of the logits, lowest index on ties.
	Class int
}

// Eval runs the integer model on x. x must have Layers[0].In features in
// [0, 2^InputBits).
func (m *Model) Eval(x []int64) (Trace, error) {
	t := m.newTrace()
	if err := m.evalInto(&t, x); err != nil {
		return Trace{}, err
	}
	return t, nil
}

// newTrace makes the buffers of one evaluation.
func (m *Model) newTrace() Trace {
	var t Trace
	for i, l := range m.Layers {
		t.Acc = append(t.Acc, make([]int64, l.Out))
		if i < len(m.Layers)-1 {
			t.Act = append(t.Act, make([]int64, l.Out))
		}
	}
	if len(t.Acc) > 0 {
		t.Logits = t.Acc[len(t.Acc)-1]
	}
	return t
}

// evalInto is Eval in t's buffers (from newTrace), which it overwrites.
func (m *Model) evalInto(t *Trace, x []int64) error {
	if len(x) != m.Layers[0].In {
		return fmt.Errorf("input has %d features, model takes %d", len(x), m.Layers[0].In)
	}
	lim := int64(1) << m.InputBits
	for _, v := range x {
		if v < 0 || v >= lim {
			return fmt.Errorf("input feature %d outside [0, %d)", v, lim)
		}
	}
	a := x
	for i, l := range m.Layers {
		z := t.Acc[i]
		for j, row := range l.Weights {
			z[j] = dotInt(l.Bias[j], row, a)
		}
		if i == len(m.Layers)-1 {
			break
		}
		next := t.Act[i]
		for j, v := range z {
			q := v >> uint(l.Shift) // arithmetic shift: floor division
			next[j] = max(q, 0)
		}
		a = next
	}
	t.Class = Argmax(t.Logits)
	return nil
}

// Argmax returns the index of the largest value, the lowest index on ties.
func Argmax(v []int64) int {
	best := 0
	for j := range v {
		if v[j] > v[best] {
			best = j
		}
	}
	return best
}

// Predict returns the model's class for x.
func (m *Model) Predict(x []int64) (int, error) {
	t, err := m.Eval(x)
	if err != nil {
		return 0, err
	}
	return t.Class, nil
}

// Correct counts the samples of d that m classifies correctly.
// It reuses one evaluation's buffers: in the wasm trainer Predict's, made
// per sample, cost a garbage collection or more per test set.
func (m *Model) Correct(d *Dataset) (int, error) {
	t := m.newTrace()
	ok := 0
	for i, x := range d.X {
		if err := m.evalInto(&t, x); err != nil {
			return 0, fmt.Errorf("sample %d: %w", i, err)
		}
		if t.Class == d.Y[i] {
			ok++
		}
	}
	return ok, nil
}

// QuantConfig sets the quantization widths.
type QuantConfig struct {
	// WeightBits is the signed width of weights (default 8).
	WeightBits int
	// ActBits is the target width of hidden activations, from which each
	// hidden layer's shift is chosen (default 16).
	ActBits int
}

// Quantize turns a float model into an integer model of the same
// architecture. The first layer reads raw integer features (the float
// model's 1/InputMax scaling is folded into its weights). salt blinds the
// weight commitment.
func Quantize(f *FloatModel, cfg QuantConfig, salt Salt) (*Model, error) {
	if cfg.WeightBits == 0 {
		cfg.WeightBits = 8
	}
	if cfg.ActBits == 0 {
		cfg.ActBits = 16
	}
	if cfg.WeightBits < 2 || cfg.WeightBits > MaxWeightBits {
		return nil, fmt.Errorf("weight width %d outside [2, %d]", cfg.WeightBits, MaxWeightBits)
	}
	if cfg.ActBits < 2 || cfg.ActBits > 30 {
		return nil, fmt.Errorf("activation width %d outside [2, 30]", cfg.ActBits)
	}
	if f.InputMax < 1 {
		return nil, errors.New("float model has no input scale")
	}
	L := len(f.Sizes) - 1
	m := &Model{
		Format: ModelFormat, Version: ModelVersion, Kind: KindMLP,
		InputMax: f.InputMax, Classes: f.Sizes[L], InputBits: bits.Len64(uint64(f.InputMax)),
	}
	if L == 1 {
		m.Kind = KindLogReg
	}
	wmax := float64(int64(1)<<(cfg.WeightBits-1) - 1)
	alpha := 0 // integer input of the current layer represents a_float·2^alpha (times InputMax for layer 0)
	maxIn := new(big.Int).Lsh(big.NewInt(1), uint(m.InputBits))
	maxIn.Sub(maxIn, big.NewInt(1))
	for l := 0; l < L; l++ {
		in, out := f.Sizes[l], f.Sizes[l+1]
		eff := make([]float64, len(f.W[l]))
		copy(eff, f.W[l])
		if l == 0 {
			for i := range eff {
				eff[i] /= float64(f.InputMax)
			}
		}
		mx := 0.0
		for _, w := range eff {
			mx = math.Max(mx, math.Abs(w))
		}
		if mx == 0 {
			mx = 1
		}
		e := int(math.Floor(math.Log2(wmax / mx)))
		layer := Layer{LayerShape: LayerShape{In: in, Out: out, WeightBits: cfg.WeightBits}, WeightScaleBits: e, InputScaleBits: alpha}
		ws := math.Ldexp(1, e)
		bs := math.Ldexp(1, e+alpha)
		layer.Weights = make([][]int64, out)
		layer.Bias = make([]int64, out)
		maxB := int64(0)
		for j := 0; j < out; j++ {
			row := make([]int64, in)
			for k := 0; k < in; k++ {
				v := int64(math.Round(eff[j*in+k] * ws))
				row[k] = max(-int64(wmax), min(int64(wmax), v))
			}
			layer.Weights[j] = row
			b := math.Round(f.B[l][j] * bs)
			if math.Abs(b) > math.Ldexp(1, MaxBiasBits-2) {
				return nil, fmt.Errorf("layer %d: bias %g does not fit %d bits", l, b, MaxBiasBits)
			}
			layer.Bias[j] = int64(b)
			maxB = max(maxB, abs64(layer.Bias[j]))
		}
		layer.BiasBits = max(bits.Len64(uint64(maxB))+1, 2)
		acc := new(big.Int).Lsh(maxIn, uint(cfg.WeightBits-1))
		acc.Mul(acc, big.NewInt(int64(in)))
		acc.Add(acc, new(big.Int).Lsh(big.NewInt(1), uint(layer.BiasBits-1)))
		if l < L-1 {
			layer.Shift = max(acc.BitLen()-cfg.ActBits, 0)
			alpha = e + alpha - layer.Shift
			maxIn = new(big.Int).Rsh(acc, uint(layer.Shift))
		}
		m.Layers = append(m.Layers, layer)
	}
	if err := m.Seal(salt); err != nil {
		return nil, err
	}
	return m, nil
}

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// Seal sets the model's salt and recomputes its commitment, then validates.
func (m *Model) Seal(salt Salt) error {
	m.Salt = salt.Hex()
	if err := m.Validate(); err != nil {
		return err
	}
	c, err := Commit(m, salt)
	if err != nil {
		return err
	}
	m.Commitment = HexElement(c)
	return nil
}

// SaveModel writes m as indented JSON.
func SaveModel(path string, m *Model) error {
	b, err := json.MarshalIndent(m, "", " ")
	if err != nil {
		return fmt.Errorf("encode model: %w", err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("write model: %w", err)
	}
	return nil
}

// LoadModel reads and validates a model file, and checks that its
// commitment matches its weights and salt.
func LoadModel(path string) (*Model, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read model: %w", err)
	}
	return ParseModel(b)
}

// ParseModel decodes and validates a model file's bytes.
func ParseModel(b []byte) (*Model, error) {
	var m Model
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("decode model: %w", err)
	}
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("invalid model: %w", err)
	}
	salt, err := ParseSalt(m.Salt)
	if err != nil {
		return nil, fmt.Errorf("invalid model salt: %w", err)
	}
	c, err := Commit(&m, salt)
	if err != nil {
		return nil, err
	}
	if HexElement(c) != m.Commitment {
		return nil, errors.New("model commitment does not match its weights and salt")
	}
	return &m, nil
}

// dotInt returns s + w[0]*a[0] + w[1]*a[1] + ..., eight products a pass
// (integer sums are exact in any order; in the wasm trainer the one-step
// loop paid a jump per multiply-add).
func dotInt(s int64, w, a []int64) int64 {
	a = a[:len(w)]
	k := 0
	for ; k+8 <= len(w); k += 8 {
		ww, aa := w[k:k+8:k+8], a[k:k+8:k+8]
		s += ww[0]*aa[0] + ww[1]*aa[1] + ww[2]*aa[2] + ww[3]*aa[3] +
			ww[4]*aa[4] + ww[5]*aa[5] + ww[6]*aa[6] + ww[7]*aa[7]
	}
	for ; k < len(w); k++ {
		s += w[k] * a[k]
	}
	return s
}
