package subnet_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"testing"

	"emergence/app"
	"emergence/app/apptest"
	"emergence/bank"
	"emergence/subnet"
)

const (
	tempo   = 5
	million = 1_000_000
)

func testHyper() *subnet.Hyperparams {
	h := subnet.DefaultHyperparams()
	h.Tempo = tempo
	h.MaxUIDs = 4
	h.MaxValidators = 2
	h.ImmunityPeriod = 100
	h.MinBurn, h.MaxBurn = 1000, million
	h.StakeThreshold = 10 * million // small stakes (carol's 3 EMG) count as zero
	h.RevealPeriodEpochs = 1        // reveal in the next epoch; TestCommitQueue tests longer delays
	return &h
}

type env struct {
	t *testing.T
	c *apptest.Chain
}

// newEnv starts a chain whose bank mints 1 EMG per block, half of it for
// subnets, and funds the test accounts.
func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvWith(t, subnet.Params{CreateCost: 100 * million, MaxSubnets: 4})
}

// newEnvWith is newEnv with the given module params.
func newEnvWith(t *testing.T, p subnet.Params) *env {
	t.Helper()
	bal := map[string]uint64{}
	for _, n := range []string{"owner", "v1", "v2", "m1", "m2", "m3", "carol", "copier"} {
		bal[n] = 1000 * million
	}
	c := apptest.New(t, apptest.Genesis{
		Balances: bal,
		Modules:  map[string]any{"subnet": subnet.Genesis{Params: p}},
		Emission: &bank.Emission{PerBlock: million, Subnets: 50, Treasury: 50},
	}, bank.New(), subnet.New(bank.New()))
	return &env{t: t, c: c}
}

func (e *env) tx(signer, kind string, v any) app.TxResult {
	e.t.Helper()
	return e.c.Deliver(e.c.Sign(signer, e.c.Msg(kind, v)))[0]
}

func (e *env) ok(signer, kind string, v any) {
	e.t.Helper()
	e.c.MustOK(e.tx(signer, kind, v))
}

func (e *env) fail(signer, kind string, v any, code app.Code) {
	e.t.Helper()
	// Keep end-of-block epochs out of the comparison: deliver the failing
	// transaction in a block where no epoch is due.
	for {
		var subs []subnet.SubnetInfo
		if err := e.c.Query("subnet/subnets", nil, &subs); err != nil {
			e.t.Fatal(err)
		}
		due := false
		for _, s := range subs {
			due = due || e.c.Height()+1 >= s.NextEpoch
		}
		if !due {
			break
		}
		e.c.Deliver()
	}
	before := e.moduleState()
	e.c.MustFail(e.tx(signer, kind, v), code)
	// A failed transaction changes no subnet state (the block's end-of-block
	// accrual aside, which moves only pending emission).
	after := e.moduleState()
	if !bytes.Equal(before, after) {
		e.t.Fatalf("failed %s changed subnet state:\nbefore %s\nafter  %s", kind, before, after)
	}
}

// moduleState is the metagraph with weights plus every subnet's record
// without its pending emission, for "no state change" checks.
func (e *env) moduleState() []byte {
	e.t.Helper()
	var subs []subnet.SubnetInfo
	if err := e.c.Query("subnet/subnets", nil, &subs); err != nil {
		e.t.Fatal(err)
	}
	var out []any
	for _, s := range subs {
		s.Pending, s.Price = 0, 0 // accrual and price decay move every block
		var mg subnet.Metagraph
		if err := e.c.Query(fmt.Sprintf("subnet/metagraph/%d", s.NetUID), map[string][]string{"weights": {"1"}}, &mg); err != nil {
			e.t.Fatal(err)
		}
		out = append(out, s, mg)
	}
	b, _ := json.Marshal(out)
	return b
}

func (e *env) metagraph() subnet.Metagraph {
	e.t.Helper()
	var mg subnet.Metagraph
	if err := e.c.Query("subnet/metagraph/0", nil, &mg); err != nil {
		e.t.Fatal(err)
	}
	return mg
}

func (e *env) neuronWeights(uid uint16) [][2]uint16 {
	e.t.Helper()
	var mg subnet.Metagraph
	if err := e.c.Query("subnet/metagraph/0", map[string][]string{"weights": {"1"}}, &mg); err != nil {
		e.t.Fatal(err)
	}
	return mg.Neurons[uid].Weights
}

func (e *env) subnetInfo() subnet.SubnetInfo {
	e.t.Helper()
	var s subnet.SubnetInfo
	if err := e.c.Query("subnet/subnet/0", nil, &s); err != nil {
		e.t.Fatal(err)
	}
	return s
}

func (e *env) balance(name string) uint64 {
	e.t.Helper()
	var a bank.Account
	if err := e.c.Query("bank/balance/"+apptest.Addr(name).String(), nil, &a); err != nil {
		e.t.Fatal(err)
	}
	return a.Balance
}

// untilEpoch advances blocks until the subnet has run n epochs.
func (e *env) untilEpoch(n uint64) {
	e.t.Helper()
	for i := 0; e.subnetInfo().Epochs < n; i++ {
		if i > 10*tempo {
			e.t.Fatalf("epoch %d never ran", n)
		}
		e.c.Deliver()
	}
}

// nextEpoch advances blocks until one more epoch has run.
func (e *env) nextEpoch() {
	e.t.Helper()
	e.untilEpoch(e.subnetInfo().Epochs + 1)
}

// setup creates subnet 0 (owner), registers v1, v2 (uids 0, 1) and m1, m2
// (uids 2, 3), stakes on the validators and runs the first epoch, which
// grants v1 and v2 their permits.
func setup(t *testing.T) *env {
	e := newEnv(t)
	e.ok("owner", "subnet/create", subnet.CreateMsg{Name: "classify", Hyper: testHyper()})
	for _, n := range []string{"v1", "v2", "m1", "m2"} {
		e.ok(n, "subnet/register", subnet.RegisterMsg{NetUID: 0, Axon: "127.0.0.1:9000"})
	}
	e.ok("v1", "subnet/stake", subnet.StakeMsg{NetUID: 0, Hotkey: apptest.Addr("v1"), Amount: 60 * million})
	e.ok("v2", "subnet/stake", subnet.StakeMsg{NetUID: 0, Hotkey: apptest.Addr("v2"), Amount: 40 * million})
	e.nextEpoch()
	mg := e.metagraph()
	if !mg.Neurons[0].ValidatorPermit || !mg.Neurons[1].ValidatorPermit || mg.Neurons[2].ValidatorPermit {
		t.Fatalf("permits after the first epoch: %+v", mg.Neurons)
	}
	return e
}

func hashHex(who string, uids, vals []uint16, salt []byte) string {
	h := subnet.CommitHash(apptest.Addr(who), 0, uids, vals, salt)
	return hex.EncodeToString(h[:])
}

func TestLifecycleCommitRevealEpochAndPayouts(t *testing.T) {
	e := setup(t)
	if got := e.subnetInfo().Locked; got != 100*million {
		t.Fatalf("locked %d", got)
	}
	uids, vals := []uint16{2, 3}, []uint16{65535, 32767}
	salt1, salt2 := []byte("salt-v1"), []byte("salt-v2")
	e.ok("v1", "subnet/commit-weights", subnet.CommitMsg{NetUID: 0, Hash: hashHex("v1", uids, vals, salt1)})
	e.ok("v2", "subnet/commit-weights", subnet.CommitMsg{NetUID: 0, Hash: hashHex("v2", uids, vals, salt2)})
	// Too early: the reveal window is the next epoch.
	e.fail("v1", "subnet/reveal-weights", subnet.WeightsMsg{NetUID: 0, UIDs: uids, Values: vals, Salt: hex.EncodeToString(salt1)}, subnet.CodeRevealWindow)
	e.nextEpoch()
	// Wrong salt, then the right one.
	e.fail("v1", "subnet/reveal-weights", subnet.WeightsMsg{NetUID: 0, UIDs: uids, Values: vals, Salt: hex.EncodeToString([]byte("guess"))}, subnet.CodeRevealMismatch)
	e.ok("v1", "subnet/reveal-weights", subnet.WeightsMsg{NetUID: 0, UIDs: uids, Values: vals, Salt: hex.EncodeToString(salt1)})
	e.ok("v2", "subnet/reveal-weights", subnet.WeightsMsg{NetUID: 0, UIDs: uids, Values: vals, Salt: hex.EncodeToString(salt2)})
	m1Before, m2Before, ownerBefore := e.balance("m1"), e.balance("m2"), e.balance("owner")
	e.nextEpoch()
	mg := e.metagraph()
	m1, m2 := mg.Neurons[2], mg.Neurons[3]
	if m1.Incentive <= m2.Incentive || m2.Incentive == 0 {
		t.Fatalf("incentive m1 %d, m2 %d: want m1 > m2 > 0", m1.Incentive, m2.Incentive)
	}
	if mg.Neurons[0].Dividends == 0 || mg.Neurons[1].Dividends == 0 {
		t.Fatalf("validators earned no dividends: %+v", mg.Neurons[:2])
	}
	gain1, gain2 := e.balance("m1")-m1Before, e.balance("m2")-m2Before
	if gain1 == 0 || gain1 <= gain2 {
		t.Fatalf("miner payouts m1 %d, m2 %d", gain1, gain2)
	}
	if e.balance("owner") <= ownerBefore {
		t.Fatal("owner got no cut")
	}
	var eps []subnet.EpochRecord
	if err := e.c.Query("subnet/epochs/0", map[string][]string{"limit": {"2"}}, &eps); err != nil {
		t.Fatal(err)
	}
	if len(eps) != 2 || eps[0].Epoch != eps[1].Epoch+1 || eps[0].PaidMiners == 0 || !eps[1].Fallback {
		t.Fatalf("epoch history %+v", eps)
	}
	rec := eps[0]
	if rec.Fee == 0 || rec.Fee-rec.FeeFromLock+rec.OwnerCut+rec.PaidMiners+rec.PaidValidators+rec.Carried != rec.Emission {
		t.Fatalf("epoch does not add up: %+v", rec)
	}
	// Unrevealed commits expire after their window.
	e.ok("v1", "subnet/commit-weights", subnet.CommitMsg{NetUID: 0, Hash: hashHex("v1", uids, vals, salt1)})
	e.nextEpoch()
	e.nextEpoch()
	e.fail("v1", "subnet/reveal-weights", subnet.WeightsMsg{NetUID: 0, UIDs: uids, Values: vals, Salt: hex.EncodeToString(salt1)}, subnet.CodeRevealWindow)
	// A reveal without any commit.
	e.fail("v2", "subnet/reveal-weights", subnet.WeightsMsg{NetUID: 0, UIDs: uids, Values: vals, Salt: hex.EncodeToString(salt2)}, subnet.CodeNoCommit)
}

func TestBadWeights(t *testing.T) {
	e := setup(t)
	commitReveal := func(who string, uids, vals []uint16, code app.Code) {
		t.Helper()
		salt := []byte(who)
		e.ok(who, "subnet/commit-weights", subnet.CommitMsg{NetUID: 0, Hash: hashHex(who, uids, vals, salt)})
		e.untilEpoch(e.subnetInfo().Epochs + 1)
		e.fail(who, "subnet/reveal-weights", subnet.WeightsMsg{NetUID: 0, UIDs: uids, Values: vals, Salt: hex.EncodeToString(salt)}, code)
	}
	commitReveal("v1", []uint16{2, 9}, []uint16{1, 1}, subnet.CodeUnknownUID)
	commitReveal("v1", []uint16{2, 2}, []uint16{1, 1}, subnet.CodeDuplicateUID)
	commitReveal("v1", []uint16{0, 1, 2, 3, 0}, []uint16{1, 1, 1, 1, 1}, subnet.CodeTooManyWeights)
	commitReveal("v1", []uint16{2, 3}, []uint16{0, 0}, subnet.CodeInvalidWeights)
	// A miner without a permit cannot commit.
	e.fail("m1", "subnet/commit-weights", subnet.CommitMsg{NetUID: 0, Hash: hashHex("m1", []uint16{3}, []uint16{1}, nil)}, subnet.CodeNoPermit)
	// Unregistered account.
	e.fail("carol", "subnet/commit-weights", subnet.CommitMsg{NetUID: 0, Hash: hashHex("carol", []uint16{3}, []uint16{1}, nil)}, subnet.CodeNotRegistered)
	// Direct weights are refused on a commit–reveal subnet.
	e.fail("v1", "subnet/set-weights", subnet.WeightsMsg{NetUID: 0, UIDs: []uint16{2}, Values: []uint16{1}}, subnet.CodeCommitReveal)
	// Reveal that is late: commit, skip the window.
	salt := []byte("late")
	e.ok("v2", "subnet/commit-weights", subnet.CommitMsg{NetUID: 0, Hash: hashHex("v2", []uint16{2}, []uint16{1}, salt)})
	e.untilEpoch(e.subnetInfo().Epochs + 2)
	e.fail("v2", "subnet/reveal-weights", subnet.WeightsMsg{NetUID: 0, UIDs: []uint16{2}, Values: []uint16{1}, Salt: hex.EncodeToString(salt)}, subnet.CodeRevealWindow)
	e.fail("v2", "subnet/commit-weights", subnet.CommitMsg{NetUID: 0, Hash: "zz"}, subnet.CodeInvalidWeights)
}

func TestStakeUnstakeAndRegistrationRules(t *testing.T) {
	e := setup(t)
	carolBefore := e.balance("carol")
	e.ok("carol", "subnet/stake", subnet.StakeMsg{NetUID: 0, Hotkey: apptest.Addr("m1"), Amount: 5 * million})
	e.fail("carol", "subnet/unstake", subnet.StakeMsg{NetUID: 0, Hotkey: apptest.Addr("m1"), Amount: 6 * million}, subnet.CodeStakeTooLow)
	e.fail("carol", "subnet/unstake", subnet.StakeMsg{NetUID: 0, Hotkey: apptest.Addr("v1"), Amount: 1}, subnet.CodeStakeTooLow)
	e.ok("carol", "subnet/unstake", subnet.StakeMsg{NetUID: 0, Hotkey: apptest.Addr("m1"), Amount: 2 * million})
	e.fail("carol", "subnet/stake", subnet.StakeMsg{NetUID: 0, Hotkey: apptest.Addr("m3"), Amount: 1}, subnet.CodeNotRegistered)
	e.fail("carol", "subnet/stake", subnet.StakeMsg{NetUID: 0, Hotkey: apptest.Addr("m1"), Amount: 0}, subnet.CodeInvalidAmount)
	e.fail("carol", "subnet/stake", subnet.StakeMsg{NetUID: 9, Hotkey: apptest.Addr("m1"), Amount: 1}, subnet.CodeSubnetNotFound)
	e.fail("v1", "subnet/register", subnet.RegisterMsg{NetUID: 0}, subnet.CodeAlreadyRegistered)
	// Full subnet, every uid immune.
	e.fail("m3", "subnet/register", subnet.RegisterMsg{NetUID: 0}, subnet.CodeAllImmune)
	// A max_burn below the price.
	e.fail("m3", "subnet/register", subnet.RegisterMsg{NetUID: 0, MaxBurn: 1}, subnet.CodeBurnTooHigh)
	e.fail("m3", "subnet/register", subnet.RegisterMsg{NetUID: 0, Axon: "has space"}, subnet.CodeInvalidAxon)
	// After the immunity period the lowest-emission uid is replaced: m1 and
	// m2 earned nothing, m1 registered first, so m1 goes and carol's stake
	// on it is returned.
	e.c.NextBlocks(100)
	e.ok("m3", "subnet/register", subnet.RegisterMsg{NetUID: 0})
	var hk struct{ UID uint16 }
	if err := e.c.Query("subnet/hotkey/0/"+apptest.Addr("m3").String(), nil, &hk); err != nil {
		t.Fatal(err)
	}
	if hk.UID != 2 {
		t.Fatalf("m3 got uid %d, want m1's uid 2", hk.UID)
	}
	if err := e.c.Query("subnet/hotkey/0/"+apptest.Addr("m1").String(), nil, &hk); err == nil {
		t.Fatal("m1 is still registered")
	}
	// carol staked 5, unstaked 2 and got 3 back: only her fees are gone.
	if got := e.balance("carol"); got > carolBefore || carolBefore-got > million {
		t.Fatalf("carol's stake was not returned: %d of %d", got, carolBefore)
	}
}

func TestCreateValidation(t *testing.T) {
	e := newEnv(t)
	h := testHyper()
	h.Tempo = 0
	e.fail("owner", "subnet/create", subnet.CreateMsg{Name: "x", Hyper: h}, subnet.CodeInvalidParams)
	e.fail("owner", "subnet/create", subnet.CreateMsg{Name: ""}, subnet.CodeInvalidParams)
	e.fail("owner", "subnet/create", subnet.CreateMsg{Name: "x", Task: "chess"}, subnet.CodeInvalidParams)
	for i := 0; i < 4; i++ {
		e.ok("owner", "subnet/create", subnet.CreateMsg{Name: "s"})
	}
	e.fail("owner", "subnet/create", subnet.CreateMsg{Name: "s"}, subnet.CodeTooManySubnets)
	var all []subnet.SubnetInfo
	if err := e.c.Query("subnet/subnets", nil, &all); err != nil || len(all) != 4 {
		t.Fatalf("subnets %v %d", err, len(all))
	}
	if all[0].Task != subnet.TaskClassify || all[0].Hyper.Tempo != 360 || !all[0].Hyper.Yuma3 || !all[0].Hyper.CommitReveal || all[0].Hyper.MaxUIDs != 256 {
		t.Fatalf("defaults %+v", all[0].Hyper)
	}
	if _, err := e.c.App.QueryModule("subnet/subnet/77", nil); app.CodeOf(err) != app.CodeNotFound {
		t.Fatalf("missing subnet: %v", err)
	}
}

func TestRegistrationPriceRisesAndDecays(t *testing.T) {
	s := subnet.Subnet{Hyper: *testHyper(), Burn: 8000, BurnBlock: 10}
	if p := s.Price(10); p != 8000 {
		t.Fatalf("price now %d", p)
	}
	hl := int64(s.Hyper.BurnHalfLife)
	if p := s.Price(10 + hl); p != 4000 {
		t.Fatalf("after one half-life %d", p)
	}
	if p := s.Price(10 + hl/2); p >= 8000 || p <= 4000 {
		t.Fatalf("half way %d", p)
	}
	if p := s.Price(10 + 100*hl); p != s.Hyper.MinBurn {
		t.Fatalf("floor %d", p)
	}
	e := newEnv(t)
	e.ok("owner", "subnet/create", subnet.CreateMsg{Name: "p", Hyper: testHyper()})
	p0 := e.subnetInfo().Burn
	e.ok("m1", "subnet/register", subnet.RegisterMsg{NetUID: 0})
	if p1 := e.subnetInfo().Burn; p1 <= p0 {
		t.Fatalf("price did not rise: %d -> %d", p0, p1)
	}
}

func TestCommitHashBindsEverything(t *testing.T) {
	a, b := apptest.Addr("v1"), apptest.Addr("v2")
	base := subnet.CommitHash(a, 0, []uint16{1, 2}, []uint16{3, 4}, []byte("s"))
	for _, h := range [][32]byte{
		subnet.CommitHash(b, 0, []uint16{1, 2}, []uint16{3, 4}, []byte("s")),
		subnet.CommitHash(a, 1, []uint16{1, 2}, []uint16{3, 4}, []byte("s")),
		subnet.CommitHash(a, 0, []uint16{2, 1}, []uint16{3, 4}, []byte("s")),
		subnet.CommitHash(a, 0, []uint16{1, 2}, []uint16{3, 5}, []byte("s")),
		subnet.CommitHash(a, 0, []uint16{1, 2}, []uint16{3, 4}, []byte("t")),
		// The same bytes moved between fields: the tail of the weights
		// as salt, values shorter than uids.
		subnet.CommitHash(a, 0, []uint16{1}, []uint16{3}, []byte{0, 2, 0, 4, 's'}),
		subnet.CommitHash(a, 0, []uint16{1, 2}, []uint16{3}, []byte{0, 4, 's'}),
		subnet.CommitHash(a, 0, []uint16{1, 2, 3}, []uint16{4}, []byte("s")),
	} {
		if h == base {
			t.Fatal("commit hash ignores part of its input or lets bytes move between fields")
		}
	}
}

// TestRevealOpensOneWay replays the two-openings attack of issue 17.10
// through the app: a commit to weights (2: 65535, 3: 32767) was accepted
// as a reveal of (2: 65535) alone, the rest of the weights passed off as
// salt. The reveal must match exactly the committed vector.
func TestRevealOpensOneWay(t *testing.T) {
	e := setup(t)
	uids, vals, salt := []uint16{2, 3}, []uint16{65535, 32767}, []byte("salt")
	e.ok("v1", "subnet/commit-weights", subnet.CommitMsg{NetUID: 0, Hash: hashHex("v1", uids, vals, salt)})
	e.nextEpoch()
	forged := append([]byte{0, 3, 0x7f, 0xff}, salt...) // (3, 32767) ‖ salt
	e.fail("v1", "subnet/reveal-weights", subnet.WeightsMsg{NetUID: 0, UIDs: uids[:1], Values: vals[:1], Salt: hex.EncodeToString(forged)}, subnet.CodeRevealMismatch)
	e.fail("v1", "subnet/reveal-weights", subnet.WeightsMsg{NetUID: 0, UIDs: uids, Values: vals[:1], Salt: hex.EncodeToString(append([]byte{0x7f, 0xff}, salt...))}, subnet.CodeInvalidWeights)
	e.ok("v1", "subnet/reveal-weights", subnet.WeightsMsg{NetUID: 0, UIDs: uids, Values: vals, Salt: hex.EncodeToString(salt)})
	if w := e.neuronWeights(0); len(w) != 2 {
		t.Fatalf("weights after the reveal: %v", w)
	}
}

// TestEmissionSplitByStake checks the documented split between subnets:
// the subnet pool goes to subnets in proportion to their total stake, and
// nothing goes to a subnet without stake.
func TestEmissionSplitByStake(t *testing.T) {
	e := newEnv(t)
	h := testHyper()
	h.Tempo = 1000 // no epoch during the test: everything stays pending
	for i := 0; i < 3; i++ {
		e.ok("owner", "subnet/create", subnet.CreateMsg{Name: fmt.Sprint("s", i), Hyper: h})
	}
	e.ok("v1", "subnet/register", subnet.RegisterMsg{NetUID: 0})
	e.ok("v2", "subnet/register", subnet.RegisterMsg{NetUID: 1})
	e.ok("m1", "subnet/register", subnet.RegisterMsg{NetUID: 2})
	e.ok("v1", "subnet/stake", subnet.StakeMsg{NetUID: 0, Hotkey: apptest.Addr("v1"), Amount: 30 * million})
	e.ok("v2", "subnet/stake", subnet.StakeMsg{NetUID: 1, Hotkey: apptest.Addr("v2"), Amount: 10 * million})
	var before []subnet.SubnetInfo
	if err := e.c.Query("subnet/subnets", nil, &before); err != nil {
		t.Fatal(err)
	}
	e.c.NextBlocks(20)
	var after []subnet.SubnetInfo
	if err := e.c.Query("subnet/subnets", nil, &after); err != nil {
		t.Fatal(err)
	}
	g0 := after[0].Pending - before[0].Pending
	g1 := after[1].Pending - before[1].Pending
	if after[2].Pending != 0 {
		t.Fatalf("subnet without stake accrued %d", after[2].Pending)
	}
	// 20 blocks × 0.5 EMG for subnets, split 3:1 (floors lose at most 1 uemg a block).
	if g0+g1 > 20*million/2 || g0+g1 < 20*million/2-40 || g0 < 3*g1-60 || g0 > 3*g1+60 {
		t.Fatalf("accrued %d and %d, want 3:1 of %d", g0, g1, 20*million/2)
	}
}

func TestSetHyperparams(t *testing.T) {
	e := setup(t)
	h := e.subnetInfo().Hyper
	h.Tempo = 7
	e.fail("v1", "subnet/set-hyperparams", subnet.SetHyperMsg{NetUID: 0, Hyper: h}, subnet.CodeNotOwner)
	bad := h
	bad.MaxUIDs = 2 // 4 uids in use
	e.fail("owner", "subnet/set-hyperparams", subnet.SetHyperMsg{NetUID: 0, Hyper: bad}, subnet.CodeInvalidParams)
	bad = h
	bad.Kappa, bad.AlphaLow = 1, 1
	e.fail("owner", "subnet/set-hyperparams", subnet.SetHyperMsg{NetUID: 0, Hyper: bad}, subnet.CodeInvalidParams)
	e.ok("owner", "subnet/set-hyperparams", subnet.SetHyperMsg{NetUID: 0, Hyper: h})
	if got := e.subnetInfo(); got.Hyper.Tempo != 7 || got.NextEpoch != got.LastEpoch+7 {
		t.Fatalf("tempo %d, next epoch %d (last %d)", got.Hyper.Tempo, got.NextEpoch, got.LastEpoch)
	}
}

// TestCommitQueue: with a reveal period of N epochs a validator commits
// every epoch and reveals each commit N epochs later; a second commit in
// one epoch replaces the first; at most MaxPendingCommits wait at a time.
func TestCommitQueue(t *testing.T) {
	e := setup(t)
	h := e.subnetInfo().Hyper
	h.RevealPeriodEpochs = 2
	e.ok("owner", "subnet/set-hyperparams", subnet.SetHyperMsg{NetUID: 0, Hyper: h})
	salt := func(k int) []byte { return []byte(fmt.Sprint("salt-", k)) }
	vals := func(k int) []uint16 { return []uint16{uint16(1000 * (k + 1)), 65535} }
	uids := []uint16{2, 3}
	first := e.subnetInfo().Epochs
	e.ok("v1", "subnet/commit-weights", subnet.CommitMsg{NetUID: 0, Hash: hashHex("v1", uids, []uint16{1, 1}, salt(9))})
	e.ok("v1", "subnet/commit-weights", subnet.CommitMsg{NetUID: 0, Hash: hashHex("v1", uids, vals(0), salt(0))}) // replaces
	e.nextEpoch()
	e.ok("v1", "subnet/commit-weights", subnet.CommitMsg{NetUID: 0, Hash: hashHex("v1", uids, vals(1), salt(1))})
	e.fail("v1", "subnet/reveal-weights", subnet.WeightsMsg{NetUID: 0, UIDs: uids, Values: vals(0), Salt: hex.EncodeToString(salt(0))}, subnet.CodeRevealWindow)
	e.nextEpoch()
	// Epoch first+2: only the first epoch's commit is due, and only its
	// replacement opens it.
	e.fail("v1", "subnet/reveal-weights", subnet.WeightsMsg{NetUID: 0, UIDs: uids, Values: []uint16{1, 1}, Salt: hex.EncodeToString(salt(9))}, subnet.CodeRevealMismatch)
	e.fail("v1", "subnet/reveal-weights", subnet.WeightsMsg{NetUID: 0, UIDs: uids, Values: vals(1), Salt: hex.EncodeToString(salt(1))}, subnet.CodeRevealMismatch)
	e.ok("v1", "subnet/reveal-weights", subnet.WeightsMsg{NetUID: 0, UIDs: uids, Values: vals(0), Salt: hex.EncodeToString(salt(0))})
	if w := e.neuronWeights(0); len(w) != 2 || w[0] != [2]uint16{2, 1000} || w[1] != [2]uint16{3, 65535} {
		t.Fatalf("weights after the first reveal: %v", w)
	}
	e.nextEpoch()
	e.ok("v1", "subnet/reveal-weights", subnet.WeightsMsg{NetUID: 0, UIDs: uids, Values: vals(1), Salt: hex.EncodeToString(salt(1))})
	if got := e.subnetInfo().Epochs; got != first+3 {
		t.Fatalf("reveals ran in epoch %d, want %d", got, first+3)
	}
	// The queue is bounded.
	h.RevealPeriodEpochs = 50
	e.ok("owner", "subnet/set-hyperparams", subnet.SetHyperMsg{NetUID: 0, Hyper: h})
	for k := 0; k < subnet.MaxPendingCommits; k++ {
		e.ok("v2", "subnet/commit-weights", subnet.CommitMsg{NetUID: 0, Hash: hashHex("v2", uids, vals(k), salt(k))})
		e.nextEpoch()
	}
	e.fail("v2", "subnet/commit-weights", subnet.CommitMsg{NetUID: 0, Hash: hashHex("v2", uids, vals(0), salt(0))}, subnet.CodeTooManyCommits)
}
