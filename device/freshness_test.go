package device_test

import (
	"strconv"
	"strings"
	"testing"

	"emergence/app/apptest"
	"emergence/device"
	"emergence/device/devkey"
)

// TestCellFreshness: a cell nobody covered earns CellPoints in full; the
// same cell covered again one epoch later earns 1/FreshEpochs of it, and
// FreshEpochs later in full; two devices covering a cell in one epoch are
// judged alike; a late epoch is judged against the latest covering epoch
// before it; evidence with bad cell ids is refused.
func TestCellFreshness(t *testing.T) {
	c := newChain(t)
	c.MustOK(c.Deliver(c.Sign("maker", c.Msg(device.MsgRegisterMaker, device.RegisterMaker{Name: "acme", Stake: 1_000_000})))[0])
	sa, sb := devkey.NewSecp256k1([32]byte{61}), devkey.NewSecp256k1([32]byte{62})
	a, b := provision(t, c, sa, "A"), provision(t, c, sb, "B")
	c.MustOK(c.Deliver(c.Sign("alice", c.Msg(device.MsgPair, pairMsg(sa, a, apptest.Addr("alice"), 0))))[0])
	c.MustOK(c.Deliver(c.Sign("bob", c.Msg(device.MsgPair, pairMsg(sb, b, apptest.Addr("bob"), 0))))[0])
	c.MustOK(c.Deliver(c.Sign("mallory", c.Msg(device.MsgRegisterIngest, device.RegisterIngest{Stake: device.IngestStake})))[0])
	now := uint64(c.Time.UnixMilli()) / device.EpochMillis
	x, y := device.CellID(5250, 1340), device.CellID(5251, 1340)
	// points returns each device's points before its streak bonus.
	points := func(n uint64, ev ...device.Evidence) map[string]uint64 {
		t.Helper()
		if len(ev) == 2 && ev[1].Device < ev[0].Device {
			ev[0], ev[1] = ev[1], ev[0]
		}
		c.MustOK(c.Deliver(c.Sign("mallory", c.Msg(device.MsgPostEpoch, device.PostEpoch{Epoch: n, Root: strings.Repeat("ab", 32), Evidence: device.PackEvidence(ev)})))[0])
		var rec device.EpochRecord
		if err := c.Query("device/epoch/"+strconv.FormatUint(n, 10), nil, &rec); err != nil {
			t.Fatal(err)
		}
		out := map[string]uint64{}
		for _, p := range rec.Payouts {
			for base := uint64(0); base <= p.Points; base++ { // the least base the streak bonus lifts to p.Points
				if device.StreakPoints(base, p.Streak) == p.Points {
					out[p.Device] = base
					break
				}
			}
		}
		return out
	}
	ev := func(dev string, ids ...uint64) device.Evidence {
		return device.Evidence{Device: dev, Readings: 100, Cells: uint64(len(ids)), CellIDs: ids}
	}
	base := uint64(100)
	// Epoch now-40: a covers x and y, b covers x: nobody covered them, all in full.
	if got := points(now-40, ev(a, x, y), ev(b, x)); got[a] != base+2*device.CellPoints || got[b] != base+device.CellPoints {
		t.Fatalf("first coverage: %v", got)
	}
	// One epoch later b covers x again: 1/24 of CellPoints, rounded down: 0.
	if got := points(now-39, ev(b, x)); got[b] != base+device.CellPoints*1/device.FreshEpochs {
		t.Fatalf("covered again after one epoch: %v", got)
	}
	// FreshEpochs after that, a covers x and y: both in full again.
	if got := points(now-39+device.FreshEpochs, ev(a, x, y)); got[a] != base+2*device.CellPoints {
		t.Fatalf("covered again after %d epochs: %v", device.FreshEpochs, got)
	}
	// A late epoch (now-30, after now-15 was posted) is judged against now-39 for x.
	if got := points(now-30, ev(b, x)); got[b] != base+device.CellPoints*9/device.FreshEpochs {
		t.Fatalf("late epoch: %v", got)
	}
	// Bad cell ids are refused.
	for _, bad := range []device.Evidence{
		{Device: a, Readings: 10, Cells: 1, CellIDs: []uint64{y, x}},
		{Device: a, Readings: 10, Cells: 2, CellIDs: []uint64{x, x}},
		{Device: a, Readings: 10, Cells: 1, CellIDs: []uint64{x, y}},
	} {
		c.MustFail(c.Deliver(c.Sign("mallory", c.Msg(device.MsgPostEpoch, device.PostEpoch{Epoch: now - 2, Root: strings.Repeat("ab", 32), Evidence: device.PackEvidence([]device.Evidence{bad})})))[0], device.CodeBadEpoch)
	}
	// Parts are cut by devices and by cells.
	var many []device.Evidence
	for i := 0; i < 600; i++ {
		ids := make([]uint64, device.MaxRewardCells)
		for k := range ids {
			ids[k] = uint64(k)
		}
		many = append(many, device.Evidence{Device: strconv.Itoa(i), CellIDs: ids})
	}
	parts := device.SplitEvidence(many)
	if len(parts) != 3 || len(parts[0]) != device.MaxPartCells/device.MaxRewardCells {
		t.Fatalf("%d parts, the first of %d devices", len(parts), len(parts[0]))
	}
}
