// Package api serves a node's HTTP JSON API under /v1/ and Prometheus
// metrics at /metrics.
//
//	GET  /v1/status                 chain id, height, app hash, catching_up, ...
//	GET  /v1/accounts/{address}     balance and nonce
//	GET  /v1/accounts/{address}/txs the account's txs, newest first (?before=HEIGHT.INDEX&limit=N, at most MaxHistoryPage)
//	GET  /v1/blocks?to=H&limit=N    up to MaxBlockList blocks, newest first, ending at H (default latest)
//	GET  /v1/blocks?hash=HEX        the block with that hash (a list of one)
//	GET  /v1/blocks/{height}        a block (or "latest") with its app hash
//	GET  /v1/blocks/{height}/txs    its txs' results with their bodies (?offset=N&limit=M, at most MaxBlockList)
//	GET  /v1/txs/{hash}             a committed transaction's result
//	POST /v1/txs                    broadcast; waits for commit (?mode=sync: after CheckTx only)
//	POST /v1/txs/batch              up to MaxBatchTxs txs, each submitted as ?mode=sync: one result per tx
//	POST /v1/simulate               run a tx against the mempool state, keep nothing: result and gas_used
//	GET  /v1/events                 Server-Sent Events: one "block" event per committed block
//	GET  /v1/query/{module}/{path}  module queries
//	GET  /v1/codes                  every result code: codespace, number, description
//	PUT  /v1/blobs/{hash}, GET /v1/blobs/{hash}   content-addressed files (uploads signed, see BlobQuota)
//	GET  /metrics                   Prometheus
//	GET  /                          the web app, when one is mounted (see Mount)
//
// Errors are JSON objects {"error": "...", "code": "..."} with a 4xx status
// for bad requests; chain result codes travel in the result, with status 200.
package api

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/net/netutil"

	"emergence/tx"
)

// Backend is what the API needs from a node (package node implements it),
// in the API's own wire types. Errors are marked with ErrNotFound,
// ErrInvalid, ErrMempoolFull or ErrDuplicateTx to choose the HTTP status;
// any other error is a 500 and its text is only logged.
type Backend interface {
	Status() Status
	// Block returns a committed block; height 0 means the latest.
	Block(height int64) (*Block, error)
	// BlockByHash returns the committed block with a hash.
	BlockByHash(hash []byte) (*Block, error)
	Tx(hash [32]byte) (*TxResult, error)
	// AccountTxs returns up to limit txs naming addr, newest first,
	// starting before (height, index); height 0 starts at the newest.
	AccountTxs(addr tx.Address, height int64, index int, limit int) ([]AccountTx, error)
	// BlockTxs returns the results, with bodies, of the txs of a block
	// from position offset, at most limit, and how many txs it has.
	BlockTxs(height int64, offset, limit int) ([]TxResult, int, error)
	Submit(raw []byte) (CheckResult, error)
	BroadcastCommit(ctx context.Context, raw []byte) (*TxResult, error)
	// Simulate runs a tx against the mempool's state without keeping
	// anything and returns its result and gas used (signature unchecked,
	// fee not required).
	Simulate(raw []byte) (*TxResult, error)
	// Query answers a module query; the value is written as JSON.
	Query(path string, params map[string][]string) (any, error)
	Codes() []CodeInfo
	// Subscribe streams committed blocks until the returned func is called.
	Subscribe(buffer int) (<-chan BlockResult, func())
}

// Server is the HTTP API of one node.
type Server struct {
	b        Backend
	blobs    http.Handler
	ui       http.Handler // the web app (Mount), or nil
	mux      *http.ServeMux
	srv      *http.Server
	ln       net.Listener
	maxConns int
	maxTx    int64
	waitTime time.Duration
}

// New returns an API server over b. blobs, if not nil, serves /v1/blobs/.
func New(b Backend, blobs http.Handler) *Server {
	s := &Server{b: b, blobs: blobs, mux: http.NewServeMux(), maxTx: 2 << 20, waitTime: 60 * time.Second}
	s.mux.HandleFunc("GET /v1/status", s.status)
	s.mux.HandleFunc("GET /v1/accounts/{address}", s.account)
	s.mux.HandleFunc("GET /v1/accounts/{address}/txs", s.accountTxs)
	s.mux.HandleFunc("GET /v1/blocks", s.blocks)
	s.mux.HandleFunc("GET /v1/blocks/{height}", s.block)
	s.mux.HandleFunc("GET /v1/blocks/{height}/txs", s.blockTxs)
	s.mux.HandleFunc("GET /v1/txs/{hash}", s.tx)
	s.mux.HandleFunc("POST /v1/txs", s.broadcast)
	s.mux.HandleFunc("POST /v1/txs/batch", s.broadcastBatch)
	s.mux.HandleFunc("POST /v1/simulate", s.simulate)
	s.mux.HandleFunc("GET /v1/events", s.events)
	s.mux.HandleFunc("GET /v1/query/{module}/{path...}", s.query)
	s.mux.HandleFunc("GET /v1/codes", s.codes)
	if blobs != nil {
		s.mux.Handle("/v1/blobs/", blobs)
	}
	s.mux.Handle("GET /metrics", promhttp.Handler())
	return s
}

// Mount serves h for every GET or HEAD that matches no API route outside
// /v1/ (the web app); paths under /v1/ that match no route keep their
// JSON 404. Call it before Listen.
func (s *Server) Mount(h http.Handler) { s.ui = h }

// Handler returns the API's http.Handler.
func (s *Server) Handler() http.Handler {
	api := JSONErrors(s.mux)
	if s.ui == nil {
		return api
	}
	ui := s.ui
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, pattern := s.mux.Handler(r)
		get := r.Method == http.MethodGet || r.Method == http.MethodHead
		if pattern == "" && get && r.URL.Path != "/v1" && !strings.HasPrefix(r.URL.Path, "/v1/") {
			ui.ServeHTTP(w, r)
			return
		}
		api.ServeHTTP(w, r)
	})
}

// JSONErrors serves mux, answering requests that match no route with a
// JSON ErrorBody (404 not_found, or 405 method_not_allowed with its Allow
// header) instead of the mux's plain text.
func JSONErrors(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, pattern := mux.Handler(r)
		if pattern != "" {
			mux.ServeHTTP(w, r)
			return
		}
		rec := &headerRecorder{h: http.Header{}}
		h.ServeHTTP(rec, r)
		switch rec.status {
		case http.StatusMethodNotAllowed:
			w.Header().Set("Allow", rec.h.Get("Allow"))
			writeErr(w, http.StatusMethodNotAllowed, "method_not_allowed", fmt.Sprintf("%s is not allowed on %s (allowed: %s)", r.Method, r.URL.Path, rec.h.Get("Allow")))
		case http.StatusNotFound:
			writeErr(w, http.StatusNotFound, "not_found", fmt.Sprintf("no route %s %s; see the API list in the README", r.Method, r.URL.Path))
		default: // a redirect to the canonical path
			mux.ServeHTTP(w, r)
		}
	})
}

// headerRecorder keeps the status and headers of a mux's built-in answer.
type headerRecorder struct {
	h      http.Header
	status int
}

func (r *headerRecorder) Header() http.Header { return r.h }
func (r *headerRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}
func (r *headerRecorder) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return len(b), nil
}

// Timeouts of the API server. Slow or idle clients lose their connection
// instead of holding it (and a file descriptor) for ever. The event stream
// clears its deadlines; blob transfers extend theirs by their size.
const (
	// ReadHeaderTimeout bounds reading a request's headers.
	ReadHeaderTimeout = 10 * time.Second
	// ReadTimeout bounds reading a whole request, body included.
	ReadTimeout = 30 * time.Second
	// IdleTimeout closes keep-alive connections with no request.
	IdleTimeout = 60 * time.Second
)

// MaxConns is how many connections the API holds open at once given the
// process's file descriptor limit: half of it, at most 4,096, at least 16.
// The other half stays for consensus (peers, WAL, databases) and the blob
// store, so clients can never make the node run out of descriptors;
// connections past the cap wait in the kernel's accept queue.
func MaxConns(nofile uint64) int {
	n := nofile / 2
	return int(min(max(n, 16), 4096))
}

// Listen binds addr ("127.0.0.1:0" picks a port) and serves in the
// background, at most MaxConns(RLIMIT_NOFILE) connections at a time.
func (s *Server) Listen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("api listen %s: %w", addr, err)
	}
	s.maxConns = MaxConns(fileLimit())
	s.ln = netutil.LimitListener(ln, s.maxConns)
	s.srv = &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       ReadTimeout,
		WriteTimeout:      s.waitTime + 15*time.Second, // a commit wait, then the answer
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          log.New(io.Discard, "", 0),
	}
	go s.srv.Serve(s.ln)
	return nil
}

// MaxConnsInUse returns the connection cap Listen applied (0 before Listen).
func (s *Server) MaxConnsInUse() int { return s.maxConns }

// Addr returns the bound address.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close stops the server.
func (s *Server) Close() error {
	if s.srv == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := s.srv.Shutdown(ctx); err != nil {
		return s.srv.Close()
	}
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeErr(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, ErrorBody{Error: msg, Code: code})
}

// writeQueryErr maps an error from the backend to an HTTP status in one place.
func writeQueryErr(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, ErrNotFound):
		writeErr(w, http.StatusNotFound, "not_found", err.Error())
	case errors.Is(err, ErrInvalid):
		writeErr(w, http.StatusBadRequest, "bad_request", err.Error())
	default:
		log.Printf("api: internal error: %v", err)
		writeErr(w, http.StatusInternalServerError, "internal", "internal error")
	}
}

func (s *Server) status(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.b.Status())
}

func (s *Server) account(w http.ResponseWriter, r *http.Request) {
	addr, err := tx.ParseAddress(r.PathValue("address"))
	if err != nil {
		writeErr(w, http.StatusBadRequest, "bad_address", err.Error())
		return
	}
	v, err := s.b.Query("bank/balance/"+addr.String(), nil)
	if err != nil {
		writeQueryErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// blockTxs answers GET /v1/blocks/{height}/txs?offset=N&limit=M.
func (s *Server) blockTxs(w http.ResponseWriter, r *http.Request) {
	hs := r.PathValue("height")
	h, err := strconv.ParseInt(hs, 10, 64)
	if err != nil || h <= 0 {
		writeErr(w, http.StatusBadRequest, "bad_height", fmt.Sprintf("height must be a positive integer, got %q", hs))
		return
	}
	q := r.URL.Query()
	offset, limit := 0, 50
	if ofs := q.Get("offset"); ofs != "" {
		if offset, err = strconv.Atoi(ofs); err != nil || offset < 0 {
			writeErr(w, http.StatusBadRequest, "bad_offset", fmt.Sprintf("offset must be a non-negative integer, got %q", ofs))
			return
		}
	}
	if ls := q.Get("limit"); ls != "" {
		if limit, err = strconv.Atoi(ls); err != nil || limit <= 0 || limit > MaxBlockList {
			writeErr(w, http.StatusBadRequest, "bad_limit", fmt.Sprintf("limit must be 1 to %d, got %q", MaxBlockList, ls))
			return
		}
	}
	txs, total, err := s.b.BlockTxs(h, offset, limit)
	if err != nil {
		writeQueryErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, BlockTxs{Height: h, Total: total, Offset: offset, Txs: txs})
}

// MaxHistoryPage is the most txs one GET /v1/accounts/{address}/txs answers.
const MaxHistoryPage = 100

// accountTxs answers GET /v1/accounts/{address}/txs?before=H.I&limit=N.
func (s *Server) accountTxs(w http.ResponseWriter, r *http.Request) {
	addr, err := tx.ParseAddress(r.PathValue("address"))
	if err != nil {
		writeErr(w, http.StatusBadRequest, "bad_address", err.Error())
		return
	}
	q := r.URL.Query()
	limit := 25
	if ls := q.Get("limit"); ls != "" {
		n, err := strconv.Atoi(ls)
		if err != nil || n <= 0 || n > MaxHistoryPage {
			writeErr(w, http.StatusBadRequest, "bad_limit", fmt.Sprintf("limit must be 1 to %d, got %q", MaxHistoryPage, ls))
			return
		}
		limit = n
	}
	var height int64
	var index int
	if bs := q.Get("before"); bs != "" {
		hs, is, _ := strings.Cut(bs, ".")
		h, herr := strconv.ParseInt(hs, 10, 64)
		i, ierr := int64(0), error(nil)
		if is != "" {
			i, ierr = strconv.ParseInt(is, 10, 32)
		}
		if herr != nil || ierr != nil || h <= 0 || i < 0 {
			writeErr(w, http.StatusBadRequest, "bad_cursor", fmt.Sprintf("before must be HEIGHT or HEIGHT.INDEX (the next of the previous page), got %q", bs))
			return
		}
		height, index = h, int(i)
	}
	txs, err := s.b.AccountTxs(addr, height, index, limit)
	if err != nil {
		writeQueryErr(w, err)
		return
	}
	out := AccountTxs{Txs: txs}
	if len(txs) == limit {
		last := txs[len(txs)-1]
		out.Next = fmt.Sprintf("%d.%d", last.Height, last.Index)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) block(w http.ResponseWriter, r *http.Request) {
	hs := r.PathValue("height")
	var h int64
	if hs != "latest" {
		var err error
		h, err = strconv.ParseInt(hs, 10, 64)
		if err != nil || h <= 0 {
			writeErr(w, http.StatusBadRequest, "bad_height", fmt.Sprintf("height must be a positive integer or \"latest\", got %q", hs))
			return
		}
	}
	b, err := s.b.Block(h)
	if err != nil {
		writeQueryErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, b)
}

// MaxBlockList is the most blocks one GET /v1/blocks answers.
const MaxBlockList = 100

// blocks answers GET /v1/blocks?to=H&limit=N: the blocks H, H-1, ... down
// to height 1 or the node's first block, at most limit (default 20, at
// most MaxBlockList), newest first. to defaults to the latest height.
func (s *Server) blocks(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if hs := q.Get("hash"); hs != "" {
		h, err := hex.DecodeString(hs)
		if err != nil || len(h) != 32 {
			writeErr(w, http.StatusBadRequest, "bad_hash", fmt.Sprintf("hash must be 64 hex characters, got %q", hs))
			return
		}
		b, err := s.b.BlockByHash(h)
		if err != nil {
			writeQueryErr(w, err)
			return
		}
		writeJSON(w, http.StatusOK, BlockList{Blocks: []Block{*b}})
		return
	}
	limit := 20
	if ls := q.Get("limit"); ls != "" {
		n, err := strconv.Atoi(ls)
		if err != nil || n <= 0 || n > MaxBlockList {
			writeErr(w, http.StatusBadRequest, "bad_limit", fmt.Sprintf("limit must be 1 to %d, got %q", MaxBlockList, ls))
			return
		}
		limit = n
	}
	to := s.b.Status().Height
	if ts := q.Get("to"); ts != "" {
		n, err := strconv.ParseInt(ts, 10, 64)
		if err != nil || n <= 0 {
			writeErr(w, http.StatusBadRequest, "bad_height", fmt.Sprintf("to must be a positive integer, got %q", ts))
			return
		}
		to = min(n, to)
	}
	out := BlockList{Blocks: []Block{}}
	for h := to; h > 0 && len(out.Blocks) < limit; h-- {
		b, err := s.b.Block(h)
		if errors.Is(err, ErrNotFound) {
			break // below the node's first block (pruned or state-synced)
		}
		if err != nil {
			writeQueryErr(w, err)
			return
		}
		out.Blocks = append(out.Blocks, *b)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) tx(w http.ResponseWriter, r *http.Request) {
	h, err := tx.ParseHash(r.PathValue("hash"))
	if err != nil {
		writeErr(w, http.StatusBadRequest, "bad_hash", err.Error())
		return
	}
	res, err := s.b.Tx(h)
	if err != nil {
		writeQueryErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// readBody reads a request body of at most limit bytes, answering the
// client itself when that fails.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		writeErr(w, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("request body over %d bytes", limit))
		return nil, false
	case err != nil:
		writeErr(w, http.StatusBadRequest, "bad_body", fmt.Sprintf("reading the request body (sent within %s?): %v", ReadTimeout, err))
		return nil, false
	}
	return body, true
}

// readTx reads a tx from a JSON body {"tx": base64} or a raw
// application/octet-stream body.
func (s *Server) readTx(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, ok := readBody(w, r, s.maxTx*2)
	if !ok {
		return nil, false
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/octet-stream") {
		return body, true
	}
	var req BroadcastRequest
	if err := decodeStrict(body, &req); err != nil {
		writeErr(w, http.StatusBadRequest, "bad_json", "body must be {\"tx\": \"<base64>\"}: "+err.Error())
		return nil, false
	}
	raw, err := base64.StdEncoding.DecodeString(req.Tx)
	if err != nil || len(raw) == 0 {
		writeErr(w, http.StatusBadRequest, "bad_tx", "tx must be non-empty standard base64")
		return nil, false
	}
	return raw, true
}

func (s *Server) broadcast(w http.ResponseWriter, r *http.Request) {
	raw, ok := s.readTx(w, r)
	if !ok {
		return
	}
	mode := r.URL.Query().Get("mode")
	switch mode {
	case "sync":
		res, err := s.b.Submit(raw)
		if err != nil {
			s.submitErr(w, err)
			return
		}
		writeJSON(w, http.StatusOK, res)
	case "", "commit":
		ctx, cancel := context.WithTimeout(r.Context(), s.waitTime)
		defer cancel()
		res, err := s.b.BroadcastCommit(ctx, raw)
		if err != nil {
			s.submitErr(w, err)
			return
		}
		writeJSON(w, http.StatusOK, res)
	default:
		writeErr(w, http.StatusBadRequest, "bad_mode", fmt.Sprintf("mode must be commit (default) or sync, got %q", mode))
	}
}

// simulate answers POST /v1/simulate (body as POST /v1/txs) with the tx's
// result as the next block would give it, gas_used included; nothing is
// kept. Clients sign with fee 0, read gas_used and sign the real tx.
func (s *Server) simulate(w http.ResponseWriter, r *http.Request) {
	raw, ok := s.readTx(w, r)
	if !ok {
		return
	}
	res, err := s.b.Simulate(raw)
	if err != nil {
		writeQueryErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (s *Server) submitErr(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, ErrMempoolFull):
		w.Header().Set("Retry-After", "1")
		writeErr(w, http.StatusServiceUnavailable, "mempool_full", err.Error())
	case errors.Is(err, ErrDuplicateTx):
		writeErr(w, http.StatusConflict, "duplicate_tx", err.Error())
	case errors.Is(err, context.DeadlineExceeded):
		writeErr(w, http.StatusGatewayTimeout, "timeout", err.Error())
	default:
		writeQueryErr(w, err)
	}
}

// BatchPreVerifier is a Backend that can check the signatures of a batch's
// txs together before they are submitted one by one, which is cheaper per
// signature; the batch endpoint uses it when the backend has it.
type BatchPreVerifier interface {
	PreVerifyBatch(raws [][]byte)
}

// MaxBatchTxs is the most transactions one POST /v1/txs/batch may carry.
// Its body limit is that of POST /v1/txs, so a batch holds no more bytes
// than one large transaction.
const MaxBatchTxs = 1000

// broadcastBatch answers POST /v1/txs/batch, body {"txs": ["<base64>", ...]}
// or the same txs as a BatchContentType body:
// every tx is decoded before any is submitted, so a malformed batch (bad
// JSON, a bad or empty tx, none or more than MaxBatchTxs, a body over the
// limit) is a 4xx that submits nothing. A well-formed batch is a 200 with
// one CheckResult per tx in order, each tx submitted in turn as by
// POST /v1/txs?mode=sync; a tx the node could not take carries the error
// that request would have answered. Once the mempool is full the remaining
// txs are not tried and carry mempool_full too.
func (s *Server) broadcastBatch(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r, s.maxTx*2)
	if !ok {
		return
	}
	raws, ok := decodeBatchBody(w, r, body)
	if !ok {
		return
	}
	if pv, ok := s.b.(BatchPreVerifier); ok {
		pv.PreVerifyBatch(raws)
	}
	out := BatchResult{Results: make([]CheckResult, len(raws))}
	var full *ErrorBody
	for i, raw := range raws {
		if full != nil {
			out.Results[i] = CheckResult{Hash: tx.HashHex(raw), Error: full}
			continue
		}
		if r.Context().Err() != nil {
			return // the client is gone: nobody reads the answer
		}
		res, err := s.b.Submit(raw)
		if err != nil {
			res.Hash = tx.HashHex(raw)
			res.Error = batchErr(err)
			if res.Error.Code == "mempool_full" {
				full = res.Error
			}
		}
		out.Results[i] = res
	}
	writeJSON(w, http.StatusOK, out)
}

// decodeBatchBody decodes POST /v1/txs/batch's body, JSON or
// BatchContentType, answering a 4xx for a malformed one.
func decodeBatchBody(w http.ResponseWriter, r *http.Request, body []byte) ([][]byte, bool) {
	if strings.HasPrefix(r.Header.Get("Content-Type"), BatchContentType) {
		raws, err := DecodeBatch(body, MaxBatchTxs)
		if err != nil {
			writeErr(w, http.StatusBadRequest, "bad_batch", fmt.Sprintf("%s body (1 to %d txs, each a uvarint length and its bytes): %v", BatchContentType, MaxBatchTxs, err))
			return nil, false
		}
		return raws, true
	}
	var req BatchRequest
	if err := decodeStrict(body, &req); err != nil {
		writeErr(w, http.StatusBadRequest, "bad_json", "body must be {\"txs\": [\"<base64>\", ...]}: "+err.Error())
		return nil, false
	}
	if len(req.Txs) == 0 || len(req.Txs) > MaxBatchTxs {
		writeErr(w, http.StatusBadRequest, "bad_batch", fmt.Sprintf("a batch holds 1 to %d txs, got %d", MaxBatchTxs, len(req.Txs)))
		return nil, false
	}
	raws := make([][]byte, len(req.Txs))
	for i, t := range req.Txs {
		raw, err := base64.StdEncoding.DecodeString(t)
		if err != nil || len(raw) == 0 {
			writeErr(w, http.StatusBadRequest, "bad_tx", fmt.Sprintf("txs[%d] must be non-empty standard base64", i))
			return nil, false
		}
		raws[i] = raw
	}
	return raws, true
}

// batchErr is the error body POST /v1/txs?mode=sync would have answered
// for a submission error.
func batchErr(err error) *ErrorBody {
	switch {
	case errors.Is(err, ErrMempoolFull):
		return &ErrorBody{Code: "mempool_full", Error: err.Error()}
	case errors.Is(err, ErrDuplicateTx):
		return &ErrorBody{Code: "duplicate_tx", Error: err.Error()}
	case errors.Is(err, ErrNotFound):
		return &ErrorBody{Code: "not_found", Error: err.Error()}
	case errors.Is(err, ErrInvalid):
		return &ErrorBody{Code: "bad_request", Error: err.Error()}
	}
	log.Printf("api: internal error: %v", err)
	return &ErrorBody{Code: "internal", Error: "internal error"}
}

func (s *Server) codes(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.b.Codes())
}

func (s *Server) query(w http.ResponseWriter, r *http.Request) {
	v, err := s.b.Query(r.PathValue("module")+"/"+r.PathValue("path"), r.URL.Query())
	if err != nil {
		writeQueryErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// events streams committed blocks as Server-Sent Events: "event: block" with
// the block's JSON (height, time, app hash, tx results, end-block events).
// With ?detail=codes each tx result carries only its hash and code, for
// clients that follow many transactions.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	detail := r.URL.Query().Get("detail")
	if detail != "" && detail != "full" && detail != "codes" {
		writeErr(w, http.StatusBadRequest, "bad_detail", fmt.Sprintf("detail must be full (default) or codes, got %q", detail))
		return
	}
	fl, ok := w.(http.Flusher)
	if !ok {
		writeErr(w, http.StatusInternalServerError, "internal", "streaming unsupported")
		return
	}
	// The stream lives as long as the client wants it: no deadlines.
	rc := http.NewResponseController(w)
	rc.SetReadDeadline(time.Time{})
	rc.SetWriteDeadline(time.Time{})
	ch, cancel := s.b.Subscribe(256)
	defer cancel()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	fmt.Fprintf(w, ": connected\n\n")
	fl.Flush()
	keep := time.NewTicker(15 * time.Second)
	defer keep.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-keep.C:
			fmt.Fprintf(w, ": keep-alive\n\n")
			fl.Flush()
		case b, ok := <-ch:
			if !ok {
				return
			}
			if detail == "codes" {
				b = codesOnly(b)
			}
			raw, _ := json.Marshal(b)
			fmt.Fprintf(w, "event: block\nid: %d\ndata: %s\n\n", b.Height, raw)
			fl.Flush()
		}
	}
}

// codesOnly strips a block result down to each tx's hash and code.
func codesOnly(b BlockResult) BlockResult {
	txs := make([]TxResult, len(b.Txs))
	for i, r := range b.Txs {
		txs[i] = TxResult{Hash: r.Hash, Height: r.Height, Index: r.Index, Code: r.Code, Codespace: r.Codespace}
	}
	b.Txs, b.Events = txs, nil
	return b
}
