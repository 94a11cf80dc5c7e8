// Package keys is the Emergence keyring: named ed25519 keys derived from
// BIP-39 mnemonics (see DeriveKey) and kept in one directory per backend,
// <home>/keyring-<backend>/, one JSON file per key.
//
// # Backends
//
// The "file" backend seals each private key at rest: scrypt derives a key
// from the passphrase and a random salt, and XChaCha20-Poly1305 encrypts the
// 32-byte ed25519 seed under it, with the key's name, public key and the
// format version as associated data. The envelope (see envelope.go) records
// the KDF parameters, salt, nonce and ciphertext, so they can change in later
// versions without breaking old files. Names, addresses and public keys stay
// readable without the passphrase, so List and Show never prompt.
//
// The "test" backend stores the same envelope with the seed in the clear. It
// is meant for devnets and tests only.
//
// Key files are written atomically (temporary file, fsync, then a hard link
// that fails if the name is taken) with mode 0600 in a 0700 directory. The
// mnemonic itself is never stored: Add returns it once, for the user to write
// down, and Recover rebuilds the key from it.
package keys

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"

	"emergence/tx"
)

// Backend names accepted by Open.
const (
	BackendFile = "file" // private keys encrypted with a passphrase
	BackendTest = "test" // private keys in the clear, for devnets and tests
)

// keyFileExt is the extension of key files in a keyring directory.
const keyFileExt = ".key"

// Errors returned by the keyring. Callers test them with errors.Is.
var (
	// ErrKeyNotFound is returned by Show, Delete, PrivKey and ByAddress when
	// the keyring holds no key with that name or address.
	ErrKeyNotFound = errors.New("key not found")
	// ErrKeyExists is returned by Add and Recover when a key with the name
	// is already stored; the stored key is left as it was.
	ErrKeyExists = errors.New("key already exists")
	// ErrWrongPassphrase is returned by PrivKey when the passphrase does not
	// open the key file of the file backend.
	ErrWrongPassphrase = errors.New("wrong passphrase")
	// ErrInvalidName is returned for a key name that is empty, longer than
	// 64 bytes, or holds anything but letters, digits, '.', '_' and '-'
	// (with a letter or digit first), so that names can never be paths.
	ErrInvalidName = errors.New("invalid key name")
	// ErrInvalidMnemonic is returned by Recover and DeriveKey for a mnemonic
	// with unknown words, a wrong word count or a bad checksum.
	ErrInvalidMnemonic = errors.New("invalid mnemonic")
	// ErrUnknownBackend is returned by Open for a backend other than
	// BackendFile and BackendTest.
	ErrUnknownBackend = errors.New("unknown keyring backend")
	// ErrCorruptKeyFile is returned when a key file cannot be decoded or its
	// contents disagree with each other (for example a private key that
	// does not match the stored public key).
	ErrCorruptKeyFile = errors.New("corrupt key file")
)

// Info is the public part of a stored key.
type Info struct {
	Name    string            `json:"name"`
	Address tx.Address        `json:"address"`
	PubKey  ed25519.PublicKey `json:"pubkey"`
}

// PassphraseFunc supplies the passphrase of the file backend for the key
// called name. create is true when a new key is being sealed (a terminal
// prompt may then ask twice), false when an existing key is being opened.
type PassphraseFunc func(name string, create bool) ([]byte, error)

// Keyring is a directory of named keys. It is safe for concurrent use by
// several goroutines; separate processes may share a directory as well,
// since every write is atomic.
type Keyring struct {
	dir     string
	backend string
	prompt  PassphraseFunc
	kdf     scryptParams

	mu    sync.Mutex
	cache map[string]ed25519.PrivateKey // opened private keys, by name
}

// Open returns the keyring of backend under home, in the directory
// <home>/keyring-<backend>. The directory is created on the first write.
// prompt supplies passphrases and is required for the file backend; the
// test backend ignores it and may be given nil.
func Open(home, backend string, prompt PassphraseFunc) (*Keyring, error) {
	switch backend {
	case BackendFile:
		if prompt == nil {
			return nil, fmt.Errorf("open %s keyring: no passphrase source", backend)
		}
	case BackendTest:
	default:
		return nil, fmt.Errorf("%w %q (want %q or %q)", ErrUnknownBackend, backend, BackendFile, BackendTest)
	}
	return &Keyring{
		dir:     filepath.Join(home, "keyring-"+backend),
		backend: backend,
		prompt:  prompt,
		kdf:     defaultScrypt,
		cache:   make(map[string]ed25519.PrivateKey),
	}, nil
}

// Dir returns the directory that holds the key files.
func (k *Keyring) Dir() string { return k.dir }

// Backend returns the backend name given to Open.
func (k *Keyring) Backend() string { return k.backend }

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// ValidateName returns ErrInvalidName (wrapped, with the reason) unless name
// is a valid key name.
func ValidateName(name string) error {
	if !nameRE.MatchString(name) {
		return fmt.Errorf("%w %q: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit", ErrInvalidName, name)
	}
	return nil
}

// Add makes a key from a fresh 24-word mnemonic, stores it as name and
// returns its Info and the mnemonic. The mnemonic is the only backup of the
// key: the keyring does not keep it.
func (k *Keyring) Add(name string) (Info, string, error) {
	if err := k.checkFree(name); err != nil {
		return Info{}, "", err
	}
	mnemonic, err := NewMnemonic()
	if err != nil {
		return Info{}, "", err
	}
	info, err := k.RecoverWithPassphrase(name, mnemonic, "")
	if err != nil {
		return Info{}, "", err
	}
	return info, mnemonic, nil
}

// Recover stores as name the key of a BIP-39 mnemonic with an empty BIP-39
// passphrase, the key that Add made when it returned that mnemonic.
func (k *Keyring) Recover(name, mnemonic string) (Info, error) {
	return k.RecoverWithPassphrase(name, mnemonic, "")
}

// RecoverWithPassphrase stores as name the key of a BIP-39 mnemonic and
// BIP-39 passphrase (the optional "25th word"; not the keyring passphrase).
func (k *Keyring) RecoverWithPassphrase(name, mnemonic, bip39Passphrase string) (Info, error) {
	if err := k.checkFree(name); err != nil {
		return Info{}, err
	}
	priv, err := DeriveKey(mnemonic, bip39Passphrase)
	if err != nil {
		return Info{}, err
	}
	return k.store(name, priv)
}

// ImportPrivKey stores an existing ed25519 private key as name.
func (k *Keyring) ImportPrivKey(name string, priv ed25519.PrivateKey) (Info, error) {
	if len(priv) != ed25519.PrivateKeySize {
		return Info{}, fmt.Errorf("import %q: private key is %d bytes, want %d", name, len(priv), ed25519.PrivateKeySize)
	}
	if err := k.checkFree(name); err != nil {
		return Info{}, err
	}
	return k.store(name, priv)
}

// checkFree fails unless name is valid and not yet taken, so that callers
// fail before asking for a passphrase.
func (k *Keyring) checkFree(name string) error {
	if err := ValidateName(name); err != nil {
		return err
	}
	_, err := os.Stat(k.path(name))
	switch {
	case err == nil:
		return fmt.Errorf("%w: %q in %s", ErrKeyExists, name, k.dir)
	case errors.Is(err, fs.ErrNotExist):
		return nil
	default:
		return fmt.Errorf("check key %q: %w", name, err)
	}
}

func (k *Keyring) store(name string, priv ed25519.PrivateKey) (Info, error) {
	pub := priv.Public().(ed25519.PublicKey)
	info := Info{Name: name, Address: tx.AddressFromPubKey(pub), PubKey: pub}
	var env *envelope
	var err error
	if k.backend == BackendFile {
		pass, perr := k.prompt(name, true)
		if perr != nil {
			return Info{}, fmt.Errorf("passphrase for %q: %w", name, perr)
		}
		env, err = seal(info, priv.Seed(), pass, k.kdf)
	} else {
		env = plain(info, priv.Seed())
	}
	if err != nil {
		return Info{}, fmt.Errorf("seal key %q: %w", name, err)
	}
	if err := k.writeNew(name, env); err != nil {
		return Info{}, err
	}
	k.mu.Lock()
	k.cache[name] = priv
	k.mu.Unlock()
	return info, nil
}

// writeNew writes env as the file of name, atomically, failing with
// ErrKeyExists if another writer took the name first.
func (k *Keyring) writeNew(name string, env *envelope) error {
	data, err := env.marshal()
	if err != nil {
		return fmt.Errorf("encode key %q: %w", name, err)
	}
	if err := os.MkdirAll(k.dir, 0o700); err != nil {
		return fmt.Errorf("create keyring directory: %w", err)
	}
	f, err := os.CreateTemp(k.dir, ".tmp-"+name+"-*")
	if err != nil {
		return fmt.Errorf("write key %q: %w", name, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("write key %q: %w", name, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write key %q: %w", name, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("write key %q: %w", name, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write key %q: %w", name, err)
	}
	// A hard link never replaces an existing file, unlike rename.
	if err := os.Link(tmp, k.path(name)); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%w: %q in %s", ErrKeyExists, name, k.dir)
		}
		return fmt.Errorf("write key %q: %w", name, err)
	}
	if d, err := os.Open(k.dir); err == nil {
		d.Sync() // best effort: make the new directory entry durable
		d.Close()
	}
	return nil
}

func (k *Keyring) path(name string) string { return filepath.Join(k.dir, name+keyFileExt) }

// load reads and decodes the file of name.
func (k *Keyring) load(name string) (*envelope, error) {
	if err := ValidateName(name); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(k.path(name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %q in %s", ErrKeyNotFound, name, k.dir)
	}
	if err != nil {
		return nil, fmt.Errorf("read key %q: %w", name, err)
	}
	env, err := parseEnvelope(data)
	if err != nil {
		return nil, fmt.Errorf("key %q: %w", name, err)
	}
	if env.Name != name {
		return nil, fmt.Errorf("%w: file %s holds key %q", ErrCorruptKeyFile, k.path(name), env.Name)
	}
	return env, nil
}

// Show returns the public Info of the key called name.
func (k *Keyring) Show(name string) (Info, error) {
	env, err := k.load(name)
	if err != nil {
		return Info{}, err
	}
	return env.info(), nil
}

// ByAddress returns the Info of the first key (by name) with address addr.
func (k *Keyring) ByAddress(addr tx.Address) (Info, error) {
	infos, err := k.List()
	if err != nil {
		return Info{}, err
	}
	for _, in := range infos {
		if in.Address == addr {
			return in, nil
		}
	}
	return Info{}, fmt.Errorf("%w: no key with address %s in %s", ErrKeyNotFound, addr, k.dir)
}

// List returns every stored key, sorted by name. A missing keyring directory
// is an empty keyring.
func (k *Keyring) List() ([]Info, error) {
	entries, err := os.ReadDir(k.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return []Info{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list keys: %w", err)
	}
	infos := make([]Info, 0, len(entries))
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), keyFileExt)
		if !ok || !e.Type().IsRegular() || ValidateName(name) != nil {
			continue
		}
		env, err := k.load(name)
		if err != nil {
			return nil, err
		}
		infos = append(infos, env.info())
	}
	sort.Slice(infos, func(i, j int) bool { return infos[i].Name < infos[j].Name })
	return infos, nil
}

// Delete removes the key called name. The key can only come back from its
// mnemonic.
func (k *Keyring) Delete(name string) error {
	if err := ValidateName(name); err != nil {
		return err
	}
	err := os.Remove(k.path(name))
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %q in %s", ErrKeyNotFound, name, k.dir)
	}
	if err != nil {
		return fmt.Errorf("delete key %q: %w", name, err)
	}
	k.mu.Lock()
	delete(k.cache, name)
	k.mu.Unlock()
	return nil
}

// PrivKey returns the private key called name, for signing. With the file
// backend it asks prompt for the passphrase the first time and keeps the
// opened key in memory for the life of the Keyring, so a long-running
// worker is asked once. A passphrase that does not open the file gives
// ErrWrongPassphrase.
func (k *Keyring) PrivKey(name string) (ed25519.PrivateKey, error) {
	env, err := k.load(name)
	if err != nil {
		return nil, err
	}
	k.mu.Lock()
	cached, ok := k.cache[name]
	k.mu.Unlock()
	if ok && bytes.Equal(cached.Public().(ed25519.PublicKey), env.PubKey) {
		return cached, nil
	}
	var seed []byte
	if env.sealed() {
		if k.prompt == nil {
			return nil, fmt.Errorf("key %q is encrypted and the keyring has no passphrase source", name)
		}
		pass, err := k.prompt(name, false)
		if err != nil {
			return nil, fmt.Errorf("passphrase for %q: %w", name, err)
		}
		seed, err = env.open(pass)
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", name, err)
		}
	} else {
		seed = env.PrivateKey
	}
	if len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("%w: key %q has a %d-byte private key, want %d", ErrCorruptKeyFile, name, len(seed), ed25519.SeedSize)
	}
	priv := ed25519.NewKeyFromSeed(seed)
	if !bytes.Equal(priv.Public().(ed25519.PublicKey), env.PubKey) {
		return nil, fmt.Errorf("%w: key %q: private key does not match its public key", ErrCorruptKeyFile, name)
	}
	k.mu.Lock()
	k.cache[name] = priv
	k.mu.Unlock()
	return priv, nil
}
