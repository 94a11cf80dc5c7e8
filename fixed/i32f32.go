package fixed

import (
	"math/bits"
	"strconv"
)

// I32F32 is a signed fixed-point number with 32 integer and 32 fractional
// bits, stored as its raw int64 value (value = raw / 2^32).
type I32F32 int64

// Frequently used I32F32 constants.
const (
	// FracBits is the number of fractional bits of I32F32.
	FracBits = 32
	// Zero is 0.
	Zero I32F32 = 0
	// One is 1.
	One I32F32 = 1 << FracBits
	// Half is 0.5.
	Half I32F32 = 1 << (FracBits - 1)
	// MaxI32F32 is the largest representable value (≈ 2^31).
	MaxI32F32 I32F32 = 1<<63 - 1
	// MinI32F32 is the smallest representable value (-2^31).
	MinI32F32 I32F32 = -1 << 63
	// Epsilon is the smallest positive value, 2^-32.
	Epsilon I32F32 = 1
)

// FromRaw returns the I32F32 whose raw representation is raw.
func FromRaw(raw int64) I32F32 { return I32F32(raw) }

// Raw returns the raw int64 representation of a (a · 2^32).
func (a I32F32) Raw() int64 { return int64(a) }

// FromInt returns v as I32F32, saturating outside [-2^31, 2^31).
func FromInt(v int64) I32F32 {
	if v >= 1<<31 {
		return MaxI32F32
	}
	if v < -(1 << 31) {
		return MinI32F32
	}
	return I32F32(v << FracBits)
}

// FromUint returns v as I32F32, saturating above 2^31.
func FromUint(v uint64) I32F32 {
	if v >= 1<<31 {
		return MaxI32F32
	}
	return I32F32(v << FracBits)
}

// Ratio returns floor(num · 2^32 / den) as I32F32: the exact value of
// num/den rounded down to the resolution. It returns 0 when den is 0 and
// saturates at MaxI32F32.
func Ratio(num, den uint64) I32F32 {
	if den == 0 {
		return 0
	}
	hi, lo := num>>FracBits, num<<FracBits
	if hi >= den {
		return MaxI32F32
	}
	q, _ := bits.Div64(hi, lo, den)
	if q > uint64(MaxI32F32) {
		return MaxI32F32
	}
	return I32F32(q)
}

// FromU16Proportion returns v/65535 as I32F32 (subtensor's
// u16_proportion_to_fixed): floor(v · 2^32 / 65535).
func FromU16Proportion(v uint16) I32F32 { return u16Divisor.Div(I32F32(v)) }

// u16Divisor divides by 65535 (exactly as Ratio(v, 65535)).
var u16Divisor = NewDivisor(65535)

// ToU16Proportion returns floor(a · 65535) clamped to [0, 65535] (subtensor's
// fixed_proportion_to_u16). Values ≤ 0 give 0, values ≥ 1 give 65535.
func (a I32F32) ToU16Proportion() uint16 {
	if a <= 0 {
		return 0
	}
	if a >= One {
		return 65535
	}
	return uint16((uint64(a) * 65535) >> FracBits)
}

// Add returns a+b, saturating at the type bounds.
func (a I32F32) Add(b I32F32) I32F32 {
	s := a + b
	if (a^s)&(b^s) < 0 { // signed overflow
		if b > 0 {
			return MaxI32F32
		}
		return MinI32F32
	}
	return s
}

// Sub returns a-b, saturating at the type bounds.
func (a I32F32) Sub(b I32F32) I32F32 {
	d := a - b
	if (d < a) != (b > 0) {
		if b > 0 {
			return MinI32F32
		}
		return MaxI32F32
	}
	return d
}

// Neg returns -a, saturating (-MinI32F32 gives MaxI32F32).
func (a I32F32) Neg() I32F32 {
	if a == MinI32F32 {
		return MaxI32F32
	}
	return -a
}

// Mul returns floor(a·b), saturating at the type bounds.
func (a I32F32) Mul(b I32F32) I32F32 {
	if a >= 0 && b >= 0 { // fast path, small enough to inline
		hi, lo := bits.Mul64(uint64(a), uint64(b))
		if hi < 1<<31 {
			return I32F32(hi<<32 | lo>>32)
		}
	}
	return mulSlow(a, b)
}

func mulSlow(a, b I32F32) I32F32 {
	neg := (a < 0) != (b < 0)
	ua, ub := abs64(int64(a)), abs64(int64(b))
	hi, lo := bits.Mul64(ua, ub)
	// magnitude of the product in raw units: (hi:lo) >> 32
	if hi>>31 != 0 { // result ≥ 2^63
		if neg {
			return MinI32F32
		}
		return MaxI32F32
	}
	mag := hi<<32 | lo>>32
	if !neg {
		if mag > uint64(MaxI32F32) {
			return MaxI32F32
		}
		return I32F32(mag)
	}
	// floor of a negative value: -(ceil of magnitude)
	if lo&(1<<32-1) != 0 {
		mag++
	}
	if mag > 1<<63 {
		return MinI32F32
	}
	return I32F32(-int64(mag))
}

// Div returns a/b truncated toward zero, 0 when b is 0 (subtensor's
// safe_div), saturating at the type bounds.
func (a I32F32) Div(b I32F32) I32F32 {
	if a >= 0 && b > 0 && uint64(a)>>32 < uint64(b) { // fast path
		q, _ := bits.Div64(uint64(a)>>32, uint64(a)<<32, uint64(b))
		if q <= uint64(MaxI32F32) {
			return I32F32(q)
		}
	}
	return divSlow(a, b)
}

func divSlow(a, b I32F32) I32F32 {
	if b == 0 {
		return 0
	}
	neg := (a < 0) != (b < 0)
	ua, ub := abs64(int64(a)), abs64(int64(b))
	hi, lo := ua>>32, ua<<32
	if hi >= ub {
		if neg {
			return MinI32F32
		}
		return MaxI32F32
	}
	q, _ := bits.Div64(hi, lo, ub)
	if neg {
		if q > 1<<63 {
			return MinI32F32
		}
		return I32F32(-int64(q))
	}
	if q > uint64(MaxI32F32) {
		return MaxI32F32
	}
	return I32F32(q)
}

// MulU64 returns floor(a · e) for an integer amount e, as subtensor computes
// emissions (I96F32(share) · rao, then to u64). Negative a gives 0; the
// result saturates at the uint64 maximum.
func (a I32F32) MulU64(e uint64) uint64 {
	if a <= 0 {
		return 0
	}
	hi, lo := bits.Mul64(uint64(a), e)
	if hi>>32 != 0 {
		return ^uint64(0)
	}
	return hi<<32 | lo>>32
}

// Floor returns the integer part of a rounded toward negative infinity.
func (a I32F32) Floor() int64 { return int64(a) >> FracBits }

// Min returns the smaller of a and b.
func Min(a, b I32F32) I32F32 {
	if a < b {
		return a
	}
	return b
}

// Max returns the larger of a and b.
func Max(a, b I32F32) I32F32 {
	if a > b {
		return a
	}
	return b
}

// Clamp returns a limited to [lo, hi].
func Clamp(a, lo, hi I32F32) I32F32 {
	if a < lo {
		return lo
	}
	if a > hi {
		return hi
	}
	return a
}

// Float64 returns a as a float64. For display and offline tools only: the
// result must never feed back into consensus state.
//
//determinism:ok display only; the analysis flags any consensus code that uses the result
func (a I32F32) Float64() float64 { return float64(a) / (1 << FracBits) }

// String formats a in decimal with 10 fractional digits, rounded to nearest
// from the exact raw value (e.g. "0.0999975584").
func (a I32F32) String() string {
	neg := a < 0
	u := abs64(int64(a))
	ip := u >> FracBits
	frac := u & (1<<FracBits - 1)
	// round(frac · 10^10 / 2^32)
	hi, lo := bits.Mul64(frac, 10_000_000_000)
	fd := hi<<32 | lo>>32
	if lo&(1<<31) != 0 {
		fd++
	}
	if fd == 10_000_000_000 {
		ip, fd = ip+1, 0
	}
	s := strconv.FormatUint(ip, 10) + "." + pad10(strconv.FormatUint(fd, 10))
	if neg {
		return "-" + s
	}
	return s
}

func pad10(s string) string {
	for len(s) < 10 {
		s = "0" + s
	}
	return s
}

func abs64(v int64) uint64 {
	if v < 0 {
		return uint64(-v)
	}
	return uint64(v)
}

// MulDiv returns floor(a·b/c) computed with a 128-bit intermediate, and
// false when c is 0 or the result does not fit in 64 bits. Use it to split
// an integer amount in proportion to integer shares.
func MulDiv(a, b, c uint64) (uint64, bool) {
	if c == 0 {
		return 0, false
	}
	hi, lo := bits.Mul64(a, b)
	if hi >= c {
		return 0, false
	}
	q, _ := bits.Div64(hi, lo, c)
	return q, true
}

// Sum returns the saturating sum of v.
func Sum(v []I32F32) I32F32 {
	var s I32F32
	for _, x := range v {
		s = s.Add(x)
	}
	return s
}

// MaxUpscaleU16 scales v in place so that its largest entry becomes 65535,
// rounding each entry to nearest, half away from zero (subtensor's
// vec_u16_max_upscale_to_u16, the encoding of submitted weights). It
// reproduces subtensor's two branches bit for bit: for a maximum m ≤ 32768
// the entry is round(trunc(x·65535/m)); above it, round(x·trunc(65535/m)),
// both in I32F32. A vector of zeros is left unchanged.
func MaxUpscaleU16(v []uint16) {
	var m uint16
	for _, x := range v {
		if x > m {
			m = x
		}
	}
	if m == 0 {
		return
	}
	if m > 32768 {
		r := uint64(Ratio(65535, uint64(m)))
		for i, x := range v {
			v[i] = uint16((uint64(x)*r + uint64(Half)) >> FracBits)
		}
		return
	}
	for i, x := range v {
		q := uint64(Ratio(uint64(x)*65535, uint64(m)))
		v[i] = uint16((q + uint64(Half)) >> FracBits)
	}
}
