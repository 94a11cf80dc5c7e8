// Package s3 is the blob.Store of an S3-compatible bucket (Amazon S3, MinIO,
// Versity's gateway, Ceph, ...), so that a node's blobs can live past one
// machine and several nodes can share them. It adapts minio-go, the one
// dependency it wraps.
//
// A blob is the object <prefix><ab>/<ab12...ef>: its key is the lowercase hex
// SHA-256 of its bytes, fanned out by the first byte as blob/local does (file
// system backed gateways keep one directory per fan-out). Put streams the
// upload through blob.Verifier, so the hash and the size limit are checked
// on the node before the object exists: a blob of at most PartSize bytes is
// buffered, checked and sent in one PUT; a larger one goes up as a multipart
// upload that is aborted, leaving no object, when the stream breaks, runs
// past the limit or ends with the wrong hash. S3 makes an object visible
// only once its upload completes, so a blob is either absent or whole.
//
// A store is named by a URL, as the node's --blob-store flag takes it:
//
//	s3://BUCKET[/PREFIX]?endpoint=http://127.0.0.1:7070&region=us-east-1
//
// endpoint is host:port (HTTPS) or a http:// or https:// URL; without it
// the store talks to Amazon S3. Credentials come from the environment
// (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, MINIO_ROOT_USER and
// MINIO_ROOT_PASSWORD, or ~/.aws/credentials), never from the URL.
package s3

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"emergence/blob"
)

// DefaultMaxSize is the size limit of a Store opened without WithMaxSize,
// the same as blob/local's.
const DefaultMaxSize = 64 << 20

// PartSize is the largest blob Put sends in a single request, and the part
// size of larger uploads. Each upload in flight buffers up to this much.
const PartSize = 8 << 20

// Errors of Open.
var (
	// ErrBadURL is returned by Open for a store URL it cannot use.
	ErrBadURL = errors.New("bad s3 blob store URL")
	// ErrNoBucket is returned by Open when the bucket does not exist.
	ErrNoBucket = errors.New("s3 bucket does not exist")
)

// Store is a bucket (or a prefix in one) of blobs. It is safe for
// concurrent use, also by several nodes sharing the bucket.
type Store struct {
	client  *minio.Client
	bucket  string
	prefix  string
	maxSize int64
}

var (
	_ blob.Store   = (*Store)(nil)
	_ blob.Limited = (*Store)(nil)
)

// Option configures Open.
type Option func(*config)

type config struct {
	maxSize   int64
	creds     *credentials.Credentials
	transport http.RoundTripper
}

// WithMaxSize sets the largest blob Put accepts, in bytes (> 0).
func WithMaxSize(n int64) Option { return func(c *config) { c.maxSize = n } }

// WithCredentials sets a static access key and secret instead of the
// environment's.
func WithCredentials(accessKey, secretKey string) Option {
	return func(c *config) { c.creds = credentials.NewStaticV4(accessKey, secretKey, "") }
}

// WithTransport sets the HTTP transport (by default minio-go's).
func WithTransport(t http.RoundTripper) Option { return func(c *config) { c.transport = t } }

// Location is a parsed store URL.
type Location struct {
	Bucket   string
	Prefix   string // "" or ending in "/"
	Endpoint string // host:port
	Secure   bool   // HTTPS
	Region   string // "" lets the client ask the server
}

// ParseURL parses s3://BUCKET[/PREFIX]?endpoint=...&region=....
func ParseURL(raw string) (Location, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return Location{}, fmt.Errorf("%w %q: %v", ErrBadURL, raw, err)
	}
	if u.Scheme != "s3" {
		return Location{}, fmt.Errorf("%w %q: scheme must be s3://", ErrBadURL, raw)
	}
	if u.User != nil {
		return Location{}, fmt.Errorf("%w %q: put credentials in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, not in the URL", ErrBadURL, redact(u))
	}
	loc := Location{Bucket: u.Host, Endpoint: "s3.amazonaws.com", Secure: true}
	if loc.Bucket == "" {
		return Location{}, fmt.Errorf("%w %q: no bucket (want s3://BUCKET?endpoint=HOST:PORT)", ErrBadURL, raw)
	}
	if p := strings.Trim(u.Path, "/"); p != "" {
		loc.Prefix = p + "/"
	}
	q := u.Query()
	for k := range q {
		if k != "endpoint" && k != "region" {
			return Location{}, fmt.Errorf("%w %q: unknown parameter %q (known: endpoint, region)", ErrBadURL, raw, k)
		}
	}
	loc.Region = q.Get("region")
	if ep := q.Get("endpoint"); ep != "" {
		switch {
		case strings.HasPrefix(ep, "http://"), strings.HasPrefix(ep, "https://"):
			e, err := url.Parse(ep)
			if err != nil || e.Host == "" || (e.Path != "" && e.Path != "/") || e.RawQuery != "" {
				return Location{}, fmt.Errorf("%w %q: endpoint %q must be host:port or scheme://host:port", ErrBadURL, raw, ep)
			}
			loc.Endpoint, loc.Secure = e.Host, e.Scheme == "https"
		case strings.Contains(ep, "/"):
			return Location{}, fmt.Errorf("%w %q: endpoint %q must be host:port or scheme://host:port", ErrBadURL, raw, ep)
		default:
			loc.Endpoint = ep
		}
	}
	return loc, nil
}

func redact(u *url.URL) string {
	c := *u
	c.User = nil
	return c.String()
}

// Open returns the store at the URL s3://BUCKET[/PREFIX]?endpoint=...; it
// checks that the bucket exists (ErrNoBucket if not) and that the
// credentials may see it.
func Open(ctx context.Context, rawURL string, opts ...Option) (*Store, error) {
	loc, err := ParseURL(rawURL)
	if err != nil {
		return nil, err
	}
	return OpenLocation(ctx, loc, opts...)
}

// OpenLocation is Open for a parsed URL.
func OpenLocation(ctx context.Context, loc Location, opts ...Option) (*Store, error) {
	c := config{maxSize: DefaultMaxSize}
	for _, o := range opts {
		o(&c)
	}
	if c.maxSize <= 0 {
		return nil, fmt.Errorf("open s3 blob store: max size %d must be positive", c.maxSize)
	}
	if c.creds == nil {
		c.creds = credentials.NewChainCredentials([]credentials.Provider{
			&credentials.EnvAWS{}, &credentials.EnvMinio{}, &credentials.FileAWSCredentials{},
		})
	}
	client, err := minio.New(loc.Endpoint, &minio.Options{
		Creds: c.creds, Secure: loc.Secure, Region: loc.Region, Transport: c.transport,
	})
	if err != nil {
		return nil, fmt.Errorf("open s3 blob store %s at %s: %w", loc.Bucket, loc.Endpoint, err)
	}
	ok, err := client.BucketExists(ctx, loc.Bucket)
	if err != nil {
		return nil, fmt.Errorf("open s3 blob store %s at %s: %w", loc.Bucket, loc.Endpoint, err)
	}
	if !ok {
		return nil, fmt.Errorf("open s3 blob store: %w: %s at %s", ErrNoBucket, loc.Bucket, loc.Endpoint)
	}
	return &Store{client: client, bucket: loc.Bucket, prefix: loc.Prefix, maxSize: c.maxSize}, nil
}

// MaxSize returns the largest blob Put accepts, in bytes.
func (s *Store) MaxSize() int64 { return s.maxSize }

// Bucket returns the store's bucket.
func (s *Store) Bucket() string { return s.bucket }

// Key returns the object key of a blob.
func (s *Store) Key(h [32]byte) string {
	hx := blob.FormatHash(h)
	return s.prefix + hx[:2] + "/" + hx
}

// Put implements blob.Store.
func (s *Store) Put(ctx context.Context, hash [32]byte, r io.Reader) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	v := blob.NewVerifier(blob.ContextReader(ctx, r), hash, s.maxSize)
	exists, err := s.Has(ctx, hash)
	if err != nil {
		return err
	}
	if exists {
		// Stored blobs never change: check the bytes, send nothing.
		if _, err := io.Copy(io.Discard, v); err != nil {
			return fmt.Errorf("put blob %s: %w", blob.FormatHash(hash), err)
		}
		return nil
	}
	// Read up to one part; a blob that ends within it is checked whole
	// before a single PUT.
	buf := make([]byte, min(s.maxSize+1, PartSize))
	n, err := io.ReadFull(v, buf)
	opts := minio.PutObjectOptions{ContentType: "application/octet-stream"}
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		// The blob hash is the payload's SHA-256 that the request signs:
		// the server checks the bytes against it too, and the client need
		// not hash them again.
		core := minio.Core{Client: s.client}
		_, err = core.PutObject(ctx, s.bucket, s.Key(hash), bytes.NewReader(buf[:n]), int64(n), "", blob.FormatHash(hash), opts)
	case err != nil:
		return fmt.Errorf("put blob %s: %w", blob.FormatHash(hash), err)
	default:
		// Longer than a part: stream the rest as a multipart upload,
		// which minio-go aborts if v fails (too large, wrong hash, broken
		// stream), so no object appears.
		opts.PartSize = PartSize
		_, err = s.client.PutObject(ctx, s.bucket, s.Key(hash), io.MultiReader(bytes.NewReader(buf[:n]), v), -1, opts)
	}
	if err != nil {
		if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
			err = fmt.Errorf("%w (%v)", cerr, err)
		}
		return fmt.Errorf("put blob %s: %w", blob.FormatHash(hash), err)
	}
	return nil
}

// Get implements blob.Store. The reader also seeks (each seek past the
// buffered data is a ranged GET), so the HTTP handler serves Range requests.
func (s *Store) Get(ctx context.Context, hash [32]byte) (io.ReadCloser, int64, error) {
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	obj, err := s.client.GetObject(ctx, s.bucket, s.Key(hash), minio.GetObjectOptions{})
	if err != nil {
		return nil, 0, fmt.Errorf("get blob %s: %w", blob.FormatHash(hash), err)
	}
	info, err := obj.Stat()
	if err != nil {
		obj.Close()
		if notFound(err) {
			return nil, 0, fmt.Errorf("%w: %s", blob.ErrNotFound, blob.FormatHash(hash))
		}
		return nil, 0, fmt.Errorf("get blob %s: %w", blob.FormatHash(hash), err)
	}
	return obj, info.Size, nil
}

// Has implements blob.Store with a HEAD request.
func (s *Store) Has(ctx context.Context, hash [32]byte) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	_, err := s.client.StatObject(ctx, s.bucket, s.Key(hash), minio.StatObjectOptions{})
	switch {
	case err == nil:
		return true, nil
	case notFound(err):
		return false, nil
	default:
		return false, fmt.Errorf("has blob %s: %w", blob.FormatHash(hash), err)
	}
}

func notFound(err error) bool {
	resp := minio.ToErrorResponse(err)
	return resp.Code == minio.NoSuchKey || (resp.StatusCode == http.StatusNotFound && resp.Code != minio.NoSuchBucket)
}
