package bank

import "emergence/app"

// Name is the module's name and codespace.
const Name = "bank"

// Result codes of the bank module. Append only: never renumber or reuse.
var (
	CodeInsufficientFunds = app.Code{Space: Name, Num: 1, Desc: "insufficient funds"}
	CodeInvalidAmount     = app.Code{Space: Name, Num: 2, Desc: "invalid amount"}
	CodeInvalidAddress    = app.Code{Space: Name, Num: 3, Desc: "invalid address"}
	CodeOverflow          = app.Code{Space: Name, Num: 4, Desc: "amount overflows"}
	CodeTooManyOutputs    = app.Code{Space: Name, Num: 5, Desc: "too many outputs"}
	CodeModuleAccount     = app.Code{Space: Name, Num: 6, Desc: "module accounts cannot receive transfers"}
)

// Codes implements app.Module: the module's result codes in number order.
func (b *Bank) Codes() []app.Code {
	return []app.Code{
		CodeInsufficientFunds,
		CodeInvalidAmount,
		CodeInvalidAddress,
		CodeOverflow,
		CodeTooManyOutputs,
		CodeModuleAccount,
	}
}
