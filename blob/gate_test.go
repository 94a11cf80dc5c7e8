package blob_test

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"emergence/blob"
	"emergence/blob/local"
	"emergence/blob/remote"
	"emergence/tx"
)

// ledger is a Gate over a table of datasets and purchases, standing in for
// the data module's answers so that the handler's rules are tested alone.
type ledger struct {
	mu     sync.Mutex
	shards map[[32]byte][]uint64 // blob -> priced datasets
	bought map[tx.Address][]uint64
	err    error
}

func (l *ledger) Access(_ context.Context, h [32]byte) ([]uint64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.shards[h], l.err
}

func (l *ledger) Bought(_ context.Context, a tx.Address, _ [32]byte, d uint64) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, x := range l.bought[a] {
		if x == d {
			return true, nil
		}
	}
	return false, l.err
}

func addr(k ed25519.PrivateKey) tx.Address {
	return tx.AddressFromPubKey(k.Public().(ed25519.PublicKey))
}

func newGated(t *testing.T, g blob.Gate) (*server, blob.Store) {
	st := newLocal(t, 1<<20)
	srv := httptest.NewServer(blob.NewHandler(st, roomy(), blob.WithGate(g), blob.WithLogger(slog.New(slog.DiscardHandler))))
	t.Cleanup(srv.Close)
	return &server{t: t, url: srv.URL, key: testKey("alice")}, st
}

// get sends a GET of h signed by key at when (nil key: unsigned) with
// extra headers.
func (s *server) get(h [32]byte, key ed25519.PrivateKey, when time.Time, hdr map[string]string) (*http.Response, []byte) {
	s.t.Helper()
	all := map[string]string{}
	if key != nil {
		req, _ := http.NewRequest("GET", "/", nil)
		blob.SignRead(req, key, h, when)
		for k := range req.Header {
			all[k] = req.Header.Get(k)
		}
	}
	for k, v := range hdr {
		all[k] = v
	}
	return s.do("GET", "/v1/blobs/"+blob.FormatHash(h), nil, false, all)
}

// How a cheater would read a paid dataset without paying, and why each
// way fails: no signature, a non-buyer's signature, a purchase of another
// (cheap) dataset, an upload signature or an old read signature replayed,
// a signature of another blob. Buyers get the bytes, free blobs stay public.
func TestPaidShardsAreServedOnlyToBuyers(t *testing.T) {
	buyer, stranger, cheap := testKey("buyer"), testKey("stranger"), testKey("cheap-buyer")
	shard, other, free := []byte("paid shard 0 of dataset 7"), []byte("paid shard of dataset 8"), []byte("a free dataset's shard")
	sh, oh, fh := sha256.Sum256(shard), sha256.Sum256(other), sha256.Sum256(free)
	l := &ledger{
		shards: map[[32]byte][]uint64{sh: {7}, oh: {8}},
		bought: map[tx.Address][]uint64{addr(buyer): {7}, addr(cheap): {8}},
	}
	srv, _ := newGated(t, l)
	for _, d := range [][]byte{shard, other, free} {
		if resp, body := srv.do("PUT", "/v1/blobs/"+blob.FormatHash(sha256.Sum256(d)), d, false, nil); resp.StatusCode != http.StatusCreated {
			t.Fatalf("upload: %d %s", resp.StatusCode, body)
		}
	}
	now := time.Now()

	resp, body := srv.get(fh, nil, now, nil)
	if resp.StatusCode != 200 || string(body) != string(free) || !strings.HasPrefix(resp.Header.Get("Cache-Control"), "public") {
		t.Fatalf("free blob unsigned: %d %q cache %q", resp.StatusCode, body, resp.Header.Get("Cache-Control"))
	}

	resp, body = srv.get(sh, buyer, now, nil)
	if resp.StatusCode != 200 || string(body) != string(shard) {
		t.Fatalf("buyer: %d %s", resp.StatusCode, body)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "private, no-store" {
		t.Fatalf("paid blob Cache-Control %q, want private, no-store", cc)
	}

	for _, tc := range []struct {
		Name   string
		Key    ed25519.PrivateKey
		When   time.Time
		Hdr    map[string]string
		Hash   [32]byte
		Status int
		Code   string
	}{
		{Name: "unsigned", Hash: sh, Status: 403, Code: blob.CodeNotBought},
		{Name: "stranger", Key: stranger, When: now, Hash: sh, Status: 403, Code: blob.CodeNotBought},
		{Name: "buyer of another dataset", Key: cheap, When: now, Hash: sh, Status: 403, Code: blob.CodeNotBought},
		{Name: "buyer of 7 asks for 8", Key: buyer, When: now, Hash: oh, Status: 403, Code: blob.CodeNotBought},
		{Name: "stale signature", Key: buyer, When: now.Add(-blob.UploadWindow - time.Minute), Hash: sh, Status: 401, Code: blob.CodeUnauthorized},
		{Name: "signature of another blob", Hash: sh, Hdr: signedFor(buyer, fh, now), Status: 401, Code: blob.CodeUnauthorized},
		{Name: "upload signature replayed", Hash: sh, Hdr: uploadSigned(buyer, sh, now), Status: 403, Code: blob.CodeNotBought},
		{Name: "upload signature as read", Hash: sh, Hdr: uploadAsRead(buyer, sh, now), Status: 401, Code: blob.CodeUnauthorized},
	} {
		t.Run(tc.Name, func(t *testing.T) {
			resp, body := srv.get(tc.Hash, tc.Key, tc.When, tc.Hdr)
			wantError(t, resp, body, tc.Status, tc.Code)
			if tc.Code == blob.CodeNotBought {
				var e blob.ErrorBody
				json.Unmarshal(body, &e)
				want := l.shards[tc.Hash][0]
				if len(e.Datasets) != 1 || e.Datasets[0] != want {
					t.Fatalf("datasets %v, want [%d]", e.Datasets, want)
				}
			}
		})
	}

	// HEAD tells existence and size (both on chain) to anyone.
	resp, body = srv.do("HEAD", "/v1/blobs/"+blob.FormatHash(sh), nil, false, nil)
	if resp.StatusCode != 200 || len(body) != 0 || resp.ContentLength != int64(len(shard)) {
		t.Fatalf("HEAD of a paid blob: %d, %d body bytes, length %d", resp.StatusCode, len(body), resp.ContentLength)
	}

	// A purchase made later opens the blob.
	l.mu.Lock()
	l.bought[addr(stranger)] = []uint64{7}
	l.mu.Unlock()
	if resp, body := srv.get(sh, stranger, now, nil); resp.StatusCode != 200 {
		t.Fatalf("after buying: %d %s", resp.StatusCode, body)
	}

	// The gate failing is a 500 with no detail, never an open door.
	l.mu.Lock()
	l.err = errors.New("chain query failed")
	l.mu.Unlock()
	resp, body = srv.get(oh, buyer, now, nil)
	wantError(t, resp, body, 500, blob.CodeInternal)
}

func signedFor(k ed25519.PrivateKey, h [32]byte, now time.Time) map[string]string {
	req, _ := http.NewRequest("GET", "/", nil)
	blob.SignRead(req, k, h, now)
	return map[string]string{blob.HeaderReader: req.Header.Get(blob.HeaderReader), blob.HeaderTime: req.Header.Get(blob.HeaderTime), blob.HeaderSignature: req.Header.Get(blob.HeaderSignature)}
}

func uploadSigned(k ed25519.PrivateKey, h [32]byte, now time.Time) map[string]string {
	req, _ := http.NewRequest("PUT", "/", nil)
	blob.SignUpload(req, k, h, now)
	return map[string]string{blob.HeaderUploader: req.Header.Get(blob.HeaderUploader), blob.HeaderTime: req.Header.Get(blob.HeaderTime), blob.HeaderSignature: req.Header.Get(blob.HeaderSignature)}
}

// uploadAsRead moves an upload signature's key into the reader header: the
// domains differ, so it does not verify as a read.
func uploadAsRead(k ed25519.PrivateKey, h [32]byte, now time.Time) map[string]string {
	m := uploadSigned(k, h, now)
	m[blob.HeaderReader] = m[blob.HeaderUploader]
	delete(m, blob.HeaderUploader)
	return m
}

// remote.Store signs its reads when it has a key, and reports a refusal as
// a *blob.NotBoughtError naming the datasets to buy.
func TestRemoteSignsReads(t *testing.T) {
	buyer := testKey("buyer")
	shard := []byte("paid shard")
	h := sha256.Sum256(shard)
	l := &ledger{shards: map[[32]byte][]uint64{h: {3}}, bought: map[tx.Address][]uint64{addr(buyer): {3}}}
	srv, st := newGated(t, l)
	if err := st.Put(context.Background(), h, strings.NewReader(string(shard))); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	rc, _, err := remote.New(srv.url, nil).SignedBy(buyer).Get(ctx, h)
	if err != nil {
		t.Fatalf("buyer's Get: %v", err)
	}
	rc.Close()
	for _, s := range []*remote.Store{remote.New(srv.url, nil), remote.New(srv.url, nil).SignedBy(testKey("stranger"))} {
		_, _, err := s.Get(ctx, h)
		var nb *blob.NotBoughtError
		if !errors.As(err, &nb) || !errors.Is(err, blob.ErrNotBought) || len(nb.Datasets) != 1 || nb.Datasets[0] != 3 || nb.Hash != h {
			t.Fatalf("non-buyer's Get: err = %v, want a NotBoughtError for dataset 3", err)
		}
	}
}

// BenchmarkGet compares a GET of a free blob with one of a paid shard by a
// buyer (read signature checked, purchase looked up) on the same handler.
func BenchmarkGet(b *testing.B) {
	buyer := testKey("buyer")
	free, paid := []byte("free blob"), []byte("paid shard")
	fh, ph := sha256.Sum256(free), sha256.Sum256(paid)
	l := &ledger{shards: map[[32]byte][]uint64{ph: {1}}, bought: map[tx.Address][]uint64{addr(buyer): {1}}}
	st, err := local.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	for _, d := range [][]byte{free, paid} {
		if err := st.Put(context.Background(), sha256.Sum256(d), strings.NewReader(string(d))); err != nil {
			b.Fatal(err)
		}
	}
	h := blob.NewHandler(st, roomy(), blob.WithGate(l))
	for _, tc := range []struct {
		Name string
		Hash [32]byte
		Sign bool
	}{{"free", fh, false}, {"paid", ph, true}} {
		b.Run(tc.Name, func(b *testing.B) {
			signed := httptest.NewRequest("GET", "/", nil) // signed once: the node's cost only
			if tc.Sign {
				blob.SignRead(signed, buyer, tc.Hash, time.Now())
			}
			for b.Loop() {
				req := httptest.NewRequest("GET", "/v1/blobs/"+blob.FormatHash(tc.Hash), nil)
				req.Header = signed.Header.Clone()
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				if w.Code != 200 {
					b.Fatalf("status %d", w.Code)
				}
			}
		})
	}
}
