package tx

import (
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"

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
	if s, ok := textCache.str(a); ok {
		return s
	}
	conv, err := bech32.ConvertBits(a[:], 8, 5, true)
	if err != nil {
		panic(err) // 8->5 bit conversion of 20 bytes cannot fail
	}
	s, err := bech32.Encode(AddressPrefix, conv)
	if err != nil {
		panic(err) // a 3-char prefix and 32 groups are always encodable
	}
	textCache.put(a, s)
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
	if a, ok := textCache.addr(s); ok {
		return a, nil
	}
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
	if a.String() != s {
		// bech32 also accepts the all-upper-case form; only the canonical
		// lower-case text is an address here, so each address has one text.
		return Address{}, fmt.Errorf("%w %q: not in canonical lower case", ErrInvalidAddress, s)
	}
	return a, nil
}

// maxCachedAddresses bounds the address text cache.
const maxCachedAddresses = 1 << 16

// textCache remembers the bech32 text of recently seen addresses in both
// directions: encoding and decoding bech32 was a visible share of a
// transaction's cost, and accounts recur.
var textCache addrCache

type addrCache struct {
	mu   sync.Mutex
	text map[Address]string
	byS  map[string]Address
}

func (c *addrCache) str(a Address) (string, bool) {
	c.mu.Lock()
	s, ok := c.text[a]
	c.mu.Unlock()
	return s, ok
}

func (c *addrCache) addr(s string) (Address, bool) {
	c.mu.Lock()
	a, ok := c.byS[s]
	c.mu.Unlock()
	return a, ok
}

func (c *addrCache) put(a Address, s string) {
	c.mu.Lock()
	if c.text == nil || len(c.text) >= maxCachedAddresses {
		c.text = make(map[Address]string)
		c.byS = make(map[string]Address)
	}
	c.text[a] = s
	c.byS[s] = a
	c.mu.Unlock()
}
