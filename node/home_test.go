package node_test

import (
	"testing"

	"emergence/app"
	"emergence/node"
)

// TestGenesisBlockGasLimit: genesis bounds a block's gas so that, at the gas
// benchmark's target of 20 ns per gas unit, a full block takes at most one
// second, and every transaction the app accepts fits in a block.
func TestGenesisBlockGasLimit(t *testing.T) {
	p := node.GenesisParams()
	if p.Block.MaxGas <= 0 || p.Block.MaxGas*20 > 1_000_000_000 {
		t.Fatalf("max_gas %d: want a limit of at most 1 s / 20 ns = 50M", p.Block.MaxGas)
	}
	if tx := app.DefaultParams().MaxTxGas; uint64(p.Block.MaxGas) < tx {
		t.Fatalf("max_gas %d below the app's max_tx_gas %d: some valid transactions would never fit a block", p.Block.MaxGas, tx)
	}
	if err := p.ValidateBasic(); err != nil {
		t.Fatal(err)
	}
}
