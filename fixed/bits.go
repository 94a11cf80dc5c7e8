package fixed

import "math/bits"

func mul64(a, b uint64) (hi, lo uint64) { return bits.Mul64(a, b) }

// div128 returns (hi:lo)/d and the remainder; the caller guarantees hi < d.
func div128(hi, lo, d uint64) (q, r uint64) { return bits.Div64(hi, lo, d) }

// sub128signed returns |a−b| and whether a < b.
func sub128signed(aHi, aLo, bHi, bLo uint64) (hi, lo uint64, neg bool) {
	if aHi < bHi || (aHi == bHi && aLo < bLo) {
		aHi, aLo, bHi, bLo = bHi, bLo, aHi, aLo
		neg = true
	}
	lo, br := bits.Sub64(aLo, bLo, 0)
	hi, _ = bits.Sub64(aHi, bHi, br)
	return hi, lo, neg
}
