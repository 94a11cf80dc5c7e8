package fixedds

import (
	"math"
	"testing"
)

// TestLog2 holds Log2 within 2^-30 of math.Log2 across the uint64 range.
func TestLog2(t *testing.T) {
	const tol = 1.0 / (1 << 30)
	check := func(x uint64) {
		got := float64(Log2(x)) / float64(One)
		want := math.Log2(float64(x))
		if math.Abs(got-want) > tol+want*1e-15 {
			t.Fatalf("Log2(%d) = %.12f, want %.12f", x, got, want)
		}
	}
	for x := uint64(1); x < 5000; x++ {
		check(x)
	}
	g := uint64(0x243f6a8885a308d3)
	for n := 0; n < 200000; n++ {
		g = g*6364136223846793005 + 1442695040888963407
		if x := g >> (g % 60); x > 0 {
			check(x)
		}
	}
	check(1<<64 - 1)
	if Log2(uint64(One)) != 32*One {
		t.Fatalf("Log2(One) = %d, want %d", Log2(uint64(One)), 32*One)
	}
}

// TestExp2 holds Exp2 within 2^-31 relative (plus one ulp) of math.Exp2.
func TestExp2(t *testing.T) {
	if Exp2(0) != One {
		t.Fatalf("Exp2(0) = %d, want One", Exp2(0))
	}
	g := uint64(0x13198a2e03707344)
	for n := 0; n < 200000; n++ {
		g = g*6364136223846793005 + 1442695040888963407
		y := -int64(g % (40 << 32))
		got := float64(Exp2(y))
		want := math.Exp2(float64(y)/float64(One)) * float64(One)
		if math.Abs(got-want) > want/(1<<31)+1 {
			t.Fatalf("Exp2(%d) = %.1f, want %.1f", y, got, want)
		}
	}
}

func TestMulDiv(t *testing.T) {
	cases := []struct{ a, b, c, want int64 }{
		{One, One, One, One},
		{-3 * One, One, 2 * One, -3 * One / 2},
		{1 << 40, 1 << 40, 1 << 30, 1 << 50},
		{1 << 62, 1 << 62, 1, 1<<63 - 1},
	}
	for _, c := range cases {
		if got := MulDiv(c.a, c.b, c.c); got != c.want {
			t.Errorf("MulDiv(%d, %d, %d) = %d, want %d", c.a, c.b, c.c, got, c.want)
		}
	}
}
