package keys

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"

	"golang.org/x/crypto/chacha20poly1305"
	"golang.org/x/crypto/scrypt"

	"emergence/tx"
)

// envelopeVersion is the version of the key file format written by this
// package. Version 1:
//
//	{
//	  "version": 1,
//	  "name": "alice",
//	  "address": "emg1...",                  // bech32 of the public key, for people reading the file
//	  "pubkey": "<base64, 32 bytes>",
//	  "encryption": "xchacha20poly1305",     // or "none" (test backend)
//	  "kdf": {"name": "scrypt", "n": 32768, "r": 8, "p": 1, "salt": "<base64, 32 bytes>"},
//	  "nonce": "<base64, 24 bytes>",
//	  "ciphertext": "<base64, 32-byte ed25519 seed + 16-byte tag>",
//	  "private_key": "<base64, 32-byte ed25519 seed>"   // only with "none"
//	}
//
// The AEAD key is scrypt(passphrase, salt, n, r, p, 32). The associated data
// is "emergence-keyring-v1" 0x00 name 0x00 pubkey, so a ciphertext moved to
// another name or paired with another public key fails to open.
const envelopeVersion = 1

const (
	encNone     = "none"
	encXChaCha  = "xchacha20poly1305"
	kdfScrypt   = "scrypt"
	saltLen     = 32
	aeadKeyLen  = chacha20poly1305.KeySize
	maxScryptN  = 1 << 20
	maxScryptRP = 1 << 6
	// maxScryptMem bounds 128*n*r, scrypt's memory, for parameters read
	// from a file, so a crafted file cannot exhaust memory.
	maxScryptMem = 1 << 30
)

// scryptParams are the cost parameters of scrypt.
type scryptParams struct {
	N, R, P int
}

// defaultScrypt costs about 32 MiB and tens of milliseconds per key opened:
// the x/crypto/scrypt recommendation for interactive logins.
var defaultScrypt = scryptParams{N: 1 << 15, R: 8, P: 1}

type kdfParams struct {
	Name string `json:"name"`
	N    int    `json:"n"`
	R    int    `json:"r"`
	P    int    `json:"p"`
	Salt []byte `json:"salt"`
}

type envelope struct {
	Version    int        `json:"version"`
	Name       string     `json:"name"`
	Address    string     `json:"address"`
	PubKey     []byte     `json:"pubkey"`
	Encryption string     `json:"encryption"`
	KDF        *kdfParams `json:"kdf,omitempty"`
	Nonce      []byte     `json:"nonce,omitempty"`
	Ciphertext []byte     `json:"ciphertext,omitempty"`
	PrivateKey []byte     `json:"private_key,omitempty"`
}

func (e *envelope) sealed() bool { return e.Encryption == encXChaCha }

func (e *envelope) info() Info {
	pub := ed25519.PublicKey(bytes.Clone(e.PubKey))
	return Info{Name: e.Name, Address: tx.AddressFromPubKey(pub), PubKey: pub}
}

func (e *envelope) marshal() ([]byte, error) {
	b, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

func associatedData(name string, pub []byte) []byte {
	ad := make([]byte, 0, 32+len(name)+len(pub))
	ad = append(ad, "emergence-keyring-v1"...)
	ad = append(ad, 0)
	ad = append(ad, name...)
	ad = append(ad, 0)
	return append(ad, pub...)
}

func newEnvelope(info Info) *envelope {
	return &envelope{
		Version: envelopeVersion,
		Name:    info.Name,
		Address: info.Address.String(),
		PubKey:  bytes.Clone(info.PubKey),
	}
}

// plain returns the unencrypted envelope of the test backend.
func plain(info Info, seed []byte) *envelope {
	e := newEnvelope(info)
	e.Encryption = encNone
	e.PrivateKey = bytes.Clone(seed)
	return e
}

// seal encrypts seed under passphrase.
func seal(info Info, seed, passphrase []byte, p scryptParams) (*envelope, error) {
	if len(passphrase) == 0 {
		return nil, errors.New("empty passphrase")
	}
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return nil, fmt.Errorf("salt: %w", err)
	}
	key, err := scrypt.Key(passphrase, salt, p.N, p.R, p.P, aeadKeyLen)
	if err != nil {
		return nil, fmt.Errorf("scrypt: %w", err)
	}
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, fmt.Errorf("aead: %w", err)
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("nonce: %w", err)
	}
	e := newEnvelope(info)
	e.Encryption = encXChaCha
	e.KDF = &kdfParams{Name: kdfScrypt, N: p.N, R: p.R, P: p.P, Salt: salt}
	e.Nonce = nonce
	e.Ciphertext = aead.Seal(nil, nonce, seed, associatedData(info.Name, info.PubKey))
	return e, nil
}

// open decrypts the seed of a sealed envelope, or returns ErrWrongPassphrase.
func (e *envelope) open(passphrase []byte) ([]byte, error) {
	key, err := scrypt.Key(passphrase, e.KDF.Salt, e.KDF.N, e.KDF.R, e.KDF.P, aeadKeyLen)
	if err != nil {
		return nil, fmt.Errorf("scrypt: %w", err)
	}
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, fmt.Errorf("aead: %w", err)
	}
	seed, err := aead.Open(nil, e.Nonce, e.Ciphertext, associatedData(e.Name, e.PubKey))
	if err != nil {
		// Poly1305 cannot tell a wrong passphrase from a tampered file;
		// the passphrase is by far the likelier cause.
		return nil, ErrWrongPassphrase
	}
	return seed, nil
}

// parseEnvelope decodes a key file strictly and checks that its fields agree.
func parseEnvelope(data []byte) (*envelope, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var e envelope
	if err := dec.Decode(&e); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorruptKeyFile, err)
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrCorruptKeyFile, fmt.Sprintf(format, args...))
	}
	if e.Version != envelopeVersion {
		return nil, bad("format version %d, this build reads version %d", e.Version, envelopeVersion)
	}
	if len(e.PubKey) != ed25519.PublicKeySize {
		return nil, bad("public key is %d bytes, want %d", len(e.PubKey), ed25519.PublicKeySize)
	}
	if want := tx.AddressFromPubKey(e.PubKey).String(); e.Address != want {
		return nil, bad("address %s does not match public key (address %s)", e.Address, want)
	}
	switch e.Encryption {
	case encNone:
		if len(e.PrivateKey) != ed25519.SeedSize {
			return nil, bad("private key is %d bytes, want %d", len(e.PrivateKey), ed25519.SeedSize)
		}
	case encXChaCha:
		k := e.KDF
		if k == nil || k.Name != kdfScrypt {
			return nil, bad("missing or unknown kdf (want %q)", kdfScrypt)
		}
		if k.N < 2 || k.N > maxScryptN || k.N&(k.N-1) != 0 {
			return nil, bad("scrypt n=%d: want a power of two in [2, %d]", k.N, maxScryptN)
		}
		if k.R < 1 || k.R > maxScryptRP || k.P < 1 || k.P > maxScryptRP || 128*int64(k.N)*int64(k.R) > maxScryptMem {
			return nil, bad("scrypt r=%d p=%d out of range", k.R, k.P)
		}
		if len(k.Salt) < 16 {
			return nil, bad("salt is %d bytes, want at least 16", len(k.Salt))
		}
		if len(e.Nonce) != chacha20poly1305.NonceSizeX {
			return nil, bad("nonce is %d bytes, want %d", len(e.Nonce), chacha20poly1305.NonceSizeX)
		}
		if len(e.Ciphertext) != ed25519.SeedSize+chacha20poly1305.Overhead {
			return nil, bad("ciphertext is %d bytes, want %d", len(e.Ciphertext), ed25519.SeedSize+chacha20poly1305.Overhead)
		}
		if len(e.PrivateKey) != 0 {
			return nil, bad("encrypted key file also holds a clear private key")
		}
	default:
		return nil, bad("unknown encryption %q", e.Encryption)
	}
	return &e, nil
}
