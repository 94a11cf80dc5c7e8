package sealbox_test

import (
	"bytes"
	"errors"
	"testing"

	"emergence/personhood/sealbox"
)

func TestSealOpenRoundTrip(t *testing.T) {
	msg := []byte("identity secret")
	blob, err := sealbox.Seal([]byte("pw"), msg)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(blob, msg) {
		t.Fatal("plaintext visible in sealed blob")
	}
	got, err := sealbox.Open([]byte("pw"), blob)
	if err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if _, err := sealbox.Open([]byte("wrong"), blob); !errors.Is(err, sealbox.ErrDecrypt) {
		t.Fatalf("wrong passphrase: err = %v", err)
	}
	blob[len(blob)-1] ^= 1
	if _, err := sealbox.Open([]byte("pw"), blob); !errors.Is(err, sealbox.ErrDecrypt) {
		t.Fatalf("tampered: err = %v", err)
	}
	if _, err := sealbox.Open([]byte("pw"), blob[:10]); !errors.Is(err, sealbox.ErrMalformed) {
		t.Fatalf("truncated: err = %v", err)
	}
}

func TestKeyBindsAdditionalData(t *testing.T) {
	salt, _ := sealbox.NewSalt()
	k := sealbox.DeriveKey([]byte("pw"), salt)
	ct, err := k.Seal([]byte("record"), []byte{1})
	if err != nil {
		t.Fatal(err)
	}
	if len(ct) != len("record")+sealbox.Overhead {
		t.Fatalf("sealed length %d", len(ct))
	}
	if _, err := k.Open(ct, []byte{2}); !errors.Is(err, sealbox.ErrDecrypt) {
		t.Fatalf("wrong ad: err = %v", err)
	}
	if pt, err := k.Open(ct, []byte{1}); err != nil || string(pt) != "record" {
		t.Fatalf("Open = %q, %v", pt, err)
	}
}
