package fixed_test

import (
	"testing"

	"emergence/fixed"
)

var sink fixed.I32F32

func BenchmarkMul(b *testing.B) {
	x, y := fixed.Ratio(1, 3), fixed.Ratio(2, 7)
	for b.Loop() {
		x = x.Mul(y) + fixed.Ratio(1, 3)
	}
	sink = x
}

func BenchmarkDiv(b *testing.B) {
	x, y := fixed.Ratio(1, 3), fixed.Ratio(2, 7)
	for b.Loop() {
		x = x.Div(y) - fixed.One
	}
	sink = x
}

func BenchmarkExp(b *testing.B) {
	x := fixed.Ratio(3, 7)
	for b.Loop() {
		sink = fixed.Exp(x)
		x += 1 << 20
	}
}
