package iris

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"emergence/personhood/sealbox"
)

var storeMagic = []byte("emgiris1")

// ErrMalformedStore is returned when reading bytes that are not a template store.
var ErrMalformedStore = errors.New("malformed template store")

const recordPlain = 2 * TemplateSize

// SaveEncrypted writes every enrolled person to w, encrypted at rest: one
// Argon2id key from passphrase, each person sealed separately with
// XChaCha20-Poly1305 and bound to its id. Layout: magic, salt, count, records.
func (x *Index) SaveEncrypted(w io.Writer, passphrase []byte) error {
	salt, err := sealbox.NewSalt()
	if err != nil {
		return err
	}
	key := sealbox.DeriveKey(passphrase, salt)
	bw := bufio.NewWriter(w)
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(x.n))
	for _, b := range [][]byte{storeMagic, salt, n[:]} {
		if _, err := bw.Write(b); err != nil {
			return fmt.Errorf("write template store: %w", err)
		}
	}
	plain := make([]byte, 0, recordPlain)
	for id := 0; id < x.n; id++ {
		p, err := x.Person(id)
		if err != nil {
			return err
		}
		l, _ := p.Left.MarshalBinary()
		r, _ := p.Right.MarshalBinary()
		plain = append(append(plain[:0], l...), r...)
		binary.BigEndian.PutUint64(n[:], uint64(id))
		ct, err := key.Seal(plain, n[:])
		if err != nil {
			return err
		}
		if _, err := bw.Write(ct); err != nil {
			return fmt.Errorf("write template store: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write template store: %w", err)
	}
	return nil
}

// LoadEncrypted reads a store written by SaveEncrypted into a new index.
// A wrong passphrase gives sealbox.ErrDecrypt.
func LoadEncrypted(r io.Reader, passphrase []byte, cfg Config) (*Index, error) {
	x, err := NewIndex(cfg)
	if err != nil {
		return nil, err
	}
	br := bufio.NewReader(r)
	head := make([]byte, len(storeMagic)+sealbox.SaltSize+8)
	if _, err := io.ReadFull(br, head); err != nil {
		return nil, fmt.Errorf("read store header: %w", ErrMalformedStore)
	}
	if string(head[:len(storeMagic)]) != string(storeMagic) {
		return nil, fmt.Errorf("bad magic: %w", ErrMalformedStore)
	}
	salt := head[len(storeMagic) : len(storeMagic)+sealbox.SaltSize]
	count := binary.BigEndian.Uint64(head[len(storeMagic)+sealbox.SaltSize:])
	if count > 1<<32 {
		return nil, fmt.Errorf("record count %d: %w", count, ErrMalformedStore)
	}
	key := sealbox.DeriveKey(passphrase, salt)
	rec := make([]byte, recordPlain+sealbox.Overhead)
	var ad [8]byte
	for id := uint64(0); id < count; id++ {
		if _, err := io.ReadFull(br, rec); err != nil {
			return nil, fmt.Errorf("read record %d: %w", id, ErrMalformedStore)
		}
		binary.BigEndian.PutUint64(ad[:], id)
		plain, err := key.Open(rec, ad[:])
		if err != nil {
			return nil, fmt.Errorf("record %d: %w", id, err)
		}
		var p Person
		if err := p.Left.UnmarshalBinary(plain[:TemplateSize]); err != nil {
			return nil, err
		}
		if err := p.Right.UnmarshalBinary(plain[TemplateSize:]); err != nil {
			return nil, err
		}
		x.Add(&p)
	}
	if _, err := br.ReadByte(); err != io.EOF {
		return nil, fmt.Errorf("trailing bytes after %d records: %w", count, ErrMalformedStore)
	}
	return x, nil
}
