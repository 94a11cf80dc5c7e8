package client_test

import (
	"context"
	"testing"
	"time"

	"emergence/bank"
	"emergence/client"
	"emergence/node/nodetest"
	"emergence/tx"
)

// TestAwait follows a real node's event stream: a transfer is awaited by
// its hash, then a height a few blocks ahead, and a condition that errors
// ends the wait with that error.
func TestAwait(t *testing.T) {
	net := nodetest.Start(t, nodetest.Options{})
	c := net.Client
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	m, err := tx.NewMsg("bank/send", bank.SendMsg{To: net.Addr("bob"), Amount: 7})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := c.BuildTx(ctx, net.Key("alice"), client.TxOptions{GasAuto: true}, m)
	if err != nil {
		t.Fatal(err)
	}
	chk, err := c.BroadcastSync(ctx, raw)
	if err != nil || chk.Code != 0 {
		t.Fatalf("broadcast: %+v %v", chk, err)
	}
	res, err := c.AwaitTx(ctx, chk.Hash)
	if err != nil {
		t.Fatal(err)
	}
	if res.Code != 0 || res.Height == 0 {
		t.Fatalf("awaited result %+v", res)
	}

	target := res.Height + 3
	if err := c.WaitHeight(ctx, target); err != nil {
		t.Fatal(err)
	}
	if st, err := c.Status(ctx); err != nil || st.Height < target {
		t.Fatalf("after WaitHeight(%d): status %+v %v", target, st, err)
	}

	boom := context.DeadlineExceeded
	if err := c.Await(ctx, func() (bool, error) { return false, boom }); err != boom {
		t.Fatalf("Await returned %v, want the condition's error", err)
	}
	short, cancelShort := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancelShort()
	if err := c.Await(short, func() (bool, error) { return false, nil }); err == nil {
		t.Fatal("Await with a condition that never holds returned nil")
	}
	net.CheckInvariants()
}
