// Package verifier decodes and verifies Emergence zkML proofs (gnark v0.14
// Groth16 over BN254) defensively: size limits, exact lengths, curve and
// subgroup checks, commitment counts and public-input ranges are checked
// before gnark sees the data, and every call is guarded by recover, so
// malformed input yields an error, never a panic. It is deterministic and
// is what the chain's zkml module calls in FinalizeBlock.
package verifier

import (
	"bytes"
	"errors"
	"fmt"
	"math/big"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"

	"emergence/zkml/statement"
)

// Limits on what a verifier reads. A Groth16 proof over BN254 with one
// commitment is 196 bytes compressed (388 raw); a verifying key with a few
// public inputs and one commitment is well under 2 KiB.
const (
	MaxProofBytes = 1024
	MaxVKBytes    = 16 << 10
	// MaxPublics bounds the number of public inputs a key may declare.
	MaxPublics = 16
)

// Key is a decoded and checked verifying key (from DecodeVK).
type Key = groth16bn254.VerifyingKey

// Errors of Verify, tested with errors.Is.
var (
	ErrMalformedKey   = errors.New("malformed verifying key")
	ErrMalformedProof = errors.New("malformed proof")
	ErrPublicInputs   = errors.New("public inputs do not match the key")
	ErrInvalidProof   = errors.New("proof does not verify")
)

// DecodeVK decodes and checks a serialized verifying key: size limit, a
// structural scan that bounds every declared length before anything is
// allocated, exact length, points on the curve and in the right subgroups (checked by the
// decoder), and a consistent commitment layout. It never panics.
func DecodeVK(b []byte) (vk *groth16bn254.VerifyingKey, err error) {
	defer func() {
		if r := recover(); r != nil {
			vk, err = nil, fmt.Errorf("%w: decoder panic: %v", ErrMalformedKey, r)
		}
	}()
	if len(b) == 0 || len(b) > MaxVKBytes {
		return nil, fmt.Errorf("%w: %d bytes (limit %d)", ErrMalformedKey, len(b), MaxVKBytes)
	}
	if err := scanVK(b); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformedKey, err)
	}
	// ReadFrom (unlike UnsafeReadFrom) checks that every point is on the
	// curve and in the prime-order subgroup (TestDecodeVKSubgroup pins it).
	vk = new(groth16bn254.VerifyingKey)
	n, err := vk.ReadFrom(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformedKey, err)
	}
	if n != int64(len(b)) {
		return nil, fmt.Errorf("%w: %d trailing bytes", ErrMalformedKey, int64(len(b))-n)
	}
	nbCommit := len(vk.PublicAndCommitmentCommitted)
	if len(vk.CommitmentKeys) != nbCommit {
		return nil, fmt.Errorf("%w: %d commitment keys for %d commitments", ErrMalformedKey, len(vk.CommitmentKeys), nbCommit)
	}
	nbPublic := len(vk.G1.K) - nbCommit
	if nbPublic < 1 || nbPublic-1 > MaxPublics {
		return nil, fmt.Errorf("%w: %d public inputs", ErrMalformedKey, nbPublic-1)
	}
	for _, s := range vk.PublicAndCommitmentCommitted {
		for _, idx := range s {
			if idx < 0 || idx >= nbPublic+nbCommit {
				return nil, fmt.Errorf("%w: committed index %d out of range", ErrMalformedKey, idx)
			}
		}
	}
	return vk, nil
}

// DecodeProof decodes and checks a serialized proof against a key: size
// limit, a structural scan bounding the declared commitment count, exact length, number of commitments, every point on the curve and
// in its subgroup. It never panics.
func DecodeProof(b []byte, vk *groth16bn254.VerifyingKey) (p *groth16bn254.Proof, err error) {
	defer func() {
		if r := recover(); r != nil {
			p, err = nil, fmt.Errorf("%w: decoder panic: %v", ErrMalformedProof, r)
		}
	}()
	if len(b) == 0 || len(b) > MaxProofBytes {
		return nil, fmt.Errorf("%w: %d bytes (limit %d)", ErrMalformedProof, len(b), MaxProofBytes)
	}
	if err := scanProof(b); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformedProof, err)
	}
	// ReadFrom checks that every point is on the curve and in the
	// prime-order subgroup (the module tests pin it with an off-curve and a
	// wrong-subgroup proof).
	p = new(groth16bn254.Proof)
	n, err := p.ReadFrom(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformedProof, err)
	}
	if n != int64(len(b)) {
		return nil, fmt.Errorf("%w: %d trailing bytes", ErrMalformedProof, int64(len(b))-n)
	}
	if len(p.Commitments) != len(vk.PublicAndCommitmentCommitted) {
		return nil, fmt.Errorf("%w: %d commitments, key expects %d", ErrMalformedProof, len(p.Commitments), len(vk.PublicAndCommitmentCommitted))
	}
	return p, nil
}

// Verify checks a serialized proof against a serialized verifying key and
// public inputs. Malformed input yields ErrMalformedKey, ErrMalformedProof
// or ErrPublicInputs; a well-formed proof that fails yields ErrInvalidProof.
// It never panics.
func Verify(vkBytes, proofBytes []byte, publics []*big.Int) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: verifier panic: %v", ErrInvalidProof, r)
		}
	}()
	vk, err := DecodeVK(vkBytes)
	if err != nil {
		return err
	}
	return VerifyDecoded(vk, proofBytes, publics)
}

// VerifyDecoded is Verify with an already decoded (and checked) key, for
// callers that cache keys.
func VerifyDecoded(vk *groth16bn254.VerifyingKey, proofBytes []byte, publics []*big.Int) error {
	_, err := VerifyProof(vk, proofBytes, publics)
	return err
}

// VerifyProof is VerifyDecoded that also returns the decoded proof, whose
// commitments a caller may compare.
func VerifyProof(vk *groth16bn254.VerifyingKey, proofBytes []byte, publics []*big.Int) (p *groth16bn254.Proof, err error) {
	defer func() {
		if r := recover(); r != nil {
			p, err = nil, fmt.Errorf("%w: verifier panic: %v", ErrInvalidProof, r)
		}
	}()
	p, err = DecodeProof(proofBytes, vk)
	if err != nil {
		return nil, err
	}
	nbPublic := len(vk.G1.K) - len(vk.PublicAndCommitmentCommitted) - 1
	if len(publics) != nbPublic {
		return nil, fmt.Errorf("%w: %d public inputs, key expects %d", ErrPublicInputs, len(publics), nbPublic)
	}
	w := make(fr.Vector, len(publics))
	for i, v := range publics {
		if v == nil || v.Sign() < 0 || v.Cmp(fr.Modulus()) >= 0 {
			return nil, fmt.Errorf("%w: public input %d is not a field element", ErrPublicInputs, i)
		}
		w[i].SetBigInt(v)
	}
	if err := groth16bn254.Verify(p, vk, w); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidProof, err)
	}
	return p, nil
}

// ParseElement parses a 0x-prefixed hex field element (up to 64 digits),
// rejecting values not below the BN254 scalar modulus (statement.ParseElement).
func ParseElement(h string) (*big.Int, error) { return statement.ParseElement(h) }

// HexElement formats a field element as 0x + 64 hex digits (statement.HexElement).
func HexElement(v *big.Int) string { return statement.HexElement(v) }

// NumPublics returns the number of public inputs a decoded key expects.
func NumPublics(vk *groth16bn254.VerifyingKey) int {
	return len(vk.G1.K) - len(vk.PublicAndCommitmentCommitted) - 1
}
