package app

import (
	"errors"
	"fmt"
)

// Code is a numbered result code of one module. Codes are an append-only
// table per module (its codespace): never renumber or reuse one.
type Code struct {
	Space string // the module's name, e.g. "bank"
	Num   uint32 // > 0; 0 means success in ABCI
	Desc  string // short description, e.g. "insufficient funds"
}

// Error is a transaction or query failure that carries a result code.
type Error struct {
	Code Code
	Msg  string
}

func (e *Error) Error() string {
	if e.Msg == "" {
		return e.Code.Desc
	}
	return e.Code.Desc + ": " + e.Msg
}

// Is makes errors.Is match errors of the same code.
func (e *Error) Is(target error) bool {
	var t *Error
	if errors.As(target, &t) {
		return t.Code.Space == e.Code.Space && t.Code.Num == e.Code.Num
	}
	return false
}

// Errorf returns an *Error with code c and a formatted message.
func (c Code) Errorf(format string, args ...any) error {
	return &Error{Code: c, Msg: fmt.Sprintf(format, args...)}
}

// Err returns an *Error with code c and no further message.
func (c Code) Err() error { return &Error{Code: c} }

// CodeOf returns the code of err, or CodeInternal for errors that carry none.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// Codespace of the app itself.
const Space = "app"

// Result codes of the app (codespace "app"). Append only.
var (
	CodeTxDecode          = Code{Space, 1, "undecodable transaction"}
	CodeSignature         = Code{Space, 2, "invalid signature"}
	CodeWrongChainID      = Code{Space, 3, "wrong chain id"}
	CodeNonceTooLow       = Code{Space, 4, "nonce already used (replay)"}
	CodeNonceTooHigh      = Code{Space, 5, "nonce in the future"}
	CodeUnknownMsg        = Code{Space, 6, "unknown message kind"}
	CodeInsufficientFee   = Code{Space, 7, "insufficient fee"}
	CodeInsufficientFunds = Code{Space, 8, "insufficient funds for fee"}
	CodeOutOfGas          = Code{Space, 9, "out of gas"}
	CodeTxTooLarge        = Code{Space, 10, "transaction too large"}
	CodeInvalidMsg        = Code{Space, 11, "invalid message"}
	CodeInternal          = Code{Space, 12, "internal error"}
	CodeGasLimitTooHigh   = Code{Space, 13, "gas limit above the per-transaction maximum"}
	CodeNotFound          = Code{Space, 14, "not found"}
	CodeBadQuery          = Code{Space, 15, "bad query"}
	CodeMempoolFull       = Code{Space, 16, "node is busy"}
	CodeSenderBusy        = Code{Space, 17, "account has too much pending work in the mempool"}
)

// Codes returns the app's own result codes in number order.
func Codes() []Code {
	return []Code{
		CodeTxDecode, CodeSignature, CodeWrongChainID, CodeNonceTooLow, CodeNonceTooHigh, CodeUnknownMsg,
		CodeInsufficientFee, CodeInsufficientFunds, CodeOutOfGas, CodeTxTooLarge, CodeInvalidMsg,
		CodeInternal, CodeGasLimitTooHigh, CodeNotFound, CodeBadQuery, CodeMempoolFull, CodeSenderBusy,
	}
}

// ErrNotFound is returned (wrapped in an *Error) by queries for absent objects.
var ErrNotFound = CodeNotFound.Err()
