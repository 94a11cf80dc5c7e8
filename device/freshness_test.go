package device_test

import (
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"emergence/app/apptest"
	"emergence/bank"
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

// refCells is the straightforward freshness model: one record per cell,
// read and written cell by cell in posting order, as the chain kept cells
// before pages.
type refCells map[uint64][2]uint64

func (m refCells) age(id, n uint64) uint64 {
	v, known := m[id]
	last, before := v[0], v[1]
	prev, ok := uint64(0), false
	switch {
	case known && last < n:
		prev, ok = last, true
	case known && before < n && before != 0:
		prev, ok = before, true
	}
	if !known || n > last {
		if !known {
			before = 0
		} else {
			before = last
		}
		m[id] = [2]uint64{n, before}
	}
	if !ok {
		return device.FreshEpochs
	}
	return min(n-prev, device.FreshEpochs)
}

func (m refCells) points(e device.Evidence, n uint64) uint64 {
	if len(e.CellIDs) == 0 {
		return device.Points(e)
	}
	r := min(e.Readings, device.MaxRewardReadings)
	counted := min(uint64(len(e.CellIDs)), device.MaxRewardCells, r/device.ReadingsPerCell)
	var ages uint64
	for i, id := range e.CellIDs {
		if a := m.age(id, n); uint64(i) < counted {
			ages += a
		}
	}
	return r + device.CellPoints*ages/device.FreshEpochs
}

// TestCellPagesMatchPerCell posts random epochs (several seeds; epochs out
// of order, in up to three parts whose posts interleave with other
// epochs'; devices of one post and of different parts sharing cells,
// cells on both sides of page edges and of zero, and a few far apart) and
// checks every device's points against refCells, the per-cell model. The
// invariants (pages sorted, bounded, without repeated cells) run after
// every block.
func TestCellPagesMatchPerCell(t *testing.T) {
	for seed := uint64(1); seed <= 4; seed++ {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 7))
			const n = 40
			g := device.Genesis{Params: device.DefaultParams(), Makers: []device.Maker{{Address: apptest.Addr("maker"), Name: "m", Stake: 1_000_000}}}
			var ids []string
			for i := 0; i < n; i++ {
				s := devkey.NewEd25519([32]byte{byte(seed), byte(i), 1})
				ids = append(ids, device.DeviceID(s.Type, s.Pub()))
				g.Devices = append(g.Devices, device.Device{KeyType: s.Type, PubKey: hex.EncodeToString(s.Pub()), Maker: apptest.Addr("maker"),
					Model: "m", Serial: fmt.Sprint(i), Owner: apptest.Addr(fmt.Sprint("o", i%5))})
			}
			slices.Sort(ids)
			bk := bank.New()
			c := apptest.New(t, apptest.Genesis{Balances: map[string]uint64{"bob": 1e12, "maker": 1e12}, Modules: map[string]any{device.Name: g}}, bk, device.New(bk))
			c.MustOK(c.Deliver(c.Sign("bob", c.Msg(device.MsgRegisterIngest, device.RegisterIngest{Stake: device.IngestStake})))[0])
			c.MustOK(c.Deliver(c.Sign("bob", c.Msg(device.MsgFundPool, device.FundPool{Amount: 100 * device.EpochBudget})))[0])
			now := uint64(c.Time.UnixMilli()) / device.EpochMillis
			cell := func() uint64 {
				switch rng.IntN(40) {
				case 0, 1: // far from the others, on a page of its own
					return rng.Uint64()
				case 2: // the ends of the ids
					return []uint64{0, math.MaxUint64}[rng.IntN(2)]
				}
				return device.CellID(int64(rng.IntN(40)-20), int64(rng.IntN(48)-16))
			}
			// Epochs mostly in order, some swapped, some posted late.
			epochs := make([]uint64, 14)
			for i := range epochs {
				epochs[i] = now - 60 + uint64(i)*3 + uint64(rng.IntN(3))
			}
			for i := 0; i < 4; i++ {
				a, b := rng.IntN(len(epochs)), rng.IntN(len(epochs))
				epochs[a], epochs[b] = epochs[b], epochs[a]
			}
			type pending struct {
				epoch uint64
				parts [][]device.Evidence
				next  int
			}
			var queue []*pending
			ref := refCells{}
			want := map[uint64]map[string]uint64{}
			post := func(p *pending) {
				t.Helper()
				part := p.parts[p.next]
				c.MustOK(c.Deliver(c.Sign("bob", c.Msg(device.MsgPostEpoch, device.PostEpoch{Epoch: p.epoch, Root: strings.Repeat("ab", 32), Events: 1,
					Evidence: device.PackEvidence(part), Part: uint64(p.next), Parts: uint64(len(p.parts))})))[0])
				for _, e := range part {
					want[p.epoch][e.Device] = ref.points(e, p.epoch)
				}
				p.next++
			}
			for _, ep := range epochs {
				var ev []device.Evidence
				for _, id := range ids {
					if rng.IntN(4) == 0 {
						continue
					}
					e := device.Evidence{Device: id, Readings: uint64(rng.IntN(60))}
					for k := rng.IntN(9); k > 0; k-- {
						e.CellIDs = append(e.CellIDs, cell())
					}
					slices.Sort(e.CellIDs)
					e.CellIDs = slices.Compact(e.CellIDs)
					e.Cells = uint64(len(e.CellIDs))
					ev = append(ev, e)
				}
				p := &pending{epoch: ep}
				for len(ev) > 0 {
					k := min(len(ev), 1+rng.IntN(len(ev)))
					if len(p.parts) == 2 {
						k = len(ev)
					}
					p.parts, ev = append(p.parts, ev[:k]), ev[k:]
				}
				want[ep] = map[string]uint64{}
				queue = append(queue, p)
				post(p)
				// Interleave: now and then post the next part of an open epoch.
				for len(queue) > 0 && rng.IntN(2) == 0 {
					q := queue[rng.IntN(len(queue))]
					if q.next < len(q.parts) {
						post(q)
					}
					queue = slices.DeleteFunc(queue, func(q *pending) bool { return q.next == len(q.parts) })
				}
			}
			for _, q := range queue {
				for q.next < len(q.parts) {
					post(q)
				}
			}
			checked := 0
			for _, ep := range epochs {
				var rec device.EpochRecord
				if err := c.Query("device/epoch/"+strconv.FormatUint(ep, 10), nil, &rec); err != nil {
					t.Fatal(err)
				}
				if len(rec.Payouts) != len(want[ep]) {
					t.Fatalf("epoch %d: %d payouts, want %d", ep, len(rec.Payouts), len(want[ep]))
				}
				for _, p := range rec.Payouts {
					if w := device.StreakPoints(want[ep][p.Device], p.Streak); p.Points != w {
						t.Fatalf("epoch %d device %s: %d points (streak %d), the per-cell model gives %d", ep, p.Device, p.Points, p.Streak, w)
					}
					checked++
				}
			}
			t.Logf("%d payouts over %d epochs match, %d cells", checked, len(epochs), len(ref))
		})
	}
}
