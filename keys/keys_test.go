package keys_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"emergence/keys"
	"emergence/tx"
)

// The BIP-39 mnemonic of 32 zero bytes of entropy, and the key that
// DeriveKey must give for it at m/44'/118'/0'/0'/0'. Changing the derivation
// would change every user's address, so these values are fixed here.
const (
	vectorMnemonic = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon art"
	vectorAddress  = "emg1pywgxt6s0n9qmv2vqgd8vpvcw73j2t2683jhql"
	vectorPubKey   = "1884827c3324b13454be77d7656d0ddeb3bb3d0774bcff0f2c547515d2b2015c"
	vectorSeed     = "3bc1e4ddfeaa9e1279e07664c003088ad9576bf39e6386911c8e7017865ce8b4"
	// Same mnemonic with the BIP-39 passphrase "TREZOR".
	vectorTrezorAddress = "emg1elaxlg9npgkwcc7wg0nq3sjlupa24nj4nrfthf"
)

func TestDeriveKeyVector(t *testing.T) {
	priv, err := keys.DeriveKey(vectorMnemonic, "")
	if err != nil {
		t.Fatal(err)
	}
	pub := priv.Public().(ed25519.PublicKey)
	if got := hex.EncodeToString(priv.Seed()); got != vectorSeed {
		t.Errorf("seed = %s, want %s", got, vectorSeed)
	}
	if got := hex.EncodeToString(pub); got != vectorPubKey {
		t.Errorf("pubkey = %s, want %s", got, vectorPubKey)
	}
	if got := tx.AddressFromPubKey(pub).String(); got != vectorAddress {
		t.Errorf("address = %s, want %s", got, vectorAddress)
	}

	// Case and spacing do not matter.
	messy := "  " + strings.ToUpper(strings.ReplaceAll(vectorMnemonic, " ", " \t "))
	priv2, err := keys.DeriveKey(messy, "")
	if err != nil {
		t.Fatal(err)
	}
	if !priv2.Equal(priv) {
		t.Error("normalizing the mnemonic changed the key")
	}

	// The BIP-39 passphrase does.
	priv3, err := keys.DeriveKey(vectorMnemonic, "TREZOR")
	if err != nil {
		t.Fatal(err)
	}
	if got := tx.AddressFromPubKey(priv3.Public().(ed25519.PublicKey)).String(); got != vectorTrezorAddress {
		t.Errorf("address with passphrase = %s, want %s", got, vectorTrezorAddress)
	}
}

func TestDeriveKeyInvalidMnemonic(t *testing.T) {
	words := strings.Fields(vectorMnemonic)
	cases := map[string]string{
		"bad checksum": strings.Join(append(words[:23:23], "abandon"), " "),
		"unknown word": strings.Join(append(words[:23:23], "emergence"), " "),
		"too short":    strings.Join(words[:11], " "),
		"empty":        "",
	}
	for name, m := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := keys.DeriveKey(m, ""); !errors.Is(err, keys.ErrInvalidMnemonic) {
				t.Fatalf("err = %v, want ErrInvalidMnemonic", err)
			}
		})
	}
}

func TestNewMnemonic(t *testing.T) {
	a, err := keys.NewMnemonic()
	if err != nil {
		t.Fatal(err)
	}
	b, err := keys.NewMnemonic()
	if err != nil {
		t.Fatal(err)
	}
	if n := len(strings.Fields(a)); n != 24 {
		t.Fatalf("mnemonic has %d words, want 24", n)
	}
	if a == b {
		t.Fatal("two fresh mnemonics are equal")
	}
	if _, err := keys.DeriveKey(a, ""); err != nil {
		t.Fatalf("fresh mnemonic does not derive: %v", err)
	}
}

// fixedPass returns a PassphraseFunc that always answers pass and counts
// calls by create flag.
type fixedPass struct {
	mu      sync.Mutex
	pass    string
	creates int
	opens   int
}

func (p *fixedPass) fn(name string, create bool) ([]byte, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if create {
		p.creates++
	} else {
		p.opens++
	}
	return []byte(p.pass), nil
}

func mustOpen(t testing.TB, home, backend, pass string) *keys.Keyring {
	t.Helper()
	p := &fixedPass{pass: pass}
	kr, err := keys.Open(home, backend, p.fn)
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

// TestKeyringContract runs the same checks against both backends.
func TestKeyringContract(t *testing.T) {
	for _, backend := range []string{keys.BackendFile, keys.BackendTest} {
		t.Run(backend, func(t *testing.T) {
			home := t.TempDir()
			kr := mustOpen(t, home, backend, "correct horse")
			if want := filepath.Join(home, "keyring-"+backend); kr.Dir() != want {
				t.Errorf("Dir = %s, want %s", kr.Dir(), want)
			}
			if infos, err := kr.List(); err != nil || len(infos) != 0 {
				t.Fatalf("List on a fresh keyring = %v, %v; want empty", infos, err)
			}

			bob, mnemonic, err := kr.Add("bob")
			if err != nil {
				t.Fatal(err)
			}
			if n := len(strings.Fields(mnemonic)); n != 24 {
				t.Errorf("Add gave a %d-word mnemonic, want 24", n)
			}
			if bob.Name != "bob" || bob.Address != tx.AddressFromPubKey(bob.PubKey) {
				t.Errorf("Add info = %+v", bob)
			}
			alice, err := kr.Recover("alice", vectorMnemonic)
			if err != nil {
				t.Fatal(err)
			}
			if alice.Address.String() != vectorAddress {
				t.Errorf("recovered address = %s, want %s", alice.Address, vectorAddress)
			}

			// Recovering bob's mnemonic elsewhere gives bob's key.
			other := mustOpen(t, t.TempDir(), backend, "another pass")
			bob2, err := other.Recover("bob-again", mnemonic)
			if err != nil {
				t.Fatal(err)
			}
			if bob2.Address != bob.Address {
				t.Errorf("recovered %s, added %s", bob2.Address, bob.Address)
			}

			if _, _, err := kr.Add("bob"); !errors.Is(err, keys.ErrKeyExists) {
				t.Errorf("Add existing: err = %v, want ErrKeyExists", err)
			}
			if _, err := kr.Recover("alice", mnemonic); !errors.Is(err, keys.ErrKeyExists) {
				t.Errorf("Recover existing: err = %v, want ErrKeyExists", err)
			}
			if got, err := kr.Show("alice"); err != nil || got.Address != alice.Address {
				t.Errorf("alice kept after failed Recover: %+v, %v", got, err)
			}

			infos, err := kr.List()
			if err != nil {
				t.Fatal(err)
			}
			if len(infos) != 2 || infos[0].Name != "alice" || infos[1].Name != "bob" {
				t.Fatalf("List = %+v, want alice, bob", infos)
			}
			if !infos[1].PubKey.Equal(bob.PubKey) {
				t.Error("List gave another public key for bob")
			}
			if got, err := kr.ByAddress(bob.Address); err != nil || got.Name != "bob" {
				t.Errorf("ByAddress(bob) = %+v, %v", got, err)
			}

			// A fresh Keyring (no cached keys) opens and signs with the key.
			kr2 := mustOpen(t, home, backend, "correct horse")
			priv, err := kr2.PrivKey("alice")
			if err != nil {
				t.Fatal(err)
			}
			msg := []byte("transfer 1emg")
			if !ed25519.Verify(alice.PubKey, msg, ed25519.Sign(priv, msg)) {
				t.Error("signature by PrivKey does not verify under the public key")
			}

			// Permissions: 0700 directory, 0600 files, no stray temporary files.
			st, err := os.Stat(kr.Dir())
			if err != nil {
				t.Fatal(err)
			}
			if perm := st.Mode().Perm(); perm != 0o700 {
				t.Errorf("keyring dir mode %o, want 700", perm)
			}
			entries, err := os.ReadDir(kr.Dir())
			if err != nil {
				t.Fatal(err)
			}
			if len(entries) != 2 {
				t.Errorf("keyring dir holds %d entries, want 2", len(entries))
			}
			for _, e := range entries {
				fi, err := e.Info()
				if err != nil {
					t.Fatal(err)
				}
				if perm := fi.Mode().Perm(); perm != 0o600 {
					t.Errorf("%s mode %o, want 600", e.Name(), perm)
				}
			}

			if err := kr.Delete("bob"); err != nil {
				t.Fatal(err)
			}
			if _, err := kr.Show("bob"); !errors.Is(err, keys.ErrKeyNotFound) {
				t.Errorf("Show deleted: err = %v, want ErrKeyNotFound", err)
			}
			if _, err := kr.PrivKey("bob"); !errors.Is(err, keys.ErrKeyNotFound) {
				t.Errorf("PrivKey deleted: err = %v, want ErrKeyNotFound", err)
			}
			if err := kr.Delete("bob"); !errors.Is(err, keys.ErrKeyNotFound) {
				t.Errorf("Delete twice: err = %v, want ErrKeyNotFound", err)
			}
			if _, err := kr.ByAddress(bob.Address); !errors.Is(err, keys.ErrKeyNotFound) {
				t.Errorf("ByAddress deleted: err = %v, want ErrKeyNotFound", err)
			}
		})
	}
}

func TestInvalidNames(t *testing.T) {
	kr := mustOpen(t, t.TempDir(), keys.BackendTest, "")
	for _, name := range []string{"", "../evil", "a/b", `a\b`, ".hidden", "..", "-flag", "with space", strings.Repeat("x", 65), "nul\x00"} {
		if _, _, err := kr.Add(name); !errors.Is(err, keys.ErrInvalidName) {
			t.Errorf("Add(%q): err = %v, want ErrInvalidName", name, err)
		}
		if _, err := kr.Show(name); !errors.Is(err, keys.ErrInvalidName) {
			t.Errorf("Show(%q): err = %v, want ErrInvalidName", name, err)
		}
		if err := kr.Delete(name); !errors.Is(err, keys.ErrInvalidName) {
			t.Errorf("Delete(%q): err = %v, want ErrInvalidName", name, err)
		}
	}
	for _, name := range []string{"a", "alice", "Node_0.validator-key", strings.Repeat("x", 64)} {
		if err := keys.ValidateName(name); err != nil {
			t.Errorf("ValidateName(%q) = %v", name, err)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	if _, err := keys.Open(t.TempDir(), "os", nil); !errors.Is(err, keys.ErrUnknownBackend) {
		t.Errorf("unknown backend: err = %v, want ErrUnknownBackend", err)
	}
	if _, err := keys.Open(t.TempDir(), keys.BackendFile, nil); err == nil {
		t.Error("file backend without a passphrase source opened")
	}
	if _, err := keys.Open(t.TempDir(), keys.BackendTest, nil); err != nil {
		t.Errorf("test backend without a passphrase source: %v", err)
	}
}

func TestFileBackendEncryptsAtRest(t *testing.T) {
	home := t.TempDir()
	p := &fixedPass{pass: "correct horse"}
	kr, err := keys.Open(home, keys.BackendFile, p.fn)
	if err != nil {
		t.Fatal(err)
	}
	info, err := kr.Recover("alice", vectorMnemonic)
	if err != nil {
		t.Fatal(err)
	}
	if p.creates != 1 || p.opens != 0 {
		t.Errorf("Recover asked %d create and %d open passphrases, want 1 and 0", p.creates, p.opens)
	}
	raw, err := os.ReadFile(filepath.Join(kr.Dir(), "alice.key"))
	if err != nil {
		t.Fatal(err)
	}
	seed, _ := hex.DecodeString(vectorSeed)
	var env map[string]any
	if err := json.Unmarshal(raw, &env); err != nil {
		t.Fatal(err)
	}
	if env["version"] != float64(1) || env["encryption"] != "xchacha20poly1305" || env["private_key"] != nil {
		t.Errorf("unexpected envelope: %s", raw)
	}
	kdf, _ := env["kdf"].(map[string]any)
	if kdf["name"] != "scrypt" || kdf["n"] == nil || kdf["salt"] == nil {
		t.Errorf("envelope kdf = %v", kdf)
	}
	if bytes.Contains(raw, seed) || bytes.Contains(raw, []byte(vectorSeed)) || bytes.Contains(raw, []byte("abandon")) {
		t.Fatal("key file holds the private key or mnemonic in the clear")
	}

	// Show and List need no passphrase.
	ro := mustOpen(t, home, keys.BackendFile, "")
	if _, err := ro.Show("alice"); err != nil {
		t.Fatal(err)
	}
	wrong := mustOpen(t, home, keys.BackendFile, "incorrect horse")
	if _, err := wrong.PrivKey("alice"); !errors.Is(err, keys.ErrWrongPassphrase) {
		t.Fatalf("wrong passphrase: err = %v, want ErrWrongPassphrase", err)
	}

	p2 := &fixedPass{pass: "correct horse"}
	right, err := keys.Open(home, keys.BackendFile, p2.fn)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		priv, err := right.PrivKey("alice")
		if err != nil {
			t.Fatal(err)
		}
		if !priv.Public().(ed25519.PublicKey).Equal(info.PubKey) {
			t.Fatal("PrivKey does not match the stored public key")
		}
	}
	if p2.opens != 1 {
		t.Errorf("three PrivKey calls asked %d passphrases, want 1 (kept in memory)", p2.opens)
	}

	// An empty passphrase is refused when sealing.
	if _, err := mustOpen(t, home, keys.BackendFile, "").Recover("empty", vectorMnemonic); err == nil {
		t.Error("sealed a key with an empty passphrase")
	}
}

// A ciphertext moved under another name or next to another public key does
// not open: the name and public key are authenticated.
func TestFileBackendAuthenticatesHeader(t *testing.T) {
	home := t.TempDir()
	kr := mustOpen(t, home, keys.BackendFile, "pw-123456")
	if _, err := kr.Recover("alice", vectorMnemonic); err != nil {
		t.Fatal(err)
	}
	if _, _, err := kr.Add("bob"); err != nil {
		t.Fatal(err)
	}
	read := func(name string) map[string]any {
		raw, err := os.ReadFile(filepath.Join(kr.Dir(), name+".key"))
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	a, b := read("alice"), read("bob")
	// Give bob's file alice's sealed seed (same passphrase).
	b["kdf"], b["nonce"], b["ciphertext"] = a["kdf"], a["nonce"], a["ciphertext"]
	out, _ := json.Marshal(b)
	if err := os.WriteFile(filepath.Join(kr.Dir(), "bob.key"), out, 0o600); err != nil {
		t.Fatal(err)
	}
	fresh := mustOpen(t, home, keys.BackendFile, "pw-123456")
	if _, err := fresh.PrivKey("bob"); !errors.Is(err, keys.ErrWrongPassphrase) {
		t.Fatalf("swapped ciphertext: err = %v, want ErrWrongPassphrase", err)
	}
	// A file renamed to another key's name is reported as corrupt.
	if err := os.Rename(filepath.Join(kr.Dir(), "alice.key"), filepath.Join(kr.Dir(), "carol.key")); err != nil {
		t.Fatal(err)
	}
	if _, err := fresh.Show("carol"); !errors.Is(err, keys.ErrCorruptKeyFile) {
		t.Fatalf("renamed file: err = %v, want ErrCorruptKeyFile", err)
	}
}

func TestTestBackendIsPlain(t *testing.T) {
	home := t.TempDir()
	kr := mustOpen(t, home, keys.BackendTest, "")
	if _, err := kr.Recover("alice", vectorMnemonic); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(home, "keyring-test", "alice.key"))
	if err != nil {
		t.Fatal(err)
	}
	var env struct {
		Encryption string `json:"encryption"`
		PrivateKey []byte `json:"private_key"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		t.Fatal(err)
	}
	if env.Encryption != "none" || hex.EncodeToString(env.PrivateKey) != vectorSeed {
		t.Fatalf("test backend file = %s", raw)
	}
	// The two backends are separate directories.
	if infos, err := mustOpen(t, home, keys.BackendFile, "x").List(); err != nil || len(infos) != 0 {
		t.Fatalf("file backend sees %v, %v", infos, err)
	}
}

func TestConcurrentAddSameName(t *testing.T) {
	kr := mustOpen(t, t.TempDir(), keys.BackendTest, "")
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, errs[i] = kr.Add("dup")
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, keys.ErrKeyExists):
			t.Errorf("unexpected error: %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d concurrent Adds of one name succeeded, want 1", ok)
	}
}

func TestImportPrivKey(t *testing.T) {
	kr := mustOpen(t, t.TempDir(), keys.BackendTest, "")
	priv, err := keys.DeriveKey(vectorMnemonic, "")
	if err != nil {
		t.Fatal(err)
	}
	info, err := kr.ImportPrivKey("imported", priv)
	if err != nil {
		t.Fatal(err)
	}
	if info.Address.String() != vectorAddress {
		t.Fatalf("imported address %s, want %s", info.Address, vectorAddress)
	}
	if _, err := kr.ImportPrivKey("short", priv[:10]); err == nil {
		t.Fatal("imported a 10-byte private key")
	}
}

func BenchmarkDeriveKey(b *testing.B) {
	for b.Loop() {
		if _, err := keys.DeriveKey(vectorMnemonic, ""); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "derivations/s")
}

// BenchmarkFilePrivKey measures opening a sealed key (one scrypt run plus
// one AEAD open), the cost a user pays per signing process.
func BenchmarkFilePrivKey(b *testing.B) {
	home := b.TempDir()
	if _, err := mustOpen(b, home, keys.BackendFile, "bench-pass").Recover("k", vectorMnemonic); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		kr := mustOpen(b, home, keys.BackendFile, "bench-pass")
		if _, err := kr.PrivKey("k"); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()*1000/float64(b.N), "ms/open")
}
