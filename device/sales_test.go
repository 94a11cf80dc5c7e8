package device_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"emergence/app/apptest"
	"emergence/bank"
	"emergence/device"
	"emergence/device/devkey"
)

// TestDatasetSales: only the epoch's ingest node publishes its dataset,
// once, with the epoch's event count, after the epoch is complete; a sale
// pays the ingest node 20% at once and the owners the rest by accepted
// events when they claim; nobody else can claim it, nobody claims twice,
// and a later sale adds to what owners can claim.
func TestDatasetSales(t *testing.T) {
	c := newChain(t)
	b := bank.New()
	c.MustOK(c.Deliver(c.Sign("maker", c.Msg(device.MsgRegisterMaker, device.RegisterMaker{Name: "acme", Stake: 1_000_000})))[0])
	s1, s2 := devkey.NewSecp256k1([32]byte{31}), devkey.NewSecp256k1([32]byte{32})
	id1, id2 := provision(t, c, s1, "D1"), provision(t, c, s2, "D2")
	c.MustOK(c.Deliver(c.Sign("alice", c.Msg(device.MsgPair, pairMsg(s1, id1, apptest.Addr("alice"), 0))))[0])
	c.MustOK(c.Deliver(c.Sign("bob", c.Msg(device.MsgPair, pairMsg(s2, id2, apptest.Addr("bob"), 0))))[0])
	c.MustOK(c.Deliver(c.Sign("maker", c.Msg(device.MsgRegisterIngest, device.RegisterIngest{Stake: device.IngestStake})))[0])
	c.MustOK(c.Deliver(c.Sign("mallory", c.Msg(device.MsgRegisterIngest, device.RegisterIngest{Stake: device.IngestStake})))[0])
	epoch := uint64(c.Time.UnixMilli())/device.EpochMillis - 1
	ev := []device.Evidence{{Device: id1, Readings: 30, Cells: 2}, {Device: id2, Readings: 10, Cells: 1}}
	slices.SortFunc(ev, func(a, b device.Evidence) int { return strings.Compare(a.Device, b.Device) })
	c.MustOK(c.Deliver(c.Sign("maker", c.Msg(device.MsgPostEpoch, device.PostEpoch{Epoch: epoch, Root: strings.Repeat("ab", 32), Events: 40, Evidence: device.PackEvidence(ev)})))[0])
	h := strings.Repeat("cd", 32)
	pub := device.PublishDataset{Epoch: epoch, Name: "drives", Root: h, Manifest: h, Shards: []string{h}, Records: 40, Price: 1_000_000, Licence: "CC-BY-4.0"}
	bad := pub
	bad.Records = 41
	c.MustFail(c.Deliver(c.Sign("mallory", c.Msg(device.MsgPublishDataset, pub)))[0], device.CodeNotIngest)
	c.MustFail(c.Deliver(c.Sign("maker", c.Msg(device.MsgPublishDataset, bad)))[0], device.CodeBadDataset)
	bad = pub
	bad.Root = "AB" + h[2:]
	c.MustFail(c.Deliver(c.Sign("maker", c.Msg(device.MsgPublishDataset, bad)))[0], device.CodeBadDataset)
	bad = pub
	bad.Epoch = epoch - 1
	c.MustFail(c.Deliver(c.Sign("maker", c.Msg(device.MsgPublishDataset, bad)))[0], device.CodeEpochNotFound)
	c.MustFail(c.Deliver(c.Sign("bob", c.Msg(device.MsgBuyDataset, device.BuyDataset{Epoch: epoch})))[0], device.CodeDatasetNotFound)
	c.MustOK(c.Deliver(c.Sign("maker", c.Msg(device.MsgPublishDataset, pub)))[0])
	c.MustFail(c.Deliver(c.Sign("maker", c.Msg(device.MsgPublishDataset, pub)))[0], device.CodeDatasetExists)

	maker := b.Balance(c.Reader(), apptest.Addr("maker"))
	c.MustOK(c.Deliver(c.Sign("mallory", c.Msg(device.MsgBuyDataset, device.BuyDataset{Epoch: epoch})))[0])
	c.MustFail(c.Deliver(c.Sign("mallory", c.Msg(device.MsgBuyDataset, device.BuyDataset{Epoch: epoch})))[0], device.CodeAlreadyBought)
	if got := b.Balance(c.Reader(), apptest.Addr("maker")) - maker; got != 200_000 {
		t.Fatalf("the ingest node got %d of the sale, want 200,000", got)
	}
	sales := func(name string, want uint64, code ...uint32) {
		t.Helper()
		esc := b.ModuleBalance(c.Reader(), device.DataEscrow)
		r := c.Deliver(c.Sign(name, c.Msg(device.MsgClaimSales, device.ClaimSales{Epochs: []uint64{epoch}})))[0]
		if want == 0 {
			c.MustFail(r, device.CodeNothingToClaim)
			return
		}
		c.MustOK(r)
		if got := esc - b.ModuleBalance(c.Reader(), device.DataEscrow); got != want {
			t.Fatalf("%s claimed %d of sales, want %d", name, got, want)
		}
	}
	// 800,000 to owners: alice's device had 30 of the 40 events, bob's 10.
	sales("alice", 600_000)
	sales("alice", 0)
	sales("mallory", 0)
	c.MustOK(c.Deliver(c.Sign("bob", c.Msg(device.MsgBuyDataset, device.BuyDataset{Epoch: epoch})))[0])
	sales("alice", 600_000)
	sales("bob", 400_000)
	var d device.EpochDataset
	if err := c.Query("device/dataset/"+strconv.FormatUint(epoch, 10), nil, &d); err != nil {
		t.Fatal(err)
	}
	if d.Buyers != 2 || d.Revenue != 1_600_000 || d.OwnersPaid != 1_600_000 || d.EpochRoot != strings.Repeat("ab", 32) {
		t.Fatalf("dataset %+v", d)
	}
	c.MustFail(c.Deliver(c.Sign("bob", c.Msg(device.MsgClaimSales, device.ClaimSales{Epochs: []uint64{epoch, epoch}})))[0], device.CodeBadDataset)
}
