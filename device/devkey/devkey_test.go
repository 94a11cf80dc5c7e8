package devkey_test

import (
	"errors"
	"testing"

	"emergence/device/devkey"
)

func TestSignVerify(t *testing.T) {
	for _, s := range []*devkey.Signer{devkey.NewSecp256k1([32]byte{1}), devkey.NewEd25519([32]byte{2})} {
		msg := []byte("hello device")
		sig := s.Sign(msg)
		if err := devkey.CheckPub(s.Type, s.Pub()); err != nil {
			t.Fatalf("%s: CheckPub: %v", s.Type, err)
		}
		if err := devkey.Verify(s.Type, s.Pub(), msg, sig); err != nil {
			t.Fatalf("%s: Verify: %v", s.Type, err)
		}
		bad := append([]byte(nil), sig...)
		bad[10] ^= 1
		if err := devkey.Verify(s.Type, s.Pub(), msg, bad); !errors.Is(err, devkey.ErrBadSignature) {
			t.Fatalf("%s: tampered signature: got %v, want ErrBadSignature", s.Type, err)
		}
		if err := devkey.Verify(s.Type, s.Pub(), []byte("other"), sig); !errors.Is(err, devkey.ErrBadSignature) {
			t.Fatalf("%s: other message: got %v", s.Type, err)
		}
		if err := devkey.Verify(s.Type, s.Pub(), msg, sig[:63]); !errors.Is(err, devkey.ErrBadSignature) {
			t.Fatalf("%s: short signature: got %v", s.Type, err)
		}
	}
	if err := devkey.CheckPub("rsa", make([]byte, 32)); err == nil {
		t.Fatal("unknown key type accepted")
	}
	if err := devkey.CheckPub(devkey.Secp256k1, make([]byte, 33)); err == nil {
		t.Fatal("invalid secp256k1 point accepted")
	}
}

func BenchmarkVerifySecp256k1(b *testing.B) {
	s := devkey.NewSecp256k1([32]byte{7})
	msg := []byte(`{"specversion":"1.0","id":"1","source":"dev","type":"vehicle.status"}`)
	sig, pub := s.Sign(msg), s.Pub()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := devkey.Verify(devkey.Secp256k1, pub, msg, sig); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyEd25519(b *testing.B) {
	s := devkey.NewEd25519([32]byte{7})
	msg := []byte(`{"specversion":"1.0","id":"1","source":"dev","type":"vehicle.status"}`)
	sig, pub := s.Sign(msg), s.Pub()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := devkey.Verify(devkey.Ed25519, pub, msg, sig); err != nil {
			b.Fatal(err)
		}
	}
}
