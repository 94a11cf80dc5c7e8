package crawl

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"

	"github.com/nlnwa/gowarc/v3"
)

// MaxRecordBody caps the payload ReadWARC reads from one record (the fetcher's default
// decoded-body cap), so a hostile WARC file cannot exhaust memory.
const MaxRecordBody = 16 << 20

// Response is an HTTP response read back from a WARC response record.
type Response struct {
	// URL is the record's WARC-Target-URI.
	URL         string
	Status      int
	ContentType string
	// Body is the payload (the fetcher stores bodies decoded).
	Body []byte
}

// ReadWARC calls fn with every response record of r, a WARC file of one or more records,
// plain or gzip-compressed (per record or whole). Records of other types (request,
// metadata, warcinfo) are skipped. A malformed record or a payload over MaxRecordBody is
// an error.
func ReadWARC(r io.Reader, fn func(Response) error) error {
	// Decompress here (gzip.Reader reads concatenated members), so a file gzipped per
	// record and one gzipped whole read alike.
	br := bufio.NewReader(r)
	if magic, err := br.Peek(2); err == nil && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return fmt.Errorf("read warc: %w", err)
		}
		defer zr.Close()
		r = zr
	} else {
		r = br
	}
	wr, err := gowarc.NewWarcFileReaderFromStream(r, 0, gowarc.WithSyntaxErrorPolicy(gowarc.ErrFail), gowarc.WithBlockErrorPolicy(gowarc.ErrFail))
	if err != nil {
		return fmt.Errorf("read warc: %w", err)
	}
	for n := 0; ; n++ {
		rec, err := wr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("warc record %d: %w", n, err)
		}
		resp, ok, err := response(rec.WarcRecord)
		if cerr := rec.Close(); err == nil && cerr != nil {
			err = cerr
		}
		if err == nil && len(rec.Validation) > 0 {
			err = fmt.Errorf("invalid record: %v", rec.Validation)
		}
		if err != nil {
			return fmt.Errorf("warc record %d: %w", n, err)
		}
		if !ok {
			continue
		}
		if err := fn(resp); err != nil {
			return err
		}
	}
}

func response(rec gowarc.WarcRecord) (Response, bool, error) {
	if rec == nil || rec.Type() != gowarc.Response {
		return Response{}, false, nil
	}
	blk, ok := rec.Block().(gowarc.HttpResponseBlock)
	if !ok {
		return Response{}, false, nil
	}
	pr, err := blk.PayloadBytes()
	if err != nil {
		return Response{}, false, fmt.Errorf("payload: %w", err)
	}
	body, err := io.ReadAll(io.LimitReader(pr, MaxRecordBody+1))
	if err != nil {
		return Response{}, false, fmt.Errorf("payload: %w", err)
	}
	if len(body) > MaxRecordBody {
		return Response{}, false, fmt.Errorf("payload over %d bytes", MaxRecordBody)
	}
	resp := Response{URL: rec.WarcHeader().Get(gowarc.WarcTargetURI), Status: blk.HttpStatusCode(), Body: body}
	if h := blk.HttpHeader(); h != nil {
		resp.ContentType = h.Get("Content-Type")
	}
	return resp, true, nil
}
