package node_test

import (
	"errors"
	"reflect"
	"testing"
	"time"

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

// TestSetBlockTime: a resumed home takes a new block time and keeps its
// other settings; a home that was never initialised and a non-positive
// block time are refused.
func TestSetBlockTime(t *testing.T) {
	home := t.TempDir()
	if err := node.SetBlockTime(home, time.Second); !errors.Is(err, node.ErrNoHome) {
		t.Fatalf("uninitialised home: %v", err)
	}
	s := node.DefaultSettings("set-block-time")
	if err := node.SaveSettings(home, s); err != nil {
		t.Fatal(err)
	}
	if err := node.SetBlockTime(home, 250*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	got, err := node.LoadSettings(home)
	if err != nil {
		t.Fatal(err)
	}
	want := s
	want.BlockTime = node.Duration(250 * time.Millisecond)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("settings %+v, want %+v", got, want)
	}
	if err := node.SetBlockTime(home, 0); err == nil {
		t.Fatal("a zero block time was saved")
	}
}
