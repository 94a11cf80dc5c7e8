// Package keyfile keeps a device's private key in a file: the key type and
// its 32-byte seed as JSON, readable only by its owner. Real devices keep
// their key in a secure element; the file stands in for it in the
// simulator and for a maker provisioning and pairing from the command line.
package keyfile

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"emergence/device"
	"emergence/device/devkey"
)

// File is a device key file's content.
type File struct {
	Type devkey.Type `json:"type"`
	Seed string      `json:"seed"` // hex, 32 bytes
	// PubKey and ID are written for the reader's convenience; Load derives
	// them again from the seed and refuses a file where they differ.
	PubKey string `json:"pub_key"`
	ID     string `json:"id"`
}

// ErrExists is returned by Generate when the file already exists.
var ErrExists = errors.New("device key file already exists")

// Signer returns the seed's signer of type t.
func Signer(t devkey.Type, seed [32]byte) (*devkey.Signer, error) {
	switch t {
	case devkey.Secp256k1:
		return devkey.NewSecp256k1(seed), nil
	case devkey.Ed25519:
		return devkey.NewEd25519(seed), nil
	}
	return nil, fmt.Errorf("unknown key type %q (want %s or %s)", t, devkey.Secp256k1, devkey.Ed25519)
}

// Generate writes a new random key of type t to path (mode 0600) and
// returns its signer and device id. It never overwrites a file.
func Generate(path string, t devkey.Type) (*devkey.Signer, string, error) {
	var seed [32]byte
	if _, err := rand.Read(seed[:]); err != nil {
		return nil, "", fmt.Errorf("device key seed: %w", err)
	}
	s, err := Signer(t, seed)
	if err != nil {
		return nil, "", err
	}
	id := device.DeviceID(s.Type, s.Pub())
	b, err := json.MarshalIndent(File{Type: t, Seed: hex.EncodeToString(seed[:]), PubKey: hex.EncodeToString(s.Pub()), ID: id}, "", "  ")
	if err != nil {
		return nil, "", fmt.Errorf("encode device key: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return nil, "", fmt.Errorf("%s: %w", path, ErrExists)
	}
	if err != nil {
		return nil, "", fmt.Errorf("create device key file: %w", err)
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return nil, "", fmt.Errorf("write device key file: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, "", fmt.Errorf("write device key file: %w", err)
	}
	return s, id, nil
}

// Load reads a device key file and returns its signer and device id.
func Load(path string) (*devkey.Signer, string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, "", fmt.Errorf("read device key file: %w", err)
	}
	var f File
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, "", fmt.Errorf("device key file %s: %w", path, err)
	}
	seed, err := hex.DecodeString(f.Seed)
	if err != nil || len(seed) != 32 {
		return nil, "", fmt.Errorf("device key file %s: seed must be 32 hex bytes", path)
	}
	s, err := Signer(f.Type, [32]byte(seed))
	if err != nil {
		return nil, "", fmt.Errorf("device key file %s: %w", path, err)
	}
	id := device.DeviceID(s.Type, s.Pub())
	if (f.ID != "" && f.ID != id) || (f.PubKey != "" && f.PubKey != hex.EncodeToString(s.Pub())) {
		return nil, "", fmt.Errorf("device key file %s: id or pub_key does not match the seed", path)
	}
	return s, id, nil
}
