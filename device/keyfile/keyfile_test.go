package keyfile_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"emergence/device"
	"emergence/device/devkey"
	"emergence/device/keyfile"
)

func TestGenerateLoad(t *testing.T) {
	dir := t.TempDir()
	for _, typ := range []devkey.Type{devkey.Secp256k1, devkey.Ed25519} {
		p := filepath.Join(dir, string(typ)+".json")
		s, id, err := keyfile.Generate(p, typ)
		if err != nil {
			t.Fatal(err)
		}
		if id != device.DeviceID(typ, s.Pub()) {
			t.Fatalf("%s: id %s is not the key's", typ, id)
		}
		if st, _ := os.Stat(p); st.Mode().Perm() != 0o600 {
			t.Fatalf("%s: mode %v, want 0600", typ, st.Mode().Perm())
		}
		s2, id2, err := keyfile.Load(p)
		if err != nil || id2 != id {
			t.Fatalf("%s: load %v %s", typ, err, id2)
		}
		msg := []byte("reading")
		if err := devkey.Verify(typ, s.Pub(), msg, s2.Sign(msg)); err != nil {
			t.Fatalf("%s: the loaded key signs for another key: %v", typ, err)
		}
		if _, _, err := keyfile.Generate(p, typ); !errors.Is(err, keyfile.ErrExists) {
			t.Fatalf("%s: overwrote a key file: %v", typ, err)
		}
	}
	if _, _, err := keyfile.Generate(filepath.Join(dir, "rsa.json"), "rsa"); err == nil {
		t.Fatal("generated an rsa device key")
	}
	// A file whose id does not match its seed is refused.
	b, _ := os.ReadFile(filepath.Join(dir, "ed25519.json"))
	bad := filepath.Join(dir, "bad.json")
	i := strings.Index(string(b), `"id": "`) + len(`"id": "`)
	b[i] ^= 1
	os.WriteFile(bad, b, 0o600)
	if _, _, err := keyfile.Load(bad); err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Fatalf("tampered file: %v", err)
	}
}
