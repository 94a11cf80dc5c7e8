package yuma_test

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"

	"emergence/subnet/yuma"
)

// refResult is the float64 reference epoch's output.
type refResult struct {
	S, A, C, I, D, VT []float64
	srvE, valE        []float64
	permit            []bool
	bonds             [][]float64 // stored-scale bonds (u16/65535) for permitted rows
}

// refEpoch is a straightforward float64 implementation of the epoch in
// yuma.md §1.3–1.5, written independently of the fixed-point code (dense
// n×n matrices, sort-based median). It is the reference the fixed-point
// results are held to.
func refEpoch(in *yuma.Input) refResult {
	n := len(in.Stake)
	p := in.Params
	owner := -1
	if in.HasOwner {
		owner = int(in.Owner)
	}
	active := make([]bool, n)
	for i := range n {
		active[i] = in.LastUpdate[i]+p.ActivityCutoff >= in.Block
	}
	S := make([]float64, n)
	for i := range n {
		if in.Stake[i] >= p.StakeThreshold || i == owner {
			S[i] = float64(in.Stake[i])
		}
	}
	normF(S)
	permPrev := append([]bool(nil), in.ValidatorPermit...)
	if owner >= 0 {
		permPrev[owner] = true
	}
	permNew := make([]bool, n)
	for i := range n {
		permNew[i] = S[i] != 0
	}
	if k := int(p.MaxValidators); n >= k {
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		sort.SliceStable(idx, func(a, b int) bool { return S[idx[a]] < S[idx[b]] })
		for _, i := range idx[:n-k] {
			permNew[i] = false
		}
	}
	if owner >= 0 {
		permNew[owner] = true
	}
	A := make([]float64, n)
	for i := range n {
		if active[i] && permPrev[i] {
			A[i] = S[i]
		}
	}
	normF(A)
	W := make([][]float64, n)
	for i := range n {
		W[i] = make([]float64, n)
		if !permPrev[i] {
			continue
		}
		for _, e := range in.Weights[i] {
			j := int(e.UID)
			if (j == i && i != owner) || in.LastUpdate[i] <= in.RegisteredAt[j] {
				continue
			}
			if in.CommitBlock != nil && in.CommitBlock[i] != 0 && in.CommitBlock[i] < in.RegisteredAt[j] {
				continue
			}
			W[i][j] = float64(e.Value)
		}
		normF(W[i])
	}
	kappa := float64(p.Kappa) / 65535
	C := make([]float64, n)
	for j := range n {
		type vs struct{ w, s float64 }
		var col []vs
		var tot float64
		for i := range n {
			if A[i] > 0 {
				col = append(col, vs{W[i][j], A[i]})
				tot += A[i]
			}
		}
		if len(col) == 0 {
			continue
		}
		sort.Slice(col, func(a, b int) bool { return col[a].w < col[b].w })
		minority := 1 - kappa
		var cum float64
		for q, c := range col {
			cum += c.s / tot
			if q+1 < len(col) && col[q+1].w == c.w {
				continue
			}
			if cum > minority {
				C[j] = c.w
				break
			}
		}
	}
	beta := float64(p.BondsPenalty) / 65535
	VT := make([]float64, n)
	R := make([]float64, n)
	Wb := make([][]float64, n)
	for i := range n {
		Wb[i] = make([]float64, n)
		for j := range n {
			cl := math.Min(W[i][j], C[j])
			VT[i] += cl
			R[j] += A[i] * cl
			Wb[i][j] = W[i][j] + beta*(cl-W[i][j])
		}
	}
	I := append([]float64(nil), R...)
	normF(I)
	lastTempo := in.Block - p.Tempo
	if in.LastEpochBlock != 0 {
		lastTempo = in.LastEpochBlock + 1
	}
	B0 := make([][]float64, n)
	for i := range n {
		B0[i] = make([]float64, n)
		if !permPrev[i] {
			continue
		}
		for _, e := range in.Bonds[i] {
			if lastTempo <= in.RegisteredAt[e.UID] {
				continue
			}
			if p.Yuma3 {
				B0[i][e.UID] = float64(e.Value) / 65535
			} else {
				B0[i][e.UID] = float64(e.Value)
			}
		}
	}
	D := make([]float64, n)
	B := make([][]float64, n)
	for i := range B {
		B[i] = make([]float64, n)
	}
	a := 1 - float64(p.BondsMovingAverage)/1e6
	if p.Yuma3 {
		liquid := false
		for _, c := range C {
			liquid = liquid || (p.LiquidAlpha && c != 0)
		}
		lo, hi := float64(p.AlphaLow)/65535, float64(p.AlphaHigh)/65535
		for i := range n {
			for j := range n {
				w, b := Wb[i][j], B0[i][j]
				if liquid {
					x := math.Max(0, math.Min(1, b-w))
					if w >= b {
						x = math.Max(0, math.Min(1, w-C[j]))
					}
					z := math.Max(-20, math.Min(20, -float64(p.AlphaSigmoidSteepness)/100*(x-0.5)))
					al := math.Max(lo, math.Min(hi, lo+(hi-lo)/(1+math.Exp(z))))
					B[i][j] = math.Min(1, (1-al)*b+al*w)
				} else {
					B[i][j] = a*w + (1-a)*b
				}
			}
		}
		for j := range n {
			var cs float64
			for i := range n {
				cs += B[i][j]
			}
			if cs == 0 {
				continue
			}
			for i := range n {
				D[i] += B[i][j] / cs * I[j]
			}
		}
		for i := range n {
			D[i] *= A[i]
		}
		normF(D)
	} else {
		colNormF(B0)
		dB := make([][]float64, n)
		for i := range n {
			dB[i] = make([]float64, n)
			for j := range n {
				dB[i][j] = Wb[i][j] * A[i]
			}
		}
		colNormF(dB)
		for i := range n {
			for j := range n {
				B[i][j] = a*dB[i][j] + (1-a)*B0[i][j]
			}
		}
		colNormF(B)
		for i := range n {
			for j := range n {
				D[i] += B[i][j] * I[j]
			}
		}
		normF(D)
		for j := range n {
			var m float64
			for i := range n {
				m = math.Max(m, B[i][j])
			}
			for i := range n {
				if m > 0 {
					B[i][j] /= m
				}
			}
		}
	}
	srvE, valE := make([]float64, n), make([]float64, n)
	var sum float64
	for j := range n {
		sum += I[j] + D[j]
	}
	E := float64(in.Emission)
	if sum == 0 {
		share := A
		var sa float64
		for _, x := range A {
			sa += x
		}
		if sa == 0 {
			share = S
		}
		for i := range n {
			valE[i] = share[i] * E
		}
	} else {
		for i := range n {
			srvE[i] = I[i] / sum * E
			valE[i] = D[i] / sum * E
		}
	}
	return refResult{S: S, A: A, C: C, I: I, D: D, VT: VT, srvE: srvE, valE: valE, permit: permNew, bonds: B}
}

func normF(v []float64) {
	var s float64
	for _, x := range v {
		s += x
	}
	if s == 0 {
		return
	}
	for i := range v {
		v[i] /= s
	}
}

func colNormF(m [][]float64) {
	n := len(m)
	for j := range n {
		var s float64
		for i := range n {
			s += m[i][j]
		}
		if s == 0 {
			continue
		}
		for i := range n {
			m[i][j] /= s
		}
	}
}

// randomInput builds a random but well-formed epoch input: n uids, v of
// them with stake, weights from permitted validators to random miners,
// bonds, some inactive or recently registered uids. Scores are drawn from a
// coarse grid (multiples of 1/8 of the max) so that the median is not decided by
// a hair's breadth of stake, which a float and a fixed-point implementation
// may legitimately break differently.
func randomInput(r *rand.Rand, n, v int, yuma3, liquid bool) *yuma.Input {
	p := yuma.DefaultParams()
	p.Yuma3, p.LiquidAlpha = yuma3, liquid
	p.MaxValidators = uint16(v)
	p.AlphaLow, p.AlphaHigh = 6553, 19660
	// β ∈ {0, ½, 1}. (β just below 1 makes W̃ = (1−β)·W a ~1e-5 sliver on
	// columns with zero consensus, whose column-normalised ratios are
	// ill-conditioned in any 32-fractional-bit arithmetic.)
	p.BondsPenalty = []uint16{0, 32767, 65535}[r.IntN(3)]
	in := &yuma.Input{
		Block: 10_000, LastEpochBlock: 9_999, Emission: 1_000_000_000 + uint64(r.IntN(1_000_000)), Params: p,
		Stake: make([]uint64, n), LastUpdate: make([]uint64, n), RegisteredAt: make([]uint64, n),
		ValidatorPermit: make([]bool, n), Weights: make([][]yuma.Entry, n), Bonds: make([][]yuma.Entry, n),
	}
	for i := range n {
		in.RegisteredAt[i] = uint64(r.IntN(100))
		if r.IntN(20) == 0 {
			in.RegisteredAt[i] = 9_999 // recently registered
		}
		in.LastUpdate[i] = 9_000 + uint64(r.IntN(1000))
		if r.IntN(10) == 0 {
			in.LastUpdate[i] = 1000 // inactive
		}
	}
	if r.IntN(2) == 0 {
		in.HasOwner, in.Owner = true, uint16(r.IntN(n))
	}
	if r.IntN(2) == 0 {
		in.CommitBlock = make([]uint64, n)
		for i := range in.CommitBlock {
			in.CommitBlock[i] = uint64(r.IntN(150)) // may predate some registrations
		}
	}
	if r.IntN(3) == 0 {
		in.Params.StakeThreshold = 300_000_000
	}
	for k := 0; k < v; k++ {
		i := r.IntN(n)
		in.Stake[i] = 1_000_000 + uint64(r.IntN(1_000_000_000))
		in.ValidatorPermit[i] = true
		var row, brow []yuma.Entry
		for j := range n {
			if r.IntN(3) == 0 {
				row = append(row, yuma.Entry{UID: uint16(j), Value: uint16(r.IntN(9)) * 8191})
			}
			if r.IntN(2) == 0 {
				brow = append(brow, yuma.Entry{UID: uint16(j), Value: uint16(r.IntN(65536))})
			}
		}
		in.Weights[i], in.Bonds[i] = row, brow
	}
	return in
}

// TestFixedMatchesFloatReference holds the fixed-point epoch to the float
// reference on random inputs for both bond variants, with and without
// liquid alpha. Tolerances: consensus exact to 1e-6 (it selects an input
// weight), shares (S, A, I, D, VT) 1e-6 absolute, stored bonds ±2 u16
// units (u16 floor on both sides plus I32F32 rounding), emissions
// 1e-6·E + 2 base units.
func TestFixedMatchesFloatReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	variants := []struct {
		name          string
		yuma3, liquid bool
	}{{"legacy", false, false}, {"yuma3", true, false}, {"yuma3+liquid", true, true}}
	for _, vr := range variants {
		t.Run(vr.name, func(t *testing.T) {
			for iter := 0; iter < 30; iter++ {
				n := 8 + r.IntN(40)
				in := randomInput(r, n, 2+r.IntN(6), vr.yuma3, vr.liquid)
				got, err := yuma.Run(in)
				if err != nil {
					t.Fatal(err)
				}
				want := refEpoch(in)
				cmp := func(what string, g []float64, w []float64, tol float64) {
					t.Helper()
					for i := range w {
						if math.Abs(g[i]-w[i]) > tol {
							t.Fatalf("iter %d %s[%d] = %.10f, float %.10f", iter, what, i, g[i], w[i])
						}
					}
				}
				fl := func(v []uint64) []float64 {
					out := make([]float64, len(v))
					for i, x := range v {
						out[i] = float64(x)
					}
					return out
				}
				cmp("S", floats(got.Stake), want.S, 1e-6)
				cmp("A", floats(got.ActiveStake), want.A, 1e-6)
				cmp("C", floats(got.Consensus), want.C, 1e-6)
				cmp("I", floats(got.Incentive), want.I, 1e-6)
				cmp("D", floats(got.Dividends), want.D, 1e-6)
				cmp("VT", floats(got.ValidatorTrust), want.VT, 1e-6)
				tolE := 1e-6*float64(in.Emission) + 2
				cmp("server emission", fl(got.ServerEmission), want.srvE, tolE)
				cmp("validator emission", fl(got.ValidatorEmission), want.valE, tolE)
				for i := range n {
					if got.ValidatorPermit[i] != want.permit[i] {
						t.Fatalf("iter %d permit[%d]", iter, i)
					}
					if !want.permit[i] {
						continue
					}
					row := make([]float64, n)
					for _, e := range got.Bonds[i] {
						row[e.UID] = float64(e.Value)
					}
					for j := range n {
						if d := math.Abs(row[j] - math.Floor(want.bonds[i][j]*65535)); d > 2 {
							t.Fatalf("iter %d bond (%d,%d) = %v, float %v", iter, i, j, row[j], want.bonds[i][j]*65535)
						}
					}
				}
			}
		})
	}
}

func floats[T interface{ Float64() float64 }](v []T) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = x.Float64()
	}
	return out
}
