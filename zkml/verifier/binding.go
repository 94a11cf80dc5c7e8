package verifier

import (
	"errors"
	"fmt"
	"math/big"

	curve "github.com/consensys/gnark-crypto/ecc/bn254"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
)

// A binding ties a model's MiMC commitment C to the Pedersen commitment E
// that every inference proof of the model carries (the first commitment of
// the inference circuit, over the packed parameters and the model's fixed
// mask). It is checked once per model and inference key:
//
//  1. a Groth16 proof of the link circuit opens C and carries D, a Pedersen
//     commitment to the same parameters in the link circuit's basis;
//  2. a one-element QA-NIZK (Kiltz–Wee, SXDH instance) shows that D and E
//     commit to the same parameters: with the binding key's columns
//     P_k = k1·L_k + k2·I_k, the prover sends π = Σ v_k·P_k, and
//     e(D, [k1]₂)·e(E, [k2]₂) = e(π, g₂).
//
// After that, an inference proof is about the model C exactly when its
// commitment equals E.

// BindingVKSize is the size of an encoded binding verifying key: two
// compressed G2 points.
const BindingVKSize = 2 * curve.SizeOfG2AffineCompressed

// BindingVK is the verifying half of a binding key: [k1]₂ and [k2]₂.
type BindingVK struct {
	K1, K2 curve.G2Affine
}

// Errors of the binding checks.
var (
	ErrMalformedBinding = errors.New("malformed binding")
	ErrInvalidBinding   = errors.New("binding does not verify")
)

// Bytes encodes the key (compressed points).
func (k *BindingVK) Bytes() []byte {
	a, b := k.K1.Bytes(), k.K2.Bytes()
	return append(a[:], b[:]...)
}

// DecodeBindingVK decodes a binding verifying key: exact length, points on
// the curve, in the prime-order subgroup and not the identity. It never
// panics.
func DecodeBindingVK(b []byte) (k *BindingVK, err error) {
	defer func() {
		if r := recover(); r != nil {
			k, err = nil, fmt.Errorf("%w: decoder panic: %v", ErrMalformedKey, r)
		}
	}()
	if len(b) != BindingVKSize {
		return nil, fmt.Errorf("%w: binding key is %d bytes, want %d", ErrMalformedKey, len(b), BindingVKSize)
	}
	k = new(BindingVK)
	half := curve.SizeOfG2AffineCompressed
	for i, p := range []*curve.G2Affine{&k.K1, &k.K2} {
		if _, err := p.SetBytes(b[i*half : (i+1)*half]); err != nil {
			return nil, fmt.Errorf("%w: binding key point %d: %v", ErrMalformedKey, i, err)
		}
		if p.IsInfinity() || !p.IsInSubGroup() {
			return nil, fmt.Errorf("%w: binding key point %d is not a subgroup generator", ErrMalformedKey, i)
		}
	}
	return k, nil
}

// DecodeG1 decodes one compressed G1 point that must not be the identity.
func DecodeG1(b []byte) (p curve.G1Affine, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: decoder panic: %v", ErrMalformedBinding, r)
		}
	}()
	if len(b) != curve.SizeOfG1AffineCompressed {
		return p, fmt.Errorf("%w: point is %d bytes, want %d", ErrMalformedBinding, len(b), curve.SizeOfG1AffineCompressed)
	}
	if _, err := p.SetBytes(b); err != nil {
		return p, fmt.Errorf("%w: %v", ErrMalformedBinding, err)
	}
	if p.IsInfinity() || !p.IsOnCurve() || !p.IsInSubGroup() {
		return p, fmt.Errorf("%w: point is the identity or off the subgroup", ErrMalformedBinding)
	}
	return p, nil
}

// VerifyBinding checks a binding: linkProof is a proof of the link circuit
// (verifying key linkVK) with public inputs (model commitment, submitter),
// binding is E, pi is the QA-NIZK. It never panics.
func VerifyBinding(linkVK *groth16bn254.VerifyingKey, bvk *BindingVK, linkProof []byte, linkPublics []*big.Int, binding, pi []byte) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: verifier panic: %v", ErrInvalidBinding, r)
		}
	}()
	p, err := VerifyProof(linkVK, linkProof, linkPublics)
	if err != nil {
		return err
	}
	if len(p.Commitments) == 0 {
		return fmt.Errorf("%w: the link proof carries no commitment", ErrMalformedProof)
	}
	e, err := DecodeG1(binding)
	if err != nil {
		return err
	}
	q, err := DecodeG1(pi)
	if err != nil {
		return err
	}
	var negQ curve.G1Affine
	negQ.Neg(&q)
	_, _, _, g2 := curve.Generators()
	ok, err := curve.PairingCheck([]curve.G1Affine{p.Commitments[0], e, negQ}, []curve.G2Affine{bvk.K1, bvk.K2, g2})
	if err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidBinding, err)
	}
	if !ok {
		return fmt.Errorf("%w: the link proof and the binding commit to different parameters", ErrInvalidBinding)
	}
	return nil
}

// VerifyBound verifies an inference proof and checks that its first
// commitment (the parameters'; the range checker's is the second) is the
// model's binding E. It never panics.
func VerifyBound(vk *groth16bn254.VerifyingKey, proof []byte, publics []*big.Int, binding []byte) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: verifier panic: %v", ErrInvalidProof, r)
		}
	}()
	p, err := VerifyProof(vk, proof, publics)
	if err != nil {
		return err
	}
	if len(p.Commitments) == 0 {
		return fmt.Errorf("%w: an inference proof carries a commitment to the model, this one none", ErrMalformedProof)
	}
	e, err := DecodeG1(binding)
	if err != nil {
		return err
	}
	if !p.Commitments[0].Equal(&e) {
		return fmt.Errorf("%w: the proof is about other parameters than the model's binding", ErrInvalidProof)
	}
	return nil
}
