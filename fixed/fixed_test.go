package fixed_test

import (
	"math"
	"math/big"
	"testing"

	"emergence/fixed"
)

func f(x float64) fixed.I32F32 { return fixed.FromRaw(int64(math.Round(x * (1 << 32)))) }

func TestMulFloorAndDivTrunc(t *testing.T) {
	tests := []struct {
		name     string
		a, b     fixed.I32F32
		mul, div fixed.I32F32
	}{
		{"ones", fixed.One, fixed.One, fixed.One, fixed.One},
		{"half*half", fixed.Half, fixed.Half, fixed.One / 4, fixed.One},
		{"epsilon*half floors to 0", fixed.Epsilon, fixed.Half, 0, 2},
		{"negative floors down", -fixed.Epsilon, fixed.Half, -1, -2},
		{"div by zero is zero", fixed.One, 0, 0, 0},
		{"three", fixed.FromInt(3), fixed.FromInt(2), fixed.FromInt(6), fixed.One + fixed.Half},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.a.Mul(tc.b); got != tc.mul {
				t.Fatalf("Mul=%d, want %d", got, tc.mul)
			}
			if got := tc.a.Div(tc.b); got != tc.div {
				t.Fatalf("Div=%d, want %d", got, tc.div)
			}
		})
	}
}

// TestMulDivAgainstBig checks Mul (floor) and Div (truncate) against exact
// big-integer arithmetic on a deterministic spread of values.
func TestMulDivAgainstBig(t *testing.T) {
	vals := []int64{0, 1, -1, 3, 1 << 31, 1<<32 + 12345, -(1 << 33) + 7, 987654321987, -123456789012345,
		1 << 40, 1<<50 - 3, -(1 << 47), 429496730, 3865470566, 1<<62 + 5}
	two32 := big.NewInt(1 << 32)
	maxV, minV := big.NewInt(math.MaxInt64), big.NewInt(math.MinInt64)
	clamp := func(x *big.Int) int64 {
		if x.Cmp(maxV) > 0 {
			return math.MaxInt64
		}
		if x.Cmp(minV) < 0 {
			return math.MinInt64
		}
		return x.Int64()
	}
	for _, a := range vals {
		for _, b := range vals {
			p := new(big.Int).Mul(big.NewInt(a), big.NewInt(b))
			want := clamp(floorDiv(p, two32))
			if got := fixed.FromRaw(a).Mul(fixed.FromRaw(b)); int64(got) != want {
				t.Fatalf("%d*%d = %d, want %d", a, b, got, want)
			}
			if b == 0 {
				continue
			}
			n := new(big.Int).Mul(big.NewInt(a), two32)
			q := new(big.Int).Quo(n, big.NewInt(b)) // truncates toward zero
			if got := fixed.FromRaw(a).Div(fixed.FromRaw(b)); int64(got) != clamp(q) {
				t.Fatalf("%d/%d = %d, want %d", a, b, got, clamp(q))
			}
		}
	}
}

func floorDiv(a, b *big.Int) *big.Int {
	q, m := new(big.Int).DivMod(a, b, new(big.Int)) // Euclidean: m ≥ 0, so floor for b > 0
	_ = m
	return q
}

func TestSaturation(t *testing.T) {
	if got := fixed.MaxI32F32.Add(fixed.One); got != fixed.MaxI32F32 {
		t.Fatalf("Max+1=%d", got)
	}
	if got := fixed.MinI32F32.Sub(fixed.One); got != fixed.MinI32F32 {
		t.Fatalf("Min-1=%d", got)
	}
	if got := fixed.FromInt(1 << 20).Mul(fixed.FromInt(1 << 20)); got != fixed.MaxI32F32 {
		t.Fatalf("2^40 should saturate, got %d", got)
	}
	if got := fixed.FromInt(-(1 << 20)).Mul(fixed.FromInt(1 << 20)); got != fixed.MinI32F32 {
		t.Fatalf("-2^40 should saturate, got %d", got)
	}
	if got := fixed.FromInt(1 << 40); got != fixed.MaxI32F32 {
		t.Fatalf("FromInt(2^40)=%d", got)
	}
	if got := fixed.Ratio(1<<40, 1); got != fixed.MaxI32F32 {
		t.Fatalf("Ratio overflow=%d", got)
	}
}

func TestU16Proportions(t *testing.T) {
	// Values from yuma.md: 0.1 in I32F32 → floor(0.1·65535) etc.
	if got := fixed.FromU16Proportion(32767); got != fixed.Ratio(32767, 65535) || got.String() != "0.4999923704" {
		t.Fatalf("kappa=%s", got)
	}
	for v := 0; v <= 65535; v++ {
		if got, want := fixed.FromU16Proportion(uint16(v)), fixed.Ratio(uint64(v), 65535); got != want {
			t.Fatalf("FromU16Proportion(%d) = %d, want %d", v, got, want)
		}
	}
	for v := 0; v <= 65535; v += 7 {
		x := fixed.FromU16Proportion(uint16(v))
		// Reading then writing loses at most one LSB (floor both ways).
		back := x.ToU16Proportion()
		if int(back) != v && int(back) != v-1 {
			t.Fatalf("round trip %d -> %d", v, back)
		}
	}
	if fixed.One.ToU16Proportion() != 65535 || fixed.Zero.ToU16Proportion() != 0 || (-fixed.One).ToU16Proportion() != 0 {
		t.Fatal("bounds")
	}
	// floor(0.55/... ) example: D = 0.55/2 → 36044 in case E.
	if got := fixed.Ratio(55, 200).ToU16Proportion(); got != 18022 {
		t.Fatalf("0.275 → %d", got)
	}
}

func TestRatioAndWeightsNormalisation(t *testing.T) {
	// yuma.md §1.7: [16383, 32767, 49149, 65535] row-normalised.
	w := []uint64{16383, 32767, 49149, 65535}
	want := []string{"0.0999975584", "0.2000012207", "0.2999926754", "0.4000085450"}
	for i, x := range w {
		got := fixed.FromUint(x).Div(fixed.FromUint(163834))
		if got.String() != want[i] {
			t.Fatalf("w[%d]=%s, want %s", i, got, want[i])
		}
		if r := fixed.Ratio(x, 163834); r != got {
			t.Fatalf("Ratio %d != Div %d", r, got)
		}
	}
}

func TestMulU64(t *testing.T) {
	// 0.1 in I32F32 times 1e9 rao floors to 99_999_999 (yuma.md case C).
	if got := fixed.Ratio(1, 10).MulU64(1_000_000_000); got != 99_999_999 {
		t.Fatalf("0.1·1e9=%d", got)
	}
	if got := fixed.One.MulU64(math.MaxUint64); got != math.MaxUint64 {
		t.Fatalf("1·max=%d", got)
	}
	if got := fixed.FromInt(2).MulU64(math.MaxUint64); got != math.MaxUint64 {
		t.Fatalf("saturation: %d", got)
	}
	if got := (-fixed.One).MulU64(5); got != 0 {
		t.Fatalf("negative: %d", got)
	}
}

func TestMulDiv(t *testing.T) {
	if q, ok := fixed.MulDiv(math.MaxUint64, 3, 4); !ok || q != 13835058055282163711 {
		t.Fatalf("MulDiv=%d %v", q, ok)
	}
	if _, ok := fixed.MulDiv(math.MaxUint64, 2, 1); ok {
		t.Fatal("overflow not reported")
	}
	if _, ok := fixed.MulDiv(1, 2, 0); ok {
		t.Fatal("div by zero not reported")
	}
}

func TestMaxUpscaleU16(t *testing.T) {
	tests := []struct{ in, want []uint16 }{
		{[]uint16{0, 0}, []uint16{0, 0}},
		{[]uint16{1, 2, 3, 4}, []uint16{16384, 32768, 49151, 65535}},
		{[]uint16{16383, 32767, 49149, 65535}, []uint16{16383, 32767, 49149, 65535}},
		{[]uint16{100}, []uint16{65535}},
		// Above a maximum of 32768 subtensor multiplies by the truncated
		// factor 65535/m first, so 20000·1.6383749… rounds down to 32767.
		{[]uint16{40000, 20000, 1}, []uint16{65535, 32767, 2}},
	}
	for _, tc := range tests {
		got := append([]uint16(nil), tc.in...)
		fixed.MaxUpscaleU16(got)
		for i := range got {
			if got[i] != tc.want[i] {
				t.Fatalf("MaxUpscaleU16(%v)=%v, want %v", tc.in, got, tc.want)
			}
		}
	}
	// Against the float result: at most one unit away.
	for m := uint16(1); m < 65535; m += 997 {
		for x := uint16(0); x <= m; x += m/7 + 1 {
			v := []uint16{x, m}
			fixed.MaxUpscaleU16(v)
			exact := float64(x) * 65535 / float64(m)
			if math.Abs(float64(v[0])-exact) > 1 {
				t.Fatalf("x=%d m=%d got %d exact %f", x, m, v[0], exact)
			}
		}
	}
}

func TestExp(t *testing.T) {
	for x := -25.0; x <= 25; x += 0.0371 {
		got := fixed.Exp(f(x)).Float64()
		want := math.Exp(math.Max(-20, math.Min(20, x)))
		if rel := math.Abs(got-want) / want; rel > 1e-8 && math.Abs(got-want) > 2.5e-10 {
			t.Fatalf("Exp(%g)=%.12g want %.12g (rel %g)", x, got, want, rel)
		}
	}
	if fixed.Exp(0) != fixed.One {
		t.Fatalf("Exp(0)=%s", fixed.Exp(0))
	}
}

func TestU128(t *testing.T) {
	a := fixed.U128From64(math.MaxUint64)
	s := a.Add64(1)
	if s.Hi != 1 || s.Lo != 0 || s.String() != "18446744073709551616" {
		t.Fatalf("2^64 = %+v %s", s, s)
	}
	if got := s.Sub(fixed.U128From64(1)); got != a {
		t.Fatalf("sub %+v", got)
	}
	if got := fixed.U128From64(1).Sub(s); !got.IsZero() {
		t.Fatalf("negative sub should be 0: %+v", got)
	}
	big1 := fixed.U128{Hi: math.MaxUint64, Lo: math.MaxUint64}
	if got := big1.Add64(5); got != big1 {
		t.Fatal("saturation")
	}
	if s.Cmp(a) != 1 || a.Cmp(s) != -1 || a.Cmp(a) != 0 {
		t.Fatal("cmp")
	}
	if _, ok := s.Uint64(); ok {
		t.Fatal("2^64 fits in uint64?")
	}
}

func TestRatio128MatchesBig(t *testing.T) {
	nums := []fixed.U128{{Lo: 1}, {Hi: 1}, {Hi: 3, Lo: 99}, {Hi: 1 << 20, Lo: 5}, {Lo: math.MaxUint64}}
	dens := []fixed.U128{{Lo: 7}, {Hi: 2}, {Hi: 1 << 21}, {Hi: 1 << 50, Lo: 1}, {Hi: math.MaxUint64, Lo: 1}}
	toBig := func(u fixed.U128) *big.Int {
		b := new(big.Int).SetUint64(u.Hi)
		b.Lsh(b, 64)
		return b.Add(b, new(big.Int).SetUint64(u.Lo))
	}
	for _, n := range nums {
		for _, d := range dens {
			q := new(big.Int).Lsh(toBig(n), 32)
			q.Quo(q, toBig(d))
			want := int64(math.MaxInt64)
			if q.IsInt64() {
				want = q.Int64()
			}
			if got := fixed.Ratio128(n, d); int64(got) != want {
				t.Fatalf("Ratio128(%s, %s)=%d, want %d", n, d, got, want)
			}
		}
	}
	if fixed.Ratio128(fixed.U128From64(3), fixed.U128{}) != 0 {
		t.Fatal("x/0")
	}
}

func TestString(t *testing.T) {
	for _, tc := range []struct {
		x    fixed.I32F32
		want string
	}{{fixed.One, "1.0000000000"}, {-fixed.Half, "-0.5000000000"}, {fixed.Ratio(1, 10), "0.0999999999"}, {fixed.Epsilon, "0.0000000002"}} {
		if got := tc.x.String(); got != tc.want {
			t.Fatalf("String=%s, want %s", got, tc.want)
		}
	}
}

// TestDivisorMatchesDiv checks the multiply-and-shift division against
// I32F32.Div on edge and pseudo-random values.
func TestDivisorMatchesDiv(t *testing.T) {
	seed := uint64(99)
	next := func() uint64 {
		seed ^= seed << 13
		seed ^= seed >> 7
		seed ^= seed << 17
		return seed
	}
	divs := []int64{1, 2, 3, 5, 7, 1 << 16, 65535, 65537, 1<<32 - 1, 1 << 32, 1<<32 + 1, 163834, 1<<62 + 12345, math.MaxInt64, 0, -5}
	for i := 0; i < 300; i++ {
		divs = append(divs, int64(next()>>uint(1+next()%62)))
	}
	nums := []int64{0, 1, 2, 65535, 1<<31 - 1, 1 << 31, 1<<32 - 1, 1 << 32, 1<<40 + 3, -1}
	for i := 0; i < 300; i++ {
		nums = append(nums, int64(next()>>32))
	}
	for b := int64(1); b <= 3000; b++ {
		divs = append(divs, b, b<<20, b<<32+b)
	}
	for _, b := range divs {
		d := fixed.NewDivisor(fixed.FromRaw(b))
		for _, a := range nums {
			if got, want := d.Div(fixed.FromRaw(a)), fixed.FromRaw(a).Div(fixed.FromRaw(b)); got != want {
				t.Fatalf("%d/%d: Divisor %d, Div %d", a, b, got, want)
			}
		}
	}
}
