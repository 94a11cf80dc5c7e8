// Package devkeys embeds a Groth16 key pair for the depth-30 claim circuit,
// so that a devnet and `emergence id claim` work with no trusted-setup step.
//
// These keys are for development networks only. They came from one run of
// claim.Setup whose randomness was discarded, but nobody can check that: a
// network with value at stake must replace the verifying key in its genesis
// with one from a multi-party ceremony and give claimants the matching
// proving key (emergence id claim --proving-key).
package devkeys

import (
	_ "embed" // go:embed of the key files
)

// Depth is the tree depth the embedded keys were made for.
const Depth = 30

// VerifyingKey is the encoded verifying key (claim.DecodeVerifyingKey).
//
//go:embed claim30.vk
var VerifyingKey []byte

// ProvingKey is the encoded proving key (claim.NewProver).
//
//go:embed claim30.pk
var ProvingKey []byte
