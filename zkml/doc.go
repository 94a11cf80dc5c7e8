// Package zkml is the chain module for zero-knowledge model attestations.
//
// Anyone registers a circuit: an exam (the digest of a public test set, the
// number of samples, and the Groth16 verifying key of the accuracy circuit
// built over it) or an inference key (the verifying key of an inference
// circuit for a model shape). A model owner then submits
//
//   - zkml/attest: "the model with commitment C classifies at least K of the
//     N samples of exam E correctly", with a proof and provenance references
//     (the dataset root and labeling job the model was trained from);
//   - zkml/infer: "the model with commitment C maps the input with digest D
//     to class k", with a proof.
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
