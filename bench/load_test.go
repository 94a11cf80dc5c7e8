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
	if len(f) != 12 || f[0].To != bench.Addr("inproc", 0) || f[5].To != bench.Addr("http", 2) || f[5].Amount != bench.AccountFunds ||
		f[6].To != bench.Sink("inproc", 0) || f[11].To != bench.Sink("http", 2) || f[11].Amount != bench.SinkFunds {
		t.Fatalf("funding %+v", f)
	}
}

// TestRunHTTP drives a real node through its HTTP API with a small load,
// one tx per request and in batches (7: batches that split accounts
// unevenly), and checks that every transfer commits and the invariants hold.
func TestRunHTTP(t *testing.T) {
	net := nodetest.Start(t, nodetest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	sets := []string{"one", "batch"}
	var outs []bank.Output
	for _, o := range bench.Funding(sets, 3) {
		outs = append(outs, bank.Output{To: o.To, Amount: 10 * bank.UnitsPerEMG})
	}
	m, err := tx.NewMsg("bank/multisend", bank.MultiSendMsg{Outputs: outs})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := net.Client.SignAndBroadcast(ctx, net.Key("alice"), client.TxOptions{}, m); err != nil || res.Code != 0 {
		t.Fatalf("fund the load accounts: %v %+v", err, res)
	}
	for i, batch := range []int{1, 7} {
		r, err := bench.RunHTTP(ctx, net.Client, sets[i], 3, 20, batch)
		if err != nil {
			t.Fatalf("batch %d: %v", batch, err)
		}
		if r.Committed != 20 || r.Failed != 0 || r.Blocks < 1 {
			t.Fatalf("batch %d: result %+v: want 20 committed, none failed", batch, r)
		}
		for a := 0; a < 3; a++ {
			if acc, err := net.Client.Account(ctx, bench.Addr(sets[i], a)); err != nil || acc.Nonce != []uint64{7, 7, 6}[a] {
				t.Fatalf("batch %d: account %d: %+v %v", batch, a, acc, err)
			}
		}
		if err := net.Node.App().CheckInvariants(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := bench.RunHTTP(ctx, net.Client, "one", 3, 20, 1001); err == nil {
		t.Fatal("a batch over the API's limit was run")
	}
}
