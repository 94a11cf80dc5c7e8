package app

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"time"

	"emergence/store"
	"emergence/tx"
)

// Module is what a market module registers with the app.
type Module interface {
	// Name is the module's name: its codespace, its genesis key, its query
	// route and the prefix of its message kinds and state keys.
	Name() string
	// Msgs lists the message kinds the module handles.
	Msgs() []MsgHandler
	// Codes lists the module's result codes, numbered 1, 2, ... in order,
	// all in the module's codespace. The list only ever grows.
	Codes() []Code
	// InitGenesis loads the module's genesis section (null when absent:
	// use defaults).
	InitGenesis(ctx *Context, raw json.RawMessage) error
	// EndBlock runs after the block's transactions, in registration order.
	// Errors returned halt the node: return coded results through events,
	// not errors, for anything users can cause.
	EndBlock(ctx *Context) error
	// Query answers GET /v1/query/{module}/{path} on committed state.
	// Return app.ErrNotFound (or a code's error) for absent objects and
	// CodeBadQuery errors for bad parameters.
	Query(r store.Reader, path string, params url.Values) (any, error)
	// Invariants checks the module's state for consistency and returns a
	// descriptive error on the first violation. Tests call it after every
	// state change.
	Invariants(r store.Reader) error
}

// MsgHandler handles one message kind.
type MsgHandler struct {
	// Type is the kind, "<module>/<action>", e.g. "bank/send".
	Type string
	// Gas is charged before the handler runs.
	Gas uint64
	// Handle applies the message. A returned *Error (from a Code) fails the
	// transaction with that code and discards its writes; any other error
	// fails it with CodeInternal.
	Handle func(ctx *Context, raw json.RawMessage) error
	// Check, when set, runs in CheckTx against the mempool's state view so
	// that bad messages never enter the mempool (e.g. proof verification).
	// Writes it makes are discarded.
	Check func(ctx *Context, raw json.RawMessage) error
	// SelfFunded marks messages whose effect pays the transaction fee (a
	// UBI claim to a fresh address): the fee is charged after the message
	// runs instead of before. A transaction with such a message must have
	// exactly one message.
	SelfFunded bool
}

// VoteInfo is one validator's vote on the previous block.
type VoteInfo struct {
	Address     []byte // consensus address (20 bytes)
	Power       int64
	SignedBlock bool
}

// Event is an ABCI event emitted by a transaction or by end-of-block work.
type Event struct {
	Type  string      `json:"type"`
	Attrs []Attribute `json:"attributes"`
}

// Attribute is a key/value pair of an Event.
type Attribute struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Context is what a message handler, genesis or end-of-block work sees.
type Context struct {
	// KV is the state view: writes are staged and dropped if the
	// transaction fails.
	KV store.KV
	// ChainID of the network.
	ChainID string
	// Height of the block being executed (0 during InitChain).
	Height int64
	// Time is the block time from the header (never the wall clock).
	Time time.Time
	// Entropy is the hash of the block being executed: the only source of
	// randomness. It is zero during InitChain and CheckTx.
	Entropy [32]byte
	// Votes on the previous block, in the order CometBFT gives them.
	Votes []VoteInfo
	// Proposer is the consensus address of the block proposer.
	Proposer []byte
	// Signer of the transaction (zero outside transactions).
	Signer tx.Address
	// TxHash of the transaction (zero outside transactions).
	TxHash [32]byte
	// Gas meters the transaction; nil outside transactions.
	Gas *GasMeter
	// Checking is true in CheckTx.
	Checking bool

	events []Event
}

// Emit records an event. attrs are key, value pairs.
func (c *Context) Emit(typ string, attrs ...string) {
	e := Event{Type: typ}
	for i := 0; i+1 < len(attrs); i += 2 {
		e.Attrs = append(e.Attrs, Attribute{Key: attrs[i], Value: attrs[i+1]})
	}
	c.events = append(c.events, e)
}

// Events returns the events emitted so far.
func (c *Context) Events() []Event { return c.events }

// ConsumeGas charges n gas for the named work; it fails with CodeOutOfGas
// when the transaction's limit is exceeded. Outside transactions it is free.
func (c *Context) ConsumeGas(n uint64, what string) error {
	if c.Gas == nil {
		return nil
	}
	return c.Gas.Consume(n, what)
}

// GasMeter counts gas against a limit.
type GasMeter struct {
	Limit uint64
	Used  uint64
}

// Consume adds n to Used and fails with CodeOutOfGas past Limit.
func (g *GasMeter) Consume(n uint64, what string) error {
	if n > g.Limit-g.Used || g.Used > g.Limit {
		g.Used = g.Limit
		return CodeOutOfGas.Errorf("%s needs %d gas, %d of limit %d left", what, n, g.Limit-min(g.Used, g.Limit), g.Limit)
	}
	g.Used += n
	return nil
}

// DecodeMsg decodes a message value strictly: unknown fields, trailing data
// and non-canonical encodings fail with CodeInvalidMsg.
func DecodeMsg(raw json.RawMessage, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return CodeInvalidMsg.Errorf("decode: %v", err)
	}
	if dec.More() {
		return CodeInvalidMsg.Errorf("trailing data")
	}
	canon, err := json.Marshal(v)
	if err != nil || !bytes.Equal(canon, raw) {
		return CodeInvalidMsg.Errorf("message is not canonical JSON (encode it with encoding/json)")
	}
	return nil
}

// DecodeGenesis decodes a module's genesis section into v strictly
// (unknown fields and trailing data are errors, so typos are caught). An
// absent or null section leaves v, the module's defaults, as it is.
func DecodeGenesis(raw json.RawMessage, v any) error {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("trailing data after the genesis section")
	}
	return nil
}

// MustJSON encodes v for state storage; it panics only on values that
// cannot be encoded, which is a programming error.
func MustJSON(v any) []byte { return store.EncodeJSON(v) }
