package gasbench

import (
	"fmt"

	"emergence/app/apptest"
	"emergence/bank"
	"emergence/tx"
)

// fresh returns a never-used address: creating an account is the
// expensive case of a transfer.
func fresh(set string, i int) tx.Address { return apptest.Addr(fmt.Sprintf("fresh/%s/%d", set, i)) }

func funded(prefix string, n int, amount uint64) map[string]uint64 {
	b := map[string]uint64{}
	for i := 0; i < n; i++ {
		b[fmt.Sprintf("%s%d", prefix, i)] = amount
	}
	return b
}

func bankCases(div int) []Case {
	sends, multis := max(1, 2_000/div), max(1, 20/div)
	return []Case{
		{
			Kind: "bank/send", Shape: fmt.Sprintf("%d senders, each to a new account", sends),
			Genesis: apptest.Genesis{Balances: funded("s", sends, 1_000_000)},
			Prepare: func(c *apptest.Chain) [][]byte {
				var txs [][]byte
				for i := 0; i < sends; i++ {
					txs = append(txs, c.SignWith(fmt.Sprintf("s%d", i), 20_000, c.Msg("bank/send", bank.SendMsg{To: fresh("send", i), Amount: 1})))
				}
				return txs
			},
		},
		{
			Kind: "bank/multisend", Shape: fmt.Sprintf("%d senders, %d outputs each to new accounts", multis, bank.MaxOutputs),
			Genesis: apptest.Genesis{Balances: funded("m", multis, 100_000_000)},
			Prepare: func(c *apptest.Chain) [][]byte {
				var txs [][]byte
				for i := 0; i < multis; i++ {
					var outs []bank.Output
					for k := 0; k < bank.MaxOutputs; k++ {
						outs = append(outs, bank.Output{To: fresh(fmt.Sprintf("multi%d", i), k), Amount: 1})
					}
					txs = append(txs, c.SignWith(fmt.Sprintf("m%d", i), 2_000_000, c.Msg("bank/multisend", bank.MultiSendMsg{Outputs: outs})))
				}
				return txs
			},
		},
	}
}
