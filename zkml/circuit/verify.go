package circuit

import "emergence/zkml/verifier"

// The hardened verifier lives in package verifier (deterministic, imported
// by the chain module); these names keep the off-chain API in one place.
var (
	Verify            = verifier.Verify
	VerifyDecoded     = verifier.VerifyDecoded
	DecodeVK          = verifier.DecodeVK
	DecodeProof       = verifier.DecodeProof
	ErrMalformedKey   = verifier.ErrMalformedKey
	ErrMalformedProof = verifier.ErrMalformedProof
	ErrPublicInputs   = verifier.ErrPublicInputs
	ErrInvalidProof   = verifier.ErrInvalidProof
)

// Size limits of the verifier.
const (
	MaxProofBytes = verifier.MaxProofBytes
	MaxVKBytes    = verifier.MaxVKBytes
)
