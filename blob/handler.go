package blob

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"
)

// Error codes of the HTTP API, in the "code" field of error bodies
// {"error": "...", "code": "..."}. Clients (blob/remote) map them back to
// the package's sentinel errors.
const (
	CodeBadHash      = "bad_hash"      // 400: the {hash} path segment is not 64 hex digits
	CodeHashMismatch = "hash_mismatch" // 422: uploaded bytes do not hash to {hash}
	CodeTooLarge     = "too_large"     // 413: upload longer than the store's limit
	CodeNotFound     = "not_found"     // 404: no blob with that hash
	CodeBadRequest   = "bad_request"   // 400: the request body could not be read to its end
	CodeInternal     = "internal"      // 500: storage failure; details go to the log only

	CodeMethodNotAllowed = "method_not_allowed" // 405: only GET, HEAD and PUT are served
	CodeUnauthorized     = "unauthorized"       // 401: the upload is not signed by an account, or not validly
	CodeForbidden        = "forbidden"          // 403: the signing account may not upload
	CodeQuota            = "quota_exceeded"     // 429: the account used its upload quota; retry later
	CodeNotBought        = "not_bought"         // 403: a paid dataset's shard, and the reader has not bought the dataset
)

// MinTransferRate is the slowest a blob transfer may go: a transfer's
// deadline is TransferTimeout plus its size at this rate.
const (
	MinTransferRate = 1 << 20 // bytes per second
	TransferTimeout = 30 * time.Second
)

// ErrorBody is the JSON body of every error response.
type ErrorBody struct {
	Error string `json:"error"`
	Code  string `json:"code"`
	// Datasets, with code not_bought, are the datasets whose purchase
	// gives access to the blob.
	Datasets []uint64 `json:"datasets,omitempty"`
}

// PutResult is the JSON body of a successful upload.
type PutResult struct {
	Hash string `json:"hash"`
	Size int64  `json:"size"`
}

// HandlerOption configures NewHandler.
type HandlerOption func(*handler)

// WithLogger sets the logger that receives internal errors (by default
// slog.Default()). Clients only ever see "internal error".
func WithLogger(l *slog.Logger) HandlerOption {
	return func(h *handler) { h.log = l }
}

// WithGate makes the handler serve the blobs g names datasets for only to
// their buyers (see Gate); without it every blob is public.
func WithGate(g Gate) HandlerOption {
	return func(h *handler) { h.gate = g }
}

type handler struct {
	store Store
	quota *Quota
	gate  Gate
	log   *slog.Logger
	mux   *http.ServeMux
}

// NewHandler serves s over HTTP:
//
//	PUT /v1/blobs/{hash}   body = content; 201 {"hash","size"} when stored, 200 if it already was
//	GET /v1/blobs/{hash}   200 with the content (also HEAD, Range and If-None-Match)
//
// Uploads must be signed by an account (SignUpload) and are charged to its
// quota q; a nil q refuses every upload. With WithGate, a GET of a paid
// dataset's shard must be signed by a buyer (SignRead); HEAD stays open, as
// a blob's existence and size are on chain anyway. Errors are JSON
// ErrorBody values: 400 bad_hash, 401 unauthorized (a bad read or upload
// signature), 403 forbidden or not_bought, 404 not_found,
// 405 method_not_allowed, 413 too_large, 422 hash_mismatch,
// 429 quota_exceeded, 500 internal. The handler matches full paths, so it
// can be mounted as is: mux.Handle("/v1/blobs/", blob.NewHandler(s, q)).
func NewHandler(s Store, q *Quota, opts ...HandlerOption) http.Handler {
	h := &handler{store: s, quota: q, log: slog.Default(), mux: http.NewServeMux()}
	for _, o := range opts {
		o(h)
	}
	h.mux.HandleFunc("PUT /v1/blobs/{hash}", h.put)
	h.mux.HandleFunc("GET /v1/blobs/{hash}", h.get)
	return http.HandlerFunc(h.serve)
}

// serve routes a request, answering those no route takes with a JSON
// ErrorBody (404 not_found, 405 method_not_allowed) instead of the mux's
// plain text.
func (h *handler) serve(w http.ResponseWriter, r *http.Request) {
	route, pattern := h.mux.Handler(r)
	if pattern != "" {
		h.mux.ServeHTTP(w, r)
		return
	}
	rec := &statusRecorder{h: http.Header{}}
	route.ServeHTTP(rec, r)
	switch rec.status {
	case http.StatusMethodNotAllowed:
		w.Header().Set("Allow", rec.h.Get("Allow"))
		writeJSON(w, http.StatusMethodNotAllowed, ErrorBody{Error: fmt.Sprintf("%s is not allowed on %s (allowed: %s)", r.Method, r.URL.Path, rec.h.Get("Allow")), Code: CodeMethodNotAllowed})
	case http.StatusNotFound:
		writeJSON(w, http.StatusNotFound, ErrorBody{Error: fmt.Sprintf("no route %s %s: blobs are at /v1/blobs/{hash}", r.Method, r.URL.Path), Code: CodeNotFound})
	default: // a redirect to the canonical path
		h.mux.ServeHTTP(w, r)
	}
}

// statusRecorder keeps the status and headers of the mux's built-in answer.
type statusRecorder struct {
	h      http.Header
	status int
}

func (r *statusRecorder) Header() http.Header { return r.h }
func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}
func (r *statusRecorder) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return len(b), nil
}

// status maps an error to its HTTP status and code: the one table from
// blob errors to the transport.
func status(err error) (int, string) {
	switch {
	case errors.Is(err, ErrBadHash):
		return http.StatusBadRequest, CodeBadHash
	case errors.Is(err, ErrHashMismatch):
		return http.StatusUnprocessableEntity, CodeHashMismatch
	case errors.Is(err, ErrTooLarge):
		return http.StatusRequestEntityTooLarge, CodeTooLarge
	case errors.Is(err, ErrNotFound):
		return http.StatusNotFound, CodeNotFound
	case errors.Is(err, ErrUnauthorized):
		return http.StatusUnauthorized, CodeUnauthorized
	case errors.Is(err, ErrForbidden):
		return http.StatusForbidden, CodeForbidden
	case errors.Is(err, ErrNotBought):
		return http.StatusForbidden, CodeNotBought
	case errors.Is(err, ErrQuota):
		return http.StatusTooManyRequests, CodeQuota
	default:
		return http.StatusInternalServerError, CodeInternal
	}
}

func (h *handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	code, name := status(err)
	msg := err.Error()
	if name == CodeInternal {
		if !errors.Is(err, context.Canceled) {
			h.log.Error("blob request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		}
		msg = "internal error"
	}
	body := ErrorBody{Error: msg, Code: name}
	var nb *NotBoughtError
	if errors.As(err, &nb) {
		body.Datasets = nb.Datasets
	}
	writeJSON(w, code, body)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

func (h *handler) put(w http.ResponseWriter, r *http.Request) {
	hash, err := ParseHash(r.PathValue("hash"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	// Refusals before the body is read close the connection.
	refuse := func(err error) {
		w.Header().Set("Connection", "close")
		h.fail(w, r, err)
	}
	if h.quota == nil {
		refuse(fmt.Errorf("%w: this node accepts no uploads", ErrForbidden))
		return
	}
	now := time.Now()
	account, err := VerifyUpload(r, hash, now)
	if err != nil {
		refuse(err)
		return
	}
	if h.quota.Eligible != nil {
		if err := h.quota.Eligible(account); err != nil {
			refuse(err)
			return
		}
	}
	limit := int64(-1)
	if l, ok := h.store.(Limited); ok {
		limit = l.MaxSize()
		if r.ContentLength > limit {
			refuse(fmt.Errorf("%w: %d bytes declared, limit %d", ErrTooLarge, r.ContentLength, limit))
			return
		}
	}
	existed, err := h.store.Has(r.Context(), hash)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	body := &counter{r: r.Body}
	var src io.Reader = body
	if !existed {
		// New bytes on disk are charged to the account, as they arrive.
		granted, err := h.quota.reserve(account, r.ContentLength, now)
		if err != nil {
			w.Header().Set("Retry-After", strconv.Itoa(int(h.quota.Window.Seconds())))
			refuse(err)
			return
		}
		defer func() { h.quota.settle(account, granted, body.n) }()
		src = &quotaReader{r: body, left: granted}
	}
	size := r.ContentLength
	if size < 0 {
		size = max(limit, 0)
	}
	http.NewResponseController(w).SetReadDeadline(now.Add(TransferTimeout + time.Duration(size/MinTransferRate)*time.Second))
	if err := h.store.Put(r.Context(), hash, src); err != nil {
		readErr := body.err
		body.n = 0 // nothing was stored: nothing is charged
		if errors.Is(err, ErrTooLarge) || errors.Is(err, ErrQuota) {
			w.Header().Set("Connection", "close")
		}
		if readErr != nil && !errors.Is(err, ErrTooLarge) && !errors.Is(err, ErrHashMismatch) && !errors.Is(err, ErrQuota) {
			// The client's upload broke off; not a storage failure.
			writeJSON(w, http.StatusBadRequest, ErrorBody{Error: "reading request body: " + readErr.Error(), Code: CodeBadRequest})
			return
		}
		h.fail(w, r, err)
		return
	}
	code := http.StatusCreated
	if existed {
		code = http.StatusOK
	}
	w.Header().Set("Location", "/v1/blobs/"+FormatHash(hash))
	writeJSON(w, code, PutResult{Hash: FormatHash(hash), Size: body.n})
}

// quotaReader fails with ErrQuota when more than left bytes arrive.
type quotaReader struct {
	r    io.Reader
	left int64
}

func (q *quotaReader) Read(p []byte) (int, error) {
	if q.left <= 0 {
		// Look for one more byte: EOF here means the upload fit exactly.
		var one [1]byte
		n, err := q.r.Read(one[:])
		if n > 0 {
			return 0, fmt.Errorf("%w: the upload is longer than the account's remaining quota", ErrQuota)
		}
		return 0, err
	}
	if int64(len(p)) > q.left {
		p = p[:q.left]
	}
	n, err := q.r.Read(p)
	q.left -= int64(n)
	return n, err
}

// counter counts the bytes of a request body and keeps its read error.
type counter struct {
	r   io.Reader
	n   int64
	err error
}

func (c *counter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if err != nil && err != io.EOF {
		c.err = err
	}
	return n, err
}

func (h *handler) get(w http.ResponseWriter, r *http.Request) {
	hash, err := ParseHash(r.PathValue("hash"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	paid := false
	if h.gate != nil {
		if paid, err = checkRead(r.Context(), h.gate, r, hash, time.Now()); err != nil && r.Method != http.MethodHead {
			h.fail(w, r, err)
			return
		}
	}
	rc, size, err := h.store.Get(r.Context(), hash)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	defer rc.Close()
	http.NewResponseController(w).SetWriteDeadline(time.Now().Add(TransferTimeout + time.Duration(size/MinTransferRate)*time.Second))
	hd := w.Header()
	hd.Set("Content-Type", "application/octet-stream")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("ETag", `"`+FormatHash(hash)+`"`)
	if paid {
		// Only this buyer may see it: no shared cache may keep it.
		hd.Set("Cache-Control", "private, no-store")
	} else {
		hd.Set("Cache-Control", "public, max-age=31536000, immutable")
	}
	if rs, ok := rc.(io.ReadSeeker); ok {
		// Range, HEAD and If-None-Match (against the ETag) for free.
		http.ServeContent(w, r, "", time.Time{}, rs)
		return
	}
	if match := r.Header.Get("If-None-Match"); match == hd.Get("ETag") || match == "*" {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	hd.Set("Content-Length", strconv.FormatInt(size, 10))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		io.Copy(w, rc)
	}
}
