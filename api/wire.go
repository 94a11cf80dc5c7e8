package api

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"emergence/tx"
)

// The wire types below are the JSON bodies of the API. The server writes
// them and package client reads them, so both sides share one definition;
// they import nothing from the node, so a client links neither CometBFT nor
// Pebble.

// Status is the body of GET /v1/status: the node's view of the chain.
type Status struct {
	ChainID    string `json:"chain_id"`
	Moniker    string `json:"moniker"`
	NodeID     string `json:"node_id"`
	Height     int64  `json:"height"`
	AppHash    string `json:"app_hash"`
	BlockTime  string `json:"latest_block_time"`
	CatchingUp bool   `json:"catching_up"`
	Peers      int    `json:"peers"`
	Validator  string `json:"validator_address"`
}

// Account is the body of GET /v1/accounts/{address}.
type Account struct {
	Address tx.Address `json:"address"`
	Balance uint64     `json:"balance"`
	Nonce   uint64     `json:"nonce"`
}

// Block is the body of GET /v1/blocks/{height}: a committed block.
type Block struct {
	Height   int64      `json:"height"`
	Hash     string     `json:"hash"`
	Time     time.Time  `json:"time"`
	Proposer string     `json:"proposer"`
	NumTxs   int        `json:"num_txs"`
	TxHashes []string   `json:"tx_hashes"`
	AppHash  string     `json:"app_hash"` // state after this block (from the app's commit)
	Header   BlockHeads `json:"header"`
	Events   []Event    `json:"events,omitempty"`
}

// AccountTx is one transaction of an account's history: one it signed
// (Role "signer") or one whose events name it (Role "named", such as the
// recipient of a send).
type AccountTx struct {
	Hash      string   `json:"hash"`
	Height    int64    `json:"height"`
	Index     int      `json:"index"`
	Code      uint32   `json:"code"`
	Codespace string   `json:"codespace,omitempty"`
	Role      string   `json:"role"`
	Msgs      []string `json:"msgs"`
}

// AccountTxs is the body of GET /v1/accounts/{address}/txs: newest first;
// Next, when set, is the before= value of the following page.
type AccountTxs struct {
	Txs  []AccountTx `json:"txs"`
	Next string      `json:"next,omitempty"`
}

// BlockTxs is the body of GET /v1/blocks/{height}/txs: Txs are the
// block's txs from position Offset, of Total.
type BlockTxs struct {
	Height int64      `json:"height"`
	Total  int        `json:"total"`
	Offset int        `json:"offset"`
	Txs    []TxResult `json:"txs"`
}

// BlockList is the body of GET /v1/blocks: blocks newest first.
type BlockList struct {
	Blocks []Block `json:"blocks"`
}

// BlockHeads are the hashes from the block header.
type BlockHeads struct {
	LastBlockHash string `json:"last_block_hash"`
	// AppHash in the header is the state after the previous block.
	AppHash string `json:"app_hash"`
}

// Event is something a transaction or end-of-block work did, with its
// attributes in order.
type Event struct {
	Type  string      `json:"type"`
	Attrs []Attribute `json:"attributes"`
}

// Attribute is a key/value pair of an Event.
type Attribute struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// TxResult is the outcome of one committed transaction (GET /v1/txs/{hash},
// POST /v1/txs), or of its CheckTx when that refused it.
type TxResult struct {
	Hash      string  `json:"hash"`
	Height    int64   `json:"height"`
	Index     int     `json:"index"`
	Code      uint32  `json:"code"`
	Codespace string  `json:"codespace,omitempty"`
	Log       string  `json:"log,omitempty"`
	GasWanted uint64  `json:"gas_wanted"`
	GasUsed   uint64  `json:"gas_used"`
	Events    []Event `json:"events,omitempty"`
	// Body is the signed body (signer, nonce, fee, messages) of a committed
	// tx; only GET /v1/txs/{hash} sets it.
	Body *tx.Body `json:"body,omitempty"`
}

// CheckResult is the body of POST /v1/txs?mode=sync: the outcome of
// submitting a transaction to the mempool.
type CheckResult struct {
	Hash      string `json:"hash"`
	Code      uint32 `json:"code"`
	Codespace string `json:"codespace,omitempty"`
	Log       string `json:"log,omitempty"`
	// Error is set only in a batch answer, for a tx the node did not take
	// without running its checks (mempool_full, duplicate_tx, internal):
	// what POST /v1/txs?mode=sync would have answered with a 4xx or 5xx.
	// Code is 0 then; see Accepted.
	Error *ErrorBody `json:"error,omitempty"`
}

// Accepted reports whether the tx entered the mempool: no error and code 0.
func (r CheckResult) Accepted() bool { return r.Error == nil && r.Code == 0 }

// BatchRequest is the JSON body of POST /v1/txs/batch.
type BatchRequest struct {
	// Txs are the encoded transactions, base64, submitted in this order.
	Txs []string `json:"txs"`
}

// BatchContentType is the binary body of POST /v1/txs/batch: each tx as
// its length (an unsigned varint, encoding/binary's AppendUvarint) followed
// by its bytes, with nothing after the last. It spares the node the base64
// and JSON decoding of the JSON body (package client sends it).
const BatchContentType = "application/vnd.emergence.txs"

// EncodeBatch encodes txs as a BatchContentType body.
func EncodeBatch(txs [][]byte) []byte {
	n := 0
	for _, t := range txs {
		n += binary.MaxVarintLen64 + len(t)
	}
	out := make([]byte, 0, n)
	for _, t := range txs {
		out = binary.AppendUvarint(out, uint64(len(t)))
		out = append(out, t...)
	}
	return out
}

// DecodeBatch decodes a BatchContentType body of at most max txs. It
// refuses a body that is empty, holds an empty tx, more than max txs, a
// length that runs past the end or a malformed length; the txs alias body.
func DecodeBatch(body []byte, max int) ([][]byte, error) {
	var txs [][]byte
	for i := 0; len(body) > 0; i++ {
		if i == max {
			return nil, fmt.Errorf("more than %d txs", max)
		}
		n, k := binary.Uvarint(body)
		switch {
		case k <= 0:
			return nil, fmt.Errorf("tx %d: malformed length", i)
		case n == 0:
			return nil, fmt.Errorf("tx %d is empty", i)
		case n > uint64(len(body)-k):
			return nil, fmt.Errorf("tx %d: length %d runs past the body's end (%d bytes left)", i, n, len(body)-k)
		}
		txs = append(txs, body[k:k+int(n)])
		body = body[k+int(n):]
	}
	if len(txs) == 0 {
		return nil, errors.New("no txs")
	}
	return txs, nil
}

// BatchResult is the body of POST /v1/txs/batch: one result per tx of the
// request, in its order.
type BatchResult struct {
	Results []CheckResult `json:"results"`
}

// BlockResult is what a committed block did: one "block" event of
// GET /v1/events.
type BlockResult struct {
	Height  int64      `json:"height"`
	Time    time.Time  `json:"time"`
	AppHash string     `json:"app_hash"`
	Txs     []TxResult `json:"txs"`
	Events  []Event    `json:"events,omitempty"`
}

// CodeInfo is one entry of GET /v1/codes.
type CodeInfo struct {
	Codespace   string `json:"codespace"`
	Code        uint32 `json:"code"`
	Description string `json:"description"`
}

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

// Errors a Backend returns, by the HTTP status they map to. A backend marks
// its own errors with them (see Mark) so that errors.Is finds them; the
// response carries the backend error's message.
var (
	// ErrNotFound maps to 404: no such block, transaction, account or item.
	ErrNotFound = errors.New("not found")
	// ErrInvalid maps to 400: the request is malformed or refused.
	ErrInvalid = errors.New("invalid request")
	// ErrMempoolFull maps to 503 with Retry-After: the node is at capacity.
	ErrMempoolFull = errors.New("mempool is full")
	// ErrDuplicateTx maps to 409: the tx is already in the mempool.
	ErrDuplicateTx = errors.New("transaction already in the mempool")
)

// Mark returns err marked as kind (one of the Err values above) for
// errors.Is, keeping err's message and its own chain.
func Mark(kind, err error) error { return &marked{kind: kind, err: err} }

type marked struct{ kind, err error }

func (m *marked) Error() string        { return m.err.Error() }
func (m *marked) Unwrap() error        { return m.err }
func (m *marked) Is(target error) bool { return target == m.kind }
