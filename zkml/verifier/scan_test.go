package verifier

import (
	"encoding/binary"
	"errors"
	"testing"
)

// TestHugeDeclaredLengths checks that a small input declaring billions of
// elements is rejected before gnark's decoder would allocate them.
func TestHugeDeclaredLengths(t *testing.T) {
	// Proof: compressed Ar (32), Bs (64), Krs (32), then count 0xffffffff.
	p := make([]byte, 32+64+32+4+32)
	for _, off := range []int{0, 32, 96} {
		p[off] = 0x80 // compressed flag
	}
	binary.BigEndian.PutUint32(p[128:], 0xffffffff)
	if err := scanProof(p); err == nil {
		t.Fatal("scanProof accepted a 4-billion commitment count")
	}
	if _, err := DecodeProof(p, nil); !errors.Is(err, ErrMalformedProof) {
		t.Fatalf("DecodeProof: %v", err)
	}
	// Key: six compressed points then a huge K length.
	k := make([]byte, 32+32+64+64+32+64+4)
	off := 0
	for _, sz := range []int{32, 32, 64, 64, 32, 64} {
		k[off] = 0x80
		off += sz
	}
	binary.BigEndian.PutUint32(k[off:], 0xfffffff0)
	if _, err := DecodeVK(k); !errors.Is(err, ErrMalformedKey) {
		t.Fatalf("DecodeVK: %v", err)
	}
	// A valid prefix with a plausible count but missing bytes is short.
	binary.BigEndian.PutUint32(k[off:], 3)
	if err := scanVK(k); err == nil {
		t.Fatal("scanVK accepted a truncated key")
	}
}
