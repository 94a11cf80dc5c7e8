package abciapp_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"

	"emergence/app/apptest"
	"emergence/bank"
)

// BenchmarkCheckTx measures the mempool's work per transfer before the
// block, as bench transfers loads it: 256 senders, txs whose signatures
// PreVerifyBatch already checked (as POST /v1/txs/batch does), then the
// first CheckTx of each ("first"), and CometBFT's recheck of every pending
// tx after a block ("recheck"). cpu-ns/op is the process's CPU time per tx.
func BenchmarkCheckTx(b *testing.B) {
	const senders, perSender = 256, 8
	g := apptest.Genesis{Balances: map[string]uint64{"sink": 1}}
	names := make([]string, senders)
	for i := range names {
		names[i] = fmt.Sprint("s", i)
		g.Balances[names[i]] = 1 << 40
	}
	c := apptest.New(b, g, bank.New())
	batch := func() [][]byte {
		var raws [][]byte
		for j := 0; j < perSender; j++ {
			for _, n := range names {
				raws = append(raws, c.Sign(n, c.Msg("bank/send", bank.SendMsg{To: apptest.Addr("sink"), Amount: 1})))
			}
		}
		return raws
	}
	check := func(raw []byte, kind abci.CheckTxType) {
		r, err := c.App.CheckTx(context.Background(), &abci.CheckTxRequest{Tx: raw, Type: kind})
		if err != nil || r.Code != 0 {
			b.Fatalf("CheckTx: %v %s", err, r.GetLog())
		}
	}
	for _, mode := range []string{"first", "recheck"} {
		b.Run(mode, func(b *testing.B) {
			var cpu time.Duration
			defer func() { b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op") }()
			b.ReportAllocs()
			b.StopTimer()
			for i := 0; i < b.N; i += senders * perSender {
				raws := batch()
				c.App.PreVerifyBatch(raws)
				if mode == "recheck" {
					for _, raw := range raws {
						check(raw, abci.CHECK_TX_TYPE_CHECK)
					}
					c.Deliver() // a block without them: the view starts over
				}
				kind := map[string]abci.CheckTxType{"first": abci.CHECK_TX_TYPE_CHECK, "recheck": abci.CHECK_TX_TYPE_RECHECK}[mode]
				b.StartTimer()
				t0 := processCPU()
				for _, raw := range raws {
					check(raw, kind)
				}
				cpu += processCPU() - t0
				b.StopTimer()
				c.Deliver(raws...)
			}
		})
	}
}
