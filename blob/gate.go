package blob

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"emergence/tx"
)

// Reads of a paid dataset's shards are signed like uploads (SignUpload),
// with their own domain and key header, so that an upload signature can
// never pass for a read or the other way round: HeaderReader carries the
// reader's public key, HeaderTime the time of signing and HeaderSignature an
// ed25519 signature of ReadMessage(hash, time). The node accepts a
// signature within UploadWindow of its own clock.
const HeaderReader = "Emergence-Reader" // hex public key of the reading account

// readDomain separates read signatures from uploads and transactions.
const readDomain = "emergence/blob-read/v1\x00"

// ErrNotBought is returned (as a *NotBoughtError) when a blob is a shard of
// priced datasets and the request is not signed by an account that bought
// one of them.
var ErrNotBought = errors.New("blob is a shard of a paid dataset")

// NotBoughtError says which datasets' buyers may read a blob and who asked.
type NotBoughtError struct {
	// Hash of the blob asked for.
	Hash [32]byte
	// Datasets whose purchase gives access (at least one).
	Datasets []uint64
	// Reader is the signing account; zero for an unsigned request.
	Reader tx.Address
}

func (e *NotBoughtError) Error() string {
	ids := make([]string, len(e.Datasets))
	for i, d := range e.Datasets {
		ids[i] = strconv.FormatUint(d, 10)
	}
	who := "the request is not signed by a buyer (sign it with the buying account's key)"
	if e.Reader != (tx.Address{}) {
		who = e.Reader.String() + " has not bought it"
	}
	return fmt.Sprintf("%v: blob %s is a shard of paid dataset %s and %s", ErrNotBought, FormatHash(e.Hash), strings.Join(ids, ", "), who)
}

// Unwrap makes errors.Is(err, ErrNotBought) hold.
func (e *NotBoughtError) Unwrap() error { return ErrNotBought }

// Gate decides who may read a blob. The blob API asks it about every GET:
// blobs it names no dataset for are public; the others are served only to
// requests signed (SignRead) by an account that bought one of the datasets.
// The chain's data module answers both questions; implementations must be
// safe for concurrent use.
type Gate interface {
	// Access returns the priced datasets whose buyers may read blob hash
	// (at most MaxGateDatasets are used), or none when anyone may.
	Access(ctx context.Context, hash [32]byte) ([]uint64, error)
	// Bought reports whether account may read blob hash as a buyer of
	// dataset: it bought it, or the gate's rules let it read this blob of
	// the dataset for another reason (its publisher; for a crawl's WARC
	// records, the crawlers that made them).
	Bought(ctx context.Context, account tx.Address, hash [32]byte, dataset uint64) (bool, error)
}

// MaxGateDatasets bounds the purchases one read checks.
const MaxGateDatasets = 16

// ReadMessage is what a reader signs: a domain, the blob hash and the
// signing time (unix seconds, big-endian), each of fixed length.
func ReadMessage(hash [32]byte, unix int64) []byte {
	return signedMessage(readDomain, hash, unix)
}

// SignRead sets the read headers of req for the blob hash, signed by key at
// now.
func SignRead(req *http.Request, key ed25519.PrivateKey, hash [32]byte, now time.Time) {
	signRequest(req, HeaderReader, readDomain, key, hash, now)
}

// VerifyRead checks the read headers of req for hash against now and
// returns the signing account, or an error wrapping ErrUnauthorized.
func VerifyRead(req *http.Request, hash [32]byte, now time.Time) (tx.Address, error) {
	return verifyRequest(req, HeaderReader, "reader", "", readDomain, hash, now)
}

// checkRead applies g to a GET of hash: nil when r may read it. paid reports
// whether the blob is gated (its response must not be cached publicly).
func checkRead(ctx context.Context, g Gate, r *http.Request, hash [32]byte, now time.Time) (paid bool, err error) {
	datasets, err := g.Access(ctx, hash)
	if err != nil {
		return false, fmt.Errorf("read access to blob %s: %w", FormatHash(hash), err)
	}
	if len(datasets) == 0 {
		return false, nil
	}
	if len(datasets) > MaxGateDatasets {
		datasets = datasets[:MaxGateDatasets]
	}
	if r.Header.Get(HeaderReader) == "" {
		return true, &NotBoughtError{Hash: hash, Datasets: datasets}
	}
	reader, err := VerifyRead(r, hash, now)
	if err != nil {
		return true, err
	}
	for _, d := range datasets {
		ok, err := g.Bought(ctx, reader, hash, d)
		if err != nil {
			return true, fmt.Errorf("purchase of dataset %d by %s: %w", d, reader, err)
		}
		if ok {
			return true, nil
		}
	}
	return true, &NotBoughtError{Hash: hash, Datasets: datasets, Reader: reader}
}
