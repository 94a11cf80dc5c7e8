package abciapp

import (
	"encoding/json"
	"strconv"

	"emergence/app"
)

// The node's indexes (tx results, account histories) are written for
// every committed tx in Commit, so their JSON is encoded here by hand
// rather than by encoding/json's reflection: the bytes are exactly
// json.Marshal's (TestIndexJSONIsMarshals, FuzzIndexJSON), so readers and
// stored indexes are unchanged.

// appendString appends s as json.Marshal encodes a string: printable
// ASCII other than '"', '\\' and the HTML characters '<', '>', '&' goes
// as is; any other string is left to encoding/json.
func appendString(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			b, _ := json.Marshal(s) // a string always encodes
			return append(dst, b...)
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}

// appendTxResult appends json.Marshal(r).
func appendTxResult(dst []byte, r *app.TxResult) []byte {
	dst = append(dst, `{"hash":`...)
	dst = appendString(dst, r.Hash)
	dst = append(dst, `,"height":`...)
	dst = strconv.AppendInt(dst, r.Height, 10)
	dst = append(dst, `,"index":`...)
	dst = strconv.AppendInt(dst, int64(r.Index), 10)
	dst = append(dst, `,"code":`...)
	dst = strconv.AppendUint(dst, uint64(r.Code), 10)
	if r.Codespace != "" {
		dst = append(dst, `,"codespace":`...)
		dst = appendString(dst, r.Codespace)
	}
	if r.Log != "" {
		dst = append(dst, `,"log":`...)
		dst = appendString(dst, r.Log)
	}
	dst = append(dst, `,"gas_wanted":`...)
	dst = strconv.AppendUint(dst, r.GasWanted, 10)
	dst = append(dst, `,"gas_used":`...)
	dst = strconv.AppendUint(dst, r.GasUsed, 10)
	if len(r.Events) > 0 {
		dst = append(dst, `,"events":[`...)
		for i := range r.Events {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendEvent(dst, &r.Events[i])
		}
		dst = append(dst, ']')
	}
	return append(dst, '}')
}

// appendEvent appends json.Marshal(e).
func appendEvent(dst []byte, e *app.Event) []byte {
	dst = append(dst, `{"type":`...)
	dst = appendString(dst, e.Type)
	dst = append(dst, `,"attributes":`...)
	if e.Attrs == nil {
		dst = append(dst, "null"...)
	} else {
		dst = append(dst, '[')
		for i, at := range e.Attrs {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `{"key":`...)
			dst = appendString(dst, at.Key)
			dst = append(dst, `,"value":`...)
			dst = appendString(dst, at.Value)
			dst = append(dst, '}')
		}
		dst = append(dst, ']')
	}
	return append(dst, '}')
}

// appendAccountTx appends json.Marshal(rec).
func appendAccountTx(dst []byte, rec *AccountTx) []byte {
	dst = append(dst, `{"hash":`...)
	dst = appendString(dst, rec.Hash)
	dst = append(dst, `,"height":`...)
	dst = strconv.AppendInt(dst, rec.Height, 10)
	dst = append(dst, `,"index":`...)
	dst = strconv.AppendInt(dst, int64(rec.Index), 10)
	dst = append(dst, `,"code":`...)
	dst = strconv.AppendUint(dst, uint64(rec.Code), 10)
	if rec.Codespace != "" {
		dst = append(dst, `,"codespace":`...)
		dst = appendString(dst, rec.Codespace)
	}
	dst = append(dst, `,"role":`...)
	dst = appendString(dst, rec.Role)
	dst = append(dst, `,"msgs":`...)
	if rec.Msgs == nil {
		dst = append(dst, "null"...)
	} else {
		dst = append(dst, '[')
		for i, m := range rec.Msgs {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, m)
		}
		dst = append(dst, ']')
	}
	return append(dst, '}')
}
