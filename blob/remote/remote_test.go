package remote_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"emergence/blob"
	"emergence/blob/blobtest"
	"emergence/blob/local"
	"emergence/blob/remote"
)

// The contract test through the whole HTTP path: remote.Store ->
// blob.NewHandler -> local.Store.
func TestContract(t *testing.T) {
	blobtest.Run(t, func(t *testing.T, maxSize int64) blob.Store {
		return newRemote(t, maxSize)
	})
}

func newRemote(t testing.TB, maxSize int64) *remote.Store {
	t.Helper()
	s, err := local.Open(t.TempDir(), local.WithMaxSize(maxSize))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(blob.NewHandler(s, &blob.Quota{Bytes: 1 << 40, Window: time.Hour}))
	t.Cleanup(srv.Close)
	return remote.New(srv.URL+"/", srv.Client()).SignedBy(uploader)
}

// uploader is the account that signs the tests' uploads.
var uploader = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))

// A store without a key cannot upload: the node would refuse it anyway.
func TestPutNeedsAKey(t *testing.T) {
	s := newRemote(t, 100)
	unsigned := remote.New(s.Base(), nil)
	data := []byte("x")
	if err := unsigned.Put(context.Background(), sha256.Sum256(data), bytes.NewReader(data)); !errors.Is(err, blob.ErrUnauthorized) {
		t.Fatalf("unsigned Put: err = %v, want ErrUnauthorized", err)
	}
}

// A node that serves wrong bytes is caught by the reader.
func TestGetVerifiesContent(t *testing.T) {
	data := []byte("the real content")
	h := sha256.Sum256(data)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("forged content!!"))
	}))
	defer srv.Close()
	rc, _, err := remote.New(srv.URL, srv.Client()).Get(context.Background(), h)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if _, err := io.ReadAll(rc); !errors.Is(err, blob.ErrHashMismatch) {
		t.Fatalf("reading forged content: err = %v, want ErrHashMismatch", err)
	}
}

func TestNodeErrorsAreReported(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "upstream down", http.StatusBadGateway)
	}))
	defer srv.Close()
	s := remote.New(srv.URL, srv.Client()).SignedBy(uploader)
	h := sha256.Sum256(nil)
	if err := s.Put(context.Background(), h, bytes.NewReader(nil)); err == nil {
		t.Error("Put succeeded against a failing node")
	}
	if _, err := s.Has(context.Background(), h); err == nil {
		t.Error("Has succeeded against a failing node")
	}
	if _, _, err := s.Get(context.Background(), h); err == nil || errors.Is(err, blob.ErrNotFound) {
		t.Errorf("Get against a failing node: err = %v", err)
	}
}

// BenchmarkHTTPPut measures upload throughput through the HTTP handler on
// loopback, 4 MiB per blob.
func BenchmarkHTTPPut(b *testing.B) {
	s := newRemote(b, 64<<20)
	data := blobtest.Data(9, 4<<20)
	h := sha256.Sum256(data)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if err := s.Put(context.Background(), h, bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHTTPGet measures download throughput through the HTTP handler
// on loopback, including the client's hash check, 4 MiB per blob.
func BenchmarkHTTPGet(b *testing.B) {
	s := newRemote(b, 64<<20)
	data := blobtest.Data(9, 4<<20)
	h := sha256.Sum256(data)
	if err := s.Put(context.Background(), h, bytes.NewReader(data)); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		rc, _, err := s.Get(context.Background(), h)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, rc); err != nil {
			b.Fatal(err)
		}
		rc.Close()
	}
}
