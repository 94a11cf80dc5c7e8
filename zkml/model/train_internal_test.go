package model

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// plainTrain is Train as first written, one sample at a time in plain
// loops. Train's blocked batch products must give its floats bit for bit:
// the model bytes that jobs, attestations and the transcripts pin depend
// on them.
func plainTrain(d *Dataset, sizes []int, cfg TrainConfig) (*FloatModel, error) {
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
			plainZero(gw)
			plainZero(gb)
			for _, idx := range order[start:end] {
				for k, v := range d.X[idx] {
					acts[0][k] = float64(v) * scale
				}
				plainForward(m, acts)
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

func plainZero(a [][]float64) {
	for i := range a {
		clear(a[i])
	}
}

func plainForward(m *FloatModel, acts [][]float64) {
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

// TestTrainMatchesPlain: Train's weights, biases and per-epoch losses are
// plainTrain's bit for bit, over archs with every remainder of the 2×4
// blocks (layer widths and a last batch that are not multiples of 2 or 4),
// batches of 1, 7 and 33, and a step size so large that the weights
// overflow to infinities and NaNs (where Train takes gradSkippingZeros).
func TestTrainMatchesPlain(t *testing.T) {
	d := testData(t)
	for _, c := range []struct {
		arch        string
		seed        uint64
		epochs, bat int
		lr          float64
		n           int
	}{
		{"64-32-10", 1, 3, 0, 0, 0}, {"64-10", 3, 2, 0, 0, 0}, {"64-33-17-10", 5, 2, 7, 0, 0},
		{"64-5-3-10", 2, 2, 1, 0, 101}, {"64-31-10", 9, 2, 33, 0.5, 0}, {"64-32-10", 4, 2, 32, 1e300, 0},
		{"64-9-10", 11, 2, 3, 0, 50}, {"64-2-1-10", 6, 2, 5, 0, 77},
		{"64-33-17-10", 8, 2, 7, 1e300, 0}, {"64-8-8-8-10", 12, 2, 4, 1e300, 0}, {"64-8-8-8-10", 13, 3, 32, 1e150, 0},
	} {
		sizes, err := ParseArch(c.arch)
		if err != nil {
			t.Fatal(err)
		}
		cfg := DefaultTrainConfig()
		cfg.Epochs, cfg.Seed, cfg.Batch = c.epochs, c.seed, c.bat
		if c.lr != 0 {
			cfg.LR = c.lr
		}
		tr := d
		if c.n > 0 {
			tr = d.Subset(0, c.n)
		}
		var got, want []float64
		cfg.Progress = func(_ int, loss float64) { got = append(got, loss) }
		m, err := Train(tr, sizes, cfg)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Progress = func(_ int, loss float64) { want = append(want, loss) }
		p, err := plainTrain(tr, sizes, cfg)
		if err != nil {
			t.Fatal(err)
		}
		name := fmt.Sprintf("%s seed %d batch %d lr %g", c.arch, c.seed, c.bat, c.lr)
		sameBits(t, name+" losses", got, want)
		for l := range m.W {
			sameBits(t, fmt.Sprintf("%s W[%d]", name, l), m.W[l], p.W[l])
			sameBits(t, fmt.Sprintf("%s B[%d]", name, l), m.B[l], p.B[l])
		}
	}
}

func sameBits(t *testing.T, what string, got, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
			t.Fatalf("%s[%d] = %v (%#x), the plain loops give %v (%#x)", what, i, got[i], math.Float64bits(got[i]), want[i], math.Float64bits(want[i]))
		}
	}
}

// TestNTMatchesPlain holds nt (and so block2x4, block2x2, dot4 and dot) to
// the plain triple loop, bit for bit, at every remainder of its blocks,
// with and without init and the transposed copy.
func TestNTMatchesPlain(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	val := func() float64 {
		switch r.IntN(8) {
		case 0:
			return 0
		case 1:
			return math.Copysign(0, -1)
		}
		return r.NormFloat64() * math.Ldexp(1, r.IntN(40)-20)
	}
	for rows := 1; rows <= 7; rows++ {
		for m := 1; m <= 11; m++ {
			for _, n := range []int{1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 33} {
				x, y, init := make([]float64, rows*n), make([]float64, m*n), make([]float64, m)
				for _, s := range [][]float64{x, y, init} {
					for i := range s {
						s[i] = val()
					}
				}
				for _, in := range [][]float64{nil, init} {
					want := make([]float64, rows*m)
					for i := 0; i < rows; i++ {
						for j := 0; j < m; j++ {
							s := 0.0
							if in != nil {
								s = in[j]
							}
							for k := 0; k < n; k++ {
								s += x[i*n+k] * y[j*n+k]
							}
							want[i*m+j] = s
						}
					}
					c, ct := make([]float64, rows*m), make([]float64, rows*m)
					nt(c, ct, x, y, in, n)
					name := fmt.Sprintf("nt %dx%d n %d init %v", rows, m, n, in != nil)
					sameBits(t, name, c, want)
					for i := 0; i < rows; i++ {
						for j := 0; j < m; j++ {
							if math.Float64bits(ct[j*rows+i]) != math.Float64bits(want[i*m+j]) {
								t.Fatalf("%s: transposed copy (%d, %d) differs", name, i, j)
							}
						}
					}
					c2 := make([]float64, rows*m)
					nt(c2, nil, x, y, in, n)
					sameBits(t, name+" without the copy", c2, want)
				}
			}
		}
	}
}

// testData is the digits set's training part (dataset/digits.csv.gz).
func testData(t *testing.T) *Dataset {
	t.Helper()
	d, err := ReadCSVFile("../../dataset/digits.csv.gz", 16)
	if err != nil {
		t.Fatal(err)
	}
	tr, _ := d.Split(0.8, 1)
	return tr
}

var _ = errors.New
