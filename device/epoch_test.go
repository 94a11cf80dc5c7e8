package device_test

import (
	"strconv"
	"strings"
	"testing"

	"emergence/app/apptest"
	"emergence/bank"
	"emergence/device"
	"emergence/device/devkey"
)

func TestPostEpochPaysFromItsOwnEvidence(t *testing.T) {
	c := newChain(t)
	c.MustOK(c.Deliver(c.Sign("maker", c.Msg(device.MsgRegisterMaker, device.RegisterMaker{Name: "acme", Stake: 1_000_000})))[0])
	s1, s2 := devkey.NewSecp256k1([32]byte{1}), devkey.NewEd25519([32]byte{2})
	id1, id2 := provision(t, c, s1, "S1"), provision(t, c, s2, "S2")
	c.MustOK(c.Deliver(c.Sign("alice", c.Msg(device.MsgPair, pairMsg(s1, id1, apptest.Addr("alice"), 0))))[0])
	c.MustOK(c.Deliver(c.Sign("bob", c.Msg(device.MsgPair, pairMsg(s2, id2, apptest.Addr("bob"), 0))))[0])
	c.MustOK(c.Deliver(c.Sign("maker", c.Msg(device.MsgFundPool, device.FundPool{Amount: 4_000_000})))[0])

	root := strings.Repeat("ab", 32)
	epoch := uint64(c.Time.UnixMilli())/device.EpochMillis - 1
	ev := []device.Evidence{{Device: id1, Readings: 100, Cells: 2}, {Device: id2, Readings: 300, Cells: 6}}
	if id2 < id1 {
		ev[0], ev[1] = ev[1], ev[0]
	}
	post := device.PostEpoch{Epoch: epoch, Root: root, Events: 400, Evidence: ev}
	c.MustFail(c.Deliver(c.Sign("mallory", c.Msg(device.MsgPostEpoch, post)))[0], device.CodeNotIngest)
	c.MustFail(c.Deliver(c.Sign("mallory", c.Msg(device.MsgRegisterIngest, device.RegisterIngest{Stake: 5})))[0], device.CodeLowStake)
	c.MustOK(c.Deliver(c.Sign("mallory", c.Msg(device.MsgRegisterIngest, device.RegisterIngest{Stake: 1_000_000})))[0])
	c.MustFail(c.Deliver(c.Sign("mallory", c.Msg(device.MsgPostEpoch, device.PostEpoch{Epoch: epoch + 1, Root: root, Evidence: ev})))[0], device.CodeBadEpoch)
	c.MustFail(c.Deliver(c.Sign("mallory", c.Msg(device.MsgPostEpoch, device.PostEpoch{Epoch: epoch, Root: root, Evidence: []device.Evidence{ev[1], ev[0]}})))[0], device.CodeBadEpoch)
	c.MustFail(c.Deliver(c.Sign("mallory", c.Msg(device.MsgPostEpoch, device.PostEpoch{Epoch: epoch, Root: "00", Evidence: ev})))[0], device.CodeBadEpoch)

	b := bank.New()
	before := b.Balance(c.Reader(), apptest.Addr("alice")) + b.Balance(c.Reader(), apptest.Addr("bob"))
	c.MustOK(c.Deliver(c.Sign("mallory", c.Msg(device.MsgPostEpoch, post)))[0])
	c.MustFail(c.Deliver(c.Sign("mallory", c.Msg(device.MsgPostEpoch, post)))[0], device.CodeEpochPosted)
	after := b.Balance(c.Reader(), apptest.Addr("alice")) + b.Balance(c.Reader(), apptest.Addr("bob"))

	var rec device.EpochRecord
	if err := c.Query("device/epoch/"+strconv.FormatUint(epoch, 10), nil, &rec); err != nil {
		t.Fatal(err)
	}
	// Recomputing offline from the posted evidence gives the chain's numbers.
	want := device.Rewards(rec.Budget, ev)
	for i, p := range rec.Payouts {
		if p.Amount != want[i] {
			t.Fatalf("payout %d: chain %d, recomputed %d", i, p.Amount, want[i])
		}
	}
	if rec.Budget != 4_000_000 || rec.Paid != 4_000_000 || after-before != rec.Paid {
		t.Fatalf("budget %d paid %d, owners gained %d", rec.Budget, rec.Paid, after-before)
	}
	// An epoch nobody posted pays nothing and is not found; it is never paid
	// from another epoch's evidence.
	if err := c.Query("device/epoch/"+strconv.FormatUint(epoch-1, 10), nil, &rec); err == nil {
		t.Fatal("unposted epoch found")
	}
}
