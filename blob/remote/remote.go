// Package remote is a blob.Store that keeps blobs on an Emergence node,
// through the node's HTTP API (served by blob.NewHandler). Workers use it to
// upload the files their transactions reference and to fetch files by hash.
// Downloads are verified against their hash as they are read.
package remote

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"emergence/blob"
	"emergence/tx"
)

// Store talks to the blob API of one node.
type Store struct {
	base string
	hc   *http.Client
	key  ed25519.PrivateKey
}

var _ blob.Store = (*Store)(nil)

// New returns a Store for the node API at baseURL (e.g.
// "http://127.0.0.1:8545"). A nil hc means http.DefaultClient.
func New(baseURL string, hc *http.Client) *Store {
	if hc == nil {
		hc = http.DefaultClient
	}
	return &Store{base: strings.TrimRight(baseURL, "/"), hc: hc}
}

// SignedBy returns a copy of s that signs its uploads with an account's
// key, as the node requires (blob.SignUpload); the node charges the bytes to
// that account's quota. Its downloads are signed too (blob.SignRead), so
// that the node serves the shards of paid datasets the account bought.
func (s *Store) SignedBy(key ed25519.PrivateKey) *Store {
	c := *s
	c.key = key
	return &c
}

// Base returns the node API's base URL.
func (s *Store) Base() string { return s.base }

func (s *Store) url(h [32]byte) string { return s.base + "/v1/blobs/" + blob.FormatHash(h) }

// Put implements blob.Store. The node verifies the hash and enforces its
// size limit; its refusals come back as blob.ErrHashMismatch and
// blob.ErrTooLarge.
func (s *Store) Put(ctx context.Context, hash [32]byte, r io.Reader) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, s.url(hash), r)
	if err != nil {
		return fmt.Errorf("put blob %s: %w", blob.FormatHash(hash), err)
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	if s.key == nil {
		return fmt.Errorf("put blob %s: %w: the store has no key to sign with (use SignedBy)", blob.FormatHash(hash), blob.ErrUnauthorized)
	}
	blob.SignUpload(req, s.key, hash, time.Now())
	resp, err := s.hc.Do(req)
	if err != nil {
		return fmt.Errorf("put blob %s: %w", blob.FormatHash(hash), err)
	}
	defer drainClose(resp.Body)
	if resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusCreated {
		return nil
	}
	return fmt.Errorf("put blob %s: %w", blob.FormatHash(hash), decodeError(resp))
}

// Get implements blob.Store. Reading the returned content to its end fails
// with blob.ErrHashMismatch if the node sent bytes with another hash.
func (s *Store) Get(ctx context.Context, hash [32]byte) (io.ReadCloser, int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url(hash), nil)
	if err != nil {
		return nil, 0, fmt.Errorf("get blob %s: %w", blob.FormatHash(hash), err)
	}
	if s.key != nil {
		blob.SignRead(req, s.key, hash, time.Now())
	}
	resp, err := s.hc.Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("get blob %s: %w", blob.FormatHash(hash), err)
	}
	if resp.StatusCode != http.StatusOK {
		defer drainClose(resp.Body)
		err := decodeError(resp)
		if nb, ok := err.(*blob.NotBoughtError); ok {
			nb.Hash = hash
			if s.key != nil {
				nb.Reader = tx.AddressFromPubKey(s.key.Public().(ed25519.PublicKey))
			}
		}
		return nil, 0, fmt.Errorf("get blob %s: %w", blob.FormatHash(hash), err)
	}
	return &verified{Verifier: blob.NewVerifier(resp.Body, hash, 0), body: resp.Body}, resp.ContentLength, nil
}

// Has implements blob.Store with a HEAD request.
func (s *Store) Has(ctx context.Context, hash [32]byte) (bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, s.url(hash), nil)
	if err != nil {
		return false, fmt.Errorf("has blob %s: %w", blob.FormatHash(hash), err)
	}
	resp, err := s.hc.Do(req)
	if err != nil {
		return false, fmt.Errorf("has blob %s: %w", blob.FormatHash(hash), err)
	}
	defer drainClose(resp.Body)
	switch resp.StatusCode {
	case http.StatusOK:
		return true, nil
	case http.StatusNotFound:
		return false, nil
	default:
		return false, fmt.Errorf("has blob %s: HTTP %s", blob.FormatHash(hash), resp.Status)
	}
}

type verified struct {
	*blob.Verifier
	body io.ReadCloser
}

func (v *verified) Close() error { return v.body.Close() }

// decodeError turns an error response into the matching blob sentinel.
func decodeError(resp *http.Response) error {
	var body blob.ErrorBody
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err := json.Unmarshal(data, &body); err != nil || body.Code == "" {
		return fmt.Errorf("HTTP %s: %s", resp.Status, strings.TrimSpace(string(data)))
	}
	var sentinel error
	switch body.Code {
	case blob.CodeNotFound:
		sentinel = blob.ErrNotFound
	case blob.CodeHashMismatch:
		sentinel = blob.ErrHashMismatch
	case blob.CodeTooLarge:
		sentinel = blob.ErrTooLarge
	case blob.CodeBadHash:
		sentinel = blob.ErrBadHash
	case blob.CodeUnauthorized:
		sentinel = blob.ErrUnauthorized
	case blob.CodeForbidden:
		sentinel = blob.ErrForbidden
	case blob.CodeQuota:
		sentinel = blob.ErrQuota
	case blob.CodeNotBought:
		return &blob.NotBoughtError{Datasets: body.Datasets}
	default:
		return fmt.Errorf("HTTP %s: %s (%s)", resp.Status, body.Error, body.Code)
	}
	msg := strings.TrimPrefix(body.Error, sentinel.Error())
	msg = strings.TrimPrefix(msg, ": ")
	if msg == "" {
		return sentinel
	}
	return fmt.Errorf("%w: %s", sentinel, msg)
}

func drainClose(rc io.ReadCloser) {
	io.Copy(io.Discard, io.LimitReader(rc, 64<<10))
	rc.Close()
}
