// Package merkle is the binary SHA-256 Merkle tree over an epoch's accepted
// device events: ingest nodes compute its root, the chain checks inclusion
// proofs against it in fraud proofs. Leaves and inner nodes are
// domain-separated; an odd last node is carried up unchanged.
package merkle

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
)

// MaxDepth bounds a proof's length (a tree of 2^64 leaves).
const MaxDepth = 64

// Leaf returns the leaf hash of an encoded event.
func Leaf(encoded []byte) [32]byte {
	h := sha256.New()
	h.Write([]byte("emergence/device/leaf/v1\x00"))
	h.Write(encoded)
	var out [32]byte
	h.Sum(out[:0])
	return out
}

func inner(l, r [32]byte) [32]byte {
	h := sha256.New()
	h.Write([]byte("emergence/device/node/v1\x00"))
	h.Write(l[:])
	h.Write(r[:])
	var out [32]byte
	h.Sum(out[:0])
	return out
}

func up(level [][32]byte) [][32]byte {
	next := make([][32]byte, 0, (len(level)+1)/2)
	for j := 0; j < len(level); j += 2 {
		if j+1 == len(level) {
			next = append(next, level[j])
		} else {
			next = append(next, inner(level[j], level[j+1]))
		}
	}
	return next
}

// Root returns the root of the leaves (zero for none).
func Root(leaves [][32]byte) [32]byte {
	if len(leaves) == 0 {
		return [32]byte{}
	}
	level := slices.Clone(leaves)
	for len(level) > 1 {
		level = up(level)
	}
	return level[0]
}

// Proof is an inclusion proof: sibling hashes (hex) from the leaf up and
// for each whether it is the left one. Levels where the node was carried
// up have no entry.
type Proof struct {
	Siblings []string `json:"siblings"`
	Left     []bool   `json:"left"`
}

// Prove returns the inclusion proof of leaves[i].
func Prove(leaves [][32]byte, i int) Proof {
	p := Proof{Siblings: []string{}, Left: []bool{}}
	level := slices.Clone(leaves)
	for len(level) > 1 {
		if sib := i ^ 1; sib < len(level) {
			p.Siblings = append(p.Siblings, hex.EncodeToString(level[sib][:]))
			p.Left = append(p.Left, sib < i)
		}
		level, i = up(level), i/2
	}
	return p
}

// ErrBadProof is returned when a proof does not lead to the root.
var ErrBadProof = errors.New("merkle proof does not match the root")

// Verify checks that leaf is under root by p.
func Verify(root, leaf [32]byte, p Proof) error {
	h, err := Fold(leaf, p)
	if err != nil {
		return err
	}
	if h != root {
		return ErrBadProof
	}
	return nil
}

// Fold returns the root that p leads to from leaf; it fails only on a
// malformed proof.
func Fold(leaf [32]byte, p Proof) ([32]byte, error) {
	if len(p.Siblings) != len(p.Left) || len(p.Siblings) > MaxDepth {
		return [32]byte{}, fmt.Errorf("proof shape: %w", ErrBadProof)
	}
	h := leaf
	for k, s := range p.Siblings {
		b, err := hex.DecodeString(s)
		if err != nil || len(b) != 32 {
			return [32]byte{}, fmt.Errorf("sibling %d: %w", k, ErrBadProof)
		}
		sib := [32]byte(b)
		if p.Left[k] {
			h = inner(sib, h)
		} else {
			h = inner(h, sib)
		}
	}
	return h, nil
}
