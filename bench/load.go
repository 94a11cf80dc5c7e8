package bench

import (
	"context"
	"errors"
	"fmt"

	"emergence/bank"
	"emergence/client"
)

// Sets are the account sets 'emergence bench transfers' loads: one for
// the in-process path, one for the HTTP path.
var Sets = []string{"inproc", "http"}

// AccountFunds is each load account's genesis balance: 1,000,000 EMG, far
// more than any run's fees.
const AccountFunds = 1_000_000 * bank.UnitsPerEMG

// Funding returns the genesis balances of accounts load accounts of each
// set.
func Funding(sets []string, accounts int) []bank.Output {
	var out []bank.Output
	for _, set := range sets {
		for i := 0; i < accounts; i++ {
			out = append(out, bank.Output{To: Addr(set, i), Amount: AccountFunds})
		}
	}
	return out
}

// RunHTTP pre-signs txs transfers from accounts accounts of set for the
// chain behind c, submits them through POST /v1/txs (sync mode, retrying
// while the mempool is full), and waits for every commit on the node's
// event stream.
func RunHTTP(ctx context.Context, c *client.Client, set string, accounts, txs int) (Result, error) {
	st, err := c.Status(ctx)
	if err != nil {
		return Result{}, fmt.Errorf("node status: %w", err)
	}
	load := Transfers(st.ChainID, set, accounts, txs, client.MinFee)
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	blocks, err := c.BlockCodes(sctx)
	if err != nil {
		return Result{}, fmt.Errorf("block stream: %w", err)
	}
	return Run(ctx, load, func(raw []byte) error {
		r, err := c.BroadcastSync(ctx, raw)
		var ae *client.APIError
		if errors.As(err, &ae) && ae.Code == "mempool_full" {
			return ErrBusy
		}
		if err != nil {
			return err
		}
		if r.Code != 0 {
			return fmt.Errorf("tx refused: %s/%d %s", r.Codespace, r.Code, r.Log)
		}
		return nil
	}, blocks)
}
