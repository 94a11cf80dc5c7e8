// Package zkml is the chain module for zero-knowledge model attestations.
//
// Anyone registers a circuit: an exam (the digest of a public test set, the
// number of samples, and the Groth16 verifying key of the accuracy circuit
// built over it) or an inference key (the verifying keys of the inference
// and link circuits for a model shape, and the binding key joining them). A
// model owner then submits
//
//   - zkml/attest: "the model with commitment C classifies at least K of the
//     N samples of exam E correctly", with a proof and provenance references
//     (the dataset root and labeling job the model was trained from);
//   - zkml/bind, once per model and inference key: a link proof that opens
//     C and the commitment E that the model's inference proofs carry, joined
//     by a QA-NIZK;
//   - zkml/infer: "the model with commitment C maps the input with digest D
//     to class k", with a proof whose commitment must equal C's E.
//
// Proofs are verified in the transaction (FinalizeBlock, and already in
// CheckTx) at a fixed gas cost by package verifier, which checks sizes,
// points and subgroups before gnark sees them and never panics. Queries
// list attestations by model and by exam, and a leaderboard per exam (best
// claim per model).
//
// The off-chain side (training, circuits, setup, proving) is in the
// sub-packages model and circuit and in `emergence zkml`.
package zkml
