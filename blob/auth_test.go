package blob_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"emergence/blob"
	"emergence/tx"
)

func blobPath(data []byte) (string, [32]byte) {
	h := sha256.Sum256(data)
	return "/v1/blobs/" + blob.FormatHash(h), h
}

// The attack of issue 17.5: anyone could fill the node's disk with
// unauthenticated uploads (80 MiB in 3 s). Uploads are now signed by an
// account and charged to its quota; past it the node stores nothing more.
func TestUploadsAreSignedAndBoundedByQuota(t *testing.T) {
	st := newLocal(t, 1<<20)
	const quota = 1 << 20
	q := &blob.Quota{Bytes: quota, Window: time.Hour}
	srv := newServerQuota(t, st, q)

	var stored int64
	refused := 0
	for i := 0; i < 40; i++ {
		data := bytes.Repeat([]byte{byte(i)}, 100<<10)
		path, h := blobPath(data)
		resp, body := srv.do("PUT", path, data, i%2 == 1, nil)
		switch resp.StatusCode {
		case http.StatusCreated:
			stored += int64(len(data))
		case http.StatusTooManyRequests:
			wantError(t, resp, body, 429, blob.CodeQuota)
			refused++
			if ok, _ := st.Has(context.Background(), h); ok {
				t.Fatalf("upload %d refused but stored", i)
			}
		default:
			t.Fatalf("upload %d: status %d (%s)", i, resp.StatusCode, body)
		}
	}
	if stored > quota || stored < quota-100<<10 || refused == 0 {
		t.Fatalf("stored %d bytes (quota %d), %d uploads refused", stored, quota, refused)
	}
	// Uploading what is already stored costs nothing; other accounts have
	// their own quota.
	first := bytes.Repeat([]byte{0}, 100<<10)
	path, _ := blobPath(first)
	if resp, body := srv.do("PUT", path, first, false, nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("re-upload: %d (%s)", resp.StatusCode, body)
	}
	srv.key = testKey("bob")
	data := []byte("bob's labels")
	path, _ = blobPath(data)
	if resp, body := srv.do("PUT", path, data, false, nil); resp.StatusCode != http.StatusCreated {
		t.Fatalf("bob: %d (%s)", resp.StatusCode, body)
	}
}

func TestUnsignedOrBadlySignedUploadsAreRefused(t *testing.T) {
	st := newLocal(t, 1000)
	mallory := testKey("mallory")
	banned := tx.AddressFromPubKey(mallory.Public().(ed25519.PublicKey))
	q := &blob.Quota{Bytes: 1 << 20, Window: time.Hour, Eligible: func(a tx.Address) error {
		if a == banned {
			return fmt.Errorf("%w: %s holds no EMG", blob.ErrForbidden, a)
		}
		return nil
	}}
	srv := newServerQuota(t, st, q)
	data := []byte("page body")
	path, h := blobPath(data)
	other := sha256.Sum256([]byte("other"))
	sign := func(key ed25519.PrivateKey, hash [32]byte, at time.Time) map[string]string {
		req, _ := http.NewRequest("PUT", "/", nil)
		blob.SignUpload(req, key, hash, at)
		return map[string]string{
			blob.HeaderUploader:  req.Header.Get(blob.HeaderUploader),
			blob.HeaderTime:      req.Header.Get(blob.HeaderTime),
			blob.HeaderSignature: req.Header.Get(blob.HeaderSignature),
		}
	}
	alice := testKey("alice")
	forged := sign(alice, h, time.Now())
	forged[blob.HeaderTime] = strconv.FormatInt(time.Now().Unix()+1, 10)
	for name, hdr := range map[string]map[string]string{
		"unsigned":        {blob.HeaderUploader: "", blob.HeaderTime: "", blob.HeaderSignature: ""},
		"another hash":    sign(alice, other, time.Now()),
		"expired":         sign(alice, h, time.Now().Add(-blob.UploadWindow-time.Minute)),
		"from the future": sign(alice, h, time.Now().Add(blob.UploadWindow+time.Minute)),
		"time not signed": forged,
		"key not the signer": func() map[string]string {
			m := sign(alice, h, time.Now())
			m[blob.HeaderUploader] = sign(testKey("bob"), h, time.Now())[blob.HeaderUploader]
			return m
		}(),
	} {
		resp, body := srv.do("PUT", path, data, false, hdr)
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s: status %d (%s), want 401", name, resp.StatusCode, body)
			continue
		}
		wantError(t, resp, body, 401, blob.CodeUnauthorized)
	}
	resp, body := srv.do("PUT", path, data, false, sign(mallory, h, time.Now()))
	wantError(t, resp, body, 403, blob.CodeForbidden)
	if ok, _ := st.Has(context.Background(), h); ok {
		t.Fatal("a refused upload was stored")
	}
	if resp, body := srv.do("PUT", path, data, false, nil); resp.StatusCode != http.StatusCreated {
		t.Fatalf("signed upload: %d (%s)", resp.StatusCode, body)
	}
}

func TestHandlerWithoutQuotaRefusesUploads(t *testing.T) {
	srv := newServerQuota(t, newLocal(t, 1000), nil)
	data := []byte("x")
	path, _ := blobPath(data)
	resp, body := srv.do("PUT", path, data, false, nil)
	wantError(t, resp, body, 403, blob.CodeForbidden)
}
