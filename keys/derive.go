package keys

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha512"
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/cosmos/go-bip39"
)

// DerivationPath is the SLIP-0010 path every Emergence key is derived at:
// purpose 44', coin type 118' (the Cosmos coin type, so the same mnemonic
// gives the same ed25519 key in other SLIP-0010 wallets that use it), account
// 0', change 0', index 0'. ed25519 under SLIP-0010 allows hardened steps only.
const DerivationPath = "m/44'/118'/0'/0'/0'"

// derivationIndexes is DerivationPath as hardened child indexes.
var derivationIndexes = []uint32{44 | hardened, 118 | hardened, 0 | hardened, 0 | hardened, 0 | hardened}

const hardened = 1 << 31

// MnemonicEntropyBits is the entropy of mnemonics made by Keyring.Add and
// NewMnemonic: 256 bits, i.e. 24 words.
const MnemonicEntropyBits = 256

// NewMnemonic returns a fresh 24-word BIP-39 mnemonic from the system's
// secure random source.
func NewMnemonic() (string, error) {
	entropy, err := bip39.NewEntropy(MnemonicEntropyBits)
	if err != nil {
		return "", fmt.Errorf("new entropy: %w", err)
	}
	m, err := bip39.NewMnemonic(entropy)
	if err != nil {
		return "", fmt.Errorf("new mnemonic: %w", err)
	}
	return m, nil
}

// NormalizeMnemonic lowercases a mnemonic and joins its words with single
// spaces, so that extra whitespace or capitals typed by a user do not change
// the derived key.
func NormalizeMnemonic(mnemonic string) string {
	return strings.Join(strings.Fields(strings.ToLower(mnemonic)), " ")
}

// DeriveKey derives the ed25519 key of a BIP-39 mnemonic:
//
//  1. seed = BIP-39 seed of the normalized mnemonic and bip39Passphrase
//     (PBKDF2-HMAC-SHA512, 2048 rounds, salt "mnemonic"+passphrase), after
//     checking the mnemonic's words and checksum;
//  2. SLIP-0010 ed25519 derivation of seed along DerivationPath: the master
//     key is HMAC-SHA512(key "ed25519 seed", seed), each hardened child is
//     HMAC-SHA512(key chain code, 0x00 || parent key || index big-endian),
//     the left 32 bytes being the key and the right 32 the chain code;
//  3. the final 32-byte key is the ed25519 seed (RFC 8032 private key).
//
// It returns ErrInvalidMnemonic for a mnemonic with unknown words, a wrong
// word count or a bad checksum.
func DeriveKey(mnemonic, bip39Passphrase string) (ed25519.PrivateKey, error) {
	m := NormalizeMnemonic(mnemonic)
	if err := checkMnemonic(m); err != nil {
		return nil, err
	}
	seed := bip39.NewSeed(m, bip39Passphrase)
	key, _ := slip10Ed25519(seed, derivationIndexes)
	return ed25519.NewKeyFromSeed(key[:]), nil
}

// checkMnemonic explains what is wrong with a normalized mnemonic, if anything.
func checkMnemonic(m string) error {
	words := strings.Fields(m)
	switch len(words) {
	case 12, 15, 18, 21, 24:
	default:
		return fmt.Errorf("%w: %d words, want 12, 15, 18, 21 or 24", ErrInvalidMnemonic, len(words))
	}
	for i, w := range words {
		if _, ok := bip39.ReverseWordMap[w]; !ok {
			return fmt.Errorf("%w: word %d %q is not in the BIP-39 English word list", ErrInvalidMnemonic, i+1, w)
		}
	}
	if _, err := bip39.MnemonicToByteArray(m); err != nil {
		return fmt.Errorf("%w: checksum does not match (a word is wrong or out of order)", ErrInvalidMnemonic)
	}
	return nil
}

// slip10Ed25519 returns the SLIP-0010 ed25519 private key and chain code of
// seed at the given path. Every index must be hardened.
func slip10Ed25519(seed []byte, path []uint32) (key, chainCode [32]byte) {
	mac := hmac.New(sha512.New, []byte("ed25519 seed"))
	mac.Write(seed)
	sum := mac.Sum(nil)
	copy(key[:], sum[:32])
	copy(chainCode[:], sum[32:])
	var data [1 + 32 + 4]byte
	for _, idx := range path {
		data[0] = 0
		copy(data[1:33], key[:])
		binary.BigEndian.PutUint32(data[33:], idx|hardened)
		mac := hmac.New(sha512.New, chainCode[:])
		mac.Write(data[:])
		sum := mac.Sum(nil)
		copy(key[:], sum[:32])
		copy(chainCode[:], sum[32:])
	}
	return key, chainCode
}
