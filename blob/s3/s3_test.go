package s3_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"emergence/blob"
	"emergence/blob/blobtest"
	"emergence/blob/remote"
	"emergence/blob/s3"
	"emergence/blob/s3/s3test"
)

var buckets atomic.Int64

// open returns a store on a fresh bucket of g.
func open(t testing.TB, g *s3test.Gateway, opts ...s3.Option) *s3.Store {
	t.Helper()
	u := g.Bucket(t, fmt.Sprintf("blobs-%d", buckets.Add(1)))
	s, err := s3.Open(context.Background(), u, append([]s3.Option{s3.WithCredentials(s3test.AccessKey, s3test.SecretKey)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestContract(t *testing.T) {
	g := s3test.Start(t)
	blobtest.Run(t, func(t *testing.T, maxSize int64) blob.Store {
		return open(t, g, s3.WithMaxSize(maxSize))
	})
}

// TestMultipart runs the blobs longer than one part through the contract's
// rules: a whole one is stored, one that runs past the limit, breaks off
// or ends with the wrong hash leaves no object and no pending upload.
func TestMultipart(t *testing.T) {
	g := s3test.Start(t)
	ctx := context.Background()
	const limit = 2*s3.PartSize + 100
	s := open(t, g, s3.WithMaxSize(limit))
	data := blobtest.Data(9, s3.PartSize*2+7)
	h := sha256.Sum256(data)
	if err := s.Put(ctx, h, bytes.NewReader(data[1:])); !errors.Is(err, blob.ErrHashMismatch) {
		t.Fatalf("multipart Put with a wrong hash: err = %v, want ErrHashMismatch", err)
	}
	big := blobtest.Data(10, limit+1)
	if err := s.Put(ctx, sha256.Sum256(big), bytes.NewReader(big)); !errors.Is(err, blob.ErrTooLarge) {
		t.Fatalf("multipart Put over the limit: err = %v, want ErrTooLarge", err)
	}
	broken := io.MultiReader(bytes.NewReader(data[:s3.PartSize+10]), failing{})
	if err := s.Put(ctx, h, broken); err == nil {
		t.Fatal("multipart Put of a broken stream succeeded")
	}
	if ok, err := s.Has(ctx, h); err != nil || ok {
		t.Fatalf("Has after failed multipart Puts = %v, %v; want false", ok, err)
	}
	c := g.Client(t)
	for u := range c.ListIncompleteUploads(ctx, s.Bucket(), "", true) {
		if u.Err != nil {
			t.Fatal(u.Err)
		}
		t.Errorf("failed Put left the multipart upload %s of %s", u.UploadID, u.Key)
	}
	if err := s.Put(ctx, h, bytes.NewReader(data)); err != nil {
		t.Fatalf("multipart Put: %v", err)
	}
	rc, size, err := s.Get(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || size != int64(len(data)) || !bytes.Equal(got, data) {
		t.Fatalf("Get after multipart Put: %d bytes (size %d), err %v; want the %d bytes put", len(got), size, err, len(data))
	}
}

// TestLayout checks where blobs go: <prefix><ab>/<hex>, one object each,
// as the gateway's directory shows.
func TestLayout(t *testing.T) {
	g := s3test.Start(t)
	ctx := context.Background()
	u := g.Bucket(t, "layout")
	s, err := s3.Open(ctx, u[:len("s3://layout")]+"/node0/"+u[len("s3://layout"):], s3.WithCredentials(s3test.AccessKey, s3test.SecretKey))
	if err != nil {
		t.Fatal(err)
	}
	if s.MaxSize() != s3.DefaultMaxSize {
		t.Fatalf("default max size %d, want %d", s.MaxSize(), s3.DefaultMaxSize)
	}
	data := []byte("hello, emergence")
	h := sha256.Sum256(data)
	if err := s.Put(ctx, h, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	hx := blob.FormatHash(h)
	if got, want := s.Key(h), "node0/"+hx[:2]+"/"+hx; got != want {
		t.Fatalf("Key = %q, want %q", got, want)
	}
	onDisk, err := os.ReadFile(filepath.Join(g.Dir, "layout", "node0", hx[:2], hx))
	if err != nil {
		t.Fatalf("blob not at its key in the gateway's directory: %v", err)
	}
	if !bytes.Equal(onDisk, data) {
		t.Fatal("object content differs")
	}
	var keys []string
	for o := range g.Client(t).ListObjects(ctx, "layout", minio.ListObjectsOptions{Recursive: true}) {
		if o.Err != nil {
			t.Fatal(o.Err)
		}
		keys = append(keys, o.Key)
	}
	if len(keys) != 1 || keys[0] != s.Key(h) {
		t.Fatalf("bucket holds %q, want only %q", keys, s.Key(h))
	}
	// A Get serves ranges by seeking, as the HTTP handler needs.
	rc, _, err := s.Get(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	rs, ok := rc.(io.ReadSeeker)
	if !ok {
		t.Fatal("Get's reader does not seek")
	}
	if _, err := rs.Seek(7, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	if rest, err := io.ReadAll(rs); err != nil || string(rest) != "emergence" {
		t.Fatalf("read after Seek(7) = %q, %v", rest, err)
	}
}

func TestOpenErrors(t *testing.T) {
	g := s3test.Start(t)
	ctx := context.Background()
	creds := s3.WithCredentials(s3test.AccessKey, s3test.SecretKey)
	if _, err := s3.Open(ctx, "s3://missing?endpoint=http://"+g.Endpoint, creds); !errors.Is(err, s3.ErrNoBucket) {
		t.Errorf("Open of a missing bucket: err = %v, want ErrNoBucket", err)
	}
	u := g.Bucket(t, "keys")
	if _, err := s3.Open(ctx, u, s3.WithCredentials(s3test.AccessKey, "wrong")); err == nil {
		t.Error("Open with a wrong secret key succeeded")
	}
	if _, err := s3.Open(ctx, u, creds, s3.WithMaxSize(0)); err == nil {
		t.Error("Open with a zero size limit succeeded")
	}
}

func TestParseURL(t *testing.T) {
	for _, tc := range []struct {
		Name, URL string
		Want      s3.Location
		Bad       bool
	}{
		{Name: "endpoint", URL: "s3://b?endpoint=http://127.0.0.1:7070", Want: s3.Location{Bucket: "b", Endpoint: "127.0.0.1:7070"}},
		{Name: "https", URL: "s3://b/p/q?endpoint=https://s3.example:9000&region=eu-1", Want: s3.Location{Bucket: "b", Prefix: "p/q/", Endpoint: "s3.example:9000", Secure: true, Region: "eu-1"}},
		{Name: "bare host", URL: "s3://b?endpoint=minio:9000", Want: s3.Location{Bucket: "b", Endpoint: "minio:9000", Secure: true}},
		{Name: "aws", URL: "s3://b", Want: s3.Location{Bucket: "b", Endpoint: "s3.amazonaws.com", Secure: true}},
		{Name: "scheme", URL: "file:///tmp", Bad: true},
		{Name: "no bucket", URL: "s3://?endpoint=x:1", Bad: true},
		{Name: "credentials", URL: "s3://key:secret@b", Bad: true},
		{Name: "unknown param", URL: "s3://b?endpont=x:1", Bad: true},
		{Name: "endpoint path", URL: "s3://b?endpoint=http://x:1/path", Bad: true},
		{Name: "endpoint slash", URL: "s3://b?endpoint=x:1/path", Bad: true},
	} {
		t.Run(tc.Name, func(t *testing.T) {
			got, err := s3.ParseURL(tc.URL)
			if tc.Bad {
				if !errors.Is(err, s3.ErrBadURL) {
					t.Fatalf("ParseURL(%q) = %+v, %v; want ErrBadURL", tc.URL, got, err)
				}
				return
			}
			if err != nil || got != tc.Want {
				t.Fatalf("ParseURL(%q) = %+v, %v; want %+v", tc.URL, got, err, tc.Want)
			}
		})
	}
}

type failing struct{}

func (failing) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

// BenchmarkPut uploads a new 4 MiB blob per iteration (a stored one would
// only be verified), one request each.
func BenchmarkPut(b *testing.B) {
	g := s3test.Start(b)
	s := open(b, g)
	b.SetBytes(4 << 20)
	i := uint64(0)
	for b.Loop() {
		b.StopTimer()
		i++
		data := blobtest.Data(i, 4<<20)
		h := sha256.Sum256(data)
		b.StartTimer()
		if err := s.Put(context.Background(), h, bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPutMultipart uploads a new 20 MiB blob (three parts) per
// iteration.
func BenchmarkPutMultipart(b *testing.B) {
	g := s3test.Start(b)
	s := open(b, g)
	const n = 20 << 20
	b.SetBytes(n)
	i := uint64(0)
	for b.Loop() {
		b.StopTimer()
		i++
		data := blobtest.Data(i, n)
		h := sha256.Sum256(data)
		b.StartTimer()
		if err := s.Put(context.Background(), h, bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGet(b *testing.B) {
	g := s3test.Start(b)
	s := open(b, g)
	data := blobtest.Data(1, 4<<20)
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

// BenchmarkHas is the HEAD request every upload starts with.
func BenchmarkHas(b *testing.B) {
	g := s3test.Start(b)
	s := open(b, g)
	h := sha256.Sum256([]byte("absent"))
	for b.Loop() {
		if _, err := s.Has(context.Background(), h); err != nil {
			b.Fatal(err)
		}
	}
}

// TestContractThroughHandler runs the contract against a node's blob API
// whose store is a bucket: the handler's size check, quota and streaming
// work on S3 as on a directory, and Range requests are served by seeking.
func TestContractThroughHandler(t *testing.T) {
	g := s3test.Start(t)
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{3}, ed25519.SeedSize))
	serve := func(t *testing.T, maxSize int64) *remote.Store {
		srv := httptest.NewServer(blob.NewHandler(open(t, g, s3.WithMaxSize(maxSize)), &blob.Quota{Bytes: 1 << 40, Window: time.Hour}))
		t.Cleanup(srv.Close)
		return remote.New(srv.URL, srv.Client()).SignedBy(key)
	}
	blobtest.Run(t, func(t *testing.T, maxSize int64) blob.Store { return serve(t, maxSize) })

	r := serve(t, 1<<20)
	data := blobtest.Data(11, 10000)
	h := sha256.Sum256(data)
	if err := r.Put(context.Background(), h, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", r.Base()+"/v1/blobs/"+blob.FormatHash(h), nil)
	req.Header.Set("Range", "bytes=9000-9099")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(got, data[9000:9100]) {
		t.Fatalf("Range 9000-9099: %d, %d bytes (match %v)", resp.StatusCode, len(got), bytes.Equal(got, data[9000:9100]))
	}
}
