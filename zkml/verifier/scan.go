package verifier

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Limits on counts declared inside encodings, checked before gnark's
// decoder allocates slices of the declared length (it trusts the uint32
// prefixes, so a 1 KiB input could otherwise request hundreds of GB).
const (
	maxCommitments      = 4
	maxCommittedIndexes = 64
)

// Encoded point sizes (gnark-crypto bn254): the two top bits of the first
// byte are 00 for an uncompressed point.
const (
	g1Compressed   = 32
	g1Uncompressed = 64
	g2Compressed   = 64
	g2Uncompressed = 128
)

var errShort = errors.New("truncated encoding")

// scanner walks an encoding without allocating.
type scanner struct {
	b   []byte
	off int
}

func (s *scanner) point(compressed, uncompressed int) error {
	if s.off >= len(s.b) {
		return errShort
	}
	n := compressed
	if s.b[s.off]>>6 == 0 {
		n = uncompressed
	}
	if len(s.b)-s.off < n {
		return errShort
	}
	s.off += n
	return nil
}

func (s *scanner) g1() error { return s.point(g1Compressed, g1Uncompressed) }
func (s *scanner) g2() error { return s.point(g2Compressed, g2Uncompressed) }

// count reads a uint32 length and checks it against limit and against the
// bytes left, at minSize bytes per element.
func (s *scanner) count(limit, minSize int) (int, error) {
	if len(s.b)-s.off < 4 {
		return 0, errShort
	}
	n := binary.BigEndian.Uint32(s.b[s.off:])
	s.off += 4
	if uint64(n) > uint64(limit) {
		return 0, fmt.Errorf("declared length %d above %d", n, limit)
	}
	if int(n)*minSize > len(s.b)-s.off {
		return 0, errShort
	}
	return int(n), nil
}

// scanProof checks the layout of a serialized proof:
// Ar (G1), Bs (G2), Krs (G1), uint32 n, n × G1 commitments, Pok (G1).
func scanProof(b []byte) error {
	s := &scanner{b: b}
	if err := s.g1(); err != nil {
		return err
	}
	if err := s.g2(); err != nil {
		return err
	}
	if err := s.g1(); err != nil {
		return err
	}
	n, err := s.count(maxCommitments, g1Compressed)
	if err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		if err := s.g1(); err != nil {
			return err
		}
	}
	if err := s.g1(); err != nil {
		return err
	}
	if s.off != len(b) {
		return fmt.Errorf("%d trailing bytes", len(b)-s.off)
	}
	return nil
}

// scanVK checks the layout of a serialized verifying key: α₁ β₁ β₂ γ₂ δ₁
// δ₂, uint32 n + n × G1 (K), uint32 m + m × (uint32 k + k × uint64), uint32
// c, then c Pedersen keys (two G2 points each).
func scanVK(b []byte) error {
	s := &scanner{b: b}
	for _, g2 := range []bool{false, false, true, true, false, true} {
		var err error
		if g2 {
			err = s.g2()
		} else {
			err = s.g1()
		}
		if err != nil {
			return err
		}
	}
	n, err := s.count(MaxPublics+1+maxCommitments, g1Compressed)
	if err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		if err := s.g1(); err != nil {
			return err
		}
	}
	m, err := s.count(maxCommitments, 4)
	if err != nil {
		return err
	}
	for i := 0; i < m; i++ {
		k, err := s.count(maxCommittedIndexes, 8)
		if err != nil {
			return err
		}
		s.off += 8 * k
	}
	c, err := s.count(maxCommitments, 2*g2Compressed)
	if err != nil {
		return err
	}
	for i := 0; i < 2*c; i++ {
		if err := s.g2(); err != nil {
			return err
		}
	}
	if s.off != len(b) {
		return fmt.Errorf("%d trailing bytes", len(b)-s.off)
	}
	return nil
}
