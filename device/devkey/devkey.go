// Package devkey holds the public keys devices sign with and verifies their
// signatures: secp256k1 ECDSA (the curve of the secure elements DIMO's
// vehicle devices use), through decred's maintained secp256k1 library, and
// ed25519. It runs in consensus (pairing checks a device signature) and in
// the ingest worker (every reading is signed).
//
// A secp256k1 key is 33 bytes (compressed) and a signature is 64 bytes,
// R || S big-endian, over SHA-256 of the message, with S in the lower half
// of the group order so that no signature has a second valid encoding.
// An ed25519 key is 32 bytes and a signature 64 bytes over the message.
package devkey

import (
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	"github.com/decred/dcrd/dcrec/secp256k1/v4/ecdsa"
)

// Type names a device key algorithm.
type Type string

// The accepted key types.
const (
	Secp256k1 Type = "secp256k1"
	Ed25519   Type = "ed25519"
)

// SigSize is the size of a signature of either type.
const SigSize = 64

// ErrBadSignature is returned when a signature does not verify.
var ErrBadSignature = errors.New("device signature does not verify")

// CheckPub reports whether pub is a well-formed public key of type t.
func CheckPub(t Type, pub []byte) error {
	switch t {
	case Secp256k1:
		if len(pub) != secp256k1.PubKeyBytesLenCompressed {
			return fmt.Errorf("secp256k1 key must be %d bytes (compressed), got %d", secp256k1.PubKeyBytesLenCompressed, len(pub))
		}
		if _, err := secp256k1.ParsePubKey(pub); err != nil {
			return fmt.Errorf("secp256k1 key: %w", err)
		}
		return nil
	case Ed25519:
		if len(pub) != ed25519.PublicKeySize {
			return fmt.Errorf("ed25519 key must be %d bytes, got %d", ed25519.PublicKeySize, len(pub))
		}
		return nil
	default:
		return fmt.Errorf("unknown key type %q (want %s or %s)", t, Secp256k1, Ed25519)
	}
}

// Verify checks sig over msg by the key pub of type t.
func Verify(t Type, pub, msg, sig []byte) error {
	if len(sig) != SigSize {
		return fmt.Errorf("signature must be %d bytes, got %d: %w", SigSize, len(sig), ErrBadSignature)
	}
	switch t {
	case Secp256k1:
		pk, err := secp256k1.ParsePubKey(pub)
		if err != nil {
			return fmt.Errorf("secp256k1 key: %w", err)
		}
		var r, s secp256k1.ModNScalar
		if r.SetByteSlice(sig[:32]) || s.SetByteSlice(sig[32:]) || r.IsZero() || s.IsZero() {
			return fmt.Errorf("signature scalar out of range: %w", ErrBadSignature)
		}
		if s.IsOverHalfOrder() {
			return fmt.Errorf("signature S is not canonical (high): %w", ErrBadSignature)
		}
		h := sha256.Sum256(msg)
		if !ecdsa.NewSignature(&r, &s).Verify(h[:], pk) {
			return ErrBadSignature
		}
		return nil
	case Ed25519:
		if len(pub) != ed25519.PublicKeySize {
			return fmt.Errorf("ed25519 key must be %d bytes: %w", ed25519.PublicKeySize, ErrBadSignature)
		}
		if !ed25519.Verify(ed25519.PublicKey(pub), msg, sig) {
			return ErrBadSignature
		}
		return nil
	default:
		return fmt.Errorf("unknown key type %q", t)
	}
}

// Signer is a device's private key (held by the device; here for the
// simulator and tests).
type Signer struct {
	Type Type
	sec  *secp256k1.PrivateKey
	ed   ed25519.PrivateKey
}

// NewSecp256k1 returns a secp256k1 signer from a 32-byte seed.
func NewSecp256k1(seed [32]byte) *Signer {
	return &Signer{Type: Secp256k1, sec: secp256k1.PrivKeyFromBytes(seed[:])}
}

// NewEd25519 returns an ed25519 signer from a 32-byte seed.
func NewEd25519(seed [32]byte) *Signer {
	return &Signer{Type: Ed25519, ed: ed25519.NewKeyFromSeed(seed[:])}
}

// Pub returns the signer's public key in the encoding Verify takes.
func (s *Signer) Pub() []byte {
	if s.Type == Secp256k1 {
		return s.sec.PubKey().SerializeCompressed()
	}
	return append([]byte(nil), s.ed.Public().(ed25519.PublicKey)...)
}

// Sign signs msg (secp256k1: deterministic RFC 6979 nonces, low S).
func (s *Signer) Sign(msg []byte) []byte {
	if s.Type == Secp256k1 {
		h := sha256.Sum256(msg)
		sig := ecdsa.Sign(s.sec, h[:]) // decred normalizes S to the lower half
		r, ss := sig.R(), sig.S()
		out := make([]byte, 0, SigSize)
		rb, sb := r.Bytes(), ss.Bytes()
		out = append(out, rb[:]...)
		return append(out, sb[:]...)
	}
	return ed25519.Sign(s.ed, msg)
}
