package abciapp_test

import (
	"encoding/json"
	"net/url"
	"testing"

	"emergence/app"
	"emergence/app/apptest"
	"emergence/bank"
	"emergence/store"
)

// probe is a module whose message check writes to state, to show CheckTx
// drops such writes.
type probe struct{}

var codeSeen = app.Code{Space: "probe", Num: 1, Desc: "a previous check's write is visible"}

func (probe) Name() string { return "probe" }
func (probe) Msgs() []app.MsgHandler {
	return []app.MsgHandler{{
		Type: "probe/touch",
		Gas:  1,
		Check: func(ctx *app.Context, _ json.RawMessage) error {
			if ctx.KV.Get([]byte("probe/checked")) != nil {
				return codeSeen.Err()
			}
			ctx.KV.Set([]byte("probe/checked"), []byte{1})
			return nil
		},
		Handle: func(ctx *app.Context, _ json.RawMessage) error { return nil },
	}}
}
func (probe) Codes() []app.Code                                   { return []app.Code{codeSeen} }
func (probe) InitGenesis(*app.Context, json.RawMessage) error     { return nil }
func (probe) EndBlock(*app.Context) error                         { return nil }
func (probe) Query(store.Reader, string, url.Values) (any, error) { return nil, app.ErrNotFound }
func (probe) Invariants(store.Reader) error                       { return nil }

func TestCheckTxDropsMessageCheckWrites(t *testing.T) {
	c := apptest.New(t, apptest.Genesis{Balances: map[string]uint64{"alice": 1 << 40}}, bank.New(), probe{})
	for i := 0; i < 2; i++ {
		r := c.Check(c.Sign("alice", c.Msg("probe/touch", struct{}{})))
		if r.Code != 0 {
			t.Fatalf("check %d: %s/%d %s", i, r.Codespace, r.Code, r.Log)
		}
	}
}
