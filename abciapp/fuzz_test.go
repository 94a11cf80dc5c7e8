package abciapp_test

import (
	"context"
	"encoding/json"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	"emergence/app/apptest"
	"emergence/bank"
	"emergence/tx"
)

// FuzzCheckTx feeds arbitrary bytes to transaction decoding and to CheckTx
// and FinalizeBlock: they must never panic, every rejection must carry a
// result code, and the invariants must hold afterwards (apptest checks them
// after every block).
func FuzzCheckTx(f *testing.F) {
	key, alice := apptest.Key("alice")
	send, _ := tx.NewMsg("bank/send", bank.SendMsg{To: apptest.Addr("bob"), Amount: 5})
	good, _ := tx.Sign(tx.Body{ChainID: apptest.ChainID, Signer: alice, Fee: 10_000, GasLimit: 1_000_000, Msgs: []tx.Msg{send}}, key)
	f.Add(good)
	f.Add([]byte{})
	f.Add([]byte{1, 0, 0, 0, 0})
	f.Add(good[:len(good)-1])
	multi, _ := tx.NewMsg("bank/multisend", bank.MultiSendMsg{Outputs: []bank.Output{{To: apptest.Addr("bob"), Amount: 1}}})
	m2, _ := tx.Sign(tx.Body{ChainID: apptest.ChainID, Signer: alice, Fee: 10_000, GasLimit: 1_000_000, Msgs: []tx.Msg{multi, {Type: "x/y", Value: json.RawMessage(`null`)}}}, key)
	f.Add(m2)
	c := apptest.New(f, apptest.Genesis{Balances: map[string]uint64{"alice": 1 << 40}}, bank.New())
	f.Fuzz(func(t *testing.T, raw []byte) {
		c.Use(t)
		if d, err := tx.Decode(raw); err == nil {
			_ = d.Verify()
		}
		r, err := c.App.CheckTx(context.Background(), &abci.CheckTxRequest{Tx: raw, Type: abci.CHECK_TX_TYPE_CHECK})
		if err != nil {
			t.Fatalf("CheckTx returned a node error: %v", err)
		}
		if r.Code != 0 && r.Log == "" {
			t.Fatalf("rejection without a message: %+v", r)
		}
		if r.Code != 0 {
			return // rejected before the mempool: never reaches a block
		}
		res := c.Deliver(raw)
		if res[0].Code != 0 && (res[0].Codespace == "" || res[0].Log == "") {
			t.Fatalf("failed tx without code space or log: %+v", res[0])
		}
	})
}
