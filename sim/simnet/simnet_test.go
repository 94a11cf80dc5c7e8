package simnet_test

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"os"
	"testing"
	"time"

	"emergence/bank"
	"emergence/client"
	"emergence/sim/simnet"
	"emergence/tx"
)

// TestStartFundsAndCloses starts a network, pays from a genesis account
// through the client, checks the invariants and that Close removes it.
func TestStartFundsAndCloses(t *testing.T) {
	seed := sha256.Sum256([]byte("simnet-test/alice"))
	alice := ed25519.NewKeyFromSeed(seed[:])
	aliceAddr := tx.AddressFromPubKey(alice.Public().(ed25519.PublicKey))
	bob := tx.AddressFromPubKey(ed25519.NewKeyFromSeed(make([]byte, 32)).Public().(ed25519.PublicKey))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	net, err := simnet.Start(ctx, simnet.Config{ChainID: "simnet-test", Balances: []bank.Output{{To: aliceAddr, Amount: 10 * bank.UnitsPerEMG}}, BlockTime: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	st, err := net.Client.Status(ctx)
	if err != nil || st.ChainID != "simnet-test" {
		t.Fatalf("status %+v, %v", st, err)
	}
	m, err := tx.NewMsg("bank/send", bank.SendMsg{To: bob, Amount: 1_000})
	if err != nil {
		t.Fatal(err)
	}
	res, err := net.Client.SignAndBroadcast(ctx, alice, client.TxOptions{}, m)
	if err != nil || res.Code != 0 {
		t.Fatalf("send: %+v, %v", res, err)
	}
	acc, err := net.Client.Account(ctx, bob)
	if err != nil || acc.Balance != 1_000 {
		t.Fatalf("bob's account %+v, %v", acc, err)
	}
	if err := net.Node.App().CheckInvariants(); err != nil {
		t.Fatal(err)
	}
	home := net.Node.Home
	if err := net.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(home); !os.IsNotExist(err) {
		t.Fatalf("home %s still there after Close (%v)", home, err)
	}
}
