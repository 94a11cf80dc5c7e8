package blob_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"emergence/blob"
	"emergence/blob/local"
)

func TestParseHash(t *testing.T) {
	h := sha256.Sum256([]byte("x"))
	hx := blob.FormatHash(h)
	for _, s := range []string{hx, strings.ToUpper(hx)} {
		got, err := blob.ParseHash(s)
		if err != nil || got != h {
			t.Errorf("ParseHash(%q) = %x, %v", s, got, err)
		}
	}
	for _, s := range []string{"", hx[:63], hx + "0", "sha256:" + hx[7:], strings.Repeat("g", 64), strings.Repeat("a", 10000)} {
		if _, err := blob.ParseHash(s); !errors.Is(err, blob.ErrBadHash) {
			t.Errorf("ParseHash(%.20q...): err = %v, want ErrBadHash", s, err)
		}
	}
}

func TestVerifier(t *testing.T) {
	data := []byte("0123456789")
	h := sha256.Sum256(data)
	v := blob.NewVerifier(bytes.NewReader(data), h, 10)
	got, err := io.ReadAll(v)
	if err != nil || !bytes.Equal(got, data) || v.N() != 10 {
		t.Fatalf("exact limit: %q, %v, n=%d", got, err, v.N())
	}
	if _, err := io.ReadAll(blob.NewVerifier(bytes.NewReader(data), h, 9)); !errors.Is(err, blob.ErrTooLarge) {
		t.Errorf("over limit: err = %v, want ErrTooLarge", err)
	}
	if _, err := io.ReadAll(blob.NewVerifier(bytes.NewReader(data[:9]), h, 0)); !errors.Is(err, blob.ErrHashMismatch) {
		t.Errorf("short content: err = %v, want ErrHashMismatch", err)
	}
	// The error sticks.
	v = blob.NewVerifier(bytes.NewReader(data[:9]), h, 0)
	io.ReadAll(v)
	if _, err := v.Read(make([]byte, 1)); !errors.Is(err, blob.ErrHashMismatch) {
		t.Errorf("read after mismatch: err = %v", err)
	}
}

type server struct {
	t   *testing.T
	url string
	key ed25519.PrivateKey // signs PUTs that carry no upload headers
}

// testKey is a deterministic account key.
func testKey(name string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("blob-test/" + name))
	return ed25519.NewKeyFromSeed(seed[:])
}

// roomy is a quota no test reaches.
func roomy() *blob.Quota { return &blob.Quota{Bytes: 1 << 40, Window: time.Hour} }

func newServer(t *testing.T, s blob.Store) *server { return newServerQuota(t, s, roomy()) }

func newServerQuota(t *testing.T, s blob.Store, q *blob.Quota) *server {
	srv := httptest.NewServer(blob.NewHandler(s, q, blob.WithLogger(slog.New(slog.DiscardHandler))))
	t.Cleanup(srv.Close)
	return &server{t: t, url: srv.URL, key: testKey("alice")}
}

func newLocal(t *testing.T, max int64) *local.Store {
	s, err := local.Open(t.TempDir(), local.WithMaxSize(max))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// do sends a request; body may be nil; chunked hides the length.
func (s *server) do(method, path string, body []byte, chunked bool, hdr map[string]string) (*http.Response, []byte) {
	s.t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
		if chunked {
			rd = io.MultiReader(rd) // not a *bytes.Reader: no Content-Length
		}
	}
	req, err := http.NewRequest(method, s.url+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	if _, signed := hdr[blob.HeaderUploader]; method == "PUT" && !signed {
		if h, err := blob.ParseHash(strings.TrimPrefix(path, "/v1/blobs/")); err == nil {
			blob.SignUpload(req, s.key, h, time.Now())
		}
	}
	for k, v := range hdr {
		if v == "" {
			req.Header.Del(k)
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	return resp, out
}

func wantError(t *testing.T, resp *http.Response, body []byte, status int, code string) {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("status %d, want %d (body %s)", resp.StatusCode, status, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("error Content-Type %q", ct)
	}
	var e blob.ErrorBody
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("error body %s: %v", body, err)
	}
	if e.Code != code || e.Error == "" {
		t.Fatalf("error body %+v, want code %q", e, code)
	}
}

func TestHandler(t *testing.T) {
	st := newLocal(t, 1000)
	srv := newServer(t, st)
	data := []byte("labels for batch 7")
	h := sha256.Sum256(data)
	path := "/v1/blobs/" + blob.FormatHash(h)

	resp, body := srv.do("PUT", path, data, false, nil)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("PUT: status %d (%s)", resp.StatusCode, body)
	}
	var res blob.PutResult
	if err := json.Unmarshal(body, &res); err != nil || res.Hash != blob.FormatHash(h) || res.Size != int64(len(data)) {
		t.Fatalf("PUT result %s, %v", body, err)
	}
	if resp, _ := srv.do("PUT", path, data, true, nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("second PUT: status %d, want 200", resp.StatusCode)
	}

	resp, body = srv.do("GET", path, nil, false, nil)
	if resp.StatusCode != http.StatusOK || !bytes.Equal(body, data) {
		t.Fatalf("GET: %d %q", resp.StatusCode, body)
	}
	if got := resp.Header.Get("ETag"); got != `"`+blob.FormatHash(h)+`"` {
		t.Errorf("ETag %q", got)
	}
	if got := resp.Header.Get("Content-Type"); got != "application/octet-stream" {
		t.Errorf("Content-Type %q", got)
	}
	if resp.ContentLength != int64(len(data)) {
		t.Errorf("Content-Length %d", resp.ContentLength)
	}
	resp, body = srv.do("HEAD", path, nil, false, nil)
	if resp.StatusCode != http.StatusOK || len(body) != 0 || resp.ContentLength != int64(len(data)) {
		t.Errorf("HEAD: %d, %d body bytes, length %d", resp.StatusCode, len(body), resp.ContentLength)
	}
	resp, body = srv.do("GET", path, nil, false, map[string]string{"Range": "bytes=7-9"})
	if resp.StatusCode != http.StatusPartialContent || string(body) != "for" {
		t.Errorf("Range: %d %q", resp.StatusCode, body)
	}
	resp, _ = srv.do("GET", path, nil, false, map[string]string{"If-None-Match": `"` + blob.FormatHash(h) + `"`})
	if resp.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match: status %d, want 304", resp.StatusCode)
	}

	t.Run("errors", func(t *testing.T) {
		resp, body := srv.do("PUT", "/v1/blobs/xyz", data, false, nil)
		wantError(t, resp, body, 400, blob.CodeBadHash)
		resp, body = srv.do("GET", "/v1/blobs/"+strings.Repeat("z", 64), nil, false, nil)
		wantError(t, resp, body, 400, blob.CodeBadHash)

		other := sha256.Sum256([]byte("other"))
		resp, body = srv.do("PUT", "/v1/blobs/"+blob.FormatHash(other), data, false, nil)
		wantError(t, resp, body, 422, blob.CodeHashMismatch)
		resp, body = srv.do("GET", "/v1/blobs/"+blob.FormatHash(other), nil, false, nil)
		wantError(t, resp, body, 404, blob.CodeNotFound)

		big := bytes.Repeat([]byte("a"), 1001)
		bh := "/v1/blobs/" + blob.FormatHash(sha256.Sum256(big))
		resp, body = srv.do("PUT", bh, big, false, nil) // refused from Content-Length
		wantError(t, resp, body, 413, blob.CodeTooLarge)
		resp, body = srv.do("PUT", bh, big, true, nil) // refused while streaming
		wantError(t, resp, body, 413, blob.CodeTooLarge)
	})
}

// failing is a Store whose storage is broken.
type failing struct{}

func (failing) Put(context.Context, [32]byte, io.Reader) error {
	return errors.New("disk on fire at /secret/path")
}
func (failing) Get(context.Context, [32]byte) (io.ReadCloser, int64, error) {
	return nil, 0, errors.New("disk on fire at /secret/path")
}
func (failing) Has(context.Context, [32]byte) (bool, error) {
	return false, errors.New("disk on fire at /secret/path")
}

func TestHandlerHidesInternalErrors(t *testing.T) {
	srv := newServer(t, failing{})
	path := "/v1/blobs/" + blob.FormatHash(sha256.Sum256(nil))
	for _, m := range []string{"PUT", "GET"} {
		resp, body := srv.do(m, path, []byte{}, false, nil)
		wantError(t, resp, body, 500, blob.CodeInternal)
		if bytes.Contains(body, []byte("secret")) {
			t.Errorf("%s leaked internal detail: %s", m, body)
		}
	}
}

// noSeek hides the io.Seeker of a store's readers.
type noSeek struct{ blob.Store }

func (n noSeek) Get(ctx context.Context, h [32]byte) (io.ReadCloser, int64, error) {
	rc, size, err := n.Store.Get(ctx, h)
	if err != nil {
		return nil, 0, err
	}
	return struct {
		io.Reader
		io.Closer
	}{rc, rc}, size, nil
}

func TestHandlerStreamsNonSeekable(t *testing.T) {
	st := newLocal(t, 1000)
	data := []byte("streamed")
	h := sha256.Sum256(data)
	if err := st.Put(context.Background(), h, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	srv := newServer(t, noSeek{st})
	path := "/v1/blobs/" + blob.FormatHash(h)
	resp, body := srv.do("GET", path, nil, false, nil)
	if resp.StatusCode != 200 || !bytes.Equal(body, data) || resp.ContentLength != int64(len(data)) {
		t.Fatalf("GET: %d %q length %d", resp.StatusCode, body, resp.ContentLength)
	}
	resp, _ = srv.do("GET", path, nil, false, map[string]string{"If-None-Match": `"` + blob.FormatHash(h) + `"`})
	if resp.StatusCode != http.StatusNotModified {
		t.Fatalf("If-None-Match: %d", resp.StatusCode)
	}
}
