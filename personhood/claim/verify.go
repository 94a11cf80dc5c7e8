package claim

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/consensys/gnark-crypto/ecc/bn254"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
)

// ProofSize is the encoded proof size: Ar (G1), Bs (G2), Krs (G1), compressed.
const ProofSize = bn254.SizeOfG1AffineCompressed*2 + bn254.SizeOfG2AffineCompressed

// VerifyingKeySize is the encoded size of the claim circuit's verifying key
// (4 public inputs, no commitments, compressed points).
const VerifyingKeySize = 3*bn254.SizeOfG1AffineCompressed + 3*bn254.SizeOfG2AffineCompressed + 4 + 5*bn254.SizeOfG1AffineCompressed + 4 + 4

// Errors of decoding and verification.
var (
	// ErrMalformedProof is returned by DecodeProof for bytes that are not a
	// proof: wrong length, points off the curve or outside the subgroup.
	ErrMalformedProof = errors.New("malformed claim proof")
	// ErrMalformedKey is returned by DecodeVerifyingKey for bytes that are not a key.
	ErrMalformedKey = errors.New("malformed verifying key")
	// ErrInvalidProof is returned by Verify when the proof does not verify.
	ErrInvalidProof = errors.New("invalid claim proof")
)

// guard runs f, turning a panic inside a library decoder into an error.
func guard(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("decoder panic: %v", r)
		}
	}()
	return f()
}

// EncodeProof returns the ProofSize-byte encoding of proof.
func EncodeProof(proof *groth16bn254.Proof) []byte {
	out := make([]byte, 0, ProofSize)
	ar, bs, krs := proof.Ar.Bytes(), proof.Bs.Bytes(), proof.Krs.Bytes()
	out = append(out, ar[:]...)
	out = append(out, bs[:]...)
	return append(out, krs[:]...)
}

// DecodeProof parses an encoded proof. It never panics: any input that is
// not exactly ProofSize bytes of valid subgroup points gives ErrMalformedProof.
func DecodeProof(b []byte) (*groth16bn254.Proof, error) {
	if len(b) != ProofSize {
		return nil, fmt.Errorf("proof is %d bytes, want %d: %w", len(b), ProofSize, ErrMalformedProof)
	}
	p := new(groth16bn254.Proof)
	const g1, g2 = bn254.SizeOfG1AffineCompressed, bn254.SizeOfG2AffineCompressed
	err := guard(func() error {
		if n, err := p.Ar.SetBytes(b[:g1]); err != nil || n != g1 {
			return fmt.Errorf("Ar: %v", err)
		}
		if n, err := p.Bs.SetBytes(b[g1 : g1+g2]); err != nil || n != g2 {
			return fmt.Errorf("Bs: %v", err)
		}
		if n, err := p.Krs.SetBytes(b[g1+g2:]); err != nil || n != g1 {
			return fmt.Errorf("Krs: %v", err)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformedProof, err)
	}
	return p, nil
}

// Verifier checks claim proofs against one verifying key.
type Verifier struct {
	vk *groth16bn254.VerifyingKey
}

// EncodeVerifyingKey returns the verifying key bytes (VerifyingKeySize long).
func (v *Verifier) EncodeVerifyingKey() ([]byte, error) {
	var buf bytes.Buffer
	if _, err := v.vk.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("write verifying key: %w", err)
	}
	return buf.Bytes(), nil
}

// Offsets of the length prefixes in an encoded claim key: six compressed
// base points, then len(K), five K points, the committed-index lists and
// the commitment-key count (gnark v0.14's layout).
const (
	vkOffK         = 3*bn254.SizeOfG1AffineCompressed + 3*bn254.SizeOfG2AffineCompressed
	vkOffCommitted = vkOffK + 4 + 5*bn254.SizeOfG1AffineCompressed
	vkOffCommitKey = vkOffCommitted + 4
)

// checkKeyLayout checks, without allocating, that b has the claim key's
// exact layout: every point compressed and every length prefix what the
// circuit has (5 K points, no commitments). gnark's decoder trusts the
// prefixes, so a 460-byte key declaring 2^32 committed indexes made it try
// to allocate 51 GB (found by FuzzDecodeVerifyingKey).
func checkKeyLayout(b []byte) error {
	const g1, g2 = bn254.SizeOfG1AffineCompressed, bn254.SizeOfG2AffineCompressed
	points := []int{0, g1, 2 * g1, 2*g1 + g2, 2*g1 + 2*g2, 3*g1 + 2*g2}
	for i := 0; i < 5; i++ {
		points = append(points, vkOffK+4+i*g1)
	}
	for _, off := range points {
		// The two top bits are 00 only for an uncompressed point.
		if b[off]>>6 == 0 {
			return fmt.Errorf("point at byte %d is not compressed", off)
		}
	}
	for _, f := range []struct {
		off  int
		want uint32
	}{{vkOffK, 5}, {vkOffCommitted, 0}, {vkOffCommitKey, 0}} {
		if got := binary.BigEndian.Uint32(b[f.off:]); got != f.want {
			return fmt.Errorf("length prefix at byte %d is %d, the claim circuit's is %d", f.off, got, f.want)
		}
	}
	return nil
}

// DecodeVerifyingKey parses a key written by EncodeVerifyingKey. It never
// panics and checks the exact length and every length prefix before
// decoding, so a hostile prefix cannot make it allocate.
func DecodeVerifyingKey(b []byte) (*Verifier, error) {
	if len(b) != VerifyingKeySize {
		return nil, fmt.Errorf("key is %d bytes, want %d: %w", len(b), VerifyingKeySize, ErrMalformedKey)
	}
	if err := checkKeyLayout(b); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformedKey, err)
	}
	vk := new(groth16bn254.VerifyingKey)
	var n int64
	err := guard(func() error {
		var err error
		n, err = vk.ReadFrom(bytes.NewReader(b))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformedKey, err)
	}
	if n != int64(len(b)) || len(vk.G1.K) != 5 || len(vk.CommitmentKeys) != 0 || len(vk.PublicAndCommitmentCommitted) != 0 {
		return nil, fmt.Errorf("not a claim circuit key: %w", ErrMalformedKey)
	}
	return &Verifier{vk: vk}, nil
}

// Verify checks an encoded proof against the public inputs. It returns
// ErrMalformedProof for undecodable bytes and ErrInvalidProof when the proof
// does not verify; it never panics.
func (v *Verifier) Verify(proof []byte, pub PublicInputs) error {
	p, err := DecodeProof(proof)
	if err != nil {
		return err
	}
	err = guard(func() error { return groth16bn254.Verify(p, v.vk, pub.vector()) })
	if err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidProof, err)
	}
	return nil
}
