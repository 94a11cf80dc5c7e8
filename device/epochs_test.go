package device_test

import (
	"net/url"
	"strconv"
	"strings"
	"testing"

	"emergence/app"
	"emergence/app/apptest"
	"emergence/device"
	"emergence/device/devkey"
)

// TestEpochsList pages through posted epochs in epoch order, each without
// its payouts, and refuses a bad page.
func TestEpochsList(t *testing.T) {
	c := newChain(t)
	c.MustOK(c.Deliver(c.Sign("maker", c.Msg(device.MsgRegisterMaker, device.RegisterMaker{Name: "acme", Stake: 1_000_000})))[0])
	s := devkey.NewSecp256k1([32]byte{7})
	id := provision(t, c, s, "S")
	c.MustOK(c.Deliver(c.Sign("alice", c.Msg(device.MsgPair, pairMsg(s, id, apptest.Addr("alice"), 0))))[0])
	c.MustOK(c.Deliver(c.Sign("bob", c.Msg(device.MsgRegisterIngest, device.RegisterIngest{Stake: device.IngestStake})))[0])
	c.MustOK(c.Deliver(c.Sign("maker", c.Msg(device.MsgFundPool, device.FundPool{Amount: 5_000_000})))[0])
	now := uint64(c.Time.UnixMilli()) / device.EpochMillis
	ev := []device.Evidence{{Device: id, Readings: 200, Cells: 4}}
	posted := []uint64{now - 5, now - 3, now - 1} // posted out of order below
	for _, e := range []uint64{posted[1], posted[0], posted[2]} {
		c.MustOK(c.Deliver(c.Sign("bob", c.Msg(device.MsgPostEpoch, device.PostEpoch{Epoch: e, Root: strings.Repeat("ab", 32), Evidence: device.PackEvidence(ev)})))[0])
	}

	var first device.EpochPage
	if err := c.Query("device/epochs", url.Values{"limit": {"2"}}, &first); err != nil {
		t.Fatal(err)
	}
	if len(first.Epochs) != 2 || first.Epochs[0].Epoch != posted[0] || first.Epochs[1].Epoch != posted[1] || first.Next != strconv.FormatUint(posted[1], 10) {
		t.Fatalf("first page %+v, want epochs %d and %d, next %d", first, posted[0], posted[1], posted[1])
	}
	for _, e := range first.Epochs {
		if e.Payouts != nil || e.Devices != 1 || e.TotalPoints == 0 {
			t.Errorf("listed epoch %+v: want its summary (1 device, its points) without payouts", e)
		}
	}
	var rest device.EpochPage
	if err := c.Query("device/epochs", url.Values{"after": {first.Next}}, &rest); err != nil {
		t.Fatal(err)
	}
	if len(rest.Epochs) != 1 || rest.Epochs[0].Epoch != posted[2] || rest.Next != "" {
		t.Fatalf("last page %+v, want epoch %d alone", rest, posted[2])
	}
	var none device.EpochPage
	if err := c.Query("device/epochs", url.Values{"after": {strconv.FormatUint(posted[2], 10)}}, &none); err != nil || len(none.Epochs) != 0 || none.Epochs == nil {
		t.Fatalf("after the last epoch: %+v, %v; want an empty list", none, err)
	}
	for _, bad := range []url.Values{{"limit": {"0"}}, {"limit": {strconv.Itoa(device.MaxPage + 1)}}, {"after": {"x"}}} {
		if err := c.Query("device/epochs", bad, &none); app.CodeOf(err) != app.CodeBadQuery {
			t.Errorf("epochs %v: %v, want %v", bad, err, app.CodeBadQuery)
		}
	}
}
