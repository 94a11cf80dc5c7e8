package builder

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"strconv"

	"emergence/blob"
	"emergence/data"
	"emergence/data/clean"
	"emergence/data/crawl"
	"emergence/data/shard"
)

// ErrBadManifest reports a dataset whose manifest blob is not a manifest, or that names
// a malformed blob hash.
var ErrBadManifest = errors.New("bad dataset manifest")

// Dataset reads dataset id as its buyers do (the dataset read protocol): the record on
// chain, its manifest blob, whose root must be the root registered on chain
// (shard.ErrRootMismatch otherwise), and its shards, checked against that root by
// shard.Check. blobs signs its reads for a paid dataset (remote.Store.SignedBy); its
// errors (blob.ErrNotBought, blob.ErrNotFound) are returned wrapped.
func Dataset(ctx context.Context, c Chain, blobs blob.Store, id uint64) (data.Dataset, []shard.Record, error) {
	var d data.Dataset
	if err := c.Query(ctx, data.Name, "dataset/"+strconv.FormatUint(id, 10), nil, &d); err != nil {
		return d, nil, fmt.Errorf("dataset %d: %w", id, err)
	}
	get := func(hx string) ([]byte, error) {
		h, err := blob.ParseHash(hx)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBadManifest, err)
		}
		rc, _, err := blobs.Get(ctx, h)
		if err != nil {
			return nil, err
		}
		defer rc.Close()
		return io.ReadAll(rc)
	}
	m, shards, err := Fetch(d.Manifest, d.Root, get)
	if err != nil {
		return d, nil, err
	}
	recs, err := shard.Check(m, shards)
	if err != nil {
		return d, nil, err
	}
	return d, recs, nil
}

// RootError reports a dataset whose manifest's root is not the root
// registered on chain. It wraps shard.ErrRootMismatch.
type RootError struct {
	Manifest, Chain string
}

func (e *RootError) Error() string {
	return fmt.Sprintf("%v: manifest root %s, chain root %s", shard.ErrRootMismatch, e.Manifest, e.Chain)
}

func (e *RootError) Unwrap() error { return shard.ErrRootMismatch }

// Fetch reads a dataset's manifest blob (hash manifest) and its shards
// with get, as every reader of a registered dataset does (data's and
// device's): the manifest must parse (ErrBadManifest) and hold the root
// registered on chain, root (*RootError). get's errors are returned as
// they are. The caller checks the shards against the manifest
// (shard.Check).
func Fetch(manifest, root string, get func(hash string) ([]byte, error)) (shard.Manifest, [][]byte, error) {
	var m shard.Manifest
	mb, err := get(manifest)
	if err != nil {
		return m, nil, err
	}
	if err := json.Unmarshal(mb, &m); err != nil {
		return m, nil, fmt.Errorf("%w: %v", ErrBadManifest, err)
	}
	if m.Root != root {
		return m, nil, &RootError{Manifest: m.Root, Chain: root}
	}
	var shards [][]byte
	for _, sh := range m.Shards {
		b, err := get(sh.Hash)
		if err != nil {
			return m, nil, err
		}
		shards = append(shards, b)
	}
	return m, shards, nil
}

// CleanWARC runs every response record of the WARC stream r (plain or gzip) through p in
// order, calling each with the outcome of every HTML record. It returns how many
// records it read and how many of them were not HTML (counted, not cleaned). An error
// from each stops the read and is returned.
func CleanWARC(r io.Reader, p *clean.Pipeline, each func(clean.Outcome) error) (records, nonHTML int, err error) {
	err = crawl.ReadWARC(r, func(resp crawl.Response) error {
		records++
		mt, _, _ := mime.ParseMediaType(resp.ContentType)
		if mt != "text/html" && mt != "application/xhtml+xml" {
			nonHTML++
			return nil
		}
		return each(p.Process(resp.Body, resp.URL))
	})
	return records, nonHTML, err
}
