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
	step := 0

	// A batch goes through each layer at once: acts[l] and deltas[l] hold
	// the batch's rows (sample s at s*sizes[l]), so that every product is
	// a matrix product in 2×4 blocks (see nt). Every float is what the
	// sample-at-a-time loops made: the same sums in the same order.
	wmax := 0
	for l := 0; l < L; l++ {
		wmax = max(wmax, sizes[l]*sizes[l+1])
	}
	// The T slices hold the same values transposed (sample s at column
	// s), written beside them, as the gradient's products take them.
	acts, actsT := make([][]float64, L+1), make([][]float64, L+1)
	deltas, deltasT := make([][]float64, L+1), make([][]float64, L+1)
	for l := 0; l <= L; l++ {
		acts[l], actsT[l] = make([]float64, cfg.Batch*sizes[l]), make([]float64, cfg.Batch*sizes[l])
		deltas[l], deltasT[l] = make([]float64, cfg.Batch*sizes[l]), make([]float64, cfg.Batch*sizes[l])
	}
	wt := make([]float64, wmax)
	finite := make([]bool, L)
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
			nb := end - start
			in0 := sizes[0]
			a0 := acts[0][:nb*in0]
			a0T := actsT[0][:nb*in0]
			for s, idx := range order[start:end] {
				scaleRow(a0[s*in0:(s+1)*in0], a0T, s, nb, d.X[idx], scale)
			}
			finite[0] = true
			for l := 0; l < L; l++ {
				in, out := sizes[l], sizes[l+1]
				next, nextT := acts[l+1][:nb*out], actsT[l+1][:nb*out]
				nt(next, nextT, acts[l][:nb*in], m.W[l][:out*in], m.B[l][:out], in)
				if l < L-1 {
					finite[l+1] = relu(next)
					relu(nextT)
				}
			}
			// softmax + cross-entropy gradient.
			outL := sizes[L]
			for s, idx := range order[start:end] {
				out := acts[L][s*outL : (s+1)*outL]
				dl := deltas[L][s*outL : (s+1)*outL]
				mx := out[0]
				for _, v := range out {
					mx = math.Max(mx, v)
				}
				sum := 0.0
				for j, v := range out {
					dl[j] = math.Exp(v - mx)
					sum += dl[j]
				}
				for j := range out {
					dl[j] /= sum
				}
				y := d.Y[idx]
				total += -math.Log(math.Max(dl[y], 1e-300))
				dl[y] -= 1
			}
			transpose(deltasT[L][:nb*outL], deltas[L][:nb*outL], nb, outL)
			for l := L - 1; l >= 0; l-- {
				in, out := sizes[l], sizes[l+1]
				a, dn := acts[l][:nb*in], deltas[l+1][:nb*out]
				aT, dnT := actsT[l][:nb*in], deltasT[l+1][:nb*out]
				gwl, gbl := gw[l][:out*in], gb[l][:out]
				if finite[l] {
					// gw[j][k] is the sum over the batch of d[s][j]*a[s][k]:
					// a product over the batch of d and a transposed.
					nt(gwl, nil, dnT, aT, nil, nb)
					for j := range gbl {
						gbl[j] = sum(dnT[j*nb : (j+1)*nb])
					}
				} else {
					gradSkippingZeros(gwl, gbl, dn, a, in, out)
				}
				if l > 0 {
					// The error reaching layer l through its ReLU: d W,
					// zero where the activation is not positive.
					wtl := wt[:in*out]
					transpose(wtl, m.W[l][:out*in], out, in)
					dl, dlT := deltas[l][:nb*in], deltasT[l][:nb*in]
					nt(dl, dlT, dn, wtl, nil, out)
					for k, v := range a {
						if !(v > 0) {
							dl[k] = 0
						}
					}
					for k, v := range aT {
						if !(v > 0) {
							dlT[k] = 0
						}
					}
				}
			}
			step++
			c1 := 1 - math.Pow(beta1, float64(step))
			c2 := 1 - math.Pow(beta2, float64(step))
			for l := 0; l < L; l++ {
				adamStep(m.W[l], gw[l], mw[l], vw[l], nb, c1, c2, cfg.LR, cfg.L2, true)
				adamStep(m.B[l], gb[l], mb[l], vb[l], nb, c1, c2, cfg.LR, 0, false)
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
// much as for amd64. Go's wasm output sends every jump through the
// function's dispatch loop, where wazero spills the live locals, and
// wazero checks the bounds of every load, so what costs in wasm is jumps
// and loads per multiply-add. Train therefore takes a batch through a
// layer at once, as matrix products (nt) computed in 2×4 blocks of the
// result held in locals: each value loaded serves two or four products.
// Each function is small, with few locals, unrolled by four or eight over
// slices cut to length first so that no bounds check is left inside.
// Every sum is still taken in the order of the plain loop (one accumulator
// per output, its terms in ascending order), so the floats, and the model,
// are bit for bit what the sample-at-a-time loops made.

// nt sets c[i*m+j] to init[j] + x[i*n]*y[j*n] + x[i*n+1]*y[j*n+1] + ...,
// summed left to right, for every row i of x and row j of y (both n
// wide; m is len(y)/n), and, if ct is not nil, ct[j*rows+i] (c
// transposed) to the same; a nil init starts every sum at 0.
func nt(c, ct, x, y, init []float64, n int) {
	rows, m := len(x)/n, len(y)/n
	c = c[:rows*m]
	if ct != nil {
		ct = ct[:rows*m]
	}
	var zeros [4]float64
	at := func(j int) float64 {
		if init == nil {
			return 0
		}
		return init[j]
	}
	put := func(i, j int, v float64) {
		c[i*m+j] = v
		if ct != nil {
			ct[j*rows+i] = v
		}
	}
	i := 0
	for ; i+2 <= rows; i += 2 {
		x0, x1 := x[i*n:(i+1)*n], x[(i+1)*n:(i+2)*n]
		j := 0
		for ; j+4 <= m; j += 4 {
			t := zeros[:]
			if init != nil {
				t = init[j : j+4 : j+4]
			}
			s00, s01, s02, s03, s10, s11, s12, s13 := block2x4(x0, x1,
				y[j*n:(j+1)*n], y[(j+1)*n:(j+2)*n], y[(j+2)*n:(j+3)*n], y[(j+3)*n:(j+4)*n], t[0], t[1], t[2], t[3])
			o0, o1 := c[i*m+j:i*m+j+4:i*m+j+4], c[(i+1)*m+j:(i+1)*m+j+4:(i+1)*m+j+4]
			o0[0], o0[1], o0[2], o0[3], o1[0], o1[1], o1[2], o1[3] = s00, s01, s02, s03, s10, s11, s12, s13
			if ct != nil {
				t0, t1 := ct[j*rows+i:j*rows+i+2:j*rows+i+2], ct[(j+1)*rows+i:(j+1)*rows+i+2:(j+1)*rows+i+2]
				t2, t3 := ct[(j+2)*rows+i:(j+2)*rows+i+2:(j+2)*rows+i+2], ct[(j+3)*rows+i:(j+3)*rows+i+2:(j+3)*rows+i+2]
				t0[0], t0[1], t1[0], t1[1], t2[0], t2[1], t3[0], t3[1] = s00, s10, s01, s11, s02, s12, s03, s13
			}
		}
		if j+2 <= m {
			t := zeros[:]
			if init != nil {
				t = init[j : j+2 : j+2]
			}
			s00, s01, s10, s11 := block2x2(x0, x1, y[j*n:(j+1)*n], y[(j+1)*n:(j+2)*n], t[0], t[1])
			put(i, j, s00)
			put(i, j+1, s01)
			put(i+1, j, s10)
			put(i+1, j+1, s11)
			j += 2
		}
		for ; j < m; j++ {
			yj := y[j*n : (j+1)*n]
			put(i, j, dot(at(j), yj, x0))
			put(i+1, j, dot(at(j), yj, x1))
		}
	}
	if i < rows {
		xi := x[i*n : (i+1)*n]
		j := 0
		for ; j+4 <= m; j += 4 {
			s0, s1, s2, s3 := dot4(at(j), at(j+1), at(j+2), at(j+3),
				y[j*n:(j+1)*n], y[(j+1)*n:(j+2)*n], y[(j+2)*n:(j+3)*n], y[(j+3)*n:(j+4)*n], xi)
			put(i, j, s0)
			put(i, j+1, s1)
			put(i, j+2, s2)
			put(i, j+3, s3)
		}
		for ; j < m; j++ {
			put(i, j, dot(at(j), y[j*n:(j+1)*n], xi))
		}
	}
}

// block2x4 returns the eight sums t_b + p_a·q_b (a < 2, b < 4), each
// summed over k ascending, for p0 and p1 against q0..q3, all len(p0) long.
func block2x4(p0, p1, q0, q1, q2, q3 []float64, t0, t1, t2, t3 float64) (s00, s01, s02, s03, s10, s11, s12, s13 float64) {
	n := len(p0)
	p0, p1, q0, q1, q2, q3 = p0[:n], p1[:n], q0[:n], q1[:n], q2[:n], q3[:n]
	s00, s01, s02, s03 = t0, t1, t2, t3
	s10, s11, s12, s13 = t0, t1, t2, t3
	var u0, u1, v float64
	k := 0
	for ; k+8 <= n; k += 8 {
		x0, x1 := p0[k:k+8:k+8], p1[k:k+8:k+8]
		r0, r1, r2, r3 := q0[k:k+8:k+8], q1[k:k+8:k+8], q2[k:k+8:k+8], q3[k:k+8:k+8]
		u0, u1 = x0[0], x1[0]
		v = r0[0]
		s00 += u0 * v
		s10 += u1 * v
		v = r1[0]
		s01 += u0 * v
		s11 += u1 * v
		v = r2[0]
		s02 += u0 * v
		s12 += u1 * v
		v = r3[0]
		s03 += u0 * v
		s13 += u1 * v
		u0, u1 = x0[1], x1[1]
		v = r0[1]
		s00 += u0 * v
		s10 += u1 * v
		v = r1[1]
		s01 += u0 * v
		s11 += u1 * v
		v = r2[1]
		s02 += u0 * v
		s12 += u1 * v
		v = r3[1]
		s03 += u0 * v
		s13 += u1 * v
		u0, u1 = x0[2], x1[2]
		v = r0[2]
		s00 += u0 * v
		s10 += u1 * v
		v = r1[2]
		s01 += u0 * v
		s11 += u1 * v
		v = r2[2]
		s02 += u0 * v
		s12 += u1 * v
		v = r3[2]
		s03 += u0 * v
		s13 += u1 * v
		u0, u1 = x0[3], x1[3]
		v = r0[3]
		s00 += u0 * v
		s10 += u1 * v
		v = r1[3]
		s01 += u0 * v
		s11 += u1 * v
		v = r2[3]
		s02 += u0 * v
		s12 += u1 * v
		v = r3[3]
		s03 += u0 * v
		s13 += u1 * v
		u0, u1 = x0[4], x1[4]
		v = r0[4]
		s00 += u0 * v
		s10 += u1 * v
		v = r1[4]
		s01 += u0 * v
		s11 += u1 * v
		v = r2[4]
		s02 += u0 * v
		s12 += u1 * v
		v = r3[4]
		s03 += u0 * v
		s13 += u1 * v
		u0, u1 = x0[5], x1[5]
		v = r0[5]
		s00 += u0 * v
		s10 += u1 * v
		v = r1[5]
		s01 += u0 * v
		s11 += u1 * v
		v = r2[5]
		s02 += u0 * v
		s12 += u1 * v
		v = r3[5]
		s03 += u0 * v
		s13 += u1 * v
		u0, u1 = x0[6], x1[6]
		v = r0[6]
		s00 += u0 * v
		s10 += u1 * v
		v = r1[6]
		s01 += u0 * v
		s11 += u1 * v
		v = r2[6]
		s02 += u0 * v
		s12 += u1 * v
		v = r3[6]
		s03 += u0 * v
		s13 += u1 * v
		u0, u1 = x0[7], x1[7]
		v = r0[7]
		s00 += u0 * v
		s10 += u1 * v
		v = r1[7]
		s01 += u0 * v
		s11 += u1 * v
		v = r2[7]
		s02 += u0 * v
		s12 += u1 * v
		v = r3[7]
		s03 += u0 * v
		s13 += u1 * v
	}
	for ; k < n; k++ {
		u0, u1 = p0[k], p1[k]
		v = q0[k]
		s00 += u0 * v
		s10 += u1 * v
		v = q1[k]
		s01 += u0 * v
		s11 += u1 * v
		v = q2[k]
		s02 += u0 * v
		s12 += u1 * v
		v = q3[k]
		s03 += u0 * v
		s13 += u1 * v
	}
	return
}

// block2x2 is block2x4 for two q.
func block2x2(p0, p1, q0, q1 []float64, t0, t1 float64) (s00, s01, s10, s11 float64) {
	n := len(p0)
	p0, p1, q0, q1 = p0[:n], p1[:n], q0[:n], q1[:n]
	s00, s01, s10, s11 = t0, t1, t0, t1
	var u0, u1, v float64
	k := 0
	for ; k+8 <= n; k += 8 {
		x0, x1 := p0[k:k+8:k+8], p1[k:k+8:k+8]
		r0, r1 := q0[k:k+8:k+8], q1[k:k+8:k+8]
		u0, u1 = x0[0], x1[0]
		v = r0[0]
		s00 += u0 * v
		s10 += u1 * v
		v = r1[0]
		s01 += u0 * v
		s11 += u1 * v
		u0, u1 = x0[1], x1[1]
		v = r0[1]
		s00 += u0 * v
		s10 += u1 * v
		v = r1[1]
		s01 += u0 * v
		s11 += u1 * v
		u0, u1 = x0[2], x1[2]
		v = r0[2]
		s00 += u0 * v
		s10 += u1 * v
		v = r1[2]
		s01 += u0 * v
		s11 += u1 * v
		u0, u1 = x0[3], x1[3]
		v = r0[3]
		s00 += u0 * v
		s10 += u1 * v
		v = r1[3]
		s01 += u0 * v
		s11 += u1 * v
		u0, u1 = x0[4], x1[4]
		v = r0[4]
		s00 += u0 * v
		s10 += u1 * v
		v = r1[4]
		s01 += u0 * v
		s11 += u1 * v
		u0, u1 = x0[5], x1[5]
		v = r0[5]
		s00 += u0 * v
		s10 += u1 * v
		v = r1[5]
		s01 += u0 * v
		s11 += u1 * v
		u0, u1 = x0[6], x1[6]
		v = r0[6]
		s00 += u0 * v
		s10 += u1 * v
		v = r1[6]
		s01 += u0 * v
		s11 += u1 * v
		u0, u1 = x0[7], x1[7]
		v = r0[7]
		s00 += u0 * v
		s10 += u1 * v
		v = r1[7]
		s01 += u0 * v
		s11 += u1 * v
	}
	for ; k < n; k++ {
		u0, u1 = p0[k], p1[k]
		v = q0[k]
		s00 += u0 * v
		s10 += u1 * v
		v = q1[k]
		s01 += u0 * v
		s11 += u1 * v
	}
	return
}

// scaleRow sets dst[k], and t[k*rows+s] (column s of the batch's inputs
// transposed, rows samples), to float64(x[k]) * scale.
func scaleRow(dst, t []float64, s, rows int, x []int64, scale float64) {
	x = x[:len(dst)]
	for k, v := range x {
		f := float64(v) * scale
		dst[k] = f
		t[k*rows+s] = f
	}
}

// Adam's constants.
const beta1, beta2, eps = 0.9, 0.999, 1e-8

// adamStep is Adam's step on the parameters w with the batch's summed
// gradients g (n samples; decay adds l2*w to the mean gradient) and the
// moments m and v. When n is a power of two (the default batch of 32) it
// multiplies g by 1/n rather than divide, which gives the quotient
// exactly: 1/n is exact, and both round the same real number.
func adamStep(w, g, m, v []float64, n int, c1, c2, lr, l2 float64, decay bool) {
	g, m, v = g[:len(w)], m[:len(w)], v[:len(w)]
	f := float64(n)
	switch {
	case n&(n-1) == 0 && decay:
		inv := 1 / f
		for i := range w {
			gi := g[i]*inv + l2*w[i]
			mi := beta1*m[i] + (1-beta1)*gi
			vi := beta2*v[i] + (1-beta2)*gi*gi
			m[i], v[i] = mi, vi
			w[i] -= lr * (mi / c1) / (math.Sqrt(vi/c2) + eps)
		}
	case n&(n-1) == 0:
		inv := 1 / f
		for i := range w {
			gi := g[i] * inv
			mi := beta1*m[i] + (1-beta1)*gi
			vi := beta2*v[i] + (1-beta2)*gi*gi
			m[i], v[i] = mi, vi
			w[i] -= lr * (mi / c1) / (math.Sqrt(vi/c2) + eps)
		}
	case decay:
		for i := range w {
			gi := g[i]/f + l2*w[i]
			mi := beta1*m[i] + (1-beta1)*gi
			vi := beta2*v[i] + (1-beta2)*gi*gi
			m[i], v[i] = mi, vi
			w[i] -= lr * (mi / c1) / (math.Sqrt(vi/c2) + eps)
		}
	default:
		for i := range w {
			gi := g[i] / f
			mi := beta1*m[i] + (1-beta1)*gi
			vi := beta2*v[i] + (1-beta2)*gi*gi
			m[i], v[i] = mi, vi
			w[i] -= lr * (mi / c1) / (math.Sqrt(vi/c2) + eps)
		}
	}
}

// transpose sets dst[c*rows+r] to src[r*cols+c]: dst is src (rows×cols)
// transposed.
func transpose(dst, src []float64, rows, cols int) {
	dst, src = dst[:rows*cols], src[:rows*cols]
	for r := 0; r < rows; r++ {
		row := src[r*cols : (r+1)*cols]
		for c, v := range row {
			dst[c*rows+r] = v
		}
	}
}

// relu sets the negative values of a to 0 and reports whether all of a is
// finite (NaN stays NaN, as in the plain loop).
func relu(a []float64) bool {
	ok := true
	for i, v := range a {
		if v < 0 {
			a[i] = 0
		} else if !(v <= math.MaxFloat64) {
			ok = false
		}
	}
	return ok
}

// sum returns x[0] + x[1] + ..., summed left to right from 0.
func sum(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s
}

// gradSkippingZeros is the batch's gradient as the sample-at-a-time loop
// took it, skipping the terms of zero deltas: gw[j*in+k] sums d[s*out+j]*
// a[s*in+k] and gb[j] d[s*out+j] over the samples s with d[s*out+j] != 0.
// Over finite activations a skipped term is a zero, which leaves a sum
// started at +0 as it is, so Train uses the blocked product; only where an
// activation is infinite or NaN (0 times it being NaN) does it take this
// path, to keep the old floats there too.
func gradSkippingZeros(gw, gb, d, a []float64, in, out int) {
	clear(gw)
	clear(gb)
	for s := 0; s < len(d)/out; s++ {
		as := a[s*in : (s+1)*in]
		for j, dj := range d[s*out : (s+1)*out] {
			if dj == 0 {
				continue
			}
			gb[j] += dj
			axpy(gw[j*in:(j+1)*in], dj, as)
		}
	}
}

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

// Predict returns the float model's class for x (lowest index on ties).
func (m *FloatModel) Predict(x []int64) int { return m.predict(m.activations(), x) }

// activations makes the buffers of one sample's forward pass.
func (m *FloatModel) activations() [][]float64 {
	acts := make([][]float64, len(m.Sizes))
	for l := range acts {
		acts[l] = make([]float64, m.Sizes[l])
	}
	return acts
}

// predict is Predict in the buffers acts.
func (m *FloatModel) predict(acts [][]float64, x []int64) int {
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

// Accuracy returns the fraction of d that m classifies correctly. It
// reuses one sample's buffers (Predict allocates them per call, which
// in the wasm trainer cost a garbage collection or more per test set).
func (m *FloatModel) Accuracy(d *Dataset) float64 {
	if d.Len() == 0 {
		return 0
	}
	acts := m.activations()
	ok := 0
	for i, x := range d.X {
		if m.predict(acts, x) == d.Y[i] {
			ok++
		}
	}
	return float64(ok) / float64(d.Len())
}
