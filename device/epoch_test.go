package device_test

import (
	"net/url"
	"slices"
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
	post := device.PostEpoch{Epoch: epoch, Root: root, Events: 400, Evidence: device.PackEvidence(ev)}
	c.MustFail(c.Deliver(c.Sign("mallory", c.Msg(device.MsgPostEpoch, post)))[0], device.CodeNotIngest)
	c.MustFail(c.Deliver(c.Sign("mallory", c.Msg(device.MsgRegisterIngest, device.RegisterIngest{Stake: 5})))[0], device.CodeLowStake)
	c.MustOK(c.Deliver(c.Sign("mallory", c.Msg(device.MsgRegisterIngest, device.RegisterIngest{Stake: 1_000_000})))[0])
	c.MustFail(c.Deliver(c.Sign("mallory", c.Msg(device.MsgPostEpoch, device.PostEpoch{Epoch: epoch + 1, Root: root, Evidence: device.PackEvidence(ev)})))[0], device.CodeBadEpoch)
	c.MustFail(c.Deliver(c.Sign("mallory", c.Msg(device.MsgPostEpoch, device.PostEpoch{Epoch: epoch, Root: root, Evidence: device.PackEvidence([]device.Evidence{ev[1], ev[0]})})))[0], device.CodeBadEpoch)
	c.MustFail(c.Deliver(c.Sign("mallory", c.Msg(device.MsgPostEpoch, device.PostEpoch{Epoch: epoch, Root: "00", Evidence: device.PackEvidence(ev)})))[0], device.CodeBadEpoch)
	c.MustFail(c.Deliver(c.Sign("mallory", c.Msg(device.MsgPostEpoch, device.PostEpoch{Epoch: epoch, Root: root, Evidence: device.Packed{0x80}})))[0], device.CodeBadEpoch)
	// A device nobody provisioned, before, between or after real ones.
	for _, ghost := range []string{strings.Repeat("0", 40), ev[0].Device[:39] + "0", strings.Repeat("f", 40)} {
		bad := append([]device.Evidence{{Device: ghost, Readings: 1}}, ev...)
		slices.SortFunc(bad, func(a, b device.Evidence) int { return strings.Compare(a.Device, b.Device) })
		if slices.ContainsFunc(ev, func(e device.Evidence) bool { return e.Device == ghost }) {
			continue
		}
		c.MustFail(c.Deliver(c.Sign("mallory", c.Msg(device.MsgPostEpoch, device.PostEpoch{Epoch: epoch, Root: root, Evidence: device.PackEvidence(bad)})))[0], device.CodeDeviceNotFound)
	}

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
	if rec.Budget != 4_000_000 || rec.Paid != 0 || after != before || !rec.Complete || rec.PaidOut {
		t.Fatalf("before claims: budget %d paid %d, owners gained %d, %+v", rec.Budget, rec.Paid, after-before, rec)
	}
	// Each owner claims its one device's share; then every point is claimed.
	got := claim(t, c, "alice") + claim(t, c, "bob")
	if err := c.Query("device/epoch/"+strconv.FormatUint(epoch, 10), nil, &rec); err != nil {
		t.Fatal(err)
	}
	if rec.Paid != want[0]+want[1] || got != rec.Paid || !rec.PaidOut || rec.Paid > rec.Budget {
		t.Fatalf("after claims: budget %d paid %d, owners claimed %d, %+v", rec.Budget, rec.Paid, got, rec)
	}
	// An epoch nobody posted pays nothing and is not found; it is never paid
	// from another epoch's evidence.
	if err := c.Query("device/epoch/"+strconv.FormatUint(epoch-1, 10), nil, &rec); err == nil {
		t.Fatal("unposted epoch found")
	}
}

// TestPostEpochInParts splits an epoch's evidence over three posts: parts
// out of order, from another node or after the last are refused; nothing
// is paid before the last part; then every device gets its share of the
// whole epoch, as the offline Split gives. An epoch whose parts stop
// coming is paid with what it has after PartBlocks.
func TestPostEpochInParts(t *testing.T) {
	c := newChain(t)
	c.MustOK(c.Deliver(c.Sign("maker", c.Msg(device.MsgRegisterMaker, device.RegisterMaker{Name: "acme", Stake: 1_000_000})))[0])
	var ev []device.Evidence
	for i := 0; i < 6; i++ {
		s := devkey.NewSecp256k1([32]byte{byte(10 + i)})
		id := provision(t, c, s, "P"+strconv.Itoa(i))
		c.MustOK(c.Deliver(c.Sign("alice", c.Msg(device.MsgPair, pairMsg(s, id, apptest.Addr("alice"), 0))))[0])
		ev = append(ev, device.Evidence{Device: id, Readings: uint64(50 * (i + 1)), Cells: uint64(i)})
	}
	slices.SortFunc(ev, func(a, b device.Evidence) int { return strings.Compare(a.Device, b.Device) })
	c.MustOK(c.Deliver(c.Sign("maker", c.Msg(device.MsgFundPool, device.FundPool{Amount: 8_000_000})))[0])
	for _, n := range []string{"mallory", "bob"} {
		c.MustOK(c.Deliver(c.Sign(n, c.Msg(device.MsgRegisterIngest, device.RegisterIngest{Stake: device.IngestStake})))[0])
	}
	root := strings.Repeat("cd", 32)
	epoch := uint64(c.Time.UnixMilli())/device.EpochMillis - 1
	part := func(i uint64, e []device.Evidence) device.PostEpoch {
		return device.PostEpoch{Epoch: epoch, Root: root, Events: 100, Evidence: device.PackEvidence(e), Part: i, Parts: 3}
	}
	c.MustFail(c.Deliver(c.Sign("mallory", c.Msg(device.MsgPostEpoch, part(1, ev[2:4]))))[0], device.CodeEpochNotFound)
	c.MustOK(c.Deliver(c.Sign("mallory", c.Msg(device.MsgPostEpoch, part(0, ev[0:2]))))[0])
	c.MustFail(c.Deliver(c.Sign("bob", c.Msg(device.MsgPostEpoch, part(1, ev[2:4]))))[0], device.CodeEpochPosted)
	c.MustFail(c.Deliver(c.Sign("mallory", c.Msg(device.MsgPostEpoch, part(2, ev[4:6]))))[0], device.CodeBadPart)
	c.MustFail(c.Deliver(c.Sign("mallory", c.Msg(device.MsgPostEpoch, part(1, ev[1:3]))))[0], device.CodeBadEpoch) // overlaps part 0
	c.MustOK(c.Deliver(c.Sign("mallory", c.Msg(device.MsgPostEpoch, part(1, ev[2:4]))))[0])
	var rec device.EpochRecord
	query := func(n uint64) {
		t.Helper()
		if err := c.Query("device/epoch/"+strconv.FormatUint(n, 10), url.Values{"limit": {"4"}}, &rec); err != nil {
			t.Fatal(err)
		}
	}
	query(epoch)
	if rec.Paid != 0 || rec.Complete || rec.Devices != 4 {
		t.Fatalf("after two of three parts: %+v", rec)
	}
	c.MustOK(c.Deliver(c.Sign("mallory", c.Msg(device.MsgPostEpoch, part(2, ev[4:6]))))[0])
	c.MustFail(c.Deliver(c.Sign("mallory", c.Msg(device.MsgPostEpoch, part(2, ev[4:6]))))[0], device.CodeBadPart)
	query(epoch)
	want := device.Rewards(rec.Budget, ev)
	if !rec.Complete || rec.PaidOut || rec.Budget != 8_000_000 || len(rec.Payouts) != 4 || rec.NextPayout != rec.Payouts[3].Device {
		t.Fatalf("after the last part: %+v", rec)
	}
	got := slices.Clone(rec.Payouts)
	next := rec.NextPayout
	rec = device.EpochRecord{}
	if err := c.Query("device/epoch/"+strconv.FormatUint(epoch, 10), url.Values{"after": {next}}, &rec); err != nil {
		t.Fatal(err)
	}
	got = append(got, rec.Payouts...)
	var paid uint64
	for i, p := range got {
		if p.Device != ev[i].Device || p.Amount != want[i] {
			t.Fatalf("payout %d: %+v, want %s %d", i, p, ev[i].Device, want[i])
		}
		paid += p.Amount
	}
	if paid > rec.Budget || rec.Paid != 0 || rec.NextPayout != "" {
		t.Fatalf("devices' shares %d, record paid %d before a claim, next %q", paid, rec.Paid, rec.NextPayout)
	}
	// alice owns all six: her claim pays the share of their summed points,
	// which is the whole budget, at least the sum of the devices' shares.
	alice := claim(t, c, "alice")
	query(epoch)
	if alice != rec.Paid || !rec.PaidOut || rec.Paid != rec.Budget || rec.Paid < paid {
		t.Fatalf("after alice's claim: %+v (devices' shares %d)", rec, paid)
	}

	// Epoch-1: part 0 of 2, then nothing: paid with part 0 after PartBlocks.
	c.MustOK(c.Deliver(c.Sign("bob", c.Msg(device.MsgFundPool, device.FundPool{Amount: 500_000})))[0])
	c.MustOK(c.Deliver(c.Sign("bob", c.Msg(device.MsgPostEpoch, device.PostEpoch{Epoch: epoch - 1, Root: root, Evidence: device.PackEvidence(ev[:3]), Parts: 2})))[0])
	for i := 0; i < device.PartBlocks; i++ {
		c.Deliver()
	}
	query(epoch - 1)
	if !rec.Complete || rec.PaidOut || rec.Devices != 3 {
		t.Fatalf("abandoned epoch: %+v", rec)
	}
	claim(t, c, "alice")
	query(epoch - 1)
	if !rec.PaidOut || rec.Paid != rec.Budget || rec.Paid == 0 {
		t.Fatalf("abandoned epoch after the claim: %+v", rec)
	}
}

// TestStreaks: a device earning in consecutive epochs gets StreakPct more
// points per epoch of its streak; an epoch posted after a later one (a
// missing epoch caught up) gets no bonus and leaves the streak alone.
func TestStreaks(t *testing.T) {
	c := newChain(t)
	c.MustOK(c.Deliver(c.Sign("maker", c.Msg(device.MsgRegisterMaker, device.RegisterMaker{Name: "acme", Stake: 1_000_000})))[0])
	s := devkey.NewSecp256k1([32]byte{42})
	id := provision(t, c, s, "S")
	c.MustOK(c.Deliver(c.Sign("alice", c.Msg(device.MsgPair, pairMsg(s, id, apptest.Addr("alice"), 0))))[0])
	c.MustOK(c.Deliver(c.Sign("bob", c.Msg(device.MsgRegisterIngest, device.RegisterIngest{Stake: device.IngestStake})))[0])
	c.MustOK(c.Deliver(c.Sign("maker", c.Msg(device.MsgFundPool, device.FundPool{Amount: 5_000_000})))[0])
	now := uint64(c.Time.UnixMilli()) / device.EpochMillis
	ev := []device.Evidence{{Device: id, Readings: 200, Cells: 4}}
	base := device.Points(ev[0])
	for i, tc := range []struct {
		epoch, points, streak uint64
	}{
		{now - 4, base, 1},
		{now - 3, base * 105 / 100, 2},
		{now - 2, base * 110 / 100, 3},
		{now - 6, base, 1}, // caught up late: no bonus
		{now - 1, base * 115 / 100, 4},
	} {
		c.MustOK(c.Deliver(c.Sign("bob", c.Msg(device.MsgPostEpoch, device.PostEpoch{Epoch: tc.epoch, Root: strings.Repeat("ab", 32), Evidence: device.PackEvidence(ev)})))[0])
		var rec device.EpochRecord
		if err := c.Query("device/epoch/"+strconv.FormatUint(tc.epoch, 10), nil, &rec); err != nil {
			t.Fatal(err)
		}
		if p := rec.Payouts[0]; p.Points != tc.points || p.Streak != tc.streak {
			t.Fatalf("post %d (epoch %d): points %d streak %d, want %d and %d", i, tc.epoch, p.Points, p.Streak, tc.points, tc.streak)
		}
	}
	if got := device.StreakPoints(100, 50); got != 150 {
		t.Fatalf("a long streak's bonus: %d points, want the +50%% cap", got)
	}
}

// claim delivers name's device/claim and returns what it paid, checking
// that the pool lost exactly that.
func claim(t *testing.T, c *apptest.Chain, name string) uint64 {
	t.Helper()
	b := bank.New()
	pool := b.ModuleBalance(c.Reader(), device.Pool)
	r := c.Deliver(c.Sign(name, c.Msg(device.MsgClaim, device.Claim{})))[0]
	c.MustOK(r)
	var amt uint64
	for _, e := range r.Events {
		for _, a := range e.Attrs {
			if e.Type == "device-claim" && a.Key == "amount" {
				amt, _ = strconv.ParseUint(a.Value, 10, 64)
			}
		}
	}
	if got := pool - b.ModuleBalance(c.Reader(), device.Pool); got != amt {
		t.Fatalf("%s claimed %d, the pool paid %d", name, amt, got)
	}
	return amt
}

// TestStreaksAcrossParts: streaks are read from the previous epoch's part
// records whatever the parts' boundaries: epoch e in three parts, e+1 in
// two cut elsewhere; a device that earned in e has streak 2 in e+1, one
// that earned nothing there or was not posted has streak 1. The owners'
// claims pay the share of their summed points, and an owner whose device
// earned nothing claims nothing and moves on.
func TestStreaksAcrossParts(t *testing.T) {
	c := newChain(t)
	c.MustOK(c.Deliver(c.Sign("maker", c.Msg(device.MsgRegisterMaker, device.RegisterMaker{Name: "acme", Stake: 1_000_000})))[0])
	owners := []string{"alice", "bob"}
	var signers []*devkey.Signer
	for i := 0; i < 7; i++ {
		signers = append(signers, devkey.NewEd25519([32]byte{byte(100 + i)}))
	}
	slices.SortFunc(signers, func(a, b *devkey.Signer) int {
		return strings.Compare(device.DeviceID(a.Type, a.Pub()), device.DeviceID(b.Type, b.Pub()))
	})
	var ids []string
	owner := map[string]string{}
	for i, s := range signers { // in device order: alice, bob, alice, ..., mallory's last
		id := provision(t, c, s, "X"+strconv.Itoa(i))
		o := owners[i%2]
		if i == 6 {
			o = "mallory" // paired, never earns
		}
		c.MustOK(c.Deliver(c.Sign(o, c.Msg(device.MsgPair, pairMsg(s, id, apptest.Addr(o), 0))))[0])
		ids = append(ids, id)
		owner[id] = o
	}
	c.MustOK(c.Deliver(c.Sign("maker", c.Msg(device.MsgRegisterIngest, device.RegisterIngest{Stake: device.IngestStake})))[0])
	c.MustOK(c.Deliver(c.Sign("maker", c.Msg(device.MsgFundPool, device.FundPool{Amount: 3_000_000})))[0])
	now := uint64(c.Time.UnixMilli()) / device.EpochMillis
	e := now - 2
	ev := func(i int, readings uint64) device.Evidence {
		return device.Evidence{Device: ids[i], Readings: readings, Cells: 3}
	}
	post := func(n uint64, parts [][]device.Evidence) {
		t.Helper()
		for p, part := range parts {
			c.MustOK(c.Deliver(c.Sign("maker", c.Msg(device.MsgPostEpoch, device.PostEpoch{Epoch: n, Root: strings.Repeat("ab", 32), Evidence: device.PackEvidence(part), Part: uint64(p), Parts: uint64(len(parts))})))[0])
		}
	}
	// Epoch e: devices 0-4 (4 earns nothing), 5 and 6 not posted.
	post(e, [][]device.Evidence{{ev(0, 100), ev(1, 100)}, {ev(2, 100), ev(3, 100)}, {ev(4, 0)}})
	// Epoch e+1: devices 0-5, mallory's device posted with nothing.
	second := [][]device.Evidence{{ev(0, 100), ev(1, 100), ev(2, 100)}, {ev(3, 100), ev(4, 100), ev(5, 100), device.Evidence{Device: ids[6]}}}
	post(e+1, second)
	var rec device.EpochRecord
	if err := c.Query("device/epoch/"+strconv.FormatUint(e+1, 10), nil, &rec); err != nil {
		t.Fatal(err)
	}
	base := device.Points(ev(0, 100))
	wantStreak := []uint64{2, 2, 2, 2, 1, 1, 0}
	if len(rec.Payouts) != 7 || !rec.Complete {
		t.Fatalf("epoch e+1: %+v", rec)
	}
	points := make([]uint64, len(rec.Payouts))
	for i, p := range rec.Payouts {
		want := device.StreakPoints(base, wantStreak[i])
		if wantStreak[i] == 0 {
			want = 0
		}
		if p.Device != ids[i] || p.Streak != wantStreak[i] || p.Points != want || p.Owner != apptest.Addr(owner[ids[i]]) {
			t.Fatalf("payout %d: %+v, want device %s streak %d points %d owner %s", i, p, ids[i], wantStreak[i], want, owner[ids[i]])
		}
		points[i] = p.Points
	}
	// Claims: each owner gets the share of its summed points of both
	// epochs; mallory's claim looks at both, pays nothing and moves on.
	var recE device.EpochRecord
	if err := c.Query("device/epoch/"+strconv.FormatUint(e, 10), nil, &recE); err != nil {
		t.Fatal(err)
	}
	sum := func(r device.EpochRecord, who string) uint64 {
		var s uint64
		for _, p := range r.Payouts {
			if p.Owner == apptest.Addr(who) {
				s += p.Points
			}
		}
		return s
	}
	for _, o := range owners {
		want := device.Share(recE.Budget, sum(recE, o), recE.TotalPoints) + device.Share(rec.Budget, sum(rec, o), rec.TotalPoints)
		if got := claim(t, c, o); got != want {
			t.Fatalf("%s claimed %d, want %d", o, got, want)
		}
	}
	if got := claim(t, c, "mallory"); got != 0 {
		t.Fatalf("mallory claimed %d for a device that earned nothing", got)
	}
	c.MustFail(c.Deliver(c.Sign("mallory", c.Msg(device.MsgClaim, device.Claim{})))[0], device.CodeNothingToClaim)
	for _, n := range []uint64{e, e + 1} {
		if err := c.Query("device/epoch/"+strconv.FormatUint(n, 10), nil, &rec); err != nil {
			t.Fatal(err)
		}
		if !rec.PaidOut || rec.ClaimedPoints != rec.TotalPoints {
			t.Fatalf("epoch %d after every claim: %+v", n, rec)
		}
	}
}
