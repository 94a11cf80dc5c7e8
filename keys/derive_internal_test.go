package keys

import (
	"encoding/hex"
	"testing"
)

// SLIP-0010 test vectors 1 and 2 for ed25519
// (https://github.com/satoshilabs/slips/blob/master/slip-0010.md).
func TestSLIP10Ed25519Vectors(t *testing.T) {
	const h = hardened
	vectors := []struct {
		Name      string
		Seed      string
		Path      []uint32
		Key, Code string
	}{
		{"v1/m", "000102030405060708090a0b0c0d0e0f", nil,
			"2b4be7f19ee27bbf30c667b642d5f4aa69fd169872f8fc3059c08ebae2eb19e7", "90046a93de5380a72b5e45010748567d5ea02bbf6522f979e05c0d8d8ca9fffb"},
		{"v1/m/0H", "000102030405060708090a0b0c0d0e0f", []uint32{0 | h},
			"68e0fe46dfb67e368c75379acec591dad19df3cde26e63b93a8e704f1dade7a3", "8b59aa11380b624e81507a27fedda59fea6d0b779a778918a2fd3590e16e9c69"},
		{"v1/m/0H/1H/2H/2H/1000000000H", "000102030405060708090a0b0c0d0e0f", []uint32{0 | h, 1 | h, 2 | h, 2 | h, 1000000000 | h},
			"8f94d394a8e8fd6b1bc2f3f49f5c47e385281d5c17e65324b0f62483e37e8793", "68789923a0cac2cd5a29172a475fe9e0fb14cd6adb5ad98a3fa70333e7afa230"},
		{"v2/m/0H/2147483647H/1H/2147483646H/2H",
			"fffcf9f6f3f0edeae7e4e1dedbd8d5d2cfccc9c6c3c0bdbab7b4b1aeaba8a5a29f9c999693908d8a8784817e7b7875726f6c696663605d5a5754514e4b484542",
			[]uint32{0 | h, 2147483647 | h, 1 | h, 2147483646 | h, 2 | h},
			"551d333177df541ad876a60ea71f00447931c0a9da16f227c11ea080d7391b8d", "5d70af781f3a37b829f0d060924d5e960bdc02e85423494afc0b1a41bbe196d4"},
	}
	for _, v := range vectors {
		t.Run(v.Name, func(t *testing.T) {
			seed, err := hex.DecodeString(v.Seed)
			if err != nil {
				t.Fatal(err)
			}
			key, code := slip10Ed25519(seed, v.Path)
			if got := hex.EncodeToString(key[:]); got != v.Key {
				t.Errorf("key = %s, want %s", got, v.Key)
			}
			if got := hex.EncodeToString(code[:]); got != v.Code {
				t.Errorf("chain code = %s, want %s", got, v.Code)
			}
		})
	}
}

func TestParseEnvelopeRejects(t *testing.T) {
	base := `"version":1,"name":"a","address":"emg1pywgxt6s0n9qmv2vqgd8vpvcw73j2t2683jhql","pubkey":"GISCfDMksTRUvnfXZW0N3rO7PQd0vP8PLFR1FdKyAVw="`
	cases := []struct{ Name, JSON string }{
		{"not json", `{`},
		{"unknown field", `{` + base + `,"encryption":"none","private_key":"O8Hk3f6qnhJ54HZkwAMIitlXa/OeY4aRHI5wF4Zc6LQ=","extra":1}`},
		{"version", `{"version":2,"name":"a","address":"x","pubkey":"","encryption":"none"}`},
		{"address mismatch", `{"version":1,"name":"a","address":"emg1qqqq","pubkey":"GISCfDMksTRUvnfXZW0N3rO7PQd0vP8PLFR1FdKyAVw=","encryption":"none","private_key":"O8Hk3f6qnhJ54HZkwAMIitlXa/OeY4aRHI5wF4Zc6LQ="}`},
		{"short private key", `{` + base + `,"encryption":"none","private_key":"AAAA"}`},
		{"unknown encryption", `{` + base + `,"encryption":"rot13"}`},
		{"missing kdf", `{` + base + `,"encryption":"xchacha20poly1305"}`},
		{"huge scrypt n", `{` + base + `,"encryption":"xchacha20poly1305","kdf":{"name":"scrypt","n":1073741824,"r":8,"p":1,"salt":"AAAAAAAAAAAAAAAAAAAAAA=="}}`},
		{"n not power of two", `{` + base + `,"encryption":"xchacha20poly1305","kdf":{"name":"scrypt","n":1000,"r":8,"p":1,"salt":"AAAAAAAAAAAAAAAAAAAAAA=="}}`},
		{"short nonce", `{` + base + `,"encryption":"xchacha20poly1305","kdf":{"name":"scrypt","n":1024,"r":8,"p":1,"salt":"AAAAAAAAAAAAAAAAAAAAAA=="},"nonce":"AAAA"}`},
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			if _, err := parseEnvelope([]byte(c.JSON)); err == nil {
				t.Fatalf("parseEnvelope accepted %s", c.JSON)
			}
		})
	}
	ok := `{` + base + `,"encryption":"none","private_key":"O8Hk3f6qnhJ54HZkwAMIitlXa/OeY4aRHI5wF4Zc6LQ="}`
	if _, err := parseEnvelope([]byte(ok)); err != nil {
		t.Fatalf("parseEnvelope rejected a valid test-backend file: %v", err)
	}
}

// FuzzParseEnvelope checks that no key file content panics the decoder and
// that whatever it accepts is self-consistent.
func FuzzParseEnvelope(f *testing.F) {
	f.Add([]byte(`{"version":1,"name":"a","address":"emg1pywgxt6s0n9qmv2vqgd8vpvcw73j2t2683jhql","pubkey":"GISCfDMksTRUvnfXZW0N3rO7PQd0vP8PLFR1FdKyAVw=","encryption":"none","private_key":"O8Hk3f6qnhJ54HZkwAMIitlXa/OeY4aRHI5wF4Zc6LQ="}`))
	f.Add([]byte(`{"version":1,"name":"a","address":"emg1pywgxt6s0n9qmv2vqgd8vpvcw73j2t2683jhql","pubkey":"GISCfDMksTRUvnfXZW0N3rO7PQd0vP8PLFR1FdKyAVw=","encryption":"xchacha20poly1305","kdf":{"name":"scrypt","n":2,"r":1,"p":1,"salt":"AAAAAAAAAAAAAAAAAAAAAA=="},"nonce":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","ciphertext":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := parseEnvelope(data)
		if err != nil {
			return
		}
		if len(e.PubKey) != 32 || e.info().Address.String() != e.Address {
			t.Fatalf("accepted an inconsistent envelope: %s", data)
		}
		if e.sealed() && e.KDF.N*e.KDF.R*e.KDF.P <= 1<<12 {
			// Opening must fail cleanly (wrong passphrase), never panic.
			// (Costly scrypt parameters are skipped to keep fuzzing fast.)
			if _, err := e.open([]byte("x")); err == nil {
				t.Fatalf("opened a fuzzed envelope with passphrase x: %s", data)
			}
		}
	})
}
