// Package blob is content-addressed storage for files that modules reference
// by hash: datasets, model weights, proofs, labels. A blob's address is the
// SHA-256 of its bytes, so anyone holding the hash can check what they got.
//
// Store is the interface every backend implements: blob/local keeps blobs in
// a directory on the node; an S3-compatible backend implements the same three
// methods. blob/remote is a Store that talks to a node's HTTP API, served by
// NewHandler. blob/blobtest holds the contract test all backends pass.
package blob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
)

// HashSize is the length in bytes of a blob hash (SHA-256).
const HashSize = sha256.Size

// Errors returned by every Store. Callers test them with errors.Is.
var (
	// ErrNotFound is returned by Get when no blob has the hash.
	ErrNotFound = errors.New("blob not found")
	// ErrHashMismatch is returned by Put when the bytes read do not hash to
	// the hash given; nothing is stored. Readers that verify content (see
	// Verifier) return it at the end of a blob whose bytes do not match.
	ErrHashMismatch = errors.New("blob hash mismatch")
	// ErrTooLarge is returned by Put when the content is longer than the
	// store's size limit; nothing is stored.
	ErrTooLarge = errors.New("blob too large")
	// ErrBadHash is returned by ParseHash for text that is not 64 hex digits.
	ErrBadHash = errors.New("bad blob hash")
)

// Store holds blobs by the SHA-256 of their content.
//
// Implementations must be safe for concurrent use. A blob, once stored, is
// never changed, so readers need no locking.
type Store interface {
	// Put reads r to EOF and stores its bytes under hash. It verifies the
	// hash while streaming and fails with ErrHashMismatch (nothing stored)
	// if the bytes do not hash to it, and with ErrTooLarge (nothing stored)
	// as soon as more bytes than the store's limit arrive. The blob becomes
	// visible to Get and Has atomically and only once complete. Putting a
	// blob that is already stored verifies the bytes again and succeeds.
	// A cancelled ctx aborts the upload with ctx's error.
	Put(ctx context.Context, hash [32]byte, r io.Reader) error
	// Get opens the blob and returns its content and size in bytes, or
	// ErrNotFound. The caller must close the reader.
	Get(ctx context.Context, hash [32]byte) (io.ReadCloser, int64, error)
	// Has reports whether the blob is stored.
	Has(ctx context.Context, hash [32]byte) (bool, error)
}

// Limited is implemented by stores with a size limit, so that front ends
// (the HTTP handler) can refuse oversized uploads before reading them.
type Limited interface {
	// MaxSize returns the largest blob, in bytes, that Put accepts.
	MaxSize() int64
}

// ParseHash parses a hash written as 64 hex digits (either case).
func ParseHash(s string) ([32]byte, error) {
	var h [32]byte
	if len(s) != 2*HashSize {
		return h, fmt.Errorf("%w %q: %d characters, want %d hex digits", ErrBadHash, truncate(s), len(s), 2*HashSize)
	}
	if _, err := hex.Decode(h[:], []byte(s)); err != nil {
		return h, fmt.Errorf("%w %q: %v", ErrBadHash, truncate(s), err)
	}
	return h, nil
}

// FormatHash returns the lowercase hex form of a hash, as used in URLs.
func FormatHash(h [32]byte) string { return hex.EncodeToString(h[:]) }

func truncate(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

// Verifier reads through a blob's content, enforcing a size limit and
// checking its hash. Backends use it to stream uploads; clients use it to
// check downloads.
type Verifier struct {
	r    io.Reader
	want [32]byte
	max  int64
	n    int64
	h    hash.Hash
	err  error
}

// NewVerifier returns a reader of r that fails with ErrTooLarge once more
// than maxSize bytes have been read (no limit if maxSize <= 0), and at the
// end of r returns ErrHashMismatch instead of io.EOF if the bytes read do not
// hash to want.
func NewVerifier(r io.Reader, want [32]byte, maxSize int64) *Verifier {
	return &Verifier{r: r, want: want, max: maxSize, h: sha256.New()}
}

// Read implements io.Reader.
func (v *Verifier) Read(p []byte) (int, error) {
	if v.err != nil {
		return 0, v.err
	}
	if v.max > 0 && int64(len(p)) > v.max-v.n+1 {
		p = p[:v.max-v.n+1] // read at most one byte past the limit
	}
	n, err := v.r.Read(p)
	v.n += int64(n)
	v.h.Write(p[:n])
	if v.max > 0 && v.n > v.max {
		v.err = fmt.Errorf("%w: more than %d bytes", ErrTooLarge, v.max)
		return 0, v.err
	}
	if err == io.EOF {
		var got [32]byte
		v.h.Sum(got[:0])
		if got != v.want {
			v.err = fmt.Errorf("%w: content hashes to %s, want %s", ErrHashMismatch, FormatHash(got), FormatHash(v.want))
			return n, v.err
		}
		v.err = io.EOF
	} else if err != nil {
		v.err = err
	}
	return n, err
}

// N returns the number of bytes read so far.
func (v *Verifier) N() int64 { return v.n }

// ContextReader returns a reader of r that fails with ctx's error once ctx
// is done, checked before every read.
func ContextReader(ctx context.Context, r io.Reader) io.Reader {
	return &ctxReader{ctx: ctx, r: r}
}

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
