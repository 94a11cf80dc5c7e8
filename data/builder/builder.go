// Package builder turns a crawl job's accepted pages, as the chain recorded them, into
// dataset records (issue 11 item 5). Anyone can run it: it reads the job and its
// accepted pages from a node, fetches each page's WARC record from the blob store,
// re-extracts the text with clean.PageText and keeps only text whose SHA-256 is the
// text hash the page's crawlers agreed on, so every record is what the chain accepted.
// Given the same chain state it returns the same records in the same order.
package builder

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"

	"emergence/blob"
	"emergence/data"
	"emergence/data/clean"
	"emergence/data/crawl"
	"emergence/data/shard"
)

// Chain is what the builder reads from a node (a *client.Client).
type Chain interface {
	Query(ctx context.Context, module, path string, params url.Values, out any) error
}

// ErrNoText reports an accepted page none of whose WARC records holds the agreed text.
var ErrNoText = errors.New("no WARC record of the page holds its agreed text")

// Records returns one record per accepted page of job, sorted by ID (the job id and
// the page's index, zero-padded), with the agreed text, its language, the settlement
// height as fetched_at, the WARC record used and the agreeing crawlers.
func Records(ctx context.Context, c Chain, blobs blob.Store, job uint64) (data.Job, []shard.Record, error) {
	var j data.Job
	if err := c.Query(ctx, data.Name, "job/"+strconv.FormatUint(job, 10), nil, &j); err != nil {
		return j, nil, fmt.Errorf("job %d: %w", job, err)
	}
	var recs []shard.Record
	q := url.Values{"state": {data.StateAccepted}, "limit": {strconv.Itoa(data.MaxPage)}}
	for {
		var ps data.Pages
		if err := c.Query(ctx, data.Name, fmt.Sprintf("job/%d/urls", job), q, &ps); err != nil {
			return j, nil, fmt.Errorf("job %d pages: %w", job, err)
		}
		for _, p := range ps.Pages {
			r, err := record(ctx, blobs, j, p)
			if err != nil {
				return j, nil, err
			}
			recs = append(recs, r)
		}
		if ps.Next == nil {
			break
		}
		q.Set("after", strconv.FormatUint(*ps.Next, 10))
	}
	shard.Sort(recs)
	if uint64(len(recs)) != j.Accepted {
		return j, nil, fmt.Errorf("job %d lists %d accepted pages, the chain counts %d", job, len(recs), j.Accepted)
	}
	return j, recs, nil
}

// RecordID is the dataset record id of a job's page.
func RecordID(job, index uint64) string { return fmt.Sprintf("%d-%010d", job, index) }

func record(ctx context.Context, blobs blob.Store, j data.Job, p data.Page) (shard.Record, error) {
	for _, w := range p.WARCs {
		h, err := blob.ParseHash(w)
		if err != nil {
			continue
		}
		text, ok, err := agreedText(ctx, blobs, h, p)
		if err != nil {
			return shard.Record{}, fmt.Errorf("page %d (%s): %w", p.Index, p.URL, err)
		}
		if !ok {
			continue
		}
		lang, score := clean.Identify(text)
		var crawlers []string
		for _, a := range p.Agreed {
			crawlers = append(crawlers, a.String())
		}
		return shard.Record{
			ID: RecordID(j.ID, p.Index), URL: p.URL, Text: text, Language: lang, LanguageScore: score,
			FetchedAt: p.Settled, TextHash: p.TextHash, WARCBlob: w, Crawlers: crawlers, Licence: j.Licence,
		}, nil
	}
	return shard.Record{}, fmt.Errorf("page %d (%s): %w", p.Index, p.URL, ErrNoText)
}

// agreedText reads one WARC record and returns its page text if it hashes to the page's
// agreed text hash. A missing blob is not an error (another crawler's record may do).
func agreedText(ctx context.Context, blobs blob.Store, h [32]byte, p data.Page) (string, bool, error) {
	rc, _, err := blobs.Get(ctx, h)
	if errors.Is(err, blob.ErrNotFound) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("warc blob %x: %w", h, err)
	}
	raw, err := io.ReadAll(io.LimitReader(rc, crawl.MaxRecordBody+1<<20))
	rc.Close()
	if err != nil {
		return "", false, fmt.Errorf("warc blob %x: %w", h, err)
	}
	var text string
	found := false
	err = crawl.ReadWARC(bytes.NewReader(raw), func(r crawl.Response) error {
		if !found {
			// The crawler extracted with the response's own URL, which the record keeps.
			text, found = clean.PageText(r.Body, r.URL), true
		}
		return nil
	})
	if err != nil || !found {
		return "", false, nil
	}
	sum := sha256.Sum256([]byte(text))
	return text, hex.EncodeToString(sum[:]) == p.TextHash, nil
}
