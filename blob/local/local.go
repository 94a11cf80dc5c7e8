// Package local is the blob.Store of a node's own disk: one file per blob
// under a directory, fanned out by the first byte of the hash
// (<dir>/ab/ab12...ef) so no directory grows past a few thousand entries.
//
// Uploads are written to <dir>/tmp, synced, and renamed into place, so a
// blob is either absent or complete even across crashes. Temporary files
// older than an hour (left by a crash) are removed by Open.
package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"emergence/blob"
)

// DefaultMaxSize is the size limit of a Store opened without WithMaxSize.
const DefaultMaxSize = 64 << 20

// staleTemp is the age after which Open removes leftover temporary files.
const staleTemp = time.Hour

// Store is a directory of blobs. It is safe for concurrent use, also by
// several processes sharing the directory.
type Store struct {
	dir     string
	maxSize int64
}

var (
	_ blob.Store   = (*Store)(nil)
	_ blob.Limited = (*Store)(nil)
)

// Option configures Open.
type Option func(*Store)

// WithMaxSize sets the largest blob Put accepts, in bytes (> 0).
func WithMaxSize(n int64) Option { return func(s *Store) { s.maxSize = n } }

// Open returns the store in dir, creating the directory if needed.
func Open(dir string, opts ...Option) (*Store, error) {
	s := &Store{dir: dir, maxSize: DefaultMaxSize}
	for _, o := range opts {
		o(s)
	}
	if s.maxSize <= 0 {
		return nil, fmt.Errorf("open blob store %s: max size %d must be positive", dir, s.maxSize)
	}
	if err := os.MkdirAll(s.tmpDir(), 0o755); err != nil {
		return nil, fmt.Errorf("open blob store: %w", err)
	}
	if err := s.removeStaleTemps(); err != nil {
		return nil, fmt.Errorf("open blob store: %w", err)
	}
	return s, nil
}

// Dir returns the store's directory.
func (s *Store) Dir() string { return s.dir }

// MaxSize returns the largest blob Put accepts, in bytes.
func (s *Store) MaxSize() int64 { return s.maxSize }

func (s *Store) tmpDir() string { return filepath.Join(s.dir, "tmp") }

func (s *Store) path(h [32]byte) string {
	hx := blob.FormatHash(h)
	return filepath.Join(s.dir, hx[:2], hx)
}

func (s *Store) removeStaleTemps() error {
	entries, err := os.ReadDir(s.tmpDir())
	if err != nil {
		return err
	}
	cutoff := time.Now().Add(-staleTemp)
	for _, e := range entries {
		fi, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		if fi.ModTime().Before(cutoff) {
			os.Remove(filepath.Join(s.tmpDir(), e.Name()))
		}
	}
	return nil
}

// Put implements blob.Store.
func (s *Store) Put(ctx context.Context, hash [32]byte, r io.Reader) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	f, err := os.CreateTemp(s.tmpDir(), "put-*")
	if err != nil {
		return fmt.Errorf("put blob %s: %w", blob.FormatHash(hash), err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	v := blob.NewVerifier(blob.ContextReader(ctx, r), hash, s.maxSize)
	if _, err := io.Copy(f, v); err != nil {
		return fmt.Errorf("put blob %s: %w", blob.FormatHash(hash), err)
	}
	if err := f.Chmod(0o644); err != nil {
		return fmt.Errorf("put blob %s: %w", blob.FormatHash(hash), err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("put blob %s: %w", blob.FormatHash(hash), err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("put blob %s: %w", blob.FormatHash(hash), err)
	}
	final := s.path(hash)
	if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
		return fmt.Errorf("put blob %s: %w", blob.FormatHash(hash), err)
	}
	// Replacing an existing copy is harmless: both hold the same bytes.
	if err := os.Rename(tmp, final); err != nil {
		return fmt.Errorf("put blob %s: %w", blob.FormatHash(hash), err)
	}
	if d, err := os.Open(filepath.Dir(final)); err == nil {
		d.Sync() // best effort: make the new entry durable
		d.Close()
	}
	return nil
}

// Get implements blob.Store. The reader is an *os.File, so it also seeks.
func (s *Store) Get(ctx context.Context, hash [32]byte) (io.ReadCloser, int64, error) {
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	f, err := os.Open(s.path(hash))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0, fmt.Errorf("%w: %s", blob.ErrNotFound, blob.FormatHash(hash))
	}
	if err != nil {
		return nil, 0, fmt.Errorf("get blob %s: %w", blob.FormatHash(hash), err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("get blob %s: %w", blob.FormatHash(hash), err)
	}
	return f, fi.Size(), nil
}

// Has implements blob.Store.
func (s *Store) Has(ctx context.Context, hash [32]byte) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	_, err := os.Stat(s.path(hash))
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	default:
		return false, fmt.Errorf("has blob %s: %w", blob.FormatHash(hash), err)
	}
}
