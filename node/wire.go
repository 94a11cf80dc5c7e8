package node

import (
	"errors"

	"emergence/api"
	"emergence/app"
)

// The node serves the HTTP API: it implements api.Backend in the API's wire
// types, converted here from the app's.
var _ api.Backend = (*Node)(nil)

// markAppError marks an app error with the API error class it maps to: a
// code of Options.NotFound is not found, any other coded error but an
// internal one is the caller's fault. Other errors stay unmarked (internal).
func (n *Node) markAppError(err error) error {
	var ae *app.Error
	switch {
	case errors.As(err, &ae) && n.notFound[keyOf(ae.Code)]:
		return api.Mark(api.ErrNotFound, err)
	case errors.As(err, &ae) && ae.Code != app.CodeInternal:
		return api.Mark(api.ErrInvalid, err)
	}
	return err
}

// codeKey identifies a result code by codespace and number.
type codeKey struct {
	space string
	num   uint32
}

func keyOf(c app.Code) codeKey { return codeKey{c.Space, c.Num} }

func wireEvents(evs []app.Event) []api.Event {
	if evs == nil {
		return nil
	}
	out := make([]api.Event, len(evs))
	for i, e := range evs {
		out[i] = api.Event{Type: e.Type}
		if e.Attrs != nil {
			out[i].Attrs = make([]api.Attribute, len(e.Attrs))
			for j, a := range e.Attrs {
				out[i].Attrs[j] = api.Attribute{Key: a.Key, Value: a.Value}
			}
		}
	}
	return out
}

func wireTxResult(r app.TxResult) api.TxResult {
	return api.TxResult{
		Hash: r.Hash, Height: r.Height, Index: r.Index, Code: r.Code, Codespace: r.Codespace, Log: r.Log,
		GasWanted: r.GasWanted, GasUsed: r.GasUsed, Events: wireEvents(r.Events),
	}
}

func wireBlockResult(b app.BlockResult) api.BlockResult {
	out := api.BlockResult{Height: b.Height, Time: b.Time, AppHash: b.AppHash, Events: wireEvents(b.Events)}
	if b.Txs != nil {
		out.Txs = make([]api.TxResult, len(b.Txs))
		for i, r := range b.Txs {
			out.Txs[i] = wireTxResult(r)
		}
	}
	return out
}
