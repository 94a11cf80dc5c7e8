package fixed

import "math/bits"

const (
	// ln2Q62 is ln(2)·2^62, rounded to nearest.
	ln2Q62 uint64 = 3196577161300663915
	// invLn2Q32 is 2^32/ln(2), rounded to nearest.
	invLn2Q32 uint64 = 6196328019
	// expTerms is the degree of the Taylor polynomial; for |r| ≤ 0.35 the
	// first omitted term, r^12/12!, is below 2^-47, far below the 2^-32
	// resolution of the result.
	expTerms = 11
)

// expCoef[k] = floor(2^62 / k!), the Taylor coefficients of e^r in Q62,
// computed with integer division only.
var expCoef = func() (c [expTerms + 1]int64) {
	c[0] = 1 << 62
	for k := 1; k <= expTerms; k++ {
		c[k] = c[k-1] / int64(k)
	}
	return c
}()

// Exp returns e^x for x clamped to [-20, 20] (subtensor's exp_safe range),
// computed only with integer arithmetic: the result is identical on every
// platform and its relative error is below 1e-8.
//
// Method: x = k·ln2 + r with |r| ≤ ln2/2, e^r by its Taylor polynomial in
// Q62 (Horner's scheme), then a shift by k.
func Exp(x I32F32) I32F32 {
	x = Clamp(x, -20<<FracBits, 20<<FracBits)
	neg := x < 0
	ux := abs64(int64(x)) // < 2^37
	// k = round(ux / ln2), from ux · (2^32/ln2) / 2^64.
	hi, lo := bits.Mul64(ux, invLn2Q32)
	k := hi + lo>>63
	// r = ux·2^30 − k·ln2Q62 in Q62. The true value is below 1 in
	// magnitude, so wrapping 64-bit arithmetic yields it exactly.
	r := int64(ux<<30 - k*ln2Q62)
	sk := int64(k)
	if neg {
		r, sk = -r, -sk
	}
	p := expCoef[expTerms]
	for i := expTerms - 1; i >= 0; i-- {
		p = expCoef[i] + mulQ62(p, r)
	}
	// Result raw (Q32) = p · 2^k / 2^30, rounded down.
	shift := sk - 30
	if shift >= 0 {
		if shift >= 33 || uint64(p) > uint64(MaxI32F32)>>uint(shift) {
			return MaxI32F32
		}
		return I32F32(p << uint(shift))
	}
	if -shift >= 63 {
		return 0
	}
	return I32F32(p >> uint(-shift))
}

// mulQ62 returns a·b / 2^62 truncated toward zero, for signed Q62 values
// whose product is below 2^125 in magnitude.
func mulQ62(a, b int64) int64 {
	neg := (a < 0) != (b < 0)
	h, l := bits.Mul64(abs64(a), abs64(b))
	m := int64(h<<2 | l>>62)
	if neg {
		return -m
	}
	return m
}
