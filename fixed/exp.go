package fixed

// ln2Q62 is ln(2) · 2^62, rounded to nearest.
const ln2Q62 uint64 = 3196577161300663915

// Exp returns e^x for x clamped to [-20, 20] (subtensor's exp_safe range),
// computed only with integer arithmetic. The relative error is below 1e-8
// and the result is identical on every platform.
//
// Method: x = k·ln2 + r with |r| ≤ ln2/2, e^r by its Taylor series in Q62
// (62 fractional bits), then a shift by k.
func Exp(x I32F32) I32F32 {
	lim := FromInt(20)
	x = Clamp(x, -lim, lim)
	// k = round(x / ln2); x has 32 fractional bits, ln2Q62 has 62.
	// x/ln2 = x_raw·2^30 / ln2Q62.
	neg := x < 0
	ux := abs64(int64(x))
	// ux ≤ 20·2^32 < 2^37, so ux·2^30 < 2^67: use 128-bit division.
	hi, lo := ux>>34, ux<<30
	kq, krem := div128(hi, lo, ln2Q62)
	if krem >= ln2Q62/2 {
		kq++
	}
	// r = ux·2^30 − k·ln2Q62 (in Q62), signed.
	prodHi, prodLo := mul64(kq, ln2Q62)
	rHi, rLo, rneg := sub128signed(hi, lo, prodHi, prodLo)
	_ = rHi // |r| < ln2 < 1 so it fits in the low word
	r := int64(rLo)
	if rneg {
		r = -r
	}
	k := int64(kq)
	if neg {
		r, k = -r, -k
	}
	// e^r in Q62: Σ r^n / n!, |r| ≤ 0.35, 20 terms is far more than enough.
	const one62 int64 = 1 << 62
	sum := one62
	term := one62
	for n := int64(1); n <= 20; n++ {
		term = mulQ62(term, r) / n
		if term == 0 {
			break
		}
		sum += term
	}
	// Result raw (Q32) = sum · 2^k / 2^30, rounded down.
	shift := k - 30
	if shift >= 0 {
		if shift >= 33 || uint64(sum) > uint64(MaxI32F32)>>uint(shift) {
			return MaxI32F32
		}
		return I32F32(sum << uint(shift))
	}
	if -shift >= 63 {
		return 0
	}
	return I32F32(sum >> uint(-shift))
}

// mulQ62 returns floor(a·b / 2^62) for signed Q62 values with |a·b| < 2^125.
func mulQ62(a, b int64) int64 {
	neg := (a < 0) != (b < 0)
	h, l := mul64(abs64(a), abs64(b))
	m := int64(h<<2 | l>>62)
	if neg {
		return -m
	}
	return m
}
