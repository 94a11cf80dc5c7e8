// Package blobtest is the contract test of blob.Store: one test body that
// every backend must pass. A backend's test calls Run with a function that
// opens a fresh, empty store with the given size limit.
package blobtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"math/rand/v2"
	"sync"
	"testing"

	"emergence/blob"
)

// Factory opens a fresh, empty store whose Put accepts blobs of at most
// maxSize bytes. It registers any cleanup with t.
type Factory func(t *testing.T, maxSize int64) blob.Store

// Limit is the size limit Run opens stores with.
const Limit = 64 << 10

// Data returns n deterministic pseudo-random bytes for seed.
func Data(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// Run runs the contract test against stores made by open.
func Run(t *testing.T, open Factory) {
	ctx := context.Background()
	for _, tc := range []struct {
		Name string
		Fn   func(t *testing.T, s blob.Store)
	}{
		{"RoundTrip", func(t *testing.T, s blob.Store) {
			for _, n := range []int{0, 1, 4095, 4096, 40000, Limit} {
				data := Data(uint64(n), n)
				h := sha256.Sum256(data)
				if err := s.Put(ctx, h, bytes.NewReader(data)); err != nil {
					t.Fatalf("Put %d bytes: %v", n, err)
				}
				mustHave(t, s, h, true)
				got := mustGet(t, s, h)
				if !bytes.Equal(got, data) {
					t.Fatalf("Get %d bytes returned %d other bytes", n, len(got))
				}
			}
		}},
		{"Missing", func(t *testing.T, s blob.Store) {
			h := sha256.Sum256([]byte("never stored"))
			mustHave(t, s, h, false)
			if _, _, err := s.Get(ctx, h); !errors.Is(err, blob.ErrNotFound) {
				t.Fatalf("Get missing: err = %v, want ErrNotFound", err)
			}
		}},
		{"HashMismatch", func(t *testing.T, s blob.Store) {
			data := Data(1, 1000)
			wrong := sha256.Sum256(append([]byte{0}, data...))
			if err := s.Put(ctx, wrong, bytes.NewReader(data)); !errors.Is(err, blob.ErrHashMismatch) {
				t.Fatalf("Put with a wrong hash: err = %v, want ErrHashMismatch", err)
			}
			mustHave(t, s, wrong, false)
			mustHave(t, s, sha256.Sum256(data), false)
		}},
		{"TooLarge", func(t *testing.T, s blob.Store) {
			data := Data(2, Limit+1)
			h := sha256.Sum256(data)
			if err := s.Put(ctx, h, bytes.NewReader(data)); !errors.Is(err, blob.ErrTooLarge) {
				t.Fatalf("Put %d bytes over a %d limit: err = %v, want ErrTooLarge", len(data), Limit, err)
			}
			mustHave(t, s, h, false)
			// An endless stream is cut off, not read to the end. Network
			// backends read ahead of the limit by what the connection
			// buffers, hence the allowance.
			endless := &countingReader{}
			if err := s.Put(ctx, h, endless); !errors.Is(err, blob.ErrTooLarge) {
				t.Fatalf("Put endless stream: err = %v, want ErrTooLarge", err)
			}
			if endless.n > 32<<20 {
				t.Fatalf("Put read %d bytes of an endless stream with a %d limit", endless.n, Limit)
			}
		}},
		{"PutTwice", func(t *testing.T, s blob.Store) {
			data := Data(3, 5000)
			h := sha256.Sum256(data)
			for i := range 2 {
				if err := s.Put(ctx, h, bytes.NewReader(data)); err != nil {
					t.Fatalf("Put #%d: %v", i+1, err)
				}
			}
			// A wrong upload of a stored hash fails and leaves the blob intact.
			if err := s.Put(ctx, h, bytes.NewReader(data[1:])); !errors.Is(err, blob.ErrHashMismatch) {
				t.Fatalf("bad re-Put: err = %v, want ErrHashMismatch", err)
			}
			if got := mustGet(t, s, h); !bytes.Equal(got, data) {
				t.Fatal("stored blob changed after a failed re-Put")
			}
		}},
		{"ReaderError", func(t *testing.T, s blob.Store) {
			data := Data(4, 3000)
			h := sha256.Sum256(data)
			boom := errors.New("connection reset")
			r := io.MultiReader(bytes.NewReader(data[:1000]), errReader{boom})
			if err := s.Put(ctx, h, r); err == nil {
				t.Fatal("Put succeeded although the reader failed")
			}
			mustHave(t, s, h, false)
		}},
		{"Cancelled", func(t *testing.T, s blob.Store) {
			data := Data(5, 3000)
			h := sha256.Sum256(data)
			cctx, cancel := context.WithCancel(ctx)
			cancel()
			if err := s.Put(cctx, h, bytes.NewReader(data)); !errors.Is(err, context.Canceled) {
				t.Fatalf("Put with a cancelled context: err = %v, want context.Canceled", err)
			}
			mustHave(t, s, h, false)
		}},
		{"Concurrent", func(t *testing.T, s blob.Store) {
			const workers = 6
			datas := [][]byte{Data(6, 20000), Data(7, 30000)}
			var wg sync.WaitGroup
			errs := make(chan error, workers)
			for i := range workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					d := datas[i%len(datas)]
					errs <- s.Put(ctx, sha256.Sum256(d), bytes.NewReader(d))
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatalf("concurrent Put: %v", err)
				}
			}
			for _, d := range datas {
				if got := mustGet(t, s, sha256.Sum256(d)); !bytes.Equal(got, d) {
					t.Fatal("concurrent Puts stored wrong bytes")
				}
			}
		}},
	} {
		t.Run(tc.Name, func(t *testing.T) { tc.Fn(t, open(t, Limit)) })
	}
}

func mustHave(t *testing.T, s blob.Store, h [32]byte, want bool) {
	t.Helper()
	got, err := s.Has(context.Background(), h)
	if err != nil {
		t.Fatalf("Has: %v", err)
	}
	if got != want {
		t.Fatalf("Has(%s) = %v, want %v", blob.FormatHash(h), got, want)
	}
}

func mustGet(t *testing.T, s blob.Store, h [32]byte) []byte {
	t.Helper()
	rc, size, err := s.Get(context.Background(), h)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read blob: %v", err)
	}
	if int64(len(data)) != size {
		t.Fatalf("Get reported %d bytes, read %d", size, len(data))
	}
	if sha256.Sum256(data) != h {
		t.Fatal("Get returned bytes with another hash")
	}
	return data
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// countingReader is an endless stream of zeros that counts what was read.
type countingReader struct{ n int }

func (c *countingReader) Read(p []byte) (int, error) {
	clear(p)
	c.n += len(p)
	return len(p), nil
}
