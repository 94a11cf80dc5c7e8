package bank

import (
	"bytes"
	"strconv"

	"emergence/app"
	"emergence/tx"
)

// decodeSend decodes a bank/send message exactly as app.DecodeMsg does,
// reading the canonical encoding (json.Marshal's, which every send must
// have) in one pass without reflection: a transfer's message decode was
// about half of handleSend's CPU. Anything else, canonical or not, goes to
// app.DecodeMsg, so the verdicts and errors are DecodeMsg's
// (FuzzDecodeSend).
func decodeSend(raw []byte, m *SendMsg) error {
	if decodeSendCanonical(raw, m) {
		return nil
	}
	return app.DecodeMsg(raw, m)
}

// decodeSendCanonical reports whether raw is json.Marshal of a SendMsg,
// and if so sets m to it.
func decodeSendCanonical(raw []byte, m *SendMsg) bool {
	const pre, mid = `{"to":"`, `","amount":`
	if !bytes.HasPrefix(raw, []byte(pre)) || raw[len(raw)-1] != '}' {
		return false
	}
	rest := raw[len(pre) : len(raw)-1]
	q := bytes.IndexByte(rest, '"')
	if q < 0 || !bytes.HasPrefix(rest[q:], []byte(mid)) {
		return false
	}
	addr, digits := string(rest[:q]), string(rest[q+len(mid):])
	to, err := tx.ParseAddress(addr)
	if err != nil {
		return false
	}
	amount, err := strconv.ParseUint(digits, 10, 64)
	// json.Marshal writes the address's bech32 form (lower case, nothing
	// to escape) and the amount without sign or leading zeros.
	if err != nil || to.String() != addr || strconv.FormatUint(amount, 10) != digits {
		return false
	}
	m.To, m.Amount = to, amount
	return true
}
