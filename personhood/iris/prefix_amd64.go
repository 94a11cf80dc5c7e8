//go:build amd64 && !purego

package iris

import "golang.org/x/sys/cpu"

// prefixCountsAVX512 writes, for each of the 31 probe rotations q[r], the
// prefix diff and common-mask counts against gb into out[r] (AVX-512F +
// VPOPCNTDQ; see prefix_amd64.s).
//
//go:noescape
func prefixCountsAVX512(q *[Rotations]prefixBlock, gb *prefixBlock, out *[Rotations][2]uint32)

// restCountsAVX512 is prefixCountsAVX512 for the rest blocks (184 words).
//
//go:noescape
func restCountsAVX512(q *[Rotations]restBlock, gb *restBlock, out *[Rotations][2]uint32)

// restCountsVector is the vector kernel for rest blocks, or nil.
var restCountsVector = func() func(*[Rotations]restBlock, *restBlock, *[Rotations][2]uint32) {
	if cpu.X86.HasAVX512F && cpu.X86.HasAVX512VPOPCNTDQ {
		return restCountsAVX512
	}
	return nil
}()

// prefixCountsVector is the vector kernel when the CPU and OS support it
// (AVX-512F with VPOPCNTDQ), else nil and passPrefix uses scalar code.
var prefixCountsVector = func() func(*[Rotations]prefixBlock, *prefixBlock, *[Rotations][2]uint32) {
	if cpu.X86.HasAVX512F && cpu.X86.HasAVX512VPOPCNTDQ {
		return prefixCountsAVX512
	}
	return nil
}()
