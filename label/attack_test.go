package label_test

import (
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"

	"emergence/app"
	"emergence/app/apptest"
	"emergence/bank"
	"emergence/label"
)

// runJob creates the test job from msg, has each labeler stake, request,
// commit and (when reveal says so) reveal answerFn's answers, and moves the
// chain past the reveal deadline. It returns the job.
func runJob(t *testing.T, c *apptest.Chain, msg label.CreateJobMsg, labelers []string, answerFn func(name string, items []uint32) []uint32, reveal func(name string) bool) label.Job {
	t.Helper()
	c.MustOK(c.Deliver(c.Sign("alice", c.Msg("label/create-job", msg)))[0])
	id := uint64(1)
	var jl label.JobList
	if err := c.Query("label/jobs", map[string][]string{"limit": {"1000"}}, &jl); err != nil {
		t.Fatal(err)
	}
	id = jl.Jobs[len(jl.Jobs)-1].ID
	for _, n := range labelers {
		c.MustOK(c.Deliver(c.Sign(n, c.Msg("label/stake", label.StakeMsg{Amount: stake})), c.Sign(n, c.Msg("label/request", label.JobMsg{Job: id})))[1])
	}
	for _, n := range labelers {
		as := assignment(t, c, id, n)
		c.MustOK(c.Deliver(c.Sign(n, commitMsg(c, id, n, as.Items, answerFn(n, as.Items))))[0])
	}
	j := getJob(t, c, id)
	for c.Height() < j.CommitDeadline {
		c.NextBlocks(1)
	}
	for _, n := range labelers {
		if reveal(n) {
			as := assignment(t, c, id, n)
			c.MustOK(c.Deliver(c.Sign(n, revealMsg(c, id, n, as.Items, answerFn(n, as.Items))))[0])
		}
	}
	for c.Height() < j.RevealDeadline {
		c.NextBlocks(1)
	}
	return j
}

func truthful(_ string, items []uint32) []uint32 {
	out := make([]uint32, len(items))
	for k, it := range items {
		out[k] = truthOf(it)
	}
	return out
}

func always(string) bool { return true }

func outcomes(res label.Results) map[string]label.Outcome {
	out := map[string]label.Outcome{}
	for _, o := range res.Outcomes {
		for _, n := range []string{"bob", "carol", "dave", "mallory"} {
			if o.Labeler == apptest.Addr(n) {
				out[n] = o
			}
		}
	}
	return out
}

func treasury(t *testing.T, c *apptest.Chain) uint64 {
	t.Helper()
	var s bank.SupplyInfo
	if err := c.Query("bank/supply", nil, &s); err != nil {
		t.Fatal(err)
	}
	return s.Modules[bank.PoolTreasury]
}

// TestMaliciousGoldOutvoted replays issue 17.7: the requester commits wrong
// gold answers to get honest labelers slashed and their pay back. The
// labelers' gold-free consensus outvotes every wrong gold answer: nobody is
// slashed, the honest labelers are paid, and the requester's bond goes to
// the treasury.
func TestMaliciousGoldOutvoted(t *testing.T) {
	c := newChain(t)
	var lying []label.GoldItem
	for _, g := range goldItems() {
		lying = append(lying, label.GoldItem{Item: g.Item, Class: (g.Class + 1) % 3})
	}
	msg := createMsg()
	gc := label.GoldCommitment(manifest, lying, goldSalt)
	msg.GoldCommitment = hex.EncodeToString(gc[:])
	labelers := []string{"bob", "carol", "dave"}
	j := runJob(t, c, msg, labelers, truthful, always)
	s := goldSalt
	c.MustOK(c.Deliver(c.Sign("alice", c.Msg("label/reveal-gold", label.RevealGoldMsg{Job: j.ID, Gold: lying, Salt: hex.EncodeToString(s[:])})))[0])
	before, aliceBefore := treasury(t, c), balance(t, c, "alice")
	c.MustOK(c.Deliver(c.Sign("bob", c.Msg("label/settle", label.JobMsg{Job: j.ID})))[0])
	var res label.Results
	if err := c.Query("label/results/1", nil, &res); err != nil {
		t.Fatal(err)
	}
	if !res.GoldWrong || len(res.GoldOverturned) != nGold || res.GoldUsed || res.Slashed != 0 || res.BondForfeited != j.Bond {
		t.Fatalf("results: wrong %v, overturned %d of %d, used %v, slashed %d, bond forfeited %d; want the gold shown wrong, nobody slashed, the bond lost",
			res.GoldWrong, len(res.GoldOverturned), nGold, res.GoldUsed, res.Slashed, res.BondForfeited)
	}
	for n, o := range outcomes(res) {
		if o.Slashed != 0 || o.Paid < nItems*reward*9/10 {
			t.Errorf("%s: %+v, want paid for its labels and not slashed", n, o)
		}
	}
	for i, l := range res.Labels {
		if l != int32(truthOf(uint32(i))) {
			t.Errorf("item %d settled as %d, truth %d", i, l, truthOf(uint32(i)))
		}
	}
	if got, fee := treasury(t, c)-before, c.App.Params().MinFee(1_000_000); got != j.Bond+fee {
		t.Errorf("treasury gained %d, want the bond %d and the settle fee %d", got, j.Bond, fee)
	}
	if got := balance(t, c, "alice") - aliceBefore; got != res.Refunded {
		t.Errorf("requester got %d back, want only the unspent budget %d", got, res.Refunded)
	}
}

// TestGoldSurvivesAndSlashes: true gold survives the check, so a spammer
// is still slashed on it and the requester keeps its bond; one wrong gold
// answer among fifteen is dropped without costing the bond.
func TestGoldSurvivesAndSlashes(t *testing.T) {
	c := newChain(t)
	gold := goldItems()
	gold[0].Class = (gold[0].Class + 1) % 3 // an honest mistake
	msg := createMsg()
	gc := label.GoldCommitment(manifest, gold, goldSalt)
	msg.GoldCommitment = hex.EncodeToString(gc[:])
	msg.LabelsPerItem = 4
	answers := func(n string, items []uint32) []uint32 {
		if n == "mallory" {
			return answer(n, items)
		}
		return truthful(n, items)
	}
	j := runJob(t, c, msg, []string{"bob", "carol", "dave", "mallory"}, answers, always)
	s := goldSalt
	c.MustOK(c.Deliver(c.Sign("alice", c.Msg("label/reveal-gold", label.RevealGoldMsg{Job: j.ID, Gold: gold, Salt: hex.EncodeToString(s[:])})))[0])
	c.MustOK(c.Deliver(c.SignWith("bob", j.SettleGas, c.Msg("label/settle", label.JobMsg{Job: j.ID})))[0])
	var res label.Results
	if err := c.Query("label/results/1", nil, &res); err != nil {
		t.Fatal(err)
	}
	if res.GoldWrong || len(res.GoldOverturned) != 1 || res.GoldOverturned[0] != gold[0].Item || !res.GoldUsed || res.BondForfeited != 0 {
		t.Fatalf("results: wrong %v, overturned %v, used %v, bond forfeited %d; want one item overturned, the bond kept", res.GoldWrong, res.GoldOverturned, res.GoldUsed, res.BondForfeited)
	}
	o := outcomes(res)
	if o["mallory"].Slashed != j.MinStake/2 || o["mallory"].GoldTotal != nGold-1 {
		t.Errorf("spammer %+v, want slashed on the %d surviving gold answers", o["mallory"], nGold-1)
	}
	for _, n := range []string{"bob", "carol", "dave"} {
		if o[n].Slashed != 0 || o[n].GoldCorrect != nGold-1 {
			t.Errorf("%s: %+v", n, o[n])
		}
	}
}

// TestWithholdingNeverPays replays issue 17.8: gold cannot be seen inside
// the reveal window, and a labeler who does not reveal loses at least as
// much as one who reveals answers that fail gold.
func TestWithholdingNeverPays(t *testing.T) {
	c := newChain(t)
	answers := func(n string, items []uint32) []uint32 {
		if n == "mallory" || n == "dave" {
			return answer("mallory", items) // both spam; dave withholds
		}
		return truthful(n, items)
	}
	msg := createMsg()
	msg.LabelsPerItem = 4
	c.MustOK(c.Deliver(c.Sign("alice", c.Msg("label/create-job", msg)))[0])
	j := getJob(t, c, 1)
	for _, n := range []string{"bob", "carol", "dave", "mallory"} {
		c.MustOK(c.Deliver(c.Sign(n, c.Msg("label/stake", label.StakeMsg{Amount: stake})), c.Sign(n, c.Msg("label/request", label.JobMsg{Job: 1})))[1])
		as := assignment(t, c, 1, n)
		c.MustOK(c.Deliver(c.Sign(n, commitMsg(c, 1, n, as.Items, answers(n, as.Items))))[0])
	}
	for c.Height() < j.CommitDeadline {
		c.NextBlocks(1)
	}
	s := goldSalt
	gold := c.Msg("label/reveal-gold", label.RevealGoldMsg{Job: 1, Gold: goldItems(), Salt: hex.EncodeToString(s[:])})
	for _, n := range []string{"bob", "carol", "mallory"} {
		// Every block of the reveal window refuses the gold.
		c.MustFail(c.Deliver(c.Sign("alice", gold))[0], label.CodeTooEarly)
		as := assignment(t, c, 1, n)
		c.MustOK(c.Deliver(c.Sign(n, revealMsg(c, 1, n, as.Items, answers(n, as.Items))))[0])
	}
	for c.Height() < j.RevealDeadline {
		c.MustFail(c.Deliver(c.Sign("alice", gold))[0], label.CodeTooEarly)
	}
	c.MustOK(c.Deliver(c.Sign("alice", gold))[0])
	c.MustOK(c.Deliver(c.Sign("bob", c.Msg("label/settle", label.JobMsg{Job: 1})))[0])
	var res label.Results
	if err := c.Query("label/results/1", nil, &res); err != nil {
		t.Fatal(err)
	}
	o := outcomes(res)
	if o["mallory"].Slashed == 0 || !o["mallory"].Revealed || o["dave"].Revealed || o["dave"].Slashed < o["mallory"].Slashed {
		t.Fatalf("revealed spam %+v, withheld spam %+v: withholding must cost at least as much", o["mallory"], o["dave"])
	}
	// A genesis that made withholding cheaper is refused.
	p := label.DefaultParams()
	p.NoRevealSlashPermille = p.SlashPermille - 1
	b := bank.New()
	if err := label.New(b).InitGenesis(nil, mustRaw(t, label.Genesis{Params: p})); err == nil || !strings.Contains(err.Error(), "cheaper") {
		t.Fatalf("genesis with no-reveal slash below gold slash: %v", err)
	}
}

// TestNothingFrozen replays issue 17.3: the job (249k labels, 64
// classes) is accepted and settles by sweeps, a job too large to settle
// even so is refused at creation; a job nobody settles expires, refunds its requester
// and releases its labelers' stakes; only the stake at risk is locked. Jobs
// larger than one transaction settle in parts: TestBigJobSettles.
func TestNothingFrozen(t *testing.T) {
	p := label.DefaultParams()
	p.ExpiryBlocks = 20
	c := newChainWith(t, p)
	// The job, ~249k labels over 64 classes, is accepted: it
	// settles by sweeps (TestIssueJobSettles, BenchmarkIssueJobSettles).
	// A million labels over 64 classes do not fit even a sweep part.
	big := createMsg()
	big.Items, big.LabelsPerItem, big.BatchSize, big.GoldCount, big.RewardPerLabel = 83_000, 3, 1_000, 4_150, 1
	big.Classes = nil
	for k := 0; k < 64; k++ {
		big.Classes = append(big.Classes, "c"+itoa(uint64(k)))
	}
	huge := big
	huge.Items, huge.LabelsPerItem, huge.GoldCount = 100_000, 10, 5_000
	r := c.Deliver(c.SignWith("alice", 5_000_000, c.Msg("label/create-job", huge)))[0]
	c.MustFail(r, label.CodeBadJob)
	if !strings.Contains(r.Log, "too large to settle") {
		t.Errorf("log %q", r.Log)
	}
	cb := newChainWith(t, p)
	cb.MustOK(cb.Deliver(cb.SignWith("alice", 5_000_000, cb.Msg("label/create-job", big)))[0])
	var bj label.Job
	if err := cb.Query("label/job/1", nil, &bj); err != nil || !bj.Parts || !bj.Sweep || bj.SettleGas > app.DefaultParams().MaxTxGas {
		t.Fatalf("the issue's job: %v, parts %v, sweep %v, settle gas %d (max tx gas %d)", err, bj.Parts, bj.Sweep, bj.SettleGas, app.DefaultParams().MaxTxGas)
	}

	// Two jobs at once: each locks only its min_stake.
	j := runJob(t, c, createMsg(), []string{"bob", "carol"}, truthful, always)
	second := createMsg()
	second.MinStake = stake // bob's free stake is stake+stake-1 EMG after staking again
	c.MustOK(c.Deliver(c.Sign("alice", c.Msg("label/create-job", second)))[0])
	c.MustOK(c.Deliver(c.Sign("bob", c.Msg("label/stake", label.StakeMsg{Amount: stake})), c.Sign("bob", c.Msg("label/request", label.JobMsg{Job: 2})))[1])
	c.MustFail(c.Deliver(c.Sign("carol", c.Msg("label/request", label.JobMsg{Job: 2})))[0], label.CodeInsufficientStake)
	var lb label.Labeler
	if err := c.Query("label/labeler/"+apptest.Addr("bob").String(), nil, &lb); err != nil || lb.Locked != j.MinStake+stake || lb.Open != 2 {
		t.Fatalf("bob with two assignments: %+v, %v", lb, err)
	}
	c.MustOK(c.Deliver(c.Sign("bob", c.Msg("label/unstake", label.StakeMsg{Amount: 2*stake - lb.Locked})))[0])
	c.MustFail(c.Deliver(c.Sign("bob", c.Msg("label/unstake", label.StakeMsg{Amount: 1})))[0], label.CodeOpenAssignment)

	// Nobody settles job 1 (the requester never reveals gold either).
	c.MustFail(c.Deliver(c.Sign("carol", c.Msg("label/expire", label.JobMsg{Job: 1})))[0], label.CodeTooEarly)
	for c.Height() < j.ExpiryHeight {
		c.NextBlocks(1)
	}
	c.MustFail(c.Deliver(c.Sign("carol", c.Msg("label/settle", label.JobMsg{Job: 1})))[0], label.CodeWindowClosed)
	aliceBefore := balance(t, c, "alice")
	c.MustOK(c.Deliver(c.Sign("carol", c.Msg("label/expire", label.JobMsg{Job: 1})))[0])
	if got := balance(t, c, "alice") - aliceBefore; got != j.Budget+j.Bond {
		t.Errorf("requester got %d back, want budget %d + bond %d", got, j.Budget, j.Bond)
	}
	if got := getJob(t, c, 1); got.Status != label.StatusExpired {
		t.Errorf("job 1 is %s", got.Status)
	}
	c.MustFail(c.Deliver(c.Sign("carol", c.Msg("label/expire", label.JobMsg{Job: 1})))[0], label.CodeAlreadySettled)
	c.MustOK(c.Deliver(c.Sign("carol", c.Msg("label/unstake", label.StakeMsg{Amount: stake})))[0])
	if err := c.Query("label/labeler/"+apptest.Addr("bob").String(), nil, &lb); err != nil || lb.Locked != stake || lb.Open != 1 {
		t.Fatalf("bob after job 1 expired: %+v, %v", lb, err)
	}
}

func mustRaw(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestUncheckedGoldSlashesNobody: with two labels per item no consensus can
// check the gold, so a requester's wrong gold on such a job cannot get
// honest labelers slashed.
func TestUncheckedGoldSlashesNobody(t *testing.T) {
	c := newChain(t)
	var lying []label.GoldItem
	for _, g := range goldItems() {
		lying = append(lying, label.GoldItem{Item: g.Item, Class: (g.Class + 1) % 3})
	}
	msg := createMsg()
	msg.LabelsPerItem = 2
	gc := label.GoldCommitment(manifest, lying, goldSalt)
	msg.GoldCommitment = hex.EncodeToString(gc[:])
	j := runJob(t, c, msg, []string{"bob", "carol"}, truthful, always)
	s := goldSalt
	c.MustOK(c.Deliver(c.Sign("alice", c.Msg("label/reveal-gold", label.RevealGoldMsg{Job: j.ID, Gold: lying, Salt: hex.EncodeToString(s[:])})))[0])
	c.MustOK(c.Deliver(c.Sign("bob", c.Msg("label/settle", label.JobMsg{Job: j.ID})))[0])
	var res label.Results
	if err := c.Query("label/results/1", nil, &res); err != nil {
		t.Fatal(err)
	}
	if res.Slashed != 0 || len(res.GoldOverturned) != 0 {
		t.Fatalf("results: slashed %d, overturned %v; want unchecked gold to slash nobody", res.Slashed, res.GoldOverturned)
	}
	for n, o := range outcomes(res) {
		if o.GoldTotal != 0 || o.Slashed != 0 {
			t.Errorf("%s: %+v, want no gold counted against it", n, o)
		}
	}
}
