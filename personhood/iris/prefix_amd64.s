//go:build amd64 && !purego

#include "textflag.h"

// func prefixCountsAVX512(q *[31]prefixBlock, gb *prefixBlock, out *[31][2]uint32)
//
// prefixBlock is 16 code words then 16 mask words (256 bytes). For each
// rotation r: mm = q.M & g.M, d = popcount((q.C ^ g.C) & mm), m = popcount(mm),
// summed over the 16 words, stored as out[r] = {d, m}.
TEXT ·prefixCountsAVX512(SB), NOSPLIT, $0-24
	MOVQ q+0(FP), SI
	MOVQ gb+8(FP), BX
	MOVQ out+16(FP), DI
	VMOVDQU64 0(BX), Z0    // g.C[0:8]
	VMOVDQU64 64(BX), Z1   // g.C[8:16]
	VMOVDQU64 128(BX), Z2  // g.M[0:8]
	VMOVDQU64 192(BX), Z3  // g.M[8:16]
	MOVQ $31, CX

loop:
	VMOVDQU64 0(SI), Z4
	VMOVDQU64 64(SI), Z5
	VMOVDQU64 128(SI), Z6
	VMOVDQU64 192(SI), Z7
	VPANDQ Z2, Z6, Z6      // mm0 = q.M & g.M
	VPANDQ Z3, Z7, Z7      // mm1
	VPXORQ Z0, Z4, Z4      // q.C ^ g.C
	VPXORQ Z1, Z5, Z5
	VPANDQ Z6, Z4, Z4      // diff bits
	VPANDQ Z7, Z5, Z5
	VPOPCNTQ Z4, Z4
	VPOPCNTQ Z5, Z5
	VPOPCNTQ Z6, Z6
	VPOPCNTQ Z7, Z7
	VPADDQ Z5, Z4, Z4      // d per lane
	VPADDQ Z7, Z6, Z6      // m per lane

	// Horizontal sums of Z4 (d) and Z6 (m).
	VEXTRACTI64X4 $1, Z4, Y8
	VPADDQ Y8, Y4, Y4
	VEXTRACTI64X4 $1, Z6, Y9
	VPADDQ Y9, Y6, Y6
	VEXTRACTI128 $1, Y4, X8
	VPADDQ X8, X4, X4
	VEXTRACTI128 $1, Y6, X9
	VPADDQ X9, X6, X6
	VPSHUFD $0x4E, X4, X8
	VPADDQ X8, X4, X4
	VPSHUFD $0x4E, X6, X9
	VPADDQ X9, X6, X6
	VMOVQ X4, AX
	VMOVQ X6, DX
	MOVL AX, 0(DI)
	MOVL DX, 4(DI)

	ADDQ $256, SI
	ADDQ $8, DI
	DECQ CX
	JNZ loop

	VZEROUPPER
	RET

// func restCountsAVX512(q *[31]restBlock, gb *restBlock, out *[31][2]uint32)
//
// restBlock is 184 code words then 184 mask words (2,944 bytes): 23 vectors
// of each. For each rotation r: out[r] = {popcount((q.C^g.C)&q.M&g.M), popcount(q.M&g.M)}.
TEXT ·restCountsAVX512(SB), NOSPLIT, $0-24
	MOVQ q+0(FP), SI
	MOVQ gb+8(FP), BX
	MOVQ out+16(FP), DI
	MOVQ $31, CX

rot:
	VPXORQ Z8, Z8, Z8      // d accumulator
	VPXORQ Z9, Z9, Z9      // m accumulator
	XORQ R8, R8            // byte offset into the code run

chunk:
	VMOVDQU64 0(SI)(R8*1), Z4      // q.C chunk
	VMOVDQU64 1472(SI)(R8*1), Z6   // q.M chunk (184*8 = 1472)
	VMOVDQU64 0(BX)(R8*1), Z5      // g.C chunk
	VMOVDQU64 1472(BX)(R8*1), Z7   // g.M chunk
	VPANDQ Z7, Z6, Z6      // mm
	VPXORQ Z5, Z4, Z4
	VPANDQ Z6, Z4, Z4      // diff bits
	VPOPCNTQ Z4, Z4
	VPOPCNTQ Z6, Z6
	VPADDQ Z4, Z8, Z8
	VPADDQ Z6, Z9, Z9
	ADDQ $64, R8
	CMPQ R8, $1472
	JNE chunk

	VEXTRACTI64X4 $1, Z8, Y10
	VPADDQ Y10, Y8, Y8
	VEXTRACTI64X4 $1, Z9, Y11
	VPADDQ Y11, Y9, Y9
	VEXTRACTI128 $1, Y8, X10
	VPADDQ X10, X8, X8
	VEXTRACTI128 $1, Y9, X11
	VPADDQ X11, X9, X9
	VPSHUFD $0x4E, X8, X10
	VPADDQ X10, X8, X8
	VPSHUFD $0x4E, X9, X11
	VPADDQ X11, X9, X9
	VMOVQ X8, AX
	VMOVQ X9, DX
	MOVL AX, 0(DI)
	MOVL DX, 4(DI)

	ADDQ $2944, SI
	ADDQ $8, DI
	DECQ CX
	JNZ rot

	VZEROUPPER
	RET
