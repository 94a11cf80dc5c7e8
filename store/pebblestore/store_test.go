package pebblestore_test

import (
	"bytes"
	"fmt"
	"path/filepath"
	"testing"

	"emergence/store"
	"emergence/store/pebblestore"
)

func open(t *testing.T) *pebblestore.Store {
	t.Helper()
	s, err := pebblestore.Open(filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func collect(r store.Reader, start, end []byte) string {
	var out bytes.Buffer
	r.Iterate(start, end, func(k, v []byte) bool {
		fmt.Fprintf(&out, "%s=%s ", k, v)
		return true
	})
	return out.String()
}

func TestCacheLayersAndCommit(t *testing.T) {
	s := open(t)
	var rerr error
	c := store.NewCache(s.Committed(&rerr), &rerr)
	c.Set([]byte("a"), []byte("1"))
	c.Set([]byte("c"), []byte("3"))
	if err := s.Commit(c.Writes(), nil, 1, []byte("h1")); err != nil {
		t.Fatal(err)
	}
	block := store.NewCache(s.Committed(&rerr), &rerr)
	block.Set([]byte("b"), []byte("2"))
	txc := store.NewCache(block, &rerr)
	txc.Delete([]byte("a"))
	txc.Set([]byte("d"), []byte("4"))
	if got, want := collect(txc, nil, nil), "b=2 c=3 d=4 "; got != want {
		t.Fatalf("tx view %q, want %q", got, want)
	}
	if got, want := collect(block, nil, nil), "a=1 b=2 c=3 "; got != want {
		t.Fatalf("block view before flush %q, want %q", got, want)
	}
	txc.WriteTo(block)
	if got, want := collect(block, []byte("b"), []byte("d")), "b=2 c=3 "; got != want {
		t.Fatalf("range view %q, want %q", got, want)
	}
	stop := 0
	block.Iterate(nil, nil, func(k, v []byte) bool { stop++; return stop < 2 })
	if stop != 2 {
		t.Fatalf("iteration did not stop: %d", stop)
	}
	h2 := store.WriteSetHash([]byte("h1"), 2, block.Writes())
	if err := s.Commit(block.Writes(), []store.Write{{Key: []byte("idx"), Value: []byte("v")}}, 2, h2); err != nil {
		t.Fatal(err)
	}
	h, ah, err := s.LastCommit()
	if err != nil || h != 2 || !bytes.Equal(ah, h2) {
		t.Fatalf("LastCommit = %d %x %v", h, ah, err)
	}
	if got, want := collect(s.Committed(&rerr), nil, nil), "b=2 c=3 d=4 "; got != want {
		t.Fatalf("committed %q, want %q", got, want)
	}
	if v, _ := s.Index([]byte("idx")); string(v) != "v" {
		t.Fatalf("index %q", v)
	}
	if rerr != nil {
		t.Fatal(rerr)
	}
}

func TestCacheReadsAfterFlush(t *testing.T) {
	s := open(t)
	var rerr error
	parent := store.NewCache(s.Committed(&rerr), &rerr)
	parent.Set([]byte("k"), []byte("old"))
	c := store.NewCache(parent, &rerr)
	if string(c.Get([]byte("k"))) != "old" {
		t.Fatal("read through")
	}
	c.Set([]byte("k"), []byte("new"))
	c.WriteTo(parent)
	if got := string(c.Get([]byte("k"))); got != "new" {
		t.Fatalf("after flush the cache reads %q, want new", got)
	}
	if got := string(parent.Get([]byte("k"))); got != "new" {
		t.Fatalf("parent reads %q, want new", got)
	}
}
