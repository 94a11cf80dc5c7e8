package clean

import (
	"math/bits"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// MinHash parameters, as datatrove's MinhashConfig defaults: word 5-grams, 14 buckets
// (bands) of 8 hashes (rows).
const (
	ShingleWords = 5
	Bands        = 14
	Rows         = 8
	mersenne61   = 1<<61 - 1
	fnvOffset    = 14695981039346656037
	fnvPrime     = 1099511628211
)

// minhashParams are the 112 (a, b) pairs of h(x) = (a*x + b) mod 2^61-1, drawn from
// splitmix64 with a fixed seed so every machine computes the same signatures.
var minhashParams = func() (p [Bands * Rows][2]uint64) {
	s := uint64(1)
	next := func() uint64 {
		s += 0x9e3779b97f4a7c15
		z := s
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
		z = (z ^ (z >> 27)) * 0x94d049bb133111eb
		return z ^ (z >> 31)
	}
	for i := range p {
		p[i] = [2]uint64{next()%(mersenne61-1) + 1, next() % mersenne61}
	}
	return
}()

// SimplifyText is datatrove's dedup normalisation: lower case, accents removed (NFD, marks
// dropped), punctuation and symbols replaced by spaces, white space collapsed.
func SimplifyText(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(strings.ToLower(s)) {
		switch {
		case unicode.Is(unicode.Mn, r):
		case unicode.IsPunct(r) || unicode.IsSymbol(r) || unicode.IsSpace(r):
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

func mulmod61(a, x uint64) uint64 {
	hi, lo := bits.Mul64(a, x)
	// 2^64 ≡ 8 (mod 2^61-1): fold the 128-bit product.
	r := (lo & mersenne61) + (lo >> 61) + (hi << 3)
	r = (r & mersenne61) + (r >> 61)
	if r >= mersenne61 {
		r -= mersenne61
	}
	return r
}

// Signature is a document's MinHash signature: Bands*Rows minima.
type Signature [Bands * Rows]uint64

// MinHashOf computes the signature of SimplifyText(text)'s word 5-grams (a text shorter
// than 5 words is one shingle). Shingles are hashed with 64-bit FNV-1a.
func MinHashOf(text string) Signature {
	var sig Signature
	for i := range sig {
		sig[i] = ^uint64(0)
	}
	w := strings.Fields(SimplifyText(text))
	n := len(w) - ShingleWords + 1
	if n < 1 {
		n = 1
	}
	for i := 0; i < n; i++ {
		// 64-bit FNV-1a of the shingle's words, each followed by a zero byte.
		h := uint64(fnvOffset)
		for j := i; j < i+ShingleWords && j < len(w); j++ {
			for k := 0; k < len(w[j]); k++ {
				h ^= uint64(w[j][k])
				h *= fnvPrime
			}
			h *= fnvPrime // the zero byte: h ^= 0, then multiply
		}
		x := h % mersenne61
		for k, ab := range minhashParams {
			v := mulmod61(ab[0], x) + ab[1]
			if v >= mersenne61 {
				v -= mersenne61
			}
			if v < sig[k] {
				sig[k] = v
			}
		}
	}
	return sig
}

// Deduper keeps the first of every set of near duplicates: two documents are duplicates when
// any band (8 consecutive minima) of their signatures is equal.
type Deduper struct {
	seen map[[Bands]uint64]struct{}
	b    [Bands]map[uint64]struct{}
}

// NewDeduper returns an empty Deduper.
func NewDeduper() *Deduper {
	d := &Deduper{}
	for i := range d.b {
		d.b[i] = map[uint64]struct{}{}
	}
	return d
}

// Add reports whether text duplicates an earlier document; if not, it remembers text.
func (d *Deduper) Add(text string) (duplicate bool) {
	sig := MinHashOf(text)
	var keys [Bands]uint64
	for i := 0; i < Bands; i++ {
		// 64-bit FNV-1a of the band's minima, big-endian.
		h := uint64(fnvOffset)
		for _, v := range sig[i*Rows : (i+1)*Rows] {
			for sh := 56; sh >= 0; sh -= 8 {
				h ^= v >> sh & 0xff
				h *= fnvPrime
			}
		}
		keys[i] = h
		if _, ok := d.b[i][keys[i]]; ok {
			duplicate = true
		}
	}
	if !duplicate {
		for i, k := range keys {
			d.b[i][k] = struct{}{}
		}
	}
	return duplicate
}
