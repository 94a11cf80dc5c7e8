package fixed

import (
	"math/bits"
	"strconv"
)

// U128 is an unsigned 128-bit integer, used to sum stakes and amounts that
// may exceed 64 bits. The zero value is 0. Arithmetic saturates instead of
// wrapping.
type U128 struct {
	Hi, Lo uint64
}

// U128From64 returns v as a U128.
func U128From64(v uint64) U128 { return U128{Lo: v} }

// Add returns a+b, saturating at 2^128-1.
func (a U128) Add(b U128) U128 {
	lo, c := bits.Add64(a.Lo, b.Lo, 0)
	hi, c2 := bits.Add64(a.Hi, b.Hi, c)
	if c2 != 0 {
		return U128{Hi: ^uint64(0), Lo: ^uint64(0)}
	}
	return U128{Hi: hi, Lo: lo}
}

// Add64 returns a+v, saturating at 2^128-1.
func (a U128) Add64(v uint64) U128 { return a.Add(U128{Lo: v}) }

// Sub returns a-b, or 0 when b > a.
func (a U128) Sub(b U128) U128 {
	lo, br := bits.Sub64(a.Lo, b.Lo, 0)
	hi, br2 := bits.Sub64(a.Hi, b.Hi, br)
	if br2 != 0 {
		return U128{}
	}
	return U128{Hi: hi, Lo: lo}
}

// Cmp returns -1, 0 or +1 as a is less than, equal to or greater than b.
func (a U128) Cmp(b U128) int {
	switch {
	case a.Hi < b.Hi:
		return -1
	case a.Hi > b.Hi:
		return 1
	case a.Lo < b.Lo:
		return -1
	case a.Lo > b.Lo:
		return 1
	}
	return 0
}

// IsZero reports whether a is 0.
func (a U128) IsZero() bool { return a.Hi == 0 && a.Lo == 0 }

// Uint64 returns a as a uint64 and whether it fits.
func (a U128) Uint64() (uint64, bool) { return a.Lo, a.Hi == 0 }

// String formats a in decimal.
func (a U128) String() string {
	if a.Hi == 0 {
		return strconv.FormatUint(a.Lo, 10)
	}
	// Repeated division by 10^19 (fits in uint64).
	const base = 10_000_000_000_000_000_000
	var parts []uint64
	x := a
	for !x.IsZero() {
		qh := x.Hi / base
		r := x.Hi % base
		ql, rem := bits.Div64(r, x.Lo, base)
		parts = append(parts, rem)
		x = U128{Hi: qh, Lo: ql}
	}
	s := strconv.FormatUint(parts[len(parts)-1], 10)
	for i := len(parts) - 2; i >= 0; i-- {
		p := strconv.FormatUint(parts[i], 10)
		for len(p) < 19 {
			p = "0" + p
		}
		s += p
	}
	return s
}

// lsh1 returns a << 1 (the top bit is dropped).
func (a U128) lsh1() U128 { return U128{Hi: a.Hi<<1 | a.Lo>>63, Lo: a.Lo << 1} }

// Ratio128 returns floor(num · 2^32 / den) as I32F32 for 128-bit integers:
// the exact share num/den, as subtensor gets it by normalising stakes in
// I64F64 and casting to I32F32. It returns 0 when den is 0 and saturates at
// MaxI32F32.
func Ratio128(num, den U128) I32F32 {
	if den.IsZero() {
		return 0
	}
	if num.Hi == 0 && den.Hi == 0 {
		return Ratio(num.Lo, den.Lo)
	}
	// Shift–subtract long division of the 160-bit value num·2^32 by den.
	// The quotient must fit in 63 bits, otherwise the result saturates.
	var rem U128
	var q uint64
	for i := 159; i >= 0; i-- {
		var bit uint64
		if k := i - 32; k >= 64 {
			bit = (num.Hi >> uint(k-64)) & 1
		} else if k >= 0 {
			bit = (num.Lo >> uint(k)) & 1
		}
		overflow := rem.Hi>>63 != 0
		rem = rem.lsh1()
		rem.Lo |= bit
		if overflow || rem.Cmp(den) >= 0 {
			// Wrapping subtraction: the true remainder is below den.
			lo, br := bits.Sub64(rem.Lo, den.Lo, 0)
			hi, _ := bits.Sub64(rem.Hi, den.Hi, br)
			rem = U128{Hi: hi, Lo: lo}
			if i >= 63 {
				return MaxI32F32
			}
			q |= 1 << uint(i)
		}
	}
	return I32F32(q)
}
