package abciapp_test

import (
	"testing"

	"emergence/app"
	"emergence/app/apptest"
	"emergence/bank"
)

// Simulate reports the gas the block will charge, keeps nothing, and works
// for a tx whose fee is zero (the client does not know the gas yet).
func TestSimulateReportsTheGasTheBlockUses(t *testing.T) {
	c := apptest.New(t, apptest.Genesis{Balances: map[string]uint64{"alice": 1 << 40}}, bank.New())
	var outs []bank.Output
	for i := 0; i < 50; i++ {
		outs = append(outs, bank.Output{To: apptest.Addr("bob"), Amount: 1})
	}
	raw := c.Sign("alice", c.Msg("bank/multisend", bank.MultiSendMsg{Outputs: outs}))
	sim, err := c.App.Simulate(raw)
	if err != nil || sim.Code != 0 {
		t.Fatalf("simulate: %+v %v", sim, err)
	}
	if n := app.Nonce(c.Reader(), apptest.Addr("alice")); n != 0 {
		t.Fatalf("simulation moved the nonce to %d", n)
	}
	if r := c.Check(raw); r.Code != 0 {
		t.Fatalf("CheckTx after the simulation: %s", r.Log)
	}
	res := c.Deliver(raw)[0]
	c.MustOK(res)
	if sim.GasUsed != res.GasUsed || sim.GasUsed < 50*bank.GasPerOutput {
		t.Fatalf("simulated gas %d, block charged %d", sim.GasUsed, res.GasUsed)
	}

	free := zeroFee(t, c, "alice", 1, c.Msg("bank/send", bank.SendMsg{To: apptest.Addr("bob"), Amount: 5}))
	if sim, err := c.App.Simulate(free); err != nil || sim.Code != 0 || sim.GasUsed == 0 {
		t.Fatalf("simulate without fee: %+v %v", sim, err)
	}
	broke := zeroFee(t, c, "carol", 0, c.Msg("bank/send", bank.SendMsg{To: apptest.Addr("bob"), Amount: 5}))
	if sim, err := c.App.Simulate(broke); err != nil || sim.Code != bank.CodeInsufficientFunds.Num || sim.Codespace != "bank" || sim.GasUsed == 0 {
		t.Fatalf("simulate an overspend: %+v %v", sim, err)
	}
	unknown := zeroFee(t, c, "alice", 1, c.Msg("junk/kind", struct{}{}))
	if sim, err := c.App.Simulate(unknown); err != nil || sim.Code != app.CodeUnknownMsg.Num {
		t.Fatalf("simulate an unknown kind: %+v %v", sim, err)
	}
}
