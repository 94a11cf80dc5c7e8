package store_test

import (
	"bytes"
	"testing"

	"emergence/store"
)

func TestWriteSetHash(t *testing.T) {
	w := []store.Write{{Key: []byte("a"), Value: []byte("bc")}, {Key: []byte("d"), Deleted: true}}
	h := store.WriteSetHash([]byte("p"), 5, w)
	for name, other := range map[string][]byte{
		"height":   store.WriteSetHash([]byte("p"), 6, w),
		"prev":     store.WriteSetHash([]byte("q"), 5, w),
		"boundary": store.WriteSetHash([]byte("p"), 5, []store.Write{{Key: []byte("ab"), Value: []byte("c")}, {Key: []byte("d"), Deleted: true}}),
		"op":       store.WriteSetHash([]byte("p"), 5, []store.Write{{Key: []byte("a"), Value: []byte("bc")}, {Key: []byte("d"), Value: nil}}),
	} {
		if bytes.Equal(h, other) {
			t.Errorf("hash ignores the %s", name)
		}
	}
	if !bytes.Equal(h, store.WriteSetHash([]byte("p"), 5, w)) {
		t.Fatal("hash is not deterministic")
	}
}
