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

// sendTxs is n sends from s0…s(n-1), each to a new account.
func sendTxs(c *apptest.Chain, n int) [][]byte {
	var txs [][]byte
	for i := 0; i < n; i++ {
		txs = append(txs, c.SignWith(fmt.Sprintf("s%d", i), 20_000, c.Msg("bank/send", bank.SendMsg{To: fresh("send", i), Amount: 1})))
	}
	return txs
}

// sendsToCrowd is n sends from s0…s(n-1), each to an account that
// crowdOfAccounts created, spread over its blocks: the recipients exist, so
// no account is created, but their balances lie in the files of many
// commits.
func sendsToCrowd(c *apptest.Chain, n, blocks int) [][]byte {
	var txs [][]byte
	for i := 0; i < n; i++ {
		b, f, k := i%blocks, (i/blocks)%8, (i/blocks/8)%bank.MaxOutputs
		to := fresh(fmt.Sprintf("crowd%d-%d", b, f), k)
		txs = append(txs, c.SignWith(fmt.Sprintf("s%d", i), 20_000, c.Msg("bank/send", bank.SendMsg{To: to, Amount: 1})))
	}
	return txs
}

// crowdOfAccounts creates 8·MaxOutputs new accounts in each of blocks
// blocks (multisends from m0…m7), so that the state is spread over the
// files of many commits.
func crowdOfAccounts(c *apptest.Chain, blocks int) {
	for b := 0; b < blocks; b++ {
		var txs [][]byte
		for f := 0; f < 8; f++ {
			var outs []bank.Output
			for k := 0; k < bank.MaxOutputs; k++ {
				outs = append(outs, bank.Output{To: fresh(fmt.Sprintf("crowd%d-%d", b, f), k), Amount: 1})
			}
			txs = append(txs, c.SignWith(fmt.Sprintf("m%d", f), 2_000_000, c.Msg("bank/multisend", bank.MultiSendMsg{Outputs: outs})))
		}
		deliverOK(c, txs)
	}
}

// multiSends is n multisends from m0…m(n-1), each to MaxOutputs new
// accounts.
func multiSends(c *apptest.Chain, n int) [][]byte {
	var txs [][]byte
	for i := 0; i < n; i++ {
		var outs []bank.Output
		for k := 0; k < bank.MaxOutputs; k++ {
			outs = append(outs, bank.Output{To: fresh(fmt.Sprintf("multi%d", i), k), Amount: 1})
		}
		txs = append(txs, c.SignWith(fmt.Sprintf("m%d", i), 2_000_000, c.Msg("bank/multisend", bank.MultiSendMsg{Outputs: outs})))
	}
	return txs
}

func bankCases(div int) []Case {
	sends, multis := max(1, 2_000/div), max(1, 20/div)
	crowdBlocks := max(2, 48/div)
	sendersAndCrowd := funded("s", sends, 1_000_000)
	for k, v := range funded("m", 8, 100_000_000) {
		sendersAndCrowd[k] = v
	}
	return []Case{
		{
			Kind: "bank/send", Shape: fmt.Sprintf("%d senders, each to a new account", sends),
			Genesis: apptest.Genesis{Balances: funded("s", sends, 1_000_000)},
			Prepare: func(c *apptest.Chain) [][]byte { return sendTxs(c, sends) },
		},
		{
			Kind: "bank/multisend", Shape: fmt.Sprintf("%d senders, %d outputs each to new accounts", multis, bank.MaxOutputs),
			Genesis: apptest.Genesis{Balances: funded("m", multis, 100_000_000)},
			Prepare: func(c *apptest.Chain) [][]byte { return multiSends(c, multis) },
		},
		{
			// New accounts are read before they exist: on a chain whose
			// accounts were written over many blocks those reads search
			// more of Pebble's files (multisend 4.90-7.22 CPU ns/gas here
			// against 2.59-3.21 on a fresh chain, load 19-22; 100,000
			// accounts written in genesis made no difference).
			Kind: "bank/multisend", Shape: fmt.Sprintf("%d senders, %d outputs each to new accounts, on a chain of %d accounts created over %d blocks", multis, bank.MaxOutputs, crowdBlocks*8*bank.MaxOutputs, crowdBlocks),
			Genesis: apptest.Genesis{Balances: funded("m", max(8, multis), 100_000_000)},
			Prepare: func(c *apptest.Chain) [][]byte {
				crowdOfAccounts(c, crowdBlocks)
				return multiSends(c, multis)
			},
		},
		{
			Kind: "bank/send", Shape: fmt.Sprintf("%d senders, each to a new account, on a chain of %d accounts created over %d blocks", sends, crowdBlocks*8*bank.MaxOutputs, crowdBlocks),
			Genesis: apptest.Genesis{Balances: sendersAndCrowd},
			Prepare: func(c *apptest.Chain) [][]byte {
				crowdOfAccounts(c, crowdBlocks)
				return sendTxs(c, sends)
			},
		},
		{
			// The cheap transfer (no account created) at its worst: the
			// recipients' balances are spread over many commits' files.
			Kind: "bank/send", Shape: fmt.Sprintf("%d senders, each to an existing account, on a chain of %d accounts created over %d blocks", sends, crowdBlocks*8*bank.MaxOutputs, crowdBlocks),
			Genesis: apptest.Genesis{Balances: sendersAndCrowd},
			Prepare: func(c *apptest.Chain) [][]byte {
				crowdOfAccounts(c, crowdBlocks)
				return sendsToCrowd(c, sends, crowdBlocks)
			},
		},
	}
}
