// Package circuit holds Emergence's zkML circuits (gnark v0.14, Groth16 over
// BN254) and everything around them: witness assignment from a quantized
// model, one-party and multi-party (MPC) setup, proving, versioned key and
// proof files, and a hardened verifier that never panics on malformed input.
//
// Three circuits and a binding:
//
//   - Inference: public (Commitment, InputDigest, Class, Submitter). The
//     model maps the private input whose digest is InputDigest to Class; on
//     equal logits the lowest index wins. The parameters are not hashed:
//     they sit, packed, in the proof's first Groth16 (Pedersen) commitment
//     with a blinding fixed per model, so all proofs of a model carry the
//     same commitment E.
//   - Link: public (Commitment). Opens the model's MiMC commitment and
//     commits the same parameters in its own basis; proved once per model.
//   - Binding: a one-element QA-NIZK that the link proof's commitment and E
//     hide the same parameters (link.go, bindmpc.go for its ceremony). With
//     it the chain ties E, and so every inference proof, to Commitment.
//   - Exam (accuracy): public (Commitment, Statement, Claim, Submitter). The committed
//     model classifies at least Claim samples of the exam correctly. The exam
//     is compiled into the circuit as constants; Statement hashes its digest,
//     size and name with the model shape, so the key proves nothing for an
//     exam registered under other metadata.
//
// Submitter is the chain address allowed to submit the proof, so that a
// proof copied from the mempool cannot be claimed by another account.
//
// Non-linear steps use std/rangecheck (a log-derivative argument over a
// commitment): requantization proves z = q·2^s + r with r in [0, 2^s);
// ReLU uses a sign bit σ and range-checks t = q (σ=0) or -q-1 (σ=1);
// argmax range-checks logit differences. The exam circuit checks every dense
// layer over all samples at once with Freivalds' test: with a challenge ρ
// drawn from the commitment to all advice, Σ_i ρ^i Z_i = (Σ_i ρ^i A_i)·Wᵀ + (Σ ρ^i)·b,
// which costs one constraint per advice entry instead of one per
// multiply-accumulate.
package circuit
