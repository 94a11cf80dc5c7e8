package bench

import (
	"context"
	"errors"
	"fmt"

	"emergence/api"
	"emergence/bank"
	"emergence/client"
)

// Sets are the account sets 'emergence bench transfers' loads: one for
// the in-process path, one for the HTTP path.
var Sets = []string{"inproc", "http"}

// AccountFunds is each load account's genesis balance: 1,000,000 EMG, far
// more than any run's fees.
const AccountFunds = 1_000_000 * bank.UnitsPerEMG

// SinkFunds is each sink's genesis balance (1 EMG): the sinks exist before
// the load, so every load transfer goes to an existing account, as a
// payment mostly does (one that creates its recipient pays
// bank.GasNewAccount more).
const SinkFunds = bank.UnitsPerEMG

// Funding returns the genesis balances of accounts load accounts of each
// set, and then of their sinks (Sink).
func Funding(sets []string, accounts int) []bank.Output {
	var out []bank.Output
	for _, set := range sets {
		for i := 0; i < accounts; i++ {
			out = append(out, bank.Output{To: Addr(set, i), Amount: AccountFunds})
		}
	}
	for _, set := range sets {
		for i := 0; i < accounts; i++ {
			out = append(out, bank.Output{To: Sink(set, i), Amount: SinkFunds})
		}
	}
	return out
}

// RunHTTP pre-signs txs transfers from accounts accounts of set for the
// chain behind c, submits them through the HTTP API, and waits for every
// commit on the node's event stream. With batch 1 each tx is one
// POST /v1/txs?mode=sync, one goroutine per account; with more, up to
// batch txs go in one POST /v1/txs/batch (see RunBatches). Either way a tx
// the mempool has no room for is retried.
func RunHTTP(ctx context.Context, c *client.Client, set string, accounts, txs, batch int) (Result, error) {
	if batch < 1 || batch > api.MaxBatchTxs {
		return Result{}, fmt.Errorf("batch size %d: want 1 to %d", batch, api.MaxBatchTxs)
	}
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
	if batch > 1 {
		return RunBatches(ctx, load, batch, func(raws [][]byte) ([]error, error) {
			rs, err := c.BroadcastBatch(ctx, raws)
			if err != nil {
				return nil, err
			}
			errs := make([]error, len(rs))
			for i, r := range rs {
				errs[i] = refusal(r)
			}
			return errs, nil
		}, blocks)
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
		return refusal(*r)
	}, blocks)
}

// refusal is nil for a tx the mempool took, ErrBusy for one it had no room
// for, and otherwise why the node refused it.
func refusal(r api.CheckResult) error {
	switch {
	case r.Error != nil && r.Error.Code == "mempool_full":
		return ErrBusy
	case r.Error != nil:
		return fmt.Errorf("tx %s not taken: %s (%s)", r.Hash, r.Error.Error, r.Error.Code)
	case r.Code != 0:
		return fmt.Errorf("tx refused: %s/%d %s", r.Codespace, r.Code, r.Log)
	}
	return nil
}
