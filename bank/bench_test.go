package bank_test

import (
	"fmt"
	"testing"

	"emergence/app/apptest"
	"emergence/bank"
)

// BenchmarkBlockOfTransfers measures FinalizeBlock + Commit of a block of
// 5,000 signed transfers from 100 accounts (signatures verified in the block,
// as for txs the node did not see in its mempool). Reports tx/s.
func BenchmarkBlockOfTransfers(b *testing.B) {
	const accounts, perBlock = 100, 5000
	g := apptest.Genesis{Balances: map[string]uint64{}}
	for i := 0; i < accounts; i++ {
		g.Balances[fmt.Sprint("acct", i)] = 1 << 50
	}
	c := apptest.New(b, g, bank.New())
	blocks := make([][][]byte, b.N)
	for n := range blocks {
		for i := 0; i < perBlock; i++ {
			from := fmt.Sprint("acct", i%accounts)
			m := c.Msg("bank/send", bank.SendMsg{To: apptest.Addr(fmt.Sprint("sink", i%accounts)), Amount: 1})
			blocks[n] = append(blocks[n], c.SignWith(from, 20_000, m))
		}
	}
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		res := c.Deliver(blocks[n]...)
		if res[0].Code != 0 {
			b.Fatalf("tx failed: %s", res[0].Log)
		}
	}
	b.ReportMetric(float64(b.N*perBlock)/b.Elapsed().Seconds(), "tx/s")
}
