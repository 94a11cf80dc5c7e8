package tx

import (
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/btcsuite/btcd/btcutil/bech32"
)

// AddressPrefix is the bech32 human-readable part of every Emergence address.
const AddressPrefix = "emg"

// AddressLen is the length in bytes of an account address.
const AddressLen = 20

// Address identifies an account: the first 20 bytes of SHA-256 of its
// ed25519 public key. Module escrow accounts use ModuleAddress instead.
type Address [AddressLen]byte

// ErrInvalidAddress is returned by ParseAddress for text that is not a
// bech32 address with the "emg" prefix and a 20-byte payload.
var ErrInvalidAddress = errors.New("invalid address")

// AddressFromPubKey derives the account address of an ed25519 public key.
func AddressFromPubKey(pub ed25519.PublicKey) Address {
	sum := sha256.Sum256(pub)
	var a Address
	copy(a[:], sum[:AddressLen])
	return a
}

// ModuleAddress derives the address of a module's escrow account from its
// name. No private key exists for it: the hash input is not a public key.
func ModuleAddress(name string) Address {
	sum := sha256.Sum256([]byte("emergence/module/" + name))
	var a Address
	copy(a[:], sum[:AddressLen])
	return a
}

// String returns the bech32 form, e.g. "emg1...".
func (a Address) String() string {
	conv, err := bech32.ConvertBits(a[:], 8, 5, true)
	if err != nil {
		panic(err) // 8->5 bit conversion of 20 bytes cannot fail
	}
	s, err := bech32.Encode(AddressPrefix, conv)
	if err != nil {
		panic(err) // a 3-char prefix and 32 groups are always encodable
	}
	return s
}

// IsZero reports whether a is the zero address.
func (a Address) IsZero() bool { return a == Address{} }

// MarshalText implements encoding.TextMarshaler with the bech32 form.
func (a Address) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler; it accepts only the bech32 form.
func (a *Address) UnmarshalText(b []byte) error {
	p, err := ParseAddress(string(b))
	if err != nil {
		return err
	}
	*a = p
	return nil
}

// ParseAddress parses a bech32 address with the "emg" prefix.
func ParseAddress(s string) (Address, error) {
	hrp, data, err := bech32.Decode(s)
	if err != nil {
		return Address{}, fmt.Errorf("%w %q: %v", ErrInvalidAddress, s, err)
	}
	if hrp != AddressPrefix {
		return Address{}, fmt.Errorf("%w %q: prefix %q, want %q", ErrInvalidAddress, s, hrp, AddressPrefix)
	}
	raw, err := bech32.ConvertBits(data, 5, 8, false)
	if err != nil {
		return Address{}, fmt.Errorf("%w %q: %v", ErrInvalidAddress, s, err)
	}
	if len(raw) != AddressLen {
		return Address{}, fmt.Errorf("%w %q: %d bytes, want %d", ErrInvalidAddress, s, len(raw), AddressLen)
	}
	var a Address
	copy(a[:], raw)
	return a, nil
}
