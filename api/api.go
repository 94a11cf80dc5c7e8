// Package api serves a node's HTTP JSON API under /v1/ and Prometheus
// metrics at /metrics.
//
//	GET  /v1/status                 chain id, height, app hash, catching_up, ...
//	GET  /v1/accounts/{address}     balance and nonce
//	GET  /v1/blocks/{height}        a block (or "latest") with its app hash
//	GET  /v1/txs/{hash}             a committed transaction's result
//	POST /v1/txs                    broadcast; waits for commit (?mode=sync: after CheckTx only)
//	GET  /v1/events                 Server-Sent Events: one "block" event per committed block
//	GET  /v1/query/{module}/{path}  module queries
//	GET  /v1/codes                  every result code: codespace, number, description
//	PUT  /v1/blobs/{hash}, GET /v1/blobs/{hash}   content-addressed files
//	GET  /metrics                   Prometheus
//
// Errors are JSON objects {"error": "...", "code": "..."} with a 4xx status
// for bad requests; chain result codes travel in the result, with status 200.
package api

import (
	"context"
	"encoding/base64"
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

	"emergence/app"
	"emergence/node"
	"emergence/tx"
)

// Backend is what the API needs from a node.
type Backend interface {
	Status() node.Status
	Block(height int64) (*node.Block, error)
	Tx(hash [32]byte) (*app.TxResult, error)
	Submit(raw []byte) (node.CheckResult, error)
	BroadcastCommit(ctx context.Context, raw []byte) (*app.TxResult, error)
	Query(path string, params map[string][]string) (any, error)
	Codes() []app.Code
	Hub() *node.Hub
}

var _ Backend = (*node.Node)(nil)

// BroadcastRequest is the JSON body of POST /v1/txs.
type BroadcastRequest struct {
	// Tx is the encoded transaction, base64.
	Tx string `json:"tx"`
}

// ErrorBody is the JSON body of every error response.
type ErrorBody struct {
	Error string `json:"error"`
	Code  string `json:"code"`
}

// Server is the HTTP API of one node.
type Server struct {
	b        Backend
	blobs    http.Handler
	mux      *http.ServeMux
	srv      *http.Server
	ln       net.Listener
	maxTx    int64
	waitTime time.Duration
}

// New returns an API server over b. blobs, if not nil, serves /v1/blobs/.
func New(b Backend, blobs http.Handler) *Server {
	s := &Server{b: b, blobs: blobs, mux: http.NewServeMux(), maxTx: 2 << 20, waitTime: 60 * time.Second}
	s.mux.HandleFunc("GET /v1/status", s.status)
	s.mux.HandleFunc("GET /v1/accounts/{address}", s.account)
	s.mux.HandleFunc("GET /v1/blocks/{height}", s.block)
	s.mux.HandleFunc("GET /v1/txs/{hash}", s.tx)
	s.mux.HandleFunc("POST /v1/txs", s.broadcast)
	s.mux.HandleFunc("GET /v1/events", s.events)
	s.mux.HandleFunc("GET /v1/query/{module}/{path...}", s.query)
	s.mux.HandleFunc("GET /v1/codes", s.codes)
	if blobs != nil {
		s.mux.Handle("/v1/blobs/", blobs)
	}
	s.mux.Handle("GET /metrics", promhttp.Handler())
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeErr(w, http.StatusNotFound, "not_found", fmt.Sprintf("no route %s %s; see the API list in the README", r.Method, r.URL.Path))
	})
	return s
}

// Handler returns the API's http.Handler.
func (s *Server) Handler() http.Handler { return s.mux }

// Listen binds addr ("127.0.0.1:0" picks a port) and serves in the background.
func (s *Server) Listen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("api listen %s: %w", addr, err)
	}
	s.ln = ln
	s.srv = &http.Server{Handler: s.mux, ReadHeaderTimeout: 10 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	go s.srv.Serve(ln)
	return nil
}

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
	var ae *app.Error
	switch {
	case errors.As(err, &ae) && ae.Code == app.CodeNotFound:
		writeErr(w, http.StatusNotFound, "not_found", err.Error())
	case errors.As(err, &ae) && ae.Code != app.CodeInternal:
		writeErr(w, http.StatusBadRequest, "bad_request", err.Error())
	case errors.Is(err, node.ErrNoBlock):
		writeErr(w, http.StatusNotFound, "not_found", err.Error())
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

// readTx reads a tx from a JSON body {"tx": base64} or a raw
// application/octet-stream body.
func (s *Server) readTx(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.maxTx*2))
	if err != nil {
		writeErr(w, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("request body over %d bytes", s.maxTx*2))
		return nil, false
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/octet-stream") {
		return body, true
	}
	var req BroadcastRequest
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
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

func (s *Server) submitErr(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, node.ErrMempoolFull):
		w.Header().Set("Retry-After", "1")
		writeErr(w, http.StatusServiceUnavailable, "mempool_full", err.Error())
	case errors.Is(err, node.ErrDuplicateTx):
		writeErr(w, http.StatusConflict, "duplicate_tx", err.Error())
	case errors.Is(err, context.DeadlineExceeded):
		writeErr(w, http.StatusGatewayTimeout, "timeout", err.Error())
	default:
		writeQueryErr(w, err)
	}
}

// CodeInfo is one entry of GET /v1/codes.
type CodeInfo struct {
	Codespace   string `json:"codespace"`
	Code        uint32 `json:"code"`
	Description string `json:"description"`
}

func (s *Server) codes(w http.ResponseWriter, r *http.Request) {
	cs := s.b.Codes()
	out := make([]CodeInfo, len(cs))
	for i, c := range cs {
		out[i] = CodeInfo{Codespace: c.Space, Code: c.Num, Description: c.Desc}
	}
	writeJSON(w, http.StatusOK, out)
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
	ch, cancel := s.b.Hub().Subscribe(256)
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
func codesOnly(b app.BlockResult) app.BlockResult {
	txs := make([]app.TxResult, len(b.Txs))
	for i, r := range b.Txs {
		txs[i] = app.TxResult{Hash: r.Hash, Height: r.Height, Index: r.Index, Code: r.Code, Codespace: r.Codespace}
	}
	b.Txs, b.Events = txs, nil
	return b
}
