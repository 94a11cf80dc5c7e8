// Package iris is the off-chain uniqueness service an enrolment operator runs
// before enrolling a person: iris-code templates, masked fractional Hamming
// distance over 31 rotations, a two-eye gallery search spread over all cores,
// templates encrypted at rest, and a synthetic template generator with
// realistic genuine and impostor distance distributions for tests and
// benchmarks.
//
// # Template layout
//
// A template is the iris-mpc format: 12,800 code bits (16 radial rows x 200
// angular columns x 4 bits: 2 Gabor wavelets x Re/Im) plus a mask of the same
// shape (1 = usable bit). Each angular column is exactly 64 bits, so the
// template is stored column-major as 200 uint64 words and a rotation by s
// columns is a rotation of word indexes: no bit shuffling.
//
// # Distance
//
//	FHD(a,b) = popcount((a.code XOR b.code) AND a.mask AND b.mask) / popcount(a.mask AND b.mask)
//
// minimised over rotations s in -15..15 of the probe. Two templates match when
// the minimum is <= the threshold (0.345 by default, iris-mpc's
// MATCH_THRESHOLD_RATIO). A person matches an enrolled person when both eyes
// match (World's "both eyes" rule) or, with RuleEitherEye, when one does.
//
// # Search
//
// The gallery stores every template's words in a strided column order
// (column 13j mod 200 at position j) and splits them into a 16-word prefix
// block and the rest, each contiguous across templates. A query first scans
// only the prefixes (1,024 code bits spread around the iris) for all 31
// rotations; a template whose prefix distance exceeds EarlyReject at every
// rotation cannot plausibly be within the threshold and is dropped. The few
// survivors get the exact full distance. The early-reject bound is a
// statistical cascade, not an exact bound: its effect on FNMR is measured by
// the tests on synthetic data and is reported with the benchmarks.
package iris

import (
	"errors"
	"fmt"
	"math/bits"
)

// Template shape constants.
const (
	Rows        = 16
	Cols        = 200
	BitsPerCell = 4
	// Words is the number of uint64 words per code (and per mask): one per column.
	Words = Cols
	// CodeBits is the number of code bits per eye.
	CodeBits = Rows * Cols * BitsPerCell
	// MaxShift is the largest rotation tried, in columns.
	MaxShift = 15
	// Rotations is the number of alignments tried: -MaxShift..MaxShift.
	Rotations = 2*MaxShift + 1
	// TemplateSize is the encoded size of a Template in bytes (code then mask).
	TemplateSize = 2 * Words * 8
	// DefaultThreshold is the match threshold on the fractional Hamming distance.
	DefaultThreshold = 0.345
	// DefaultEarlyReject is the prefix-distance bound of the search cascade.
	DefaultEarlyReject = 0.42
	// DefaultMinCommonBits is the least number of commonly unmasked bits for a
	// rotation to count; fewer gives no evidence either way.
	DefaultMinCommonBits = 2048
	// prefixWords is the number of words in the first stage of the cascade.
	prefixWords = 16
	// restWords is the rest of a template after the prefix.
	restWords = Words - prefixWords
	// stride orders the stored columns; gcd(stride, Cols) = 1.
	stride = 13
	// fixedShift is the fixed-point precision of thresholds in the kernels.
	fixedShift = 16
)

// ErrMalformedTemplate is returned when decoding bytes that are not a template.
var ErrMalformedTemplate = errors.New("malformed iris template")

// Template is one eye's iris code and mask, column-major: word j holds
// column j, bit 4*row+k holds wavelet/part k of that row.
type Template struct {
	Code [Words]uint64
	Mask [Words]uint64
}

// Bit returns the code bit at (row, col, k) and whether it is unmasked.
func (t *Template) Bit(row, col, k int) (bit, valid bool) {
	i := uint(row*BitsPerCell + k)
	return t.Code[col]>>i&1 == 1, t.Mask[col]>>i&1 == 1
}

// MaskedBits returns the number of usable bits.
func (t *Template) MaskedBits() int {
	n := 0
	for _, m := range t.Mask {
		n += bits.OnesCount64(m)
	}
	return n
}

// MarshalBinary encodes the template as TemplateSize bytes, little-endian words.
func (t *Template) MarshalBinary() ([]byte, error) {
	out := make([]byte, TemplateSize)
	for j := 0; j < Words; j++ {
		putWord(out[8*j:], t.Code[j])
		putWord(out[8*(Words+j):], t.Mask[j])
	}
	return out, nil
}

// UnmarshalBinary decodes what MarshalBinary produced.
func (t *Template) UnmarshalBinary(b []byte) error {
	if len(b) != TemplateSize {
		return fmt.Errorf("template is %d bytes, want %d: %w", len(b), TemplateSize, ErrMalformedTemplate)
	}
	for j := 0; j < Words; j++ {
		t.Code[j] = getWord(b[8*j:])
		t.Mask[j] = getWord(b[8*(Words+j):])
	}
	return nil
}

func putWord(b []byte, v uint64) {
	for i := 0; i < 8; i++ {
		b[i] = byte(v >> (8 * i))
	}
}

func getWord(b []byte) uint64 {
	var v uint64
	for i := 0; i < 8; i++ {
		v |= uint64(b[i]) << (8 * i)
	}
	return v
}

// Rotate returns t rolled by s columns: column j of the result is column
// (j+s) mod Cols of t.
func (t *Template) Rotate(s int) Template {
	var r Template
	for j := 0; j < Words; j++ {
		src := ((j+s)%Cols + Cols) % Cols
		r.Code[j] = t.Code[src]
		r.Mask[j] = t.Mask[src]
	}
	return r
}

// Distance returns the masked fractional Hamming distance between probe and
// ref at shift s (the probe rolled by s columns) and the common mask bits.
func Distance(probe, ref *Template, s int) (fhd float64, common int) {
	diff := 0
	for j := 0; j < Words; j++ {
		src := ((j+s)%Cols + Cols) % Cols
		m := probe.Mask[src] & ref.Mask[j]
		diff += bits.OnesCount64((probe.Code[src] ^ ref.Code[j]) & m)
		common += bits.OnesCount64(m)
	}
	if common == 0 {
		return 1, 0
	}
	return float64(diff) / float64(common), common
}

// MinDistance returns the minimum FHD over the 31 rotations whose common
// mask has at least minCommon bits, and the shift that achieved it. With no
// usable rotation it returns 1 and shift 0.
func MinDistance(probe, ref *Template, minCommon int) (fhd float64, shift int) {
	fhd = 1
	for s := -MaxShift; s <= MaxShift; s++ {
		d, c := Distance(probe, ref, s)
		if c >= minCommon && d < fhd {
			fhd, shift = d, s
		}
	}
	return fhd, shift
}

// storedColumn returns the template column kept at stored position p.
func storedColumn(p int) int { return p * stride % Cols }

// toFixed converts a ratio to the kernels' fixed point.
func toFixed(r float64) uint64 {
	if r <= 0 {
		return 0
	}
	return uint64(r*(1<<fixedShift) + 0.5)
}

// PersonSize is the encoded size of a Person: left template then right.
const PersonSize = 2 * TemplateSize

// MarshalBinary encodes both eyes (left then right).
func (p *Person) MarshalBinary() ([]byte, error) {
	l, _ := p.Left.MarshalBinary()
	r, _ := p.Right.MarshalBinary()
	return append(l, r...), nil
}

// UnmarshalBinary decodes what MarshalBinary produced.
func (p *Person) UnmarshalBinary(b []byte) error {
	if len(b) != PersonSize {
		return fmt.Errorf("person capture is %d bytes, want %d: %w", len(b), PersonSize, ErrMalformedTemplate)
	}
	if err := p.Left.UnmarshalBinary(b[:TemplateSize]); err != nil {
		return err
	}
	return p.Right.UnmarshalBinary(b[TemplateSize:])
}
