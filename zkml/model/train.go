package model

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
)

// FloatModel is a float MLP: Sizes[0] inputs, Sizes[len-1] classes, ReLU
// between layers. With two sizes it is multinomial logistic regression.
// Inputs are scaled to [0, 1] by dividing by InputMax.
type FloatModel struct {
	Sizes    []int
	InputMax int64
	// W[l] is Sizes[l+1]×Sizes[l], row-major (W[l][j*in+k] weighs input k of neuron j).
	W [][]float64
	B [][]float64
}

// TrainConfig sets the optimiser. Zero fields take the defaults of
// DefaultTrainConfig.
type TrainConfig struct {
	Epochs int
	Batch  int
	LR     float64 // Adam step size
	L2     float64 // weight decay
	Seed   uint64
	// Progress, if set, is called after each epoch with the mean training loss.
	Progress func(epoch int, loss float64)
}

// DefaultTrainConfig returns the defaults used by the CLI.
func DefaultTrainConfig() TrainConfig {
	return TrainConfig{Epochs: 20, Batch: 32, LR: 0.002, L2: 1e-5, Seed: 1}
}

// ParseArch parses "64-32-10" into layer sizes.
func ParseArch(s string) ([]int, error) {
	var sizes []int
	cur, digits := 0, 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == '-' {
			if digits == 0 {
				return nil, fmt.Errorf("arch %q: empty layer size", s)
			}
			sizes = append(sizes, cur)
			cur, digits = 0, 0
			continue
		}
		c := s[i]
		if c < '0' || c > '9' {
			return nil, fmt.Errorf("arch %q: want sizes like 64-32-10", s)
		}
		cur = cur*10 + int(c-'0')
		digits++
		if cur > 1<<16 {
			return nil, fmt.Errorf("arch %q: layer size too large", s)
		}
	}
	if len(sizes) < 2 {
		return nil, fmt.Errorf("arch %q: need at least inputs and classes", s)
	}
	for _, n := range sizes {
		if n <= 0 {
			return nil, fmt.Errorf("arch %q: layer sizes must be positive", s)
		}
	}
	return sizes, nil
}

// Train fits a FloatModel of the given layer sizes with Adam on softmax
// cross-entropy. It is deterministic for a given seed.
func Train(d *Dataset, sizes []int, cfg TrainConfig) (*FloatModel, error) {
	def := DefaultTrainConfig()
	if cfg.Epochs == 0 {
		cfg.Epochs = def.Epochs
	}
	if cfg.Batch == 0 {
		cfg.Batch = def.Batch
	}
	if cfg.LR == 0 {
		cfg.LR = def.LR
	}
	if len(sizes) < 2 {
		return nil, errors.New("need at least an input and an output size")
	}
	if sizes[0] != d.Features {
		return nil, fmt.Errorf("arch starts with %d inputs but the data has %d features", sizes[0], d.Features)
	}
	if sizes[len(sizes)-1] != d.Classes {
		return nil, fmt.Errorf("arch ends with %d outputs but the data has %d classes", sizes[len(sizes)-1], d.Classes)
	}
	if d.Len() == 0 {
		return nil, errors.New("no training samples")
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x5851f42d4c957f2d))
	L := len(sizes) - 1
	m := &FloatModel{Sizes: append([]int(nil), sizes...), InputMax: d.MaxValue}
	m.W = make([][]float64, L)
	m.B = make([][]float64, L)
	for l := 0; l < L; l++ {
		in, out := sizes[l], sizes[l+1]
		m.W[l] = make([]float64, in*out)
		m.B[l] = make([]float64, out)
		std := math.Sqrt(2 / float64(in))
		for i := range m.W[l] {
			m.W[l][i] = rng.NormFloat64() * std
		}
	}
	// Adam state.
	mw, vw := zerosLike(m.W), zerosLike(m.W)
	mb, vb := zerosLike(m.B), zerosLike(m.B)
	gw, gb := zerosLike(m.W), zerosLike(m.B)
	const beta1, beta2, eps = 0.9, 0.999, 1e-8
	step := 0

	acts := make([][]float64, L+1)
	deltas := make([][]float64, L+1)
	for l := 0; l <= L; l++ {
		acts[l] = make([]float64, sizes[l])
		deltas[l] = make([]float64, sizes[l])
	}
	order := make([]int, d.Len())
	for i := range order {
		order[i] = i
	}
	scale := 1 / float64(d.MaxValue)
	for ep := 0; ep < cfg.Epochs; ep++ {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		total := 0.0
		for start := 0; start < len(order); start += cfg.Batch {
			end := min(start+cfg.Batch, len(order))
			zero(gw)
			zero(gb)
			for _, idx := range order[start:end] {
				for k, v := range d.X[idx] {
					acts[0][k] = float64(v) * scale
				}
				m.forward(acts)
				// softmax + cross-entropy gradient.
				out := acts[L]
				mx := out[0]
				for _, v := range out {
					mx = math.Max(mx, v)
				}
				sum := 0.0
				for j, v := range out {
					deltas[L][j] = math.Exp(v - mx)
					sum += deltas[L][j]
				}
				for j := range out {
					deltas[L][j] /= sum
				}
				total += -math.Log(math.Max(deltas[L][d.Y[idx]], 1e-300))
				deltas[L][d.Y[idx]] -= 1
				for l := L - 1; l >= 0; l-- {
					in, outN := sizes[l], sizes[l+1]
					w := m.W[l]
					for j := 0; j < outN; j++ {
						dj := deltas[l+1][j]
						if dj == 0 {
							continue
						}
						gb[l][j] += dj
						row := gw[l][j*in : (j+1)*in]
						for k, a := range acts[l] {
							row[k] += dj * a
						}
					}
					if l > 0 {
						for k := 0; k < in; k++ {
							s := 0.0
							if acts[l][k] > 0 {
								for j := 0; j < outN; j++ {
									s += w[j*in+k] * deltas[l+1][j]
								}
							}
							deltas[l][k] = s
						}
					}
				}
			}
			step++
			n := float64(end - start)
			c1 := 1 - math.Pow(beta1, float64(step))
			c2 := 1 - math.Pow(beta2, float64(step))
			for l := 0; l < L; l++ {
				for i := range m.W[l] {
					g := gw[l][i]/n + cfg.L2*m.W[l][i]
					mw[l][i] = beta1*mw[l][i] + (1-beta1)*g
					vw[l][i] = beta2*vw[l][i] + (1-beta2)*g*g
					m.W[l][i] -= cfg.LR * (mw[l][i] / c1) / (math.Sqrt(vw[l][i]/c2) + eps)
				}
				for i := range m.B[l] {
					g := gb[l][i] / n
					mb[l][i] = beta1*mb[l][i] + (1-beta1)*g
					vb[l][i] = beta2*vb[l][i] + (1-beta2)*g*g
					m.B[l][i] -= cfg.LR * (mb[l][i] / c1) / (math.Sqrt(vb[l][i]/c2) + eps)
				}
			}
		}
		if cfg.Progress != nil {
			cfg.Progress(ep+1, total/float64(len(order)))
		}
	}
	return m, nil
}

func zerosLike(a [][]float64) [][]float64 {
	out := make([][]float64, len(a))
	for i := range a {
		out[i] = make([]float64, len(a[i]))
	}
	return out
}

func zero(a [][]float64) {
	for i := range a {
		clear(a[i])
	}
}

// forward fills acts[1..L] from acts[0]; the last layer is left as logits.
func (m *FloatModel) forward(acts [][]float64) {
	L := len(m.Sizes) - 1
	for l := 0; l < L; l++ {
		in, out := m.Sizes[l], m.Sizes[l+1]
		for j := 0; j < out; j++ {
			s := m.B[l][j]
			row := m.W[l][j*in : (j+1)*in]
			for k, a := range acts[l] {
				s += row[k] * a
			}
			if l < L-1 && s < 0 {
				s = 0
			}
			acts[l+1][j] = s
		}
	}
}

// Predict returns the float model's class for x (lowest index on ties).
func (m *FloatModel) Predict(x []int64) int {
	acts := make([][]float64, len(m.Sizes))
	for l := range acts {
		acts[l] = make([]float64, m.Sizes[l])
	}
	for k, v := range x {
		acts[0][k] = float64(v) / float64(m.InputMax)
	}
	m.forward(acts)
	out := acts[len(acts)-1]
	best := 0
	for j := range out {
		if out[j] > out[best] {
			best = j
		}
	}
	return best
}

// Accuracy returns the fraction of d that m classifies correctly.
func (m *FloatModel) Accuracy(d *Dataset) float64 {
	if d.Len() == 0 {
		return 0
	}
	ok := 0
	for i, x := range d.X {
		if m.Predict(x) == d.Y[i] {
			ok++
		}
	}
	return float64(ok) / float64(d.Len())
}
