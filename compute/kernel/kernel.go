// Package kernel is the compute market's benchmark workload: an iterated
// 128-bit mixing function run on independent lanes, one lane per core a
// provider claims. Each lane is a sequential chain (step i+1 needs step i),
// so a lane cannot be split across cores and a provider that has fewer
// cores than it claims needs proportionally longer.
//
// A provider answers with every lane's checkpoints (the state after each
// segment of Steps steps). The chain knows the seed, so it re-runs a few
// segments picked from block data and compares: a provider that computed
// only a fraction f of the segments passes with probability f^samples.
//
// The package is pure (math/bits and encoding/binary only) so that the
// chain, the provider's native code and the provider's WebAssembly build
// (GOOS=wasip1) compute the same bytes.
package kernel

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"math/bits"
)

// StateLen is the encoded size of a State.
const StateLen = 16

// State is one lane's 128-bit state.
type State [2]uint64

// Start is lane's first state for seed: SHA-256 of a domain tag, the seed
// and the lane number, first 16 bytes.
func Start(seed [32]byte, lane uint32) State {
	h := sha256.New()
	h.Write([]byte("emergence/compute/bench/v1\x00"))
	h.Write(seed[:])
	h.Write(binary.BigEndian.AppendUint32(nil, lane))
	var sum [32]byte
	h.Sum(sum[:0])
	return State{binary.BigEndian.Uint64(sum[0:8]), binary.BigEndian.Uint64(sum[8:16])}
}

// Step is one round: add-rotate-xor with an odd multiplier, so no step is
// linear and the all-zero state is not a fixed point.
func Step(s State) State {
	a, b := s[0], s[1]
	a += b + 0x6a09e667f3bcc909
	b = bits.RotateLeft64(b, 23) ^ a
	a = bits.RotateLeft64(a, 41) * 0x9e3779b97f4a7c15
	b += a ^ (a >> 31)
	return State{a, b}
}

// Run applies n steps.
func Run(s State, n uint64) State {
	a, b := s[0], s[1]
	for ; n > 0; n-- {
		a += b + 0x6a09e667f3bcc909
		b = bits.RotateLeft64(b, 23) ^ a
		a = bits.RotateLeft64(a, 41) * 0x9e3779b97f4a7c15
		b += a ^ (a >> 31)
	}
	return State{a, b}
}

// Append appends s's 16-byte big-endian encoding to b.
func (s State) Append(b []byte) []byte {
	b = binary.BigEndian.AppendUint64(b, s[0])
	return binary.BigEndian.AppendUint64(b, s[1])
}

// Decode reads a State from the first 16 bytes of b.
func Decode(b []byte) State {
	return State{binary.BigEndian.Uint64(b[0:8]), binary.BigEndian.Uint64(b[8:16])}
}

// Lane computes one lane's checkpoints: segments states, the state after
// each run of steps steps, concatenated (segments*StateLen bytes).
func Lane(seed [32]byte, lane uint32, segments uint32, steps uint64) []byte {
	out := make([]byte, 0, int(segments)*StateLen)
	s := Start(seed, lane)
	for i := uint32(0); i < segments; i++ {
		s = Run(s, steps)
		out = s.Append(out)
	}
	return out
}

// Answer computes every lane's checkpoints, one after the other. A
// provider runs lanes in parallel (see Lane); this is the reference.
func Answer(seed [32]byte, lanes, segments uint32, steps uint64) [][]byte {
	out := make([][]byte, lanes)
	for l := range out {
		out[l] = Lane(seed, uint32(l), segments, steps)
	}
	return out
}

// ErrMismatch is returned by CheckSegment when a segment's end is not what
// its start runs to.
var ErrMismatch = errors.New("kernel: segment does not run to its checkpoint")

// CheckSegment re-runs segment seg of lane from its start (the lane's
// Start for seg 0, else checkpoint seg-1) and compares with checkpoint
// seg. cps is the lane's checkpoint bytes, already checked to hold
// segments states.
func CheckSegment(seed [32]byte, lane uint32, cps []byte, seg uint32, steps uint64) error {
	start := Start(seed, lane)
	if seg > 0 {
		start = Decode(cps[(seg-1)*StateLen:])
	}
	if Run(start, steps) != Decode(cps[seg*StateLen:]) {
		return ErrMismatch
	}
	return nil
}
