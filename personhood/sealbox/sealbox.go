// Package sealbox encrypts personhood secrets at rest: identity secrets and
// iris templates. A passphrase is stretched with Argon2id into a 256-bit key
// and data is sealed with XChaCha20-Poly1305 under a random 24-byte nonce.
//
// Seal/Open handle one self-contained blob (salt + nonce + ciphertext). Key
// is for many records under one passphrase (a template store), where running
// Argon2id per record would be too slow: derive once, seal each record with
// its own nonce and bind its position with additional data.
package sealbox

import (
	"crypto/rand"
	"errors"
	"fmt"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/chacha20poly1305"
)

// Argon2id cost parameters (RFC 9106 second recommended option, 64 MiB).
const (
	argonTime    = 3
	argonMemory  = 64 * 1024
	argonThreads = 2
	// SaltSize is the length of the random Argon2id salt.
	SaltSize = 16
	// Overhead is the number of bytes Key.Seal adds to a plaintext.
	Overhead = chacha20poly1305.NonceSizeX + chacha20poly1305.Overhead
)

var magic = []byte("emgseal1")

// ErrDecrypt is returned when a sealed blob fails authentication: wrong
// passphrase, wrong additional data or tampered bytes.
var ErrDecrypt = errors.New("decryption failed: wrong passphrase or corrupted data")

// ErrMalformed is returned for input too short or without the sealbox header.
var ErrMalformed = errors.New("malformed sealed data")

// Key is a derived XChaCha20-Poly1305 key.
type Key struct{ k [32]byte }

// DeriveKey stretches passphrase with Argon2id and salt.
func DeriveKey(passphrase, salt []byte) *Key {
	var k Key
	copy(k.k[:], argon2.IDKey(passphrase, salt, argonTime, argonMemory, argonThreads, 32))
	return &k
}

// NewSalt returns SaltSize random bytes.
//
//determinism:ok offline: salts for sealing local files
func NewSalt() ([]byte, error) {
	s := make([]byte, SaltSize)
	if _, err := rand.Read(s); err != nil {
		return nil, fmt.Errorf("read random salt: %w", err)
	}
	return s, nil
}

// Seal encrypts plaintext bound to ad; the result is nonce || ciphertext.
//
//determinism:ok offline: random nonces for sealing local files
func (k *Key) Seal(plaintext, ad []byte) ([]byte, error) {
	aead, err := chacha20poly1305.NewX(k.k[:])
	if err != nil {
		return nil, fmt.Errorf("init cipher: %w", err)
	}
	out := make([]byte, chacha20poly1305.NonceSizeX, chacha20poly1305.NonceSizeX+len(plaintext)+chacha20poly1305.Overhead)
	if _, err := rand.Read(out); err != nil {
		return nil, fmt.Errorf("read random nonce: %w", err)
	}
	return aead.Seal(out, out, plaintext, ad), nil
}

// Open decrypts what Seal produced with the same ad.
func (k *Key) Open(sealed, ad []byte) ([]byte, error) {
	if len(sealed) < Overhead {
		return nil, ErrMalformed
	}
	aead, err := chacha20poly1305.NewX(k.k[:])
	if err != nil {
		return nil, fmt.Errorf("init cipher: %w", err)
	}
	pt, err := aead.Open(nil, sealed[:chacha20poly1305.NonceSizeX], sealed[chacha20poly1305.NonceSizeX:], ad)
	if err != nil {
		return nil, ErrDecrypt
	}
	return pt, nil
}

// Seal encrypts plaintext under passphrase; the blob carries its own salt.
func Seal(passphrase, plaintext []byte) ([]byte, error) {
	salt, err := NewSalt()
	if err != nil {
		return nil, err
	}
	ct, err := DeriveKey(passphrase, salt).Seal(plaintext, magic)
	if err != nil {
		return nil, err
	}
	out := append(append(append([]byte{}, magic...), salt...), ct...)
	return out, nil
}

// Open decrypts a blob made by Seal.
func Open(passphrase, blob []byte) ([]byte, error) {
	if len(blob) < len(magic)+SaltSize+Overhead || string(blob[:len(magic)]) != string(magic) {
		return nil, ErrMalformed
	}
	salt := blob[len(magic) : len(magic)+SaltSize]
	return DeriveKey(passphrase, salt).Open(blob[len(magic)+SaltSize:], magic)
}
