package data_test

import (
	"encoding/json"
	"testing"

	"emergence/app"
	"emergence/data"
	"emergence/tx"
)

// FuzzMessages delivers arbitrary values of every data message kind from a
// crawler to a chain with an open job: whatever the bytes, the transaction
// gets a result code and never an internal error (a recovered panic), and
// the module's invariants hold after every block (apptest checks them).
func FuzzMessages(f *testing.F) {
	kinds := []string{data.MsgCreateCrawl, data.MsgAddURLs, data.MsgRegisterCrawler, data.MsgCommitReceipts,
		data.MsgRevealReceipts, data.MsgPublish, data.MsgBuy, data.MsgUnregister, data.MsgWithdraw}
	r := receipt(1, "http://site.test/", "text", "http://site.test/a")
	ci, ri, err := data.Seal(r, 0, salt("c1", 0), [20]byte{})
	if err != nil {
		f.Fatal(err)
	}
	seeds := []any{
		data.CreateCrawl{Seeds: []string{"http://site.test/x"}, Hosts: []string{"site.test"}, MaxPages: 5, PricePerPage: 1, Budget: 5, DeadlineBlocks: 50, Licence: "x"},
		data.AddURLs{Job: 1, URLs: []string{"http://site.test/y"}},
		data.RegisterCrawler{Stake: 1_000_000},
		data.CommitReceipts{Job: 1, Items: []data.CommitItem{ci}},
		data.RevealReceipts{Job: 1, Items: []data.RevealItem{ri}},
		data.Publish{Job: 1, Name: "n", Root: ci.Commitment, Manifest: ci.Commitment, Shards: []string{ci.Commitment}, Records: 1, Licence: "x"},
		data.Buy{Dataset: 1},
		data.Unregister{},
		data.Withdraw{Amount: 1},
	}
	for i, s := range seeds {
		b, _ := json.Marshal(s)
		f.Add(uint8(i), b)
	}
	c := newNet(f, 3, nil)
	c.createJob(2, "http://site.test/", "http://site.test/2")
	f.Fuzz(func(t *testing.T, kind uint8, raw []byte) {
		c.t = t
		c.c.Use(t)
		if !json.Valid(raw) {
			raw, _ = json.Marshal(string(raw))
		}
		name := crawlerNames[int(kind)%3]
		msg := tx.Msg{Type: kinds[int(kind)%len(kinds)], Value: raw}
		res := c.c.Deliver(c.c.SignWith(name, 10_000_000, msg))[0]
		if res.Code != 0 && res.Codespace == app.Space && res.Code == app.CodeInternal.Num {
			t.Fatalf("%s %s: internal error: %s", msg.Type, raw, res.Log)
		}
		if res.Code != 0 && res.Codespace == app.Space && res.Code < app.CodeInvalidMsg.Num && res.Code != app.CodeOutOfGas.Num {
			// An ante failure leaves the nonce unused.
			c.c.ResyncNonce(name)
		}
	})
}
