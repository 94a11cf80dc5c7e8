package yuma

import (
	"math"
	"testing"

	"emergence/fixed"
)

func fx(x float64) fixed.I32F32 { return fixed.FromRaw(int64(math.Round(x * (1 << 32)))) }

func fxs(xs ...float64) []fixed.I32F32 {
	out := make([]fixed.I32F32, len(xs))
	for i, x := range xs {
		out[i] = fx(x)
	}
	return out
}

// Case A (test_math_weighted_median): exact equality, minority 0.49.
func TestCaseA_WeightedMedian(t *testing.T) {
	tests := []struct {
		stake, score []float64
		want         float64
	}{
		{[]float64{0.49, 0.51}, []float64{0.5, 1.0}, 1.0},
		{[]float64{0.51, 0.49}, []float64{0.5, 1.0}, 0.5},
		{[]float64{0.49, 0.01, 0.5}, []float64{0.5, 0.7, 1.0}, 0.7},
		{[]float64{0.49, 0.0, 0.51}, []float64{0.5, 0.7, 1.0}, 1.0},
		{[]float64{0.2, 0.2, 0.2, 0.2, 0.2}, []float64{0.8, 0.2, 1.0, 0.6, 0.4}, 0.6},
		{[]float64{0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1},
			[]float64{0.8, 0.8, 0.2, 0.2, 1.0, 1.0, 0.6, 0.6, 0.4, 0.4}, 0.6},
	}
	for _, tc := range tests {
		var e Epoch
		e.medStake = fxs(tc.stake...)
		e.medScore = fxs(tc.score...)
		minority := fx(1).Sub(fx(0.51))
		got := e.weightedMedian(e.medScore, minority, fixed.Sum(e.medStake))
		if got != fx(tc.want) {
			t.Fatalf("median(%v, %v) = %s, want %v", tc.stake, tc.score, got, tc.want)
		}
	}
}

// Case A, column version (test_math_weighted_median_col).
func TestCaseA_WeightedMedianCol(t *testing.T) {
	tests := []struct {
		stake []float64
		w     [][]float64
		kappa float64
		want  []float64
	}{
		{[]float64{0, 0.75, 0.25, 0}, [][]float64{{0, 0.1, 0}, {0, 0.2, 0.4}, {0, 0.3, 0.1}, {0, 0.4, 0.5}}, 0.24, []float64{0, 0.3, 0.4}},
		{[]float64{0, 0.75, 0.25, 0}, [][]float64{{0, 0.1, 0}, {0, 0.2, 0.4}, {0, 0.3, 0.1}, {0, 0.4, 0.5}}, 0.26, []float64{0, 0.2, 0.4}},
		{[]float64{0, 0.75, 0.25, 0}, [][]float64{{0, 0.1, 0}, {0, 0.2, 0.4}, {0, 0.3, 0.1}, {0, 0.4, 0.5}}, 0.76, []float64{0, 0.2, 0.1}},
		{[]float64{0, 0.3, 0.2, 0.5}, [][]float64{{0, 0.1, 0}, {0, 0.2, 0.4}, {0, 0.3, 0.1}, {0, 0, 0.5}}, 0.51, []float64{0, 0, 0.4}},
	}
	for _, tc := range tests {
		var e Epoch
		n := len(tc.w[0])
		for r, row := range tc.w {
			e.rows = append(e.rows, r)
			e.w = append(e.w, fxs(row...)...)
		}
		C := make([]fixed.I32F32, n)
		e.consensus(fxs(tc.stake...), n, fx(tc.kappa), C)
		for j := range C {
			if C[j] != fx(tc.want[j]) {
				t.Fatalf("κ=%v: C=%v, want %v", tc.kappa, C, tc.want)
			}
		}
	}
}

// Case B (test_mat_ema_alpha_basic / _varying_alpha): per-bond EMA with the
// clamp at 1.
func TestCaseB_EMAAlpha(t *testing.T) {
	newM := [][]float64{{1, 2, 3}, {4, 5, 6}}
	oldM := [][]float64{{0.5, 1.5, 2.5}, {3.5, 4.5, 5.5}}
	cases := []struct {
		alpha []float64
		want  [][]float64
		tol   float64
	}{
		{[]float64{0.5, 0.5, 0.5}, [][]float64{{0.75, 1, 1}, {1, 1, 1}}, 0},
		{[]float64{0.2, 0.5, 0.8}, [][]float64{{0.6, 1, 1}, {1, 1, 1}}, 1e-6},
	}
	for _, tc := range cases {
		for i := range newM {
			for j := range newM[i] {
				got := emaAlpha(fx(newM[i][j]), fx(oldM[i][j]), fx(tc.alpha[j])).Float64()
				if math.Abs(got-tc.want[i][j]) > tc.tol {
					t.Fatalf("α=%v cell (%d,%d) = %v, want %v", tc.alpha, i, j, got, tc.want[i][j])
				}
			}
		}
	}
}

// The weighted median equals its definition: the smallest score whose
// cumulative stake strictly exceeds the minority, on many deterministic
// pseudo-random columns (with ties and zero stakes).
func TestWeightedMedianDefinition(t *testing.T) {
	seed := uint64(12345)
	next := func(m uint64) uint64 {
		seed = seed*6364136223846793005 + 1442695040888963407
		return (seed >> 33) % m
	}
	for iter := 0; iter < 2000; iter++ {
		k := int(next(12)) + 1
		stake := make([]fixed.I32F32, k)
		score := make([]fixed.I32F32, k)
		for q := range k {
			stake[q] = fixed.Ratio(next(100), 100)
			score[q] = fixed.Ratio(next(6), 5)
		}
		normalizeForTest(stake)
		total := fixed.Sum(stake)
		minority := total.Sub(fixed.Ratio(next(100), 100))
		var e Epoch
		e.medStake, e.medScore = stake, score
		got := e.weightedMedian(e.medScore, minority, total)
		// Definition by sorting candidate scores.
		want := fixed.I32F32(-1)
		for _, cand := range score {
			var cum fixed.I32F32
			for q := range k {
				if score[q] <= cand {
					cum = cum.Add(stake[q])
				}
			}
			if cum > minority && (want < 0 || cand < want) {
				want = cand
			}
		}
		if want < 0 { // no score clears the minority: quickselect returns a boundary pivot
			continue
		}
		if got != want {
			t.Fatalf("iter %d: stake %v score %v minority %s: got %s want %s", iter, stake, score, minority, got, want)
		}
	}
}

func normalizeForTest(v []fixed.I32F32) {
	if fixed.Sum(v) == 0 {
		v[0] = fixed.One
	}
	normalize(v)
}
