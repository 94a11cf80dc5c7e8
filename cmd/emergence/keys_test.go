package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"emergence/keys"
	"emergence/tx"
)

// The mnemonic of 32 zero bytes of entropy and its address (pinned in
// keys/keys_test.go as well).
const (
	keysTestMnemonic = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon art"
	keysTestAddress  = "emg1pywgxt6s0n9qmv2vqgd8vpvcw73j2t2683jhql"
)

type keysRun struct {
	stdout, stderr string
	err            error
}

// runKeys runs the CLI in-process with stdin and returns what it printed.
func runKeys(t *testing.T, stdin string, args ...string) keysRun {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return keysRun{stdout: out.String(), stderr: errb.String(), err: err}
}

func (r keysRun) ok(t *testing.T) keysRun {
	t.Helper()
	if r.err != nil {
		t.Fatalf("command failed: %v\nstderr: %s", r.err, r.stderr)
	}
	return r
}

// userErr checks that the command failed with a user error (exit code 2)
// whose message contains msg and that a hint was printed.
func (r keysRun) userErr(t *testing.T, msg string) {
	t.Helper()
	if r.err == nil {
		t.Fatalf("command succeeded, want an error containing %q\nstdout: %s", msg, r.stdout)
	}
	if code := exitCode(r.err); code != 2 {
		t.Errorf("exit code %d, want 2 (user error): %v", code, r.err)
	}
	if !strings.Contains(r.stderr, "emergence: error: ") || !strings.Contains(r.stderr, msg) {
		t.Errorf("stderr %q does not report %q", r.stderr, msg)
	}
	if !strings.Contains(r.stderr, "hint: ") {
		t.Errorf("stderr %q has no hint", r.stderr)
	}
}

func unsetPassphraseEnv(t *testing.T) {
	t.Setenv(passphraseEnv, "")
	os.Unsetenv(passphraseEnv)
}

func TestKeysTestBackend(t *testing.T) {
	unsetPassphraseEnv(t)
	home := t.TempDir()
	kb := []string{"--home", home, "--keyring-backend", "test"}
	with := func(args ...string) []string { return append(args, kb...) }

	r := runKeys(t, "", with("keys", "add", "alice", "--output", "json")...).ok(t)
	var added keyJSON
	if err := json.Unmarshal([]byte(r.stdout), &added); err != nil {
		t.Fatalf("keys add json %q: %v", r.stdout, err)
	}
	if added.Name != "alice" || len(strings.Fields(added.Mnemonic)) != 24 || len(added.PubKey) != ed25519.PublicKeySize {
		t.Fatalf("keys add json = %+v", added)
	}
	addr, err := tx.ParseAddress(added.Address)
	if err != nil || addr != tx.AddressFromPubKey(added.PubKey) {
		t.Fatalf("keys add address %q: %v", added.Address, err)
	}

	// Text mode prints the mnemonic and warns on stderr.
	r = runKeys(t, "", with("keys", "add", "bob")...).ok(t)
	if !strings.Contains(r.stdout, "mnemonic: ") || !strings.Contains(r.stdout, "address:  emg1") {
		t.Errorf("keys add text = %q", r.stdout)
	}
	if !strings.Contains(r.stderr, "only way to recover") {
		t.Errorf("keys add warning missing: %q", r.stderr)
	}

	r = runKeys(t, "", with("keys", "show", "alice", "--address")...).ok(t)
	if r.stdout != added.Address+"\n" {
		t.Errorf("keys show --address = %q, want %q", r.stdout, added.Address+"\n")
	}
	r = runKeys(t, "", with("keys", "show", added.Address, "-o", "json")...).ok(t)
	var shown keyJSON
	if err := json.Unmarshal([]byte(r.stdout), &shown); err != nil || shown.Name != "alice" || shown.Mnemonic != "" {
		t.Errorf("keys show ADDRESS json = %q, %v", r.stdout, err)
	}

	// Recover from standard input, and from --mnemonic.
	r = runKeys(t, added.Mnemonic+"\n", with("keys", "recover", "alice2", "-o", "json")...).ok(t)
	var rec keyJSON
	if err := json.Unmarshal([]byte(r.stdout), &rec); err != nil || rec.Address != added.Address {
		t.Errorf("keys recover from stdin = %q, %v; want address %s", r.stdout, err, added.Address)
	}
	r = runKeys(t, "", with("keys", "recover", "vector", "--mnemonic", keysTestMnemonic)...).ok(t)
	if !strings.Contains(r.stdout, keysTestAddress) {
		t.Errorf("keys recover of the test mnemonic = %q, want address %s", r.stdout, keysTestAddress)
	}

	r = runKeys(t, "", with("keys", "list", "--output", "json")...).ok(t)
	var list []keyJSON
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil {
		t.Fatalf("keys list json %q: %v", r.stdout, err)
	}
	var names []string
	for _, k := range list {
		names = append(names, k.Name)
	}
	if strings.Join(names, ",") != "alice,alice2,bob,vector" {
		t.Errorf("keys list names = %v", names)
	}
	r = runKeys(t, "", with("keys", "list")...).ok(t)
	if !strings.HasPrefix(r.stdout, "NAME") || !strings.Contains(r.stdout, keysTestAddress) {
		t.Errorf("keys list text = %q", r.stdout)
	}

	// Errors.
	runKeys(t, "", with("keys", "add", "alice")...).userErr(t, "key already exists")
	runKeys(t, "", with("keys", "add", "../etc/passwd")...).userErr(t, "invalid key name")
	runKeys(t, "", with("keys", "show", "nobody")...).userErr(t, "key not found")
	runKeys(t, "not a mnemonic at all\n", with("keys", "recover", "x")...).userErr(t, "invalid mnemonic")
	runKeys(t, "", with("keys", "recover", "x")...).userErr(t, "read mnemonic")
	runKeys(t, "", with("keys", "delete", "bob")...).userErr(t, "without confirmation")

	r = runKeys(t, "", with("keys", "delete", "bob", "--yes")...).ok(t)
	if !strings.Contains(r.stdout, `deleted key "bob"`) {
		t.Errorf("keys delete = %q", r.stdout)
	}
	runKeys(t, "", with("keys", "show", "bob")...).userErr(t, "key not found")

	// Empty keyring.
	r = runKeys(t, "", "keys", "list", "-o", "json", "--home", t.TempDir(), "--keyring-backend", "test").ok(t)
	if strings.TrimSpace(r.stdout) != "[]" {
		t.Errorf("empty keys list json = %q, want []", r.stdout)
	}
}

func TestKeysFileBackend(t *testing.T) {
	home := t.TempDir()
	kb := []string{"--home", home} // file is the default backend
	with := func(args ...string) []string { return append(args, kb...) }

	t.Run("env", func(t *testing.T) {
		t.Setenv(passphraseEnv, "correct horse battery")
		runKeys(t, "", with("keys", "recover", "alice", "--mnemonic", keysTestMnemonic)...).ok(t)
		raw, err := os.ReadFile(filepath.Join(home, "keyring-file", "alice.key"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(raw, []byte(`"xchacha20poly1305"`)) {
			t.Errorf("key file not encrypted: %s", raw)
		}
		g := &globals{home: home, keyringBackend: "file", output: "text", stdin: strings.NewReader(""), stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}}
		for _, who := range []string{"alice", keysTestAddress} {
			priv, addr, err := g.signerKey(who)
			if err != nil {
				t.Fatalf("signerKey(%s): %v", who, err)
			}
			if addr.String() != keysTestAddress || tx.AddressFromPubKey(priv.Public().(ed25519.PublicKey)) != addr {
				t.Fatalf("signerKey(%s) address %s", who, addr)
			}
		}
		if _, _, err := g.signerKey("nobody"); err == nil || exitCode(err) != 2 || !errors.Is(err, keys.ErrKeyNotFound) {
			t.Errorf("signerKey(nobody): %v", err)
		}
		a, err := g.addressOrKey("alice")
		if err != nil || a.String() != keysTestAddress {
			t.Errorf("addressOrKey(alice) = %s, %v", a, err)
		}
		a, err = g.addressOrKey(keysTestAddress)
		if err != nil || a.String() != keysTestAddress {
			t.Errorf("addressOrKey(address) = %s, %v", a, err)
		}
		if _, err := g.addressOrKey("emg1nope"); err == nil || exitCode(err) != 2 {
			t.Errorf("addressOrKey(emg1nope): %v", err)
		}

		t.Setenv(passphraseEnv, "wrong horse battery")
		_, _, err = g.signerKey("alice")
		if !errors.Is(err, keys.ErrWrongPassphrase) || exitCode(err) != 2 {
			t.Errorf("signerKey with a wrong passphrase: %v", err)
		}
		// Listing and showing need no passphrase.
		runKeys(t, "", with("keys", "show", "alice", "--address")...).ok(t)
	})

	t.Run("stdin", func(t *testing.T) {
		unsetPassphraseEnv(t)
		// Mnemonic on the first line, passphrase on the second.
		runKeys(t, keysTestMnemonic+"\nanother passphrase\n", with("keys", "recover", "alice-stdin")...).ok(t)
		g := &globals{home: home, keyringBackend: "file", output: "text", stdin: strings.NewReader("another passphrase\n"), stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}}
		if _, addr, err := g.signerKey("alice-stdin"); err != nil || addr.String() != keysTestAddress {
			t.Fatalf("signerKey with the passphrase on stdin: %s, %v", addr, err)
		}
		runKeys(t, keysTestMnemonic+"\nshort\n", with("keys", "recover", "weak")...).userErr(t, "too short")
		runKeys(t, keysTestMnemonic+"\n", with("keys", "recover", "nopass")...).userErr(t, "standard input gave none")
		// No key file is left behind by the failures.
		if _, err := os.Stat(filepath.Join(home, "keyring-file", "weak.key")); !os.IsNotExist(err) {
			t.Errorf("weak.key exists after a refused passphrase: %v", err)
		}
		r := runKeys(t, "a passphrase\n", with("keys", "add", "fresh", "-o", "json")...).ok(t)
		var added keyJSON
		if err := json.Unmarshal([]byte(r.stdout), &added); err != nil || len(strings.Fields(added.Mnemonic)) != 24 {
			t.Fatalf("keys add with stdin passphrase = %q, %v", r.stdout, err)
		}
	})
}

func TestReadLine(t *testing.T) {
	r := strings.NewReader("first\r\nsecond\nthird")
	for _, want := range []string{"first", "second", "third"} {
		got, err := readLine(r)
		if err != nil || got != want {
			t.Fatalf("readLine = %q, %v; want %q", got, err, want)
		}
	}
	if _, err := readLine(r); err == nil {
		t.Fatal("readLine at end of input succeeded")
	}
}
