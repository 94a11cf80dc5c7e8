// Package client is the Go client of a node's HTTP API, used by the CLI and
// every worker (labeler, miner, validator, prover, simulations).
package client

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"emergence/api"
	"emergence/blob"
	"emergence/tx"
)

// Client talks to one node.
type Client struct {
	base    string
	http    *http.Client
	blobKey ed25519.PrivateKey
}

// New returns a client for the API at addr ("127.0.0.1:8545" or a URL).
func New(addr string) *Client {
	if !strings.Contains(addr, "://") {
		addr = "http://" + addr
	}
	return &Client{
		base: strings.TrimRight(addr, "/"),
		http: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 0, IdleConnTimeout: 50 * time.Second}}, // under the API's IdleTimeout (60 s)
	}
}

// Base returns the API's base URL.
func (c *Client) Base() string { return c.base }

// APIError is a non-2xx answer from the API.
type APIError struct {
	Status int
	Code   string
	Msg    string
}

func (e *APIError) Error() string { return fmt.Sprintf("%s (HTTP %d, %s)", e.Msg, e.Status, e.Code) }

// ErrNotFound matches APIErrors with status 404 (it is api.ErrNotFound).
var ErrNotFound = api.ErrNotFound

// Is makes errors.Is(err, ErrNotFound) work.
func (e *APIError) Is(target error) bool {
	return target == ErrNotFound && e.Status == http.StatusNotFound
}

func (c *Client) do(ctx context.Context, method, path string, body io.Reader, ctype string, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return err
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	return c.send(req, path, out)
}

// send runs req and decodes a JSON answer into out (nil: discard) or the
// API's error body into an *APIError.
func (c *Client) send(req *http.Request, path string, out any) error {
	method := req.Method
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		var eb api.ErrorBody
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		if json.Unmarshal(raw, &eb) != nil || eb.Error == "" {
			eb.Error = strings.TrimSpace(string(raw))
		}
		return &APIError{Status: resp.StatusCode, Code: eb.Code, Msg: eb.Error}
	}
	if out == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		return err
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("%s %s: decode answer: %w", method, path, err)
	}
	return nil
}

// Status returns the node's status.
func (c *Client) Status(ctx context.Context) (api.Status, error) {
	var s api.Status
	err := c.do(ctx, http.MethodGet, "/v1/status", nil, "", &s)
	return s, err
}

// Account returns an account's balance and next nonce.
func (c *Client) Account(ctx context.Context, addr tx.Address) (api.Account, error) {
	var a api.Account
	err := c.do(ctx, http.MethodGet, "/v1/accounts/"+addr.String(), nil, "", &a)
	return a, err
}

// Block returns a block; height 0 means the latest.
func (c *Client) Block(ctx context.Context, height int64) (*api.Block, error) {
	h := "latest"
	if height > 0 {
		h = fmt.Sprint(height)
	}
	var b api.Block
	if err := c.do(ctx, http.MethodGet, "/v1/blocks/"+h, nil, "", &b); err != nil {
		return nil, err
	}
	return &b, nil
}

// Tx returns a committed transaction's result.
func (c *Client) Tx(ctx context.Context, hash string) (*api.TxResult, error) {
	var r api.TxResult
	if err := c.do(ctx, http.MethodGet, "/v1/txs/"+url.PathEscape(hash), nil, "", &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// Broadcast submits an encoded tx and waits for it to be committed. A tx
// that fails CheckTx returns at once with its code.
func (c *Client) Broadcast(ctx context.Context, raw []byte) (*api.TxResult, error) {
	var r api.TxResult
	body, _ := json.Marshal(api.BroadcastRequest{Tx: base64.StdEncoding.EncodeToString(raw)})
	if err := c.do(ctx, http.MethodPost, "/v1/txs", bytes.NewReader(body), "application/json", &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// BroadcastSync submits an encoded tx and returns after CheckTx.
func (c *Client) BroadcastSync(ctx context.Context, raw []byte) (*api.CheckResult, error) {
	var r api.CheckResult
	if err := c.do(ctx, http.MethodPost, "/v1/txs?mode=sync", bytes.NewReader(raw), "application/octet-stream", &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// BroadcastBatch submits encoded txs in one request (POST /v1/txs/batch,
// at most api.MaxBatchTxs) and returns after CheckTx of each, one result per
// tx in order. A tx was taken into the mempool when its result is
// Accepted; one the node could not take carries an Error (mempool_full:
// retry it and the same account's later txs). The error is for the batch
// as a whole: malformed, too large, or the node unreachable.
func (c *Client) BroadcastBatch(ctx context.Context, raws [][]byte) ([]api.CheckResult, error) {
	var r api.BatchResult
	if err := c.do(ctx, http.MethodPost, "/v1/txs/batch", bytes.NewReader(api.EncodeBatch(raws)), api.BatchContentType, &r); err != nil {
		return nil, err
	}
	if len(r.Results) != len(raws) {
		return nil, fmt.Errorf("POST /v1/txs/batch: %d results for %d txs", len(r.Results), len(raws))
	}
	return r.Results, nil
}

// Query runs a module query and decodes the answer into out.
func (c *Client) Query(ctx context.Context, module, path string, params url.Values, out any) error {
	p := "/v1/query/" + module + "/" + path
	if len(params) > 0 {
		p += "?" + params.Encode()
	}
	return c.do(ctx, http.MethodGet, p, nil, "", out)
}

// SignBlobsWith returns a copy of c whose uploads are signed by an
// account's key: the node stores blobs only from accounts it knows and
// charges their bytes to the account's quota (see blob.SignUpload). Its
// downloads are signed too (blob.SignRead), so that the node serves the
// shards of paid datasets the account bought.
func (c *Client) SignBlobsWith(key ed25519.PrivateKey) *Client {
	cc := *c
	cc.blobKey = key
	return &cc
}

// ErrNoBlobKey is returned by PutBlob on a client without SignBlobsWith.
var ErrNoBlobKey = errors.New("blob uploads must be signed by an account: the client has no key (SignBlobsWith)")

// PutBlob uploads content under its SHA-256 hash (hex), signed with the key
// given to SignBlobsWith.
func (c *Client) PutBlob(ctx context.Context, hashHex string, data []byte) error {
	if c.blobKey == nil {
		return ErrNoBlobKey
	}
	h, err := blob.ParseHash(hashHex)
	if err != nil {
		return err
	}
	path := "/v1/blobs/" + hashHex
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, c.base+path, bytes.NewReader(data))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	blob.SignUpload(req, c.blobKey, h, time.Now())
	return c.send(req, path, nil)
}

// GetBlob downloads content by hash (hex).
func (c *Client) GetBlob(ctx context.Context, hashHex string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/v1/blobs/"+hashHex, nil)
	if err != nil {
		return nil, err
	}
	if c.blobKey != nil {
		if h, err := blob.ParseHash(hashHex); err == nil {
			blob.SignRead(req, c.blobKey, h, time.Now())
		}
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		return nil, &APIError{Status: resp.StatusCode, Msg: strings.TrimSpace(string(raw))}
	}
	return io.ReadAll(resp.Body)
}

// Blocks streams committed blocks from /v1/events until ctx ends or the
// connection drops; the channel is closed then.
func (c *Client) Blocks(ctx context.Context) (<-chan api.BlockResult, error) {
	return c.blocks(ctx, "/v1/events")
}

// BlockCodes is Blocks with each tx result cut to its hash and code
// (?detail=codes), for clients that follow many transactions.
func (c *Client) BlockCodes(ctx context.Context) (<-chan api.BlockResult, error) {
	return c.blocks(ctx, "/v1/events?detail=codes")
}

func (c *Client) blocks(ctx context.Context, path string) (<-chan api.BlockResult, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, &APIError{Status: resp.StatusCode, Msg: "event stream refused"}
	}
	ch := make(chan api.BlockResult, 64)
	go func() {
		defer close(ch)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 64<<20)
		for sc.Scan() {
			line := sc.Text()
			if !strings.HasPrefix(line, "data: ") {
				continue
			}
			var b api.BlockResult
			if json.Unmarshal([]byte(line[6:]), &b) == nil {
				select {
				case ch <- b:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return ch, nil
}

// DefaultGasLimit is used when a transaction does not set its own.
const DefaultGasLimit = 1_000_000

// TxOptions tune SignAndBroadcast.
type TxOptions struct {
	GasLimit uint64 // 0: DefaultGasLimit, or simulated with GasAuto
	Fee      uint64 // 0: the minimum fee for the gas limit at the default gas price
	Nonce    *uint64
	// GasAuto, when GasLimit is 0, simulates the tx (POST /v1/simulate)
	// and sets the gas limit to the gas it used × GasAdjustment. A tx whose
	// simulation fails is not signed for sending: BuildTx returns a
	// *WouldFailError, and nothing is charged.
	GasAuto bool
}

// WouldFailError is returned by BuildTx with GasAuto when the node's
// simulation of the transaction fails: sent, it would fail with the same
// code and cost its fee, so it is not sent.
type WouldFailError struct {
	Result *api.TxResult // the simulated result: code, codespace, log
}

func (e *WouldFailError) Error() string {
	return fmt.Sprintf("the transaction would fail: code %s/%d: %s", e.Result.Codespace, e.Result.Code, e.Result.Log)
}

// GasAdjustment is the margin of a simulated gas limit, in tenths: 13 is
// × 1.3 (the real tx is a few bytes longer, and state may move before it
// is included).
const GasAdjustment = 13

// Simulate runs a signed tx against the node's mempool state without
// keeping anything and returns its result with the gas it used. The fee
// may be 0; the signature is not checked.
func (c *Client) Simulate(ctx context.Context, raw []byte) (*api.TxResult, error) {
	body, err := json.Marshal(api.BroadcastRequest{Tx: base64.StdEncoding.EncodeToString(raw)})
	if err != nil {
		return nil, err
	}
	var r api.TxResult
	if err := c.do(ctx, http.MethodPost, "/v1/simulate", bytes.NewReader(body), "application/json", &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// MinFee is the fee the default genesis asks for a gas limit
// (0.01 uemg per gas, rounded up).
func MinFee(gas uint64) uint64 { return tx.MinFee(gas, tx.DefaultMinGasPriceMilli) }

// BuildTx signs msgs with key into an encoded tx, reading chain id and nonce
// from the node unless given.
func (c *Client) BuildTx(ctx context.Context, key ed25519.PrivateKey, opts TxOptions, msgs ...tx.Msg) ([]byte, error) {
	st, err := c.Status(ctx)
	if err != nil {
		return nil, err
	}
	signer := tx.AddressFromPubKey(key.Public().(ed25519.PublicKey))
	var nonce uint64
	if opts.Nonce != nil {
		nonce = *opts.Nonce
	} else {
		acc, err := c.Account(ctx, signer)
		if err != nil {
			return nil, err
		}
		nonce = acc.Nonce
	}
	gas := opts.GasLimit
	if gas == 0 && opts.GasAuto {
		body := tx.Body{ChainID: st.ChainID, Signer: signer, Nonce: nonce, GasLimit: DefaultGasLimit, Msgs: msgs}
		probe, err := tx.Sign(body, key)
		if err != nil {
			return nil, err
		}
		sim, err := c.Simulate(ctx, probe)
		if err != nil {
			return nil, fmt.Errorf("simulate the tx for its gas: %w", err)
		}
		if sim.Code != 0 {
			return nil, &WouldFailError{Result: sim}
		}
		gas = (sim.GasUsed*GasAdjustment + 9) / 10
	}
	if gas == 0 {
		gas = DefaultGasLimit
	}
	fee := opts.Fee
	if fee == 0 {
		fee = MinFee(gas)
	}
	return tx.Sign(tx.Body{ChainID: st.ChainID, Signer: signer, Nonce: nonce, Fee: fee, GasLimit: gas, Msgs: msgs}, key)
}

// SignAndBroadcast signs msgs, broadcasts them and waits for the commit.
func (c *Client) SignAndBroadcast(ctx context.Context, key ed25519.PrivateKey, opts TxOptions, msgs ...tx.Msg) (*api.TxResult, error) {
	raw, err := c.BuildTx(ctx, key, opts, msgs...)
	if err != nil {
		return nil, err
	}
	return c.Broadcast(ctx, raw)
}
