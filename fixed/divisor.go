package fixed

import "math/bits"

// Divisor divides many I32F32 values by the same positive divisor, giving
// exactly a.Div(b), with a multiplication and two shifts instead of a
// hardware division (Granlund and Montgomery, "Division by invariant
// integers using multiplication", 1994, fig. 4.1). Column and row
// normalisations divide a whole column or row by one sum, so they use it.
type Divisor struct {
	b        uint64
	m        uint64
	sh1, sh2 uint
}

// NewDivisor prepares division by b. A b ≤ 0 gives a Divisor whose Div
// falls back to I32F32.Div (so x/0 = 0, as there).
func NewDivisor(b I32F32) Divisor {
	if b <= 0 {
		return Divisor{b: uint64(b)}
	}
	d := uint64(b)
	l := uint(bits.Len64(d - 1)) // ceil(log2 d); 0 for d = 1
	var hi uint64
	if l < 64 {
		hi = (uint64(1) << l) - d
	} else {
		hi = -d // 2^64 − d
	}
	m, _ := bits.Div64(hi, 0, d) // hi < d, since 2^l < 2d
	dv := Divisor{b: d, m: m + 1, sh1: min(l, 1)}
	if l > 0 {
		dv.sh2 = l - 1
	}
	return dv
}

// Div returns a.Div(b) for the Divisor's b.
func (d Divisor) Div(a I32F32) I32F32 {
	if a < 0 || a >= One || int64(d.b) <= 0 {
		return a.Div(I32F32(d.b))
	}
	n := uint64(a) << FracBits
	t1, _ := bits.Mul64(d.m, n)
	q := (t1 + (n-t1)>>d.sh1) >> d.sh2
	if q > uint64(MaxI32F32) {
		return MaxI32F32
	}
	return I32F32(q)
}
