package subnet_test

import (
	"fmt"
	"testing"

	"emergence/app"
	"emergence/app/apptest"
	"emergence/bank"
	"emergence/subnet"
)

func (e *env) epochs(net uint16) []subnet.EpochRecord {
	e.t.Helper()
	var recs []subnet.EpochRecord
	if err := e.c.Query(fmt.Sprintf("subnet/epochs/%d", net), map[string][]string{"limit": {fmt.Sprint(subnet.EpochHistory)}}, &recs); err != nil {
		e.t.Fatal(err)
	}
	return recs
}

func (e *env) subnet(net uint16) subnet.SubnetInfo {
	e.t.Helper()
	var s subnet.SubnetInfo
	if err := e.c.Query(fmt.Sprintf("subnet/subnet/%d", net), nil, &s); err != nil {
		e.t.Fatal(err)
	}
	return s
}

// TestTempoOneFloodCannotStarveASubnet replays issue 17.2's starvation:
// two tempo-1 subnets (netuids 0 and 1) whose epochs fill the block's
// epoch budget ran every block, and epochs scanned from netuid 0, so a
// later subnet never ran an epoch and its emission never paid out. Due
// epochs now run oldest due height first: the victim runs within a block
// of each due height, its stakers are paid, no block exceeds the budget,
// and the flooding subnets pay for every epoch out of their owner's lock.
func TestTempoOneFloodCannotStarveASubnet(t *testing.T) {
	h := testHyper()
	budget := 2 * subnet.EpochWork(h, h.MaxUIDs) // room for the two flooding epochs only
	e := newEnvWith(t, subnet.Params{CreateCost: 100 * million, MaxSubnets: 4, EpochWorkPerBlock: budget})
	flood := *h
	flood.Tempo = 1
	e.ok("owner", "subnet/create", subnet.CreateMsg{Name: "flood-0", Hyper: &flood})
	e.ok("owner", "subnet/create", subnet.CreateMsg{Name: "flood-1", Hyper: &flood})
	e.ok("v1", "subnet/create", subnet.CreateMsg{Name: "victim", Hyper: h})
	e.ok("v2", "subnet/register", subnet.RegisterMsg{NetUID: 2})
	e.ok("v2", "subnet/stake", subnet.StakeMsg{NetUID: 2, Hotkey: apptest.Addr("v2"), Amount: 50 * million})
	locked0 := e.subnet(0).Locked
	start := e.c.Height()
	const blocks = 60
	e.c.NextBlocks(blocks)

	victim := e.epochs(2)
	if want := blocks/(tempo+1) - 1; len(victim) < want {
		t.Fatalf("victim ran %d epochs in %d blocks, want at least %d", len(victim), blocks, want)
	}
	var paid uint64
	for i, r := range victim {
		paid += r.PaidValidators + r.PaidMiners
		if i+1 < len(victim) {
			if gap := r.Height - victim[i+1].Height; gap > tempo+1 {
				t.Fatalf("victim epochs at heights %d and %d: %d blocks apart, tempo %d", victim[i+1].Height, r.Height, gap, tempo)
			}
		}
	}
	if paid == 0 {
		t.Fatal("the victim's emission never paid out")
	}
	work := map[int64]uint64{}
	var floodFees uint64
	for net := uint16(0); net < 3; net++ {
		for _, r := range e.epochs(net) {
			if r.Height <= start {
				continue
			}
			work[r.Height] += r.Work
			if r.Fee == 0 || r.Fee != (subnet.Params{EpochGasPriceMilli: subnet.DefaultEpochGasPriceMilli}).EpochFee(r.Work) {
				t.Fatalf("subnet %d epoch %d paid fee %d for work %d", net, r.Epoch, r.Fee, r.Work)
			}
			if net == 0 {
				floodFees += r.FeeFromLock
			}
		}
	}
	for height, w := range work {
		if w > budget {
			t.Fatalf("height %d ran %d work units of epochs, budget %d", height, w, budget)
		}
	}
	if got := e.subnet(0).Locked; got != locked0-floodFees || floodFees == 0 {
		t.Fatalf("flooding subnet's lock %d → %d, its epochs' fees from the lock %d", locked0, got, floodFees)
	}
}

// TestEpochLargerThanABlockRefused replays the other half of 17.2: one
// 4,096-uid subnet with 256 validators added seconds to every block. A
// subnet whose full epoch exceeds a block's work budget cannot be created
// or reconfigured into one.
func TestEpochLargerThanABlockRefused(t *testing.T) {
	e := newEnvWith(t, subnet.DefaultParams())
	h := subnet.DefaultHyperparams()
	h.MaxUIDs, h.MaxValidators = 4096, 256
	e.fail("owner", "subnet/create", subnet.CreateMsg{Name: "huge", Hyper: &h}, subnet.CodeInvalidParams)
	h.MaxValidators = 64
	if w := subnet.EpochWork(&h, h.MaxUIDs); w > subnet.DefaultEpochWorkPerBlock {
		t.Fatalf("a 4096-uid, 64-validator epoch (%d units) does not fit the default budget", w)
	}
	e.ok("owner", "subnet/create", subnet.CreateMsg{Name: "large", Hyper: &h})
	h.MaxValidators = 256
	e.fail("owner", "subnet/set-hyperparams", subnet.SetHyperMsg{NetUID: 0, Hyper: h}, subnet.CodeInvalidParams)
}

// TestUnpaidEpochsAreSkipped: an epoch that neither the pending emission
// nor the owner's lock can pay does not run; once stake brings emission,
// epochs resume and pay out of it.
func TestUnpaidEpochsAreSkipped(t *testing.T) {
	h := testHyper()
	h.Tempo = 1
	p := subnet.Params{CreateCost: 300, MaxSubnets: 4, EpochGasPriceMilli: subnet.DefaultEpochGasPriceMilli}
	fee := p.EpochFee(subnet.EpochWork(h, 1))
	e := newEnvWith(t, p)
	e.ok("owner", "subnet/create", subnet.CreateMsg{Name: "poor", Hyper: h})
	e.ok("m1", "subnet/register", subnet.RegisterMsg{NetUID: 0})
	e.c.NextBlocks(20)
	s := e.subnet(0)
	if want := uint64(300 / fee); s.Epochs != want || s.Locked != 300-want*fee {
		t.Fatalf("after 20 blocks: %d epochs, %d locked; want %d epochs paid by a %d lock at %d each", s.Epochs, s.Locked, want, 300, fee)
	}
	e.ok("m1", "subnet/stake", subnet.StakeMsg{NetUID: 0, Hotkey: apptest.Addr("m1"), Amount: 10 * million})
	e.c.NextBlocks(5)
	after := e.subnet(0)
	if after.Epochs < s.Epochs+3 || after.Locked != s.Locked {
		t.Fatalf("with emission: %d → %d epochs, lock %d → %d", s.Epochs, after.Epochs, s.Locked, after.Locked)
	}
	for _, r := range e.epochs(0)[:3] {
		if r.Fee != fee || r.FeeFromLock != 0 {
			t.Fatalf("epoch %d paid fee %d (%d from the lock), want %d from emission", r.Epoch, r.Fee, r.FeeFromLock, fee)
		}
	}
}

// TestPruningReadsAnIndex replays 17.2's registration finding: a
// registration into a full subnet scanned every uid for a flat gas. It now
// walks a pruning index from its lowest entry, so its gas does not grow
// with the subnet's size, it picks the uid the old scan picked (lowest
// emission, then earliest registration), and it pays GasPerPruneSkip for
// every immune uid it passes.
func TestPruningReadsAnIndex(t *testing.T) {
	// register fills a subnet of uids uids (immune ones registered 50
	// blocks after the rest), then registers one more hotkey.
	register := func(uids int, immune int) (app.TxResult, uint16) {
		t.Helper()
		bal := map[string]uint64{"owner": 1000 * million}
		for i := 0; i <= uids; i++ {
			bal[fmt.Sprint("r", i)] = 1000 * million
		}
		c := apptest.New(t, apptest.Genesis{Balances: bal}, bank.New(), subnet.New(bank.New()))
		h := testHyper()
		h.MaxUIDs, h.MaxValidators, h.ImmunityPeriod, h.Tempo = uint16(uids), 1, 50, 10_000
		h.MinBurn, h.MaxBurn = 1, 1
		c.MustOK(c.Deliver(c.Sign("owner", c.Msg("subnet/create", subnet.CreateMsg{Name: "full", Hyper: h})))[0])
		batch := func(from, to int) {
			var txs [][]byte
			for i := from; i < to; i++ {
				txs = append(txs, c.Sign(fmt.Sprint("r", i), c.Msg("subnet/register", subnet.RegisterMsg{NetUID: 0})))
			}
			for _, r := range c.Deliver(txs...) {
				c.MustOK(r)
			}
		}
		batch(0, uids-immune)
		c.NextBlocks(50) // past their immunity
		batch(uids-immune, uids)
		r := c.Deliver(c.Sign(fmt.Sprint("r", uids), c.Msg("subnet/register", subnet.RegisterMsg{NetUID: 0})))[0]
		var hk struct{ UID uint16 }
		if r.Code == 0 {
			if err := c.Query("subnet/hotkey/0/"+apptest.Addr(fmt.Sprint("r", uids)).String(), nil, &hk); err != nil {
				t.Fatal(err)
			}
		}
		return r, hk.UID
	}
	small, uidSmall := register(4, 0)
	large, uidLarge := register(256, 0)
	if small.Code != 0 || large.Code != 0 || uidSmall != 0 || uidLarge != 0 {
		t.Fatalf("replaced uids %d (%s) and %d (%s), want uid 0 (lowest emission, earliest registration)", uidSmall, small.Log, uidLarge, large.Log)
	}
	// The same message; only the subnet's size differs.
	if large.GasUsed != small.GasUsed {
		t.Fatalf("registration into a full subnet: %d gas at 4 uids, %d at 256", small.GasUsed, large.GasUsed)
	}
	// Every uid immune: the walk passes them all, and pays for each.
	allSmall, _ := register(4, 4)
	allLarge, _ := register(256, 256)
	for _, r := range []app.TxResult{allSmall, allLarge} {
		if r.Code != subnet.CodeAllImmune.Num {
			t.Fatalf("registration into an all-immune subnet: code %d (%s)", r.Code, r.Log)
		}
	}
	if d := allLarge.GasUsed - allSmall.GasUsed; d != 252*subnet.GasPerPruneSkip {
		t.Fatalf("passing 252 more immune uids cost %d gas, want %d", d, 252*subnet.GasPerPruneSkip)
	}
}
