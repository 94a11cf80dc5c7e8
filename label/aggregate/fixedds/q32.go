package fixedds

import "math/bits"

// Q32 numbers are int64 values with 32 fractional bits: One is 1.0.
const One int64 = 1 << 32

// Constants, rounded down.
const (
	ln2Q62   uint64 = 0x2c5c85fdf473de6a // ln 2 · 2^62
	log2eQ62 uint64 = 0x5c551d94ae0bf85d // log2 e · 2^62
	ln2Q32   uint64 = 2977044471         // ln 2 · 2^32
)

// Tables, filled at package initialisation by integer-only algorithms, so
// every machine computes the same bits.
var (
	// log2Tab[i] = log2(1 + i/256) · 2^62.
	log2Tab [256]uint64
	// invTab[i] = 2^126 / (2^63 + i·2^55), the Q63 reciprocal of 1 + i/256.
	invTab [256]uint64
	// exp2Tab[i] = 2^(-i/256) · 2^62.
	exp2Tab [256]uint64
)

func init() {
	for i := 0; i < 256; i++ {
		m := uint64(1)<<62 + uint64(i)<<54 // 1 + i/256 in Q62
		log2Tab[i] = log2BitByBit(m)
		invTab[i], _ = bits.Div64(1<<62, 0, uint64(1)<<63+uint64(i)<<55)
		exp2Tab[i] = expNegQ62(mulQ62(uint64(i)<<54, ln2Q62))
	}
}

// mulQ62 multiplies two Q62 values (each below 4).
func mulQ62(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi<<2 | lo>>62
}

// log2BitByBit returns log2(m)·2^62 for m in [1, 2) given in Q62, one bit per
// squaring (the classic shift-and-square method).
func log2BitByBit(m uint64) uint64 {
	var r uint64
	for i := 61; i >= 0; i-- {
		m = mulQ62(m, m)
		if m >= 2<<62 {
			m >>= 1
			r |= 1 << uint(i)
		}
	}
	return r
}

// expNegQ62 returns e^(-x)·2^62 for x in [0, 1) given in Q62, by its Taylor
// series (terms alternate and shrink, so truncation stays within a few ulps).
func expNegQ62(x uint64) uint64 {
	sum := uint64(1) << 62
	term := uint64(1) << 62
	neg := false
	for n := uint64(1); n < 40; n++ {
		term = mulQ62(term, x) / n
		if term == 0 {
			break
		}
		neg = !neg
		if neg {
			sum -= term
		} else {
			sum += term
		}
	}
	return sum
}

// Log2 returns log2(x)·2^32 for an integer x > 0 (so Log2(One) = 32·One).
// To take the log of a Q32 value v, use Log2(v) - 32·One. The error is below
// 2^-31 (two ulps). Log2(0) returns Log2(1) = 0; callers floor their inputs.
func Log2(x uint64) int64 {
	if x == 0 {
		return 0
	}
	e := bits.Len64(x) - 1
	m := x << uint(63-e) // [2^63, 2^64): 1.f in Q63
	idx := (m >> 55) & 0xff
	diff := m - (uint64(1)<<63 + idx<<55) // < 2^55
	hi, lo := bits.Mul64(diff, invTab[idx])
	t := hi<<1 | lo>>63 // t = diff / (1 + idx/256), Q63, below 2^55
	// ln(1+t) = t - t^2/2 + t^3/3 - t^4/4, t < 2^-8, in Q63.
	t2 := mulQ63(t, t)
	t3 := mulQ63(t2, t)
	t4 := mulQ63(t3, t)
	ln := t - t2/2 + t3/3 - t4/4
	// log2(1+t) in Q62 = ln(1+t) · log2 e.
	h2, l2 := bits.Mul64(ln, log2eQ62)
	frac := log2Tab[idx] + (h2<<1 | l2>>63) // Q62
	return int64(e)<<32 + int64((frac+1<<29)>>30)
}

func mulQ63(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi<<1 | lo>>63
}

// Exp2 returns 2^y in Q32 for a Q32 exponent y <= 0; positive y is treated as
// 0. The relative error is below 2^-31.
func Exp2(y int64) int64 {
	if y >= 0 {
		return One
	}
	ny := uint64(-y)
	n := ny >> 32
	if n >= 34 {
		return 0
	}
	f := ny & 0xffffffff
	idx := f >> 24
	rem := f & 0xffffff // < 2^-8 in Q32
	u := (rem * ln2Q32) >> 32
	u2 := (u * u) >> 32
	u3 := (u2 * u) >> 32
	poly := uint64(One) - u + u2/2 - u3/6 // e^-u in Q32
	hi, lo := bits.Mul64(exp2Tab[idx], poly)
	v := hi<<2 | lo>>62 // Q32
	v >>= n
	return int64(v)
}

// reciprocal returns floor(2^64 / x) for x > 1.
func reciprocal(x uint64) uint64 {
	q, _ := bits.Div64(1, 0, x)
	return q
}

// mulShift32 returns (a·b) >> 32 as an int64; the result must fit.
func mulShift32(a, b uint64) int64 {
	hi, lo := bits.Mul64(a, b)
	return int64(hi<<32 | lo>>32)
}

// MulDiv returns a·b/c rounded toward zero using a 128-bit intermediate. c
// must be positive and the quotient must fit in an int64.
func MulDiv(a, b, c int64) int64 {
	neg := (a < 0) != (b < 0)
	ua, ub := uint64(a), uint64(b)
	if a < 0 {
		ua = uint64(-a)
	}
	if b < 0 {
		ub = uint64(-b)
	}
	hi, lo := bits.Mul64(ua, ub)
	if hi >= uint64(c) {
		// Saturate instead of trapping on overflow.
		if neg {
			return -(1<<63 - 1)
		}
		return 1<<63 - 1
	}
	q, _ := bits.Div64(hi, lo, uint64(c))
	if neg {
		return -int64(q)
	}
	return int64(q)
}
