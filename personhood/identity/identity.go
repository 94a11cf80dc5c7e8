// Package identity is a person's World ID style identity: a random secret
// from which a trapdoor and an identity nullifier are derived as in
// Semaphore v3 (semaphore-rs identity.rs), and the public identity
// commitment that an enrolment operator puts into the chain's Merkle tree.
//
// Hashes, all with package poseidon (Poseidon2 compression, BN254):
//
//	commitment     = H(nullifier, trapdoor)
//	nullifier hash = H(external nullifier, nullifier)
//
// External nullifiers and signals are field elements: HashToField is
// keccak256 >> 8 as in Semaphore; ExternalNullifier(app, action) =
// HashToField(HashToField(app) || action). The UBI module uses app
// "emergence/ubi" with the epoch number as action, so each epoch gives a
// person one fresh, unlinkable nullifier hash. The secret is kept encrypted
// at rest with package sealbox (Encode/Decode).
package identity

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"golang.org/x/crypto/sha3"

	"emergence/personhood/poseidon"
	"emergence/personhood/sealbox"
)

// SecretSize is the length of an identity secret.
const SecretSize = 32

// UBIApp is the application id of the UBI grant's external nullifiers.
const UBIApp = "emergence/ubi"

// ErrMalformed is returned by Decode for bytes that are not an identity file.
var ErrMalformed = errors.New("malformed identity file")

// ErrPassphraseRequired is returned by Decode for an encrypted file and no passphrase.
var ErrPassphraseRequired = errors.New("identity file is encrypted: passphrase required")

// Identity is a person's secret identity. Keep it private: anyone holding it
// can claim as this person.
type Identity struct {
	Secret    [SecretSize]byte
	Trapdoor  fr.Element
	Nullifier fr.Element
}

// New returns a fresh identity from crypto/rand.
//
//determinism:ok offline: a holder creates an identity; handlers only recompute commitments
func New() (*Identity, error) {
	var s [SecretSize]byte
	if _, err := rand.Read(s[:]); err != nil {
		return nil, fmt.Errorf("read random secret: %w", err)
	}
	return FromSecret(s), nil
}

// FromSecret derives the identity of secret:
// seed = hex(SHA256(secret)), trapdoor = SHA256(seed || "identity_trapdoor") mod r,
// nullifier = SHA256(seed || "identity_nullifier") mod r.
func FromSecret(secret [SecretSize]byte) *Identity {
	sum := sha256.Sum256(secret[:])
	seed := []byte(hex.EncodeToString(sum[:]))
	derive := func(label string) fr.Element {
		h := sha256.Sum256(append(append([]byte{}, seed...), label...))
		var e fr.Element
		e.SetBigInt(new(big.Int).SetBytes(h[:])) // SetBigInt reduces mod r
		return e
	}
	return &Identity{Secret: secret, Trapdoor: derive("identity_trapdoor"), Nullifier: derive("identity_nullifier")}
}

// Commitment returns the public identity commitment H(nullifier, trapdoor).
func (id *Identity) Commitment() fr.Element {
	return poseidon.Hash(id.Nullifier, id.Trapdoor)
}

// NullifierHash returns H(externalNullifier, nullifier).
func (id *Identity) NullifierHash(externalNullifier fr.Element) fr.Element {
	return NullifierHash(externalNullifier, id.Nullifier)
}

// NullifierHash returns H(externalNullifier, identityNullifier).
func NullifierHash(externalNullifier, identityNullifier fr.Element) fr.Element {
	return poseidon.Hash(externalNullifier, identityNullifier)
}

// HashToField returns keccak256(b) >> 8 as a field element (always < r).
func HashToField(b []byte) fr.Element {
	h := sha3.NewLegacyKeccak256()
	h.Write(b)
	sum := h.Sum(nil)
	var shifted [32]byte
	copy(shifted[1:], sum[:31])
	var e fr.Element
	e.SetBytes(shifted[:])
	return e
}

// ExternalNullifier returns HashToField(HashToField(app) || action).
func ExternalNullifier(app string, action []byte) fr.Element {
	a := HashToField([]byte(app))
	ab := a.Bytes()
	return HashToField(append(ab[:], action...))
}

// EpochExternalNullifier is the UBI external nullifier of epoch.
func EpochExternalNullifier(epoch uint64) fr.Element {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], epoch)
	return ExternalNullifier(UBIApp, b[:])
}

// AppExternalNullifier is the external nullifier a module uses to ask "is
// this account one human?". It depends on the app only, so a person has one
// nullifier hash per app (a second account of the same person collides with
// the first), unlinkable to their UBI claims and to other apps; the account
// is bound to the proof as its signal.
func AppExternalNullifier(app string) fr.Element {
	return ExternalNullifier(app, nil)
}

// Signal returns the field element a proof binds: the big-endian integer of
// the recipient address bytes (an Emergence address is 20 bytes, far below r).
func Signal(address []byte) (fr.Element, error) {
	if len(address) == 0 || len(address) > 31 {
		return fr.Element{}, fmt.Errorf("signal address of %d bytes, want 1..31", len(address))
	}
	var e fr.Element
	e.SetBigInt(new(big.Int).SetBytes(address))
	return e, nil
}

// file is the on-disk form of an identity.
type file struct {
	Version    int    `json:"version"`
	Commitment string `json:"commitment"`
	// Exactly one of Secret (hex, unencrypted) and Sealed (sealbox blob, hex) is set.
	Secret string `json:"secret,omitempty"`
	Sealed string `json:"sealed,omitempty"`
}

// CommitmentString formats a field element as a decimal string.
func CommitmentString(e fr.Element) string {
	var b big.Int
	return e.BigInt(&b).String()
}

// Encode serialises id as JSON. With a non-empty passphrase the secret is
// sealed (Argon2id + XChaCha20-Poly1305); with none it is stored in hex.
// The commitment is always readable.
func (id *Identity) Encode(passphrase []byte) ([]byte, error) {
	f := file{Version: 1, Commitment: CommitmentString(id.Commitment())}
	if len(passphrase) == 0 {
		f.Secret = hex.EncodeToString(id.Secret[:])
	} else {
		blob, err := sealbox.Seal(passphrase, id.Secret[:])
		if err != nil {
			return nil, fmt.Errorf("seal identity: %w", err)
		}
		f.Sealed = hex.EncodeToString(blob)
	}
	out, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode identity: %w", err)
	}
	return append(out, '\n'), nil
}

// Encrypted reports whether data is an identity file with a sealed secret.
func Encrypted(data []byte) bool {
	var f file
	return json.Unmarshal(data, &f) == nil && f.Sealed != ""
}

// Decode reads what Encode wrote; passphrase is needed for a sealed secret.
// It checks the stored commitment against the secret.
func Decode(data, passphrase []byte) (*Identity, error) {
	var f file
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if f.Version != 1 || (f.Secret == "") == (f.Sealed == "") {
		return nil, fmt.Errorf("version %d, one secret form required: %w", f.Version, ErrMalformed)
	}
	var raw []byte
	var err error
	if f.Secret != "" {
		if raw, err = hex.DecodeString(f.Secret); err != nil {
			return nil, fmt.Errorf("secret hex: %w", ErrMalformed)
		}
	} else {
		if len(passphrase) == 0 {
			return nil, ErrPassphraseRequired
		}
		blob, err := hex.DecodeString(f.Sealed)
		if err != nil {
			return nil, fmt.Errorf("sealed hex: %w", ErrMalformed)
		}
		if raw, err = sealbox.Open(passphrase, blob); err != nil {
			return nil, fmt.Errorf("open identity: %w", err)
		}
	}
	if len(raw) != SecretSize {
		return nil, fmt.Errorf("secret of %d bytes: %w", len(raw), ErrMalformed)
	}
	var s [SecretSize]byte
	copy(s[:], raw)
	id := FromSecret(s)
	if CommitmentString(id.Commitment()) != f.Commitment {
		return nil, fmt.Errorf("stored commitment does not match the secret: %w", ErrMalformed)
	}
	return id, nil
}

// PublicCommitment returns the decimal commitment stored in an identity
// file without decrypting the secret.
func PublicCommitment(data []byte) (string, error) {
	var f file
	if err := json.Unmarshal(data, &f); err != nil || f.Version != 1 || f.Commitment == "" {
		return "", ErrMalformed
	}
	return f.Commitment, nil
}
