package fixed

import "math/bits"

const (
	// ln2Q62 is ln(2)·2^62, rounded to nearest.
	ln2Q62 uint64 = 3196577161300663915
	// invLn2Q32 is 2^32/ln(2), rounded to nearest.
	invLn2Q32 uint64 = 6196328019
	// expTerms is the degree of the Taylor polynomial; for 0 ≤ r < ln 2 the
	// first omitted term, r^14/14!, is below 2^-42, far below the 2^-32
	// relative resolution the result needs.
	expTerms = 13
)

// expCoef[k] = floor(2^62 / k!), the Taylor coefficients of e^r in Q62,
// computed with integer division only.
var expCoef = func() (c [expTerms + 1]uint64) {
	c[0] = 1 << 62
	for k := 1; k <= expTerms; k++ {
		c[k] = c[k-1] / uint64(k)
	}
	return c
}()

// Exp returns e^x for x clamped to [-20, 20] (subtensor's exp_safe range),
// computed only with integer arithmetic: the result is identical on every
// platform and its relative error is below 1e-8.
//
// Method: x = k·ln2 + r with 0 ≤ r < ln2, e^r by its Taylor polynomial in
// unsigned Q62 (Horner's scheme), then a shift by k.
func Exp(x I32F32) I32F32 {
	x = Clamp(x, -20<<FracBits, 20<<FracBits)
	ux := abs64(int64(x)) // < 2^37
	// q ≈ floor(|x| / ln2), from |x| · (2^32/ln2) / 2^64.
	q, _ := bits.Mul64(ux, invLn2Q32)
	k := int64(q)
	// r = x − k·ln2 in Q62. Its true value is below 2 in magnitude, so
	// wrapping 64-bit arithmetic yields it exactly.
	var r int64
	if x >= 0 {
		r = int64(ux<<30 - q*ln2Q62)
	} else {
		k = -k - 1
		r = int64((q+1)*ln2Q62 - ux<<30)
	}
	// q may be off by one from the rounding of invLn2Q32: bring r into
	// [0, ln2).
	for r < 0 {
		r += int64(ln2Q62)
		k--
	}
	for uint64(r) >= ln2Q62 {
		r -= int64(ln2Q62)
		k++
	}
	ur := uint64(r)
	p := expCoef[expTerms]
	for i := expTerms - 1; i >= 0; i-- {
		hi, lo := bits.Mul64(p, ur)
		p = expCoef[i] + (hi<<2 | lo>>62)
	}
	// Result raw (Q32) = p · 2^k / 2^30, rounded down.
	shift := k - 30
	if shift >= 0 {
		if shift >= 33 || p > uint64(MaxI32F32)>>uint(shift) {
			return MaxI32F32
		}
		return I32F32(p << uint(shift))
	}
	if -shift >= 64 {
		return 0
	}
	return I32F32(p >> uint(-shift))
}
