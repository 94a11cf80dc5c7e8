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
					a, d := acts[l][:in], deltas[l+1][:outN]
					gwl, gbl := gw[l][:outN*in], gb[l][:outN]
					for j, dj := range d {
						if dj == 0 {
							continue
						}
						gbl[j] += dj
						axpy(gwl[j*in:(j+1)*in], dj, a)
					}
					if l > 0 {
						backDeltas(deltas[l][:in], m.W[l][:outN*in], d, a)
					}
				}
			}
			step++
			n := float64(end - start)
			c1 := 1 - math.Pow(beta1, float64(step))
			c2 := 1 - math.Pow(beta2, float64(step))
			for l := 0; l < L; l++ {
				w := m.W[l]
				gwl, mwl, vwl := gw[l][:len(w)], mw[l][:len(w)], vw[l][:len(w)]
				for i := range w {
					g := gwl[i]/n + cfg.L2*w[i]
					mwl[i] = beta1*mwl[i] + (1-beta1)*g
					vwl[i] = beta2*vwl[i] + (1-beta2)*g*g
					w[i] -= cfg.LR * (mwl[i] / c1) / (math.Sqrt(vwl[i]/c2) + eps)
				}
				b := m.B[l]
				gbl, mbl, vbl := gb[l][:len(b)], mb[l][:len(b)], vb[l][:len(b)]
				for i := range b {
					g := gbl[i] / n
					mbl[i] = beta1*mbl[i] + (1-beta1)*g
					vbl[i] = beta2*vbl[i] + (1-beta2)*g*g
					b[i] -= cfg.LR * (mbl[i] / c1) / (math.Sqrt(vbl[i]/c2) + eps)
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
		a, next := acts[l][:in], acts[l+1][:out]
		w, b := m.W[l][:out*in], m.B[l][:out]
		j := 0
		for ; j+4 <= out; j += 4 {
			next[j], next[j+1], next[j+2], next[j+3] = dot4(b[j], b[j+1], b[j+2], b[j+3],
				w[j*in:(j+1)*in], w[(j+1)*in:(j+2)*in], w[(j+2)*in:(j+3)*in], w[(j+3)*in:(j+4)*in], a)
		}
		for ; j < out; j++ {
			next[j] = dot(b[j], w[j*in:(j+1)*in], a)
		}
		if l < L-1 {
			for j, s := range next {
				if s < 0 {
					next[j] = 0
				}
			}
		}
	}
}

// The loops below are the trainer's inner loops, written for the
// WebAssembly build (compute/trainer runs this code as a wasip1 job) as
// much as for amd64: each is a function of its own with few locals,
// unrolled so that a pass of the loop does eight steps, over slices cut to
// length first so that no bounds check is left inside. Go's wasm output
// sends every jump through the function's dispatch loop, where wazero
// spills the live locals, and wazero checks the bounds of every load, so
// the plain loops ran the trainer several times slower than native. Every
// sum is still taken in the order of the plain loop (one accumulator per
// output, k ascending), so the floats, and the model, are bit for bit
// what they were.

// dot returns s + x[0]*y[0] + x[1]*y[1] + ..., summed left to right.
func dot(s float64, x, y []float64) float64 {
	y = y[:len(x)]
	k := 0
	for ; k+8 <= len(x); k += 8 {
		xx, yy := x[k:k+8:k+8], y[k:k+8:k+8]
		s += xx[0] * yy[0]
		s += xx[1] * yy[1]
		s += xx[2] * yy[2]
		s += xx[3] * yy[3]
		s += xx[4] * yy[4]
		s += xx[5] * yy[5]
		s += xx[6] * yy[6]
		s += xx[7] * yy[7]
	}
	for ; k < len(x); k++ {
		s += x[k] * y[k]
	}
	return s
}

// dot4 is dot for four rows against one y, loading each y once.
func dot4(s0, s1, s2, s3 float64, x0, x1, x2, x3, y []float64) (float64, float64, float64, float64) {
	n := len(y)
	x0, x1, x2, x3 = x0[:n], x1[:n], x2[:n], x3[:n]
	k := 0
	for ; k+4 <= n; k += 4 {
		yy := y[k : k+4 : k+4]
		a, b, c, d := x0[k:k+4:k+4], x1[k:k+4:k+4], x2[k:k+4:k+4], x3[k:k+4:k+4]
		v := yy[0]
		s0 += a[0] * v
		s1 += b[0] * v
		s2 += c[0] * v
		s3 += d[0] * v
		v = yy[1]
		s0 += a[1] * v
		s1 += b[1] * v
		s2 += c[1] * v
		s3 += d[1] * v
		v = yy[2]
		s0 += a[2] * v
		s1 += b[2] * v
		s2 += c[2] * v
		s3 += d[2] * v
		v = yy[3]
		s0 += a[3] * v
		s1 += b[3] * v
		s2 += c[3] * v
		s3 += d[3] * v
	}
	for ; k < n; k++ {
		v := y[k]
		s0 += x0[k] * v
		s1 += x1[k] * v
		s2 += x2[k] * v
		s3 += x3[k] * v
	}
	return s0, s1, s2, s3
}

// axpy adds a*x[k] to y[k] for every k.
func axpy(y []float64, a float64, x []float64) {
	x = x[:len(y)]
	k := 0
	for ; k+8 <= len(y); k += 8 {
		yy, xx := y[k:k+8:k+8], x[k:k+8:k+8]
		yy[0] += a * xx[0]
		yy[1] += a * xx[1]
		yy[2] += a * xx[2]
		yy[3] += a * xx[3]
		yy[4] += a * xx[4]
		yy[5] += a * xx[5]
		yy[6] += a * xx[6]
		yy[7] += a * xx[7]
	}
	for ; k < len(y); k++ {
		y[k] += a * x[k]
	}
}

// backDeltas sets dst[k] to the sum over j of w[j*in+k]*d[j] (j ascending)
// where act[k] > 0 and to 0 elsewhere: the error reaching a hidden layer
// through its ReLU, w being the next layer's len(d)×in weights.
func backDeltas(dst, w, d, act []float64) {
	in := len(dst)
	act = act[:in]
	k := 0
	for ; k+4 <= in; k += 4 {
		var s0, s1, s2, s3 float64
		for j, dj := range d {
			r := w[j*in+k : j*in+k+4 : j*in+k+4]
			s0 += r[0] * dj
			s1 += r[1] * dj
			s2 += r[2] * dj
			s3 += r[3] * dj
		}
		o, on := dst[k:k+4:k+4], act[k:k+4:k+4]
		o[0], o[1], o[2], o[3] = s0, s1, s2, s3
		for i, v := range on {
			if !(v > 0) {
				o[i] = 0
			}
		}
	}
	for ; k < in; k++ {
		s := 0.0
		if act[k] > 0 {
			for j, dj := range d {
				s += w[j*in+k] * dj
			}
		}
		dst[k] = s
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
