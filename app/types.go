package app

import (
	"encoding/json"
	"time"

	"emergence/store"
	"emergence/tx"
)

// FeeCollector moves transaction fees into the fee pool. The bank module
// implements it.
type FeeCollector interface {
	// ChargeFee moves fee from payer to the fee pool. It returns an *Error
	// (CodeInsufficientFunds) when the payer cannot pay.
	ChargeFee(kv store.KV, payer tx.Address, fee uint64) error
}

// Params are the app's consensus parameters, set in genesis.
type Params struct {
	// MaxTxBytes is the largest encoded transaction accepted.
	MaxTxBytes uint64 `json:"max_tx_bytes"`
	// MaxTxGas is the largest gas limit of one transaction.
	MaxTxGas uint64 `json:"max_tx_gas"`
	// GasPerByte is charged for every byte of the encoded transaction.
	GasPerByte uint64 `json:"gas_per_byte"`
	// MinGasPriceMilli: the fee must be at least gas_limit × this / 1000 uemg.
	MinGasPriceMilli uint64 `json:"min_gas_price_milli"`
}

// DefaultParams are used when genesis has no "app" section.
func DefaultParams() Params {
	return Params{MaxTxBytes: 256 << 10, MaxTxGas: 50_000_000, GasPerByte: 10, MinGasPriceMilli: tx.DefaultMinGasPriceMilli}
}

// MinFee returns the smallest fee accepted for a gas limit.
func (p Params) MinFee(gasLimit uint64) uint64 { return tx.MinFee(gasLimit, p.MinGasPriceMilli) }

// Genesis is the app_state of genesis.json: the app's params and one
// section per module, by module name.
type Genesis struct {
	Params  *Params                    `json:"params,omitempty"`
	Modules map[string]json.RawMessage `json:"modules"`
}

// TxResult is the outcome of one transaction in a block.
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
}

// BlockResult is what a committed block did, handed to OnCommit.
type BlockResult struct {
	Height  int64      `json:"height"`
	Time    time.Time  `json:"time"`
	AppHash string     `json:"app_hash"`
	Txs     []TxResult `json:"txs"`
	Events  []Event    `json:"events,omitempty"`
}

var prefixNonce = []byte("app/nonce/")

func nonceKey(a tx.Address) []byte { return store.Key(prefixNonce, a[:]) }

// Nonce returns the next nonce of an account.
func Nonce(r store.Reader, addr tx.Address) uint64 { return store.GetU64(r, nonceKey(addr)) }

// SetNonce stages the next nonce of an account; the ante handler of package
// abciapp calls it for every transaction it accepts.
func SetNonce(kv store.KV, addr tx.Address, n uint64) {
	store.PutU64(kv, nonceKey(addr), n)
}
