package iris

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// A gallery file is an operator's template gallery at rest: an Index
// sealed with a passphrase (SaveEncrypted). A capture file is one person's
// two templates (Person.MarshalBinary).

// OpenGallery reads the gallery file at path, sealed with passphrase, with
// the default Config. A missing file is a new, empty gallery (it is
// created by the first SaveGallery). A wrong passphrase is an error
// wrapping sealbox.ErrDecrypt.
func OpenGallery(path string, passphrase []byte) (*Index, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return NewIndex(DefaultConfig())
	}
	if err != nil {
		return nil, fmt.Errorf("open gallery: %w", err)
	}
	defer f.Close()
	x, err := LoadEncrypted(f, passphrase, DefaultConfig())
	if err != nil {
		return nil, fmt.Errorf("open gallery %s: %w", path, err)
	}
	return x, nil
}

// SaveGallery seals x with passphrase and replaces the gallery file at
// path atomically (a crash leaves the old file or the new one), creating
// its directory if needed.
func SaveGallery(path string, x *Index, passphrase []byte) error {
	var buf bytes.Buffer
	if err := x.SaveEncrypted(&buf, passphrase); err != nil {
		return fmt.Errorf("save gallery: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("save gallery: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, buf.Bytes(), 0o600); err != nil {
		return fmt.Errorf("save gallery: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("save gallery: %w", err)
	}
	return nil
}

// ReadCapture reads a capture file: one person's two templates.
func ReadCapture(path string) (*Person, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read capture: %w", err)
	}
	var p Person
	if err := p.UnmarshalBinary(b); err != nil {
		return nil, fmt.Errorf("read capture %s: %w", path, err)
	}
	return &p, nil
}

// SynthCapture returns capture number capture of the synthetic person
// called person: the same name always has the same eyes, and each capture
// number is a new noisy, rotated, occluded capture of them. For demos and
// tests of enrolment.
func SynthCapture(person, capture string) Person {
	eyes := NewSynth(seedOf("person", person), DefaultSynthConfig())
	l, r := eyes.Eye(), eyes.Eye()
	return NewSynth(seedOf("capture", person, capture), DefaultSynthConfig()).CapturePerson(l, r)
}

// seedOf hashes labels to a generator seed.
func seedOf(parts ...string) uint64 {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return binary.BigEndian.Uint64(h.Sum(nil))
}
