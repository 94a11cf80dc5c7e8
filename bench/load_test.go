package bench_test

import (
	"context"
	"testing"
	"time"

	"emergence/bank"
	"emergence/bench"
	"emergence/client"
	"emergence/node/nodetest"
	"emergence/tx"
)

func TestFunding(t *testing.T) {
	f := bench.Funding(bench.Sets, 3)
	if len(f) != 6 || f[0].To != bench.Addr("inproc", 0) || f[5].To != bench.Addr("http", 2) || f[5].Amount != bench.AccountFunds {
		t.Fatalf("funding %+v", f)
	}
}

// TestRunHTTP drives a real node through its HTTP API with a small load
// and checks that every transfer commits and the invariants hold.
func TestRunHTTP(t *testing.T) {
	net := nodetest.Start(t, nodetest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var outs []bank.Output
	for _, o := range bench.Funding([]string{"test"}, 2) {
		outs = append(outs, bank.Output{To: o.To, Amount: 10 * bank.UnitsPerEMG})
	}
	m, err := tx.NewMsg("bank/multisend", bank.MultiSendMsg{Outputs: outs})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := net.Client.SignAndBroadcast(ctx, net.Key("alice"), client.TxOptions{}, m); err != nil || res.Code != 0 {
		t.Fatalf("fund the load accounts: %v %+v", err, res)
	}
	r, err := bench.RunHTTP(ctx, net.Client, "test", 2, 20)
	if err != nil {
		t.Fatal(err)
	}
	if r.Committed != 20 || r.Failed != 0 || r.Blocks < 1 {
		t.Fatalf("result %+v: want 20 committed, none failed", r)
	}
	if err := net.Node.App().CheckInvariants(); err != nil {
		t.Fatal(err)
	}
}
