package abciapp

import (
	"fmt"

	"emergence/app"
	"emergence/store"
	"emergence/tx"
)

// Simulate runs a transaction against the mempool's view of state, as the
// next block would run it, keeps nothing, and returns its result with the
// gas it used. It is for clients choosing a gas limit: the signature is not
// checked, the gas limit is raised to MaxTxGas for the run, and the fee is
// neither checked against the limit nor required (a fee the tx carries is
// charged in the simulation, so spending the balance behaves as it will).
// The nonce must be the account's next one in the mempool view.
func (a *App) Simulate(raw []byte) (app.TxResult, error) {
	hash := tx.Hash(raw)
	res := app.TxResult{Hash: fmt.Sprintf("%X", hash[:])}
	if uint64(len(raw)) > a.params.MaxTxBytes {
		return failResult(res, app.CodeTxTooLarge.Errorf("%d bytes, at most %d", len(raw), a.params.MaxTxBytes)), nil
	}
	t, err := tx.Decode(raw)
	if err != nil {
		return failResult(res, app.CodeTxDecode.Errorf("%v", err)), nil
	}
	res.GasWanted = t.Body.GasLimit
	h, _ := a.LastCommit()
	ctx := app.Context{ChainID: a.chainID, Height: h + 1, Signer: t.Body.Signer, TxHash: hash, Checking: true}
	if b, err := a.BlockEvents(h); err == nil {
		ctx.Time = b.Time
	}

	a.checkMu.Lock()
	defer a.checkMu.Unlock()
	kv := store.NewCache(a.checkState, &a.checkErr) // dropped at return
	ctx.KV = kv
	sim := *t
	sim.Body.GasLimit = a.params.MaxTxGas
	gas, err := a.anteFee(&ctx, &sim, len(raw), false)
	if fee := t.Body.Fee; err == nil && fee > 0 && !a.selfFunded(t) {
		err = a.fees.ChargeFee(kv, t.Body.Signer, fee)
	}
	if a.checkErr != nil {
		return res, fmt.Errorf("simulate: %w", a.checkErr)
	}
	if err != nil {
		return failResult(res, err), nil
	}
	ctx.Gas = gas
	for i, m := range t.Body.Msgs {
		h := a.msgs[m.Type]
		if err := safeCall(func() error { return h.Handle(&ctx, m.Value) }); err != nil {
			res.GasUsed = gas.Used
			return failResult(res, fmt.Errorf("message %d (%s): %w", i, m.Type, err)), nil
		}
	}
	if a.checkErr != nil {
		return res, fmt.Errorf("simulate: %w", a.checkErr)
	}
	res.GasUsed = gas.Used
	res.Events = ctx.Events()
	return res, nil
}

func (a *App) selfFunded(t *tx.Tx) bool {
	for _, m := range t.Body.Msgs {
		if a.msgs[m.Type].SelfFunded {
			return true
		}
	}
	return false
}
