package abciapp

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strings"

	"emergence/app"
	"emergence/store"
	"emergence/tx"
)

// The account history index: for every committed tx, one record under
// each account it names (its signer, and any address an event of the tx
// carries, such as a recipient), keyed by address, height and position so
// an account's txs list newest first. The index is the node's, not state:
// it is not in the app hash and a node may rebuild or drop it.

// AccountTx is one entry of an account's history.
type AccountTx struct {
	Hash      string   `json:"hash"`
	Height    int64    `json:"height"`
	Index     int      `json:"index"`
	Code      uint32   `json:"code"`
	Codespace string   `json:"codespace,omitempty"`
	Role      string   `json:"role"` // "signer", or "named" in an event
	Msgs      []string `json:"msgs"`
}

// MaxHistoryAddrs bounds the accounts one tx is indexed under (its signer
// first), so a tx cannot make Commit write without bound.
const MaxHistoryAddrs = 16

// MaxHistoryPage bounds one AccountTxs answer.
const MaxHistoryPage = 100

var historyPrefix = []byte("acct/")

func historyKey(a tx.Address, height int64, index int) []byte {
	k := make([]byte, 0, len(historyPrefix)+len(a)+12)
	k = append(append(k, historyPrefix...), a[:]...)
	k = binary.BigEndian.AppendUint64(k, uint64(height))
	return binary.BigEndian.AppendUint32(k, uint32(index))
}

// historyWrites returns the index records of one delivered tx.
func historyWrites(t *tx.Tx, r app.TxResult) []store.Write {
	msgs := make([]string, len(t.Body.Msgs))
	for i, m := range t.Body.Msgs {
		msgs[i] = m.Type
	}
	rec := AccountTx{Hash: r.Hash, Height: r.Height, Index: r.Index, Code: r.Code, Codespace: r.Codespace, Msgs: msgs}
	addrs := []tx.Address{t.Body.Signer}
	for _, e := range r.Events {
		for _, at := range e.Attrs {
			if len(addrs) == MaxHistoryAddrs || !strings.HasPrefix(at.Value, tx.AddressPrefix+"1") {
				continue
			}
			a, err := tx.ParseAddress(at.Value)
			if err != nil || containsAddr(addrs, a) {
				continue
			}
			addrs = append(addrs, a)
		}
	}
	out := make([]store.Write, len(addrs))
	for i, a := range addrs {
		rec.Role = "named"
		if i == 0 {
			rec.Role = "signer"
		}
		out[i] = store.Write{Key: historyKey(a, r.Height, r.Index), Value: appendAccountTx(nil, &rec)}
	}
	return out
}

func containsAddr(as []tx.Address, a tx.Address) bool {
	for _, b := range as {
		if a == b {
			return true
		}
	}
	return false
}

// AccountTxs returns up to limit (at most MaxHistoryPage) committed txs
// that name addr, newest first, starting before height and index (a
// height of 0 starts at the newest).
func (a *App) AccountTxs(addr tx.Address, height int64, index int, limit int) ([]AccountTx, error) {
	limit = min(max(limit, 1), MaxHistoryPage)
	start := historyKey(addr, 0, 0)
	end := store.PrefixEnd(append(append([]byte(nil), historyPrefix...), addr[:]...))
	if height > 0 {
		end = historyKey(addr, height, index)
	}
	out := []AccountTx{}
	var derr error
	err := a.store.IndexReverse(start, end, func(_, v []byte) bool {
		var rec AccountTx
		if derr = json.Unmarshal(v, &rec); derr != nil {
			return false
		}
		out = append(out, rec)
		return len(out) < limit
	})
	if err == nil && derr != nil {
		err = fmt.Errorf("corrupt account index: %w", derr)
	}
	return out, err
}
