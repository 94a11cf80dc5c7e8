package blob

import (
	"crypto/ed25519"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"emergence/tx"
)

// Uploads are signed by an account: three headers carry its public key, the
// time of signing and an ed25519 signature of UploadMessage(hash, time).
// The node accepts a signature within UploadWindow of its own clock and
// charges the bytes to the account's Quota.
const (
	HeaderUploader  = "Emergence-Uploader"  // hex public key of the signing account
	HeaderTime      = "Emergence-Time"      // unix seconds when the upload was signed
	HeaderSignature = "Emergence-Signature" // hex ed25519 signature of UploadMessage

	// UploadWindow is how far a signature's time may be from the node's clock.
	UploadWindow = 5 * time.Minute
)

// Errors of upload authorization.
var (
	// ErrUnauthorized: the upload is not signed, or the signature or its
	// time is not valid.
	ErrUnauthorized = errors.New("blob upload not authorized")
	// ErrForbidden: the signing account may not upload (e.g. it holds too
	// little on chain).
	ErrForbidden = errors.New("account may not upload blobs")
	// ErrQuota: the account has used its upload quota for now.
	ErrQuota = errors.New("blob upload quota exceeded")
)

// uploadDomain separates upload signatures from every other signature a
// key makes (transactions sign JSON bodies, never this prefix).
const uploadDomain = "emergence/blob-upload/v1\x00"

// UploadMessage is what an uploader signs: a domain, the blob hash and the
// signing time (unix seconds, big-endian), each of fixed length.
func UploadMessage(hash [32]byte, unix int64) []byte {
	return signedMessage(uploadDomain, hash, unix)
}

// SignUpload sets the upload headers of req for the blob hash, signed by key
// at now.
func SignUpload(req *http.Request, key ed25519.PrivateKey, hash [32]byte, now time.Time) {
	signRequest(req, HeaderUploader, uploadDomain, key, hash, now)
}

// VerifyUpload checks the upload headers of req for hash against now and
// returns the signing account.
func VerifyUpload(req *http.Request, hash [32]byte, now time.Time) (tx.Address, error) {
	return verifyRequest(req, HeaderUploader, "uploader", " (sign uploads with an account key)", uploadDomain, hash, now)
}

// signedMessage is what a signed blob request signs: a domain naming its
// kind, the blob hash and the signing time (unix seconds, big-endian), each
// of fixed length, so an upload signature is never a read signature.
func signedMessage(domain string, hash [32]byte, unix int64) []byte {
	m := make([]byte, 0, len(domain)+HashSize+8)
	m = append(m, domain...)
	m = append(m, hash[:]...)
	return binary.BigEndian.AppendUint64(m, uint64(unix))
}

// signRequest sets keyHeader, the time and the signature of req for hash,
// signed by key at now under domain.
func signRequest(req *http.Request, keyHeader, domain string, key ed25519.PrivateKey, hash [32]byte, now time.Time) {
	unix := now.Unix()
	req.Header.Set(keyHeader, hex.EncodeToString(key.Public().(ed25519.PublicKey)))
	req.Header.Set(HeaderTime, strconv.FormatInt(unix, 10))
	req.Header.Set(HeaderSignature, hex.EncodeToString(ed25519.Sign(key, signedMessage(domain, hash, unix))))
}

// verifyRequest checks what signRequest set against now and returns the
// signing account, or an error wrapping ErrUnauthorized that names the
// role ("uploader", "reader").
func verifyRequest(req *http.Request, keyHeader, role, keyHint, domain string, hash [32]byte, now time.Time) (tx.Address, error) {
	pub, err := hex.DecodeString(req.Header.Get(keyHeader))
	if err != nil || len(pub) != ed25519.PublicKeySize {
		return tx.Address{}, fmt.Errorf("%w: header %s must be the %s's hex ed25519 public key%s", ErrUnauthorized, keyHeader, role, keyHint)
	}
	unix, err := strconv.ParseInt(req.Header.Get(HeaderTime), 10, 64)
	if err != nil {
		return tx.Address{}, fmt.Errorf("%w: header %s must be unix seconds", ErrUnauthorized, HeaderTime)
	}
	if d := now.Sub(time.Unix(unix, 0)); d > UploadWindow || d < -UploadWindow {
		return tx.Address{}, fmt.Errorf("%w: signed at %d, %s from the node's clock (at most %s)", ErrUnauthorized, unix, d.Round(time.Second), UploadWindow)
	}
	sig, err := hex.DecodeString(req.Header.Get(HeaderSignature))
	if err != nil || len(sig) != ed25519.SignatureSize || !ed25519.Verify(pub, signedMessage(domain, hash, unix), sig) {
		return tx.Address{}, fmt.Errorf("%w: header %s is not the %s's signature of this blob hash and time", ErrUnauthorized, HeaderSignature, role)
	}
	return tx.AddressFromPubKey(pub), nil
}

// Quota bounds what each account uploads: at most Bytes per Window, and
// only accounts that Eligible accepts. It is safe for concurrent use.
type Quota struct {
	// Bytes an account may upload per Window (new blobs only; uploading
	// a blob that is already stored is free).
	Bytes int64
	// Window over which Bytes is counted, from an account's first upload.
	Window time.Duration
	// Eligible, when set, returns an error (wrapping ErrForbidden) for
	// accounts that may not upload at all.
	Eligible func(account tx.Address) error

	mu   sync.Mutex
	used map[tx.Address]*usage
}

type usage struct {
	start time.Time
	bytes int64
}

// maxTracked bounds the accounts a Quota remembers; past it, expired
// windows are dropped.
const maxTracked = 1 << 16

// reserve grants up to want bytes (want < 0: as many as are left) to
// account at now, or fails with ErrQuota when none are left.
func (q *Quota) reserve(account tx.Address, want int64, now time.Time) (int64, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.used == nil {
		q.used = make(map[tx.Address]*usage)
	}
	u := q.used[account]
	if u == nil || now.Sub(u.start) >= q.Window {
		if len(q.used) >= maxTracked {
			for a, x := range q.used {
				if now.Sub(x.start) >= q.Window {
					delete(q.used, a)
				}
			}
		}
		u = &usage{start: now}
		q.used[account] = u
	}
	left := q.Bytes - u.bytes
	if want < 0 {
		want = left
	}
	if left <= 0 || want > left {
		return 0, fmt.Errorf("%w: %s uploaded %d of %d bytes since %s; this upload needs %d more",
			ErrQuota, account, u.bytes, q.Bytes, u.start.UTC().Format(time.RFC3339), max(want, 1))
	}
	u.bytes += want
	return want, nil
}

// settle returns the unused part of a reservation.
func (q *Quota) settle(account tx.Address, granted, used int64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if u := q.used[account]; u != nil {
		u.bytes -= max(granted-used, 0)
	}
}
