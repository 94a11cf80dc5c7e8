package local_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"os"
	"path/filepath"
	"testing"
	"time"

	"emergence/blob"
	"emergence/blob/blobtest"
	"emergence/blob/local"
)

func TestContract(t *testing.T) {
	blobtest.Run(t, func(t *testing.T, maxSize int64) blob.Store {
		s, err := local.Open(t.TempDir(), local.WithMaxSize(maxSize))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestLayout(t *testing.T) {
	dir := t.TempDir()
	s, err := local.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if s.MaxSize() != local.DefaultMaxSize || local.DefaultMaxSize != 64<<20 {
		t.Fatalf("default max size %d, want 64 MiB", s.MaxSize())
	}
	data := []byte("hello, emergence")
	h := sha256.Sum256(data)
	if err := s.Put(context.Background(), h, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	hx := blob.FormatHash(h)
	got, err := os.ReadFile(filepath.Join(dir, hx[:2], hx))
	if err != nil {
		t.Fatalf("blob not at its fan-out path: %v", err)
	}
	if !bytes.Equal(got, data) {
		t.Fatal("file content differs")
	}
	tmp, err := os.ReadDir(filepath.Join(dir, "tmp"))
	if err != nil {
		t.Fatal(err)
	}
	if len(tmp) != 0 {
		t.Fatalf("%d temporary files left after Put", len(tmp))
	}
	// A failed Put leaves no temporary file either.
	if err := s.Put(context.Background(), h, bytes.NewReader(data[1:])); err == nil {
		t.Fatal("mismatched Put succeeded")
	}
	if tmp, _ := os.ReadDir(filepath.Join(dir, "tmp")); len(tmp) != 0 {
		t.Fatalf("%d temporary files left after a failed Put", len(tmp))
	}
}

func TestOpenRemovesStaleTemps(t *testing.T) {
	dir := t.TempDir()
	if _, err := local.Open(dir); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(dir, "tmp", "put-stale")
	fresh := filepath.Join(dir, "tmp", "put-fresh")
	for _, p := range []string{stale, fresh} {
		if err := os.WriteFile(p, []byte("partial"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-2 * time.Hour)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	if _, err := local.Open(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("stale temp file kept: %v", err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("fresh temp file (maybe an upload in flight) removed: %v", err)
	}
}

func TestOpenRejectsBadLimit(t *testing.T) {
	if _, err := local.Open(t.TempDir(), local.WithMaxSize(0)); err == nil {
		t.Fatal("opened with a zero size limit")
	}
}

func BenchmarkPut(b *testing.B) {
	s, err := local.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	data := blobtest.Data(1, 4<<20)
	h := sha256.Sum256(data)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if err := s.Put(context.Background(), h, bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGet(b *testing.B) {
	s, err := local.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	data := blobtest.Data(1, 4<<20)
	h := sha256.Sum256(data)
	if err := s.Put(context.Background(), h, bytes.NewReader(data)); err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 32<<10)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		rc, _, err := s.Get(context.Background(), h)
		if err != nil {
			b.Fatal(err)
		}
		for {
			if _, err := rc.Read(buf); err != nil {
				break
			}
		}
		rc.Close()
	}
}
