package statement_test

import (
	"math/big"
	"strings"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"emergence/zkml/statement"
)

func TestElementRoundTrip(t *testing.T) {
	max := new(big.Int).Sub(fr.Modulus(), big.NewInt(1))
	for _, v := range []*big.Int{big.NewInt(0), big.NewInt(1), max} {
		h := statement.HexElement(v)
		if len(h) != 66 {
			t.Fatalf("HexElement(%v) = %q, want 0x and 64 digits", v, h)
		}
		got, err := statement.ParseElement(h)
		if err != nil || got.Cmp(v) != 0 {
			t.Fatalf("ParseElement(%q) = %v, %v", h, got, err)
		}
	}
	for _, h := range []string{"", "0x", "0xzz", "0x" + strings.Repeat("1", 65), statement.HexElement(fr.Modulus())} {
		if _, err := statement.ParseElement(h); err == nil {
			t.Errorf("ParseElement(%q) accepted it", h)
		}
	}
}

func TestExam(t *testing.T) {
	d, s := big.NewInt(7), big.NewInt(9)
	a, err := statement.Exam(d, 10, s, "digits")
	if err != nil {
		t.Fatal(err)
	}
	if a.Cmp(fr.Modulus()) >= 0 {
		t.Fatal("statement is not a field element")
	}
	for _, c := range []struct {
		n    uint64
		name string
	}{{11, "digits"}, {10, "digitz"}, {10, "digits" + strings.Repeat("x", 40)}} {
		b, err := statement.Exam(d, c.n, s, c.name)
		if err != nil || b.Cmp(a) == 0 {
			t.Fatalf("Exam(n %d, %q) = %v, %v: want another statement", c.n, c.name, b, err)
		}
	}
	if _, err := statement.Exam(d, 10, s, strings.Repeat("x", 1025)); err == nil {
		t.Fatal("Exam took a 1025-byte name")
	}
	if _, err := statement.Exam(fr.Modulus(), 10, s, "digits"); err == nil {
		t.Fatal("Exam took a digest that is not a field element")
	}
}
