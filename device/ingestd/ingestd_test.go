package ingestd_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"emergence/app/apptest"
	"emergence/client"
	"emergence/device"
	"emergence/device/fleet"
	"emergence/device/ingestd"
	"emergence/node/nodetest"
	"emergence/tx"
)

// TestRestartKeepsTheEpoch: an ingest node restarted half-way through an
// epoch keeps what it received, closes and posts the whole epoch, and a
// second restart finds the epoch closed and on chain without posting again.
func TestRestartKeepsTheEpoch(t *testing.T) {
	net := nodetest.Start(t, nodetest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	send := func(key string, msgs ...tx.Msg) {
		t.Helper()
		res, err := net.Client.SignAndBroadcast(ctx, net.Key(key), client.TxOptions{GasLimit: 10_000_000}, msgs...)
		if err != nil || res.Code != 0 {
			t.Fatalf("%s: %v %+v", key, err, res)
		}
	}
	msg := func(kind string, v any) tx.Msg { m, _ := tx.NewMsg(kind, v); return m }
	f := fleet.NewFleet(11, 4, 1, 0, 0)
	send("alice", msg(device.MsgRegisterMaker, device.RegisterMaker{Name: "f", Stake: device.DefaultParams().MakerStake}))
	var prov, pair []tx.Msg
	for i, v := range f.Vehicles {
		prov = append(prov, msg(device.MsgProvision, device.Provision{KeyType: v.Signer.Type, PubKey: hex.EncodeToString(v.Signer.Pub()), Model: "m", Serial: fmt.Sprint(i)}))
		sig := v.Signer.Sign(device.PairingMessage(apptest.ChainID, v.ID, net.Addr("bob"), 0))
		pair = append(pair, msg(device.MsgPair, device.Pair{Device: v.ID, Signature: hex.EncodeToString(sig)}))
	}
	send("alice", prov...)
	send("bob", pair...)
	send("carol", msg(device.MsgRegisterIngest, device.RegisterIngest{Stake: device.IngestStake}), msg(device.MsgFundPool, device.FundPool{Amount: device.EpochBudget}))

	epoch := uint64(time.Now().UnixMilli()/device.EpochMillis - 1)
	evs, err := f.Events(int64(epoch)*device.EpochMillis, 30)
	if err != nil {
		t.Fatal(err)
	}
	raws := make([]json.RawMessage, len(evs))
	for i, e := range evs {
		raws[i] = e
	}
	dir := t.TempDir()
	chain := &ingestd.NodeChain{C: net.Client, Key: net.Key("carol")}
	open := func() *ingestd.Server {
		t.Helper()
		s, err := ingestd.New(ingestd.Config{Dir: dir, Coverage: fleet.Coverage, Grace: time.Hour}, chain)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	s := open()
	if _, err := s.Receive(raws[:70]); err != nil {
		t.Fatal(err)
	}
	s = open() // restart
	if got, _ := s.Summary(epoch); got.Received != 70 {
		t.Fatalf("after a restart the inbox holds %d events, want 70", got.Received)
	}
	if _, err := s.Receive(raws[70:]); err != nil {
		t.Fatal(err)
	}
	sum, err := s.Close(ctx, epoch)
	if err != nil {
		t.Fatal(err)
	}
	var rows int64
	for _, n := range sum.RowGroups {
		rows += n
	}
	if !sum.Posted || !sum.Agrees || sum.Received != len(raws) || sum.Accepted < 4*30 || sum.Accepted > 4*30+3 || rows != int64(sum.Accepted) {
		t.Fatalf("summary %+v", sum)
	}
	s = open() // restart after the close
	again, err := s.Close(ctx, epoch)
	if err != nil || again.Root != sum.Root || again.Tx != sum.Tx {
		t.Fatalf("closing again: %v %+v", err, again)
	}
	if res, _ := s.Receive(raws[:1]); res[0].Status != "late" {
		t.Fatalf("an event of the closed epoch: %+v", res[0])
	}
}
