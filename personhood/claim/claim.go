// Package claim is the Semaphore-style membership circuit behind UBI claims
// and "one human per account" checks, as a gnark v0.14 Groth16 circuit on
// BN254, with its prover, verifier and strict proof/key encodings.
//
// The circuit proves, without revealing which leaf:
//
//	commitment = H(identityNullifier, identityTrapdoor) is a leaf under Root,
//	NullifierHash = H(ExternalNullifier, identityNullifier),
//
// and binds SignalHash (the recipient address as a field element) with a
// signal*signal constraint, so a proof copied from the mempool cannot be
// redirected to another recipient. Public inputs, in the verifier's order:
// [Root, NullifierHash, SignalHash, ExternalNullifier] (Semaphore v3 order).
// H is Poseidon2 (package poseidon) computed with gnark's
// std/permutation/poseidon2 on the same parameters.
//
// Groth16 proofs are malleable: deduplicate claims on NullifierHash, never
// on proof bytes.
package claim

import (
	"fmt"

	"github.com/consensys/gnark/frontend"
	stdposeidon2 "github.com/consensys/gnark/std/permutation/poseidon2"

	"emergence/personhood/poseidon"
)

// Circuit is the claim statement for a tree of len(Siblings) levels.
type Circuit struct {
	Root              frontend.Variable `gnark:",public"`
	NullifierHash     frontend.Variable `gnark:",public"`
	SignalHash        frontend.Variable `gnark:",public"`
	ExternalNullifier frontend.Variable `gnark:",public"`

	IdentityNullifier frontend.Variable
	IdentityTrapdoor  frontend.Variable
	// PathIndices[i] is 1 when the node at height i is a right child.
	PathIndices []frontend.Variable
	Siblings    []frontend.Variable
}

// NewCircuit returns an unassigned circuit of the given depth, for compiling.
func NewCircuit(depth int) *Circuit {
	return &Circuit{PathIndices: make([]frontend.Variable, depth), Siblings: make([]frontend.Variable, depth)}
}

// Define implements frontend.Circuit.
func (c *Circuit) Define(api frontend.API) error {
	if len(c.PathIndices) != len(c.Siblings) {
		return fmt.Errorf("claim circuit: %d path indices, %d siblings", len(c.PathIndices), len(c.Siblings))
	}
	h, err := stdposeidon2.NewPoseidon2FromParameters(api, poseidon.Width, poseidon.FullRounds, poseidon.PartialRounds)
	if err != nil {
		return fmt.Errorf("claim circuit: poseidon2: %w", err)
	}
	cur := h.Compress(c.IdentityNullifier, c.IdentityTrapdoor)
	for i := range c.Siblings {
		bit := c.PathIndices[i]
		api.AssertIsBoolean(bit)
		// One constraint per level: d = bit*(sibling-cur); left = cur+d, right = sibling-d.
		d := api.Mul(bit, api.Sub(c.Siblings[i], cur))
		left := api.Add(cur, d)
		right := api.Sub(c.Siblings[i], d)
		cur = h.Compress(left, right)
	}
	api.AssertIsEqual(cur, c.Root)
	api.AssertIsEqual(h.Compress(c.ExternalNullifier, c.IdentityNullifier), c.NullifierHash)
	// Bind the signal: a public input that takes part in no constraint is not
	// checked by the Groth16 verifier. The r1cs builder records this product
	// as a constraint (signal * signal = s) when Mul is called.
	_ = api.Mul(c.SignalHash, c.SignalHash)
	return nil
}
