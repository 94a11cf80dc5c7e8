// Package fixed is the deterministic fixed-point arithmetic shared by the
// modules of Emergence. Code that runs in consensus must produce the same
// bytes on every validator and every CPU, so it never uses float64; it uses
// the types of this package instead.
//
// # Types
//
//   - [I32F32] is a signed 64-bit number with 32 fractional bits (resolution
//     2^-32 ≈ 2.3e-10, range about ±2.1e9). It is the number type of every
//     per-epoch vector and matrix of Yuma Consensus (stake shares, weights,
//     consensus, ranks, bonds, dividends), exactly as subtensor uses
//     substrate-fixed's I32F32.
//   - [U128] is an unsigned 128-bit integer for sums of stakes and amounts
//     that may exceed 64 bits, and for exact ratios of such sums.
//   - Amounts (stake, emission, balances) stay plain uint64 base units; the
//     helpers [MulDiv] and [I32F32.MulU64] scale them with 128-bit
//     intermediates and floor the result.
//
// # Rounding rules
//
// These rules reproduce substrate-fixed (encointer fork v0.6.0) bit for bit
// on non-negative data, which is what the Yuma Consensus reference vectors
// were computed with:
//
//   - a.Mul(b) = floor(a·b): the 128-bit product shifted right by 32
//     (arithmetic shift, so floor also for negative products).
//   - a.Div(b) = (a << 32) / b with truncation toward zero; x/0 = 0 (subtensor's
//     safe_div).
//   - Add and Sub saturate at the type bounds instead of wrapping.
//   - Conversions to integers discard the fraction (floor for non-negative
//     values).
//   - [Ratio](n, d) = floor(n·2^32/d), the exact result of normalising an
//     integer n by an integer sum d in a wider type and casting down.
//
// # u16 storage
//
// On-chain vectors (weights, bonds, incentive, dividends, consensus, validator
// trust) are stored as u16 proportions of 65535:
//
//   - [I32F32.ToU16Proportion] = floor(x·65535), clamped to [0, 65535];
//   - [FromU16Proportion](v) = floor(v·2^32/65535), i.e. v/65535 in I32F32;
//   - [MaxUpscaleU16] scales a u16 vector so that its largest entry is 65535
//     (rounding to nearest), the encoding of submitted weights.
//
// # Transcendentals
//
// [Exp] is a deterministic exponential on I32F32 (input clamped to [-20, 20]
// as subtensor's exp_safe), used by the liquid-alpha sigmoid. It is accurate
// to a relative error below 1e-8, computed only with integer operations.
//
// Nothing in this package reads the clock, draws random numbers, allocates
// goroutines or does I/O; a test enforces the import list. [I32F32.Float64]
// exists for display and offline tools only and must not feed back into
// consensus state.
package fixed
