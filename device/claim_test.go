package device_test

import (
	"strconv"
	"strings"
	"testing"

	"emergence/app/apptest"
	"emergence/device"
	"emergence/device/devkey"
)

// TestClaims: owners are paid only by claiming, only for complete epochs,
// only what their devices earned while they owned them, once; a claim
// looks at MaxClaimEpochs entries at most and the rest wait for the next.
func TestClaims(t *testing.T) {
	c := newChain(t)
	c.MustOK(c.Deliver(c.Sign("maker", c.Msg(device.MsgRegisterMaker, device.RegisterMaker{Name: "acme", Stake: 1_000_000})))[0])
	s := devkey.NewSecp256k1([32]byte{77})
	id := provision(t, c, s, "C")
	c.MustOK(c.Deliver(c.Sign("alice", c.Msg(device.MsgPair, pairMsg(s, id, apptest.Addr("alice"), 0))))[0])
	c.MustOK(c.Deliver(c.Sign("bob", c.Msg(device.MsgRegisterIngest, device.RegisterIngest{Stake: device.IngestStake})))[0])
	c.MustOK(c.Deliver(c.Sign("maker", c.Msg(device.MsgFundPool, device.FundPool{Amount: 6_500_000})))[0])
	c.MustFail(c.Deliver(c.Sign("alice", c.Msg(device.MsgClaim, device.Claim{})))[0], device.CodeNothingToClaim)

	root := strings.Repeat("ef", 32)
	now := uint64(c.Time.UnixMilli()) / device.EpochMillis
	ev := []device.Evidence{{Device: id, Readings: 10, Cells: 1}}
	// An epoch still taking parts: alice's entry waits.
	first := now - device.MaxClaimEpochs - 2
	c.MustOK(c.Deliver(c.Sign("bob", c.Msg(device.MsgPostEpoch, device.PostEpoch{Epoch: first, Root: root, Evidence: device.PackEvidence(ev), Parts: 2})))[0])
	c.MustFail(c.Deliver(c.Sign("alice", c.Msg(device.MsgClaim, device.Claim{})))[0], device.CodeNothingToClaim)
	var owed device.OwedPage
	if err := c.Query("device/owed/"+apptest.Addr("alice").String(), nil, &owed); err != nil {
		t.Fatal(err)
	}
	if len(owed.Owed) != 1 || owed.Owed[0].Complete || owed.Owed[0].Points != device.Points(ev[0]) || owed.Total != 0 {
		t.Fatalf("owed while the epoch takes parts: %+v", owed)
	}
	c.MustOK(c.Deliver(c.Sign("bob", c.Msg(device.MsgPostEpoch, device.PostEpoch{Epoch: first, Root: root, Evidence: device.PackEvidence([]device.Evidence{}), Part: 1, Parts: 2})))[0])
	// MaxClaimEpochs more epochs (the first epoch reserved the whole pool,
	// so these pay nothing, but each is an entry to claim).
	for n := first + 1; n <= first+device.MaxClaimEpochs; n++ {
		c.MustOK(c.Deliver(c.Sign("bob", c.Msg(device.MsgPostEpoch, device.PostEpoch{Epoch: n, Root: root, Evidence: device.PackEvidence(ev)})))[0])
	}
	// The device changes hands after the posts: its earnings stay alice's.
	c.MustOK(c.Deliver(c.Sign("alice", c.Msg(device.MsgTransfer, device.Transfer{Device: id, To: apptest.Addr("bob")})))[0])
	c.MustFail(c.Deliver(c.Sign("bob", c.Msg(device.MsgClaim, device.Claim{})))[0], device.CodeNothingToClaim)
	c.MustFail(c.Deliver(c.Sign("mallory", c.Msg(device.MsgClaim, device.Claim{})))[0], device.CodeNothingToClaim)

	var budgets uint64
	for n := first; n <= first+device.MaxClaimEpochs; n++ {
		var rec device.EpochRecord
		if err := c.Query("device/epoch/"+strconv.FormatUint(n, 10), nil, &rec); err != nil {
			t.Fatal(err)
		}
		budgets += rec.Budget
	}
	if budgets != 6_500_000 {
		t.Fatalf("epochs reserved %d, want the whole pool", budgets)
	}
	if err := c.Query("device/owed/"+apptest.Addr("alice").String(), nil, &owed); err != nil {
		t.Fatal(err)
	}
	if len(owed.Owed) != device.MaxClaimEpochs+1 || owed.Total != 6_500_000 {
		t.Fatalf("owed page of %d entries paying %d", len(owed.Owed), owed.Total)
	}
	// The first claim takes MaxClaimEpochs entries, the second the last.
	got := claim(t, c, "alice")
	if err := c.Query("device/owed/"+apptest.Addr("alice").String(), nil, &owed); err != nil {
		t.Fatal(err)
	}
	if len(owed.Owed) != 1 || owed.Owed[0].Epoch != first+device.MaxClaimEpochs {
		t.Fatalf("after one claim alice is owed %+v", owed)
	}
	got += claim(t, c, "alice")
	if got != 6_500_000 {
		t.Fatalf("alice claimed %d of the 6,500,000 her only device earned", got)
	}
	c.MustFail(c.Deliver(c.Sign("alice", c.Msg(device.MsgClaim, device.Claim{})))[0], device.CodeNothingToClaim)
}
