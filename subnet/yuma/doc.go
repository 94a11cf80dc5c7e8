// Package yuma computes one epoch of Yuma Consensus, the mechanism by which
// a subnet turns validator stakes and weights into emissions for miners and
// validators. It follows subtensor's epoch (opentensor/subtensor, sparse
// path, as specified in the project's research note yuma.md) step by step,
// in deterministic fixed point (package emergence/fixed), so that every
// node computes identical bytes.
//
// # One epoch
//
//  1. Activity: a uid is active if LastUpdate + ActivityCutoff ≥ Block.
//  2. Stake: stakes below StakeThreshold count as 0 (the owner is exempt);
//     S = stake / Σstake, floor(stake·2^32/Σ) exactly.
//  3. Permits: the permits of the previous epoch (input) decide who votes;
//     new permits for the next epoch go to the MaxValidators largest
//     non-zero stakes (ties: lower uid loses), the owner always holds one.
//  4. Active stake A = normalize(S masked by active ∧ previous permit).
//  5. Weights: rows of uids without a previous permit are dropped, then
//     self-weights (except the owner's), then weights "outdated" because the
//     target registered after the weight was set (LastUpdate_i ≤
//     RegisteredAt_j), then, with commit–reveal, weights committed before
//     the target registered (CommitBlock_i < RegisteredAt_j); rows are
//     normalised.
//  6. Consensus C_j: the stake-weighted median of column j over validators
//     with A > 0 at majority Kappa (deterministic quickselect with a middle
//     pivot).
//  7. Clipped weights W̄ = min(W, C); validator trust VT_i = Σ_j W̄_ij;
//     rank R_j = Σ_i A_i W̄_ij; trust T_j = R_j / Σ_i A_i W_ij;
//     incentive I = normalize(R).
//  8. Weights for bonds W̃ = W + BondsPenalty·(W̄ − W).
//  9. Bonds and dividends, one of two variants:
//     legacy (Yuma 2): column-normalised EMA of ΔB = A∘W̃ with
//     a = 1 − BondsMovingAverage/1e6, D = normalize(B·I), bonds stored
//     column max-upscaled; Yuma 3: per-pair bonds on an absolute [0,1]
//     scale, B = min(1, (1−α)B⁰ + αW̃) with α fixed or per pair by the
//     liquid-alpha sigmoid, D = normalize(A ∘ (col-normalize(B)·I)), bonds
//     stored as floor(B·65535).
//  10. Emission: miners get I_j/Σ(I+D)·E, validators D_i/Σ(I+D)·E (floor);
//     when nobody has usable weights, validators get A·E (or S·E when no
//     stake is active) — the emission fallback.
//
// # Numbers
//
// All vectors are fixed.I32F32 with subtensor's rounding (floor on
// multiply, truncation on divide, x/0 = 0); amounts are uint64 base units;
// storage quantises with floor(x·65535). See package fixed.
//
// # Choices where the reference is silent or inconsistent
//
//   - Bonds for (i, j) pairs absent from W̃ decay with the EMA (as in
//     subtensor's dense path) rather than vanishing (its sparse liquid-alpha
//     path drops them); the reference tests do not distinguish the two.
//   - Bond rows of uids without a previous permit are ignored: the chain
//     clears a row when its permit is lost, so such rows cannot exist there.
//   - Trust T is computed (subtensor removed it in 2025) because the
//     metagraph shows it; it does not influence any other output.
//
// The package is pure: no floats, no maps iterated, no clock, randomness,
// goroutines or I/O (a test checks the imports). An [Epoch] keeps its work
// buffers so that repeated runs allocate almost nothing.
package yuma
