package label_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"testing"

	"emergence/app"
	"emergence/app/apptest"
	"emergence/bank"
	"emergence/label"
	"emergence/store"
	"emergence/tx"
)

const (
	nItems  = 60
	nGold   = 15
	reward  = 1_000
	perItem = 3
	stake   = 2_000_000
)

var classes = []string{"cat", "dog", "bird"}

// truthOf is the true class of item i in the test job.
func truthOf(i uint32) uint32 { return (i * 7 / 3) % 3 }

func goldItems() []label.GoldItem {
	var g []label.GoldItem
	for i := uint32(0); i < nGold; i++ {
		it := i * 4
		g = append(g, label.GoldItem{Item: it, Class: truthOf(it)})
	}
	return g
}

var (
	manifest = hex.EncodeToString(func() []byte { h := sha256.Sum256([]byte("manifest")); return h[:] }())
	goldSalt = sha256.Sum256([]byte("gold salt"))
)

func newChain(t *testing.T) *apptest.Chain { return newChainWith(t, label.DefaultParams()) }

func newChainWith(t *testing.T, p label.Params) *apptest.Chain {
	b := bank.New()
	return apptest.New(t, apptest.Genesis{Balances: map[string]uint64{
		"alice": 100_000_000, "bob": 10_000_000, "carol": 10_000_000, "dave": 10_000_000, "mallory": 10_000_000,
	}, Modules: map[string]any{label.Name: label.Genesis{Params: p}}}, b, label.New(b))
}

func createMsg() label.CreateJobMsg {
	gc := label.GoldCommitment(manifest, goldItems(), goldSalt)
	return label.CreateJobMsg{
		Manifest: manifest, Items: nItems, Classes: classes, LabelsPerItem: perItem, BatchSize: nItems,
		RewardPerLabel: reward, MinStake: 1_000_000, GoldCommitment: hex.EncodeToString(gc[:]), GoldCount: nGold,
		CommitBlocks: 30, RevealBlocks: 10,
	}
}

func getJob(t testing.TB, c *apptest.Chain, id uint64) label.Job {
	t.Helper()
	var j label.Job
	if err := c.Query("label/job/"+itoa(id), nil, &j); err != nil {
		t.Fatal(err)
	}
	return j
}

func itoa(x uint64) string {
	if x == 0 {
		return "0"
	}
	var b []byte
	for x > 0 {
		b = append([]byte{byte('0' + x%10)}, b...)
		x /= 10
	}
	return string(b)
}

func balance(t testing.TB, c *apptest.Chain, name string) uint64 {
	t.Helper()
	var a bank.Account
	if err := c.Query("bank/balance/"+apptest.Addr(name).String(), nil, &a); err != nil {
		t.Fatal(err)
	}
	return a.Balance
}

func assignment(t testing.TB, c *apptest.Chain, job uint64, name string) label.Assignment {
	t.Helper()
	var as label.Assignment
	if err := c.Query("label/assignment/"+itoa(job)+"/"+apptest.Addr(name).String(), nil, &as); err != nil {
		t.Fatal(err)
	}
	return as
}

// answer returns a labeler's answers: honest ones answer the truth except on
// one item in ten (a different one per labeler); mallory always answers 0.
func answer(name string, items []uint32) []uint32 {
	out := make([]uint32, len(items))
	for k, it := range items {
		switch {
		case name == "mallory":
			out[k] = 0
		case it%10 == uint32(len(name)):
			out[k] = (truthOf(it) + 1) % 3
		default:
			out[k] = truthOf(it)
		}
	}
	return out
}

func salt(name string) [32]byte { return sha256.Sum256([]byte("salt " + name)) }

func commitMsg(c *apptest.Chain, job uint64, name string, items, answers []uint32) tx.Msg {
	h := label.AnswerCommitment(job, apptest.Addr(name), items, answers, salt(name))
	return c.Msg("label/commit", label.CommitMsg{Job: job, Commitment: hex.EncodeToString(h[:])})
}

func revealMsg(c *apptest.Chain, job uint64, name string, items, answers []uint32) tx.Msg {
	s := salt(name)
	return c.Msg("label/reveal", label.RevealMsg{Job: job, Items: items, Answers: answers, Salt: hex.EncodeToString(s[:])})
}

// TestJobLifecycle runs a job end to end: two honest labelers and a spammer
// who always answers the same class; gold revealed; settlement pays the
// honest ones, slashes the spammer and refunds the rest.
func TestJobLifecycle(t *testing.T) {
	c := newChain(t)
	labelers := []string{"bob", "carol", "mallory"}
	c.MustOK(c.Deliver(c.Sign("alice", c.Msg("label/create-job", createMsg())))[0])
	for _, n := range labelers {
		c.MustOK(c.Deliver(c.Sign(n, c.Msg("label/stake", label.StakeMsg{Amount: stake})))[0])
	}
	for _, n := range labelers {
		c.MustOK(c.Deliver(c.Sign(n, c.Msg("label/request", label.JobMsg{Job: 1})))[0])
	}
	j := getJob(t, c, 1)
	if j.Assignments != 3 || j.AssignedLabels != 3*nItems {
		t.Fatalf("job after requests: %+v", j)
	}
	// A fourth labeler finds no work left.
	c.MustOK(c.Deliver(c.Sign("dave", c.Msg("label/stake", label.StakeMsg{Amount: stake})))[0])
	c.MustFail(c.Deliver(c.Sign("dave", c.Msg("label/request", label.JobMsg{Job: 1})))[0], label.CodeNoWork)

	ans := map[string][]uint32{}
	items := map[string][]uint32{}
	for _, n := range labelers {
		as := assignment(t, c, 1, n)
		items[n] = as.Items
		ans[n] = answer(n, as.Items)
		c.MustOK(c.Deliver(c.Sign(n, commitMsg(c, 1, n, as.Items, ans[n])))[0])
	}
	// Reveal too early, then unstake more than the free stake during the
	// open assignment (only the job's min_stake is at risk).
	c.MustFail(c.Deliver(c.Sign("bob", revealMsg(c, 1, "bob", items["bob"], ans["bob"])))[0], label.CodeTooEarly)
	c.MustFail(c.Deliver(c.Sign("bob", c.Msg("label/unstake", label.StakeMsg{Amount: stake - j.MinStake + 1})))[0], label.CodeOpenAssignment)
	for c.Height() < j.CommitDeadline {
		c.NextBlocks(1)
	}
	for _, n := range labelers {
		c.MustOK(c.Deliver(c.Sign(n, revealMsg(c, 1, n, items[n], ans[n])))[0])
	}
	s := goldSalt
	// Gold opens only after the reveal window, settlement only after gold.
	c.MustFail(c.Deliver(c.Sign("alice", c.Msg("label/reveal-gold", label.RevealGoldMsg{Job: 1, Gold: goldItems(), Salt: hex.EncodeToString(s[:])})))[0], label.CodeTooEarly)
	c.MustFail(c.Deliver(c.Sign("bob", c.Msg("label/settle", label.JobMsg{Job: 1})))[0], label.CodeTooEarly)
	for c.Height() < j.RevealDeadline {
		c.NextBlocks(1)
	}
	c.MustOK(c.Deliver(c.Sign("alice", c.Msg("label/reveal-gold", label.RevealGoldMsg{Job: 1, Gold: goldItems(), Salt: hex.EncodeToString(s[:])})))[0])
	aliceBefore := balance(t, c, "alice")
	bobBefore := balance(t, c, "bob")
	c.MustOK(c.Deliver(c.Sign("bob", c.Msg("label/settle", label.JobMsg{Job: 1})))[0])
	fee := c.App.Params().MinFee(1_000_000)

	var res label.Results
	if err := c.Query("label/results/1", nil, &res); err != nil {
		t.Fatal(err)
	}
	correct := 0
	for i, l := range res.Labels {
		if l == int32(truthOf(uint32(i))) {
			correct++
		}
	}
	// Gold items are pinned; elsewhere the two honest labelers disagree on
	// one item in five and the spammer carries no information, so some of
	// those go either way.
	for _, g := range goldItems() {
		if res.Labels[g.Item] != int32(g.Class) {
			t.Errorf("gold item %d settled as %d, want %d", g.Item, res.Labels[g.Item], g.Class)
		}
	}
	if correct < nItems*85/100 {
		t.Errorf("settled labels: %d/%d correct", correct, nItems)
	}
	root := label.ResultsRoot(1, res.Labels)
	if res.Root != hex.EncodeToString(root[:]) || !res.GoldUsed {
		t.Errorf("root %s gold %v", res.Root, res.GoldUsed)
	}
	byName := map[string]label.Outcome{}
	for _, o := range res.Outcomes {
		for _, n := range labelers {
			if o.Labeler == apptest.Addr(n) {
				byName[n] = o
			}
		}
	}
	m := byName["mallory"]
	if m.Paid != 0 || m.Slashed != j.MinStake/2 || m.GoldTotal != nGold || (int(m.GoldCorrect)*3-int(m.GoldTotal))*1000 >= 200*int(m.GoldTotal)*2 {
		t.Errorf("mallory outcome %+v, want unpaid and half the stake at risk slashed", m)
	}
	for _, n := range []string{"bob", "carol"} {
		o := byName[n]
		if o.Slashed != 0 || o.Paid < nItems*reward*6/10 || o.Paid > nItems*reward {
			t.Errorf("%s outcome %+v, want paid 60-100%% of %d", n, o, nItems*reward)
		}
	}
	if got, want := balance(t, c, "bob"), bobBefore-fee+byName["bob"].Paid; got != want {
		t.Errorf("bob balance %d, want %d", got, want)
	}
	paid := byName["bob"].Paid + byName["carol"].Paid
	if res.Paid != paid || res.Refunded != nItems*perItem*reward-paid {
		t.Errorf("results paid %d refunded %d, want %d and %d", res.Paid, res.Refunded, paid, nItems*perItem*reward-paid)
	}
	if got, want := balance(t, c, "alice"), aliceBefore+res.Refunded+label.DefaultParams().RequesterBond; got != want {
		t.Errorf("alice balance %d, want %d (refund + bond)", got, want)
	}
	var lb label.Labeler
	if err := c.Query("label/labeler/"+apptest.Addr("mallory").String(), nil, &lb); err != nil {
		t.Fatal(err)
	}
	if lb.Stake != stake-j.MinStake/2 || lb.Open != 0 || lb.Locked != 0 || lb.Reputation != 0 || lb.Jobs != 1 {
		t.Errorf("mallory after settlement: %+v", lb)
	}
	if err := c.Query("label/labeler/"+apptest.Addr("carol").String(), nil, &lb); err != nil {
		t.Fatal(err)
	}
	if lb.Reputation < 600 || lb.Earned != byName["carol"].Paid {
		t.Errorf("carol after settlement: %+v", lb)
	}
	// Settled: unstake works now, a second settle fails.
	c.MustOK(c.Deliver(c.Sign("carol", c.Msg("label/unstake", label.StakeMsg{Amount: stake})))[0])
	c.MustFail(c.Deliver(c.Sign("bob", c.Msg("label/settle", label.JobMsg{Job: 1})))[0], label.CodeAlreadySettled)
}

// TestNoGoldReveal: the requester never reveals gold; after the gold window
// anyone settles, labelers are paid by the gold-free estimate and the bond
// goes to the treasury.
func TestNoGoldReveal(t *testing.T) {
	c := newChain(t)
	c.MustOK(c.Deliver(c.Sign("alice", c.Msg("label/create-job", createMsg())))[0])
	for _, n := range []string{"bob", "carol", "dave"} {
		c.MustOK(c.Deliver(c.Sign(n, c.Msg("label/stake", label.StakeMsg{Amount: stake})), c.Sign(n, c.Msg("label/request", label.JobMsg{Job: 1})))[0])
	}
	for _, n := range []string{"bob", "carol", "dave"} {
		as := assignment(t, c, 1, n)
		c.MustOK(c.Deliver(c.Sign(n, commitMsg(c, 1, n, as.Items, answer(n, as.Items))))[0])
	}
	j := getJob(t, c, 1)
	for c.Height() < j.CommitDeadline {
		c.NextBlocks(1)
	}
	for _, n := range []string{"bob", "carol", "dave"} {
		as := assignment(t, c, 1, n)
		c.MustOK(c.Deliver(c.Sign(n, revealMsg(c, 1, n, as.Items, answer(n, as.Items))))[0])
	}
	for c.Height() < j.RevealDeadline {
		c.NextBlocks(1)
	}
	c.MustFail(c.Deliver(c.Sign("bob", c.Msg("label/settle", label.JobMsg{Job: 1})))[0], label.CodeTooEarly)
	for c.Height() < j.GoldDeadline {
		c.NextBlocks(1)
	}
	s := goldSalt
	c.MustFail(c.Deliver(c.Sign("alice", c.Msg("label/reveal-gold", label.RevealGoldMsg{Job: 1, Gold: goldItems(), Salt: hex.EncodeToString(s[:])})))[0], label.CodeWindowClosed)
	c.MustOK(c.Deliver(c.Sign("bob", c.Msg("label/settle", label.JobMsg{Job: 1})))[0])
	var res label.Results
	if err := c.Query("label/results/1", nil, &res); err != nil {
		t.Fatal(err)
	}
	if res.GoldUsed || res.BondForfeited != label.DefaultParams().RequesterBond || res.Paid == 0 || res.Slashed != 0 {
		t.Errorf("results %+v", res)
	}
}

// TestBadInput: each bad message gets its code and changes nothing.
func TestBadInput(t *testing.T) {
	c := newChain(t)
	bad := func(name string, m tx.Msg, want app.Code) {
		t.Helper()
		before := balance(t, c, name)
		escrow := func() uint64 {
			var s bank.SupplyInfo
			if err := c.Query("bank/supply", nil, &s); err != nil {
				t.Fatal(err)
			}
			return s.Modules[label.Escrow]
		}
		e := escrow()
		res := c.Deliver(c.Sign(name, m))[0]
		c.MustFail(res, want)
		if res.Log == "" {
			t.Errorf("code %v without a message", want)
		}
		if got := balance(t, c, name); got != before-c.App.Params().MinFee(1_000_000) {
			t.Errorf("%s: balance changed by more than the fee", want.Desc)
		}
		if escrow() != e {
			t.Errorf("%s: escrow changed", want.Desc)
		}
	}
	m := createMsg()
	m.RewardPerLabel = 0
	bad("alice", c.Msg("label/create-job", m), label.CodeNoBudget)
	m = createMsg()
	m.RewardPerLabel = 1 << 40
	bad("alice", c.Msg("label/create-job", m), label.CodeNoBudget)
	m = createMsg()
	m.Classes = []string{"cat"}
	bad("alice", c.Msg("label/create-job", m), label.CodeBadClasses)
	m.Classes = []string{"cat", "cat"}
	bad("alice", c.Msg("label/create-job", m), label.CodeBadClasses)
	m = createMsg()
	m.GoldCount = 1
	bad("alice", c.Msg("label/create-job", m), label.CodeBadJob)
	m = createMsg()
	m.RequirePersonhood = true
	bad("alice", c.Msg("label/create-job", m), label.CodePersonhoodDisabled)
	bad("bob", c.Msg("label/request", label.JobMsg{Job: 1}), label.CodeJobNotFound)

	c.MustOK(c.Deliver(c.Sign("alice", c.Msg("label/create-job", createMsg())))[0])
	bad("bob", c.Msg("label/request", label.JobMsg{Job: 1}), label.CodeInsufficientStake)
	bad("alice", c.Msg("label/request", label.JobMsg{Job: 1}), label.CodeOwnJob)
	bad("bob", c.Msg("label/unstake", label.StakeMsg{Amount: 5}), label.CodeLabelerNotFound)
	c.MustOK(c.Deliver(c.Sign("bob", c.Msg("label/stake", label.StakeMsg{Amount: stake})))[0])
	c.MustOK(c.Deliver(c.Sign("mallory", c.Msg("label/stake", label.StakeMsg{Amount: stake})))[0])
	bad("bob", c.Msg("label/unstake", label.StakeMsg{Amount: stake + 1}), label.CodeBadAmount)
	bad("bob", commitMsg(c, 1, "bob", nil, nil), label.CodeNotAssigned)
	c.MustOK(c.Deliver(c.Sign("bob", c.Msg("label/request", label.JobMsg{Job: 1})))[0])
	c.MustOK(c.Deliver(c.Sign("mallory", c.Msg("label/request", label.JobMsg{Job: 1})))[0])
	bad("bob", c.Msg("label/request", label.JobMsg{Job: 1}), label.CodeAlreadyAssigned)
	bad("bob", c.Msg("label/unstake", label.StakeMsg{Amount: stake}), label.CodeOpenAssignment)
	as := assignment(t, c, 1, "bob")
	ans := answer("bob", as.Items)
	c.MustOK(c.Deliver(c.Sign("bob", commitMsg(c, 1, "bob", as.Items, ans)))[0])
	mas := assignment(t, c, 1, "mallory")
	c.MustOK(c.Deliver(c.Sign("mallory", commitMsg(c, 1, "mallory", mas.Items, answer("mallory", mas.Items))))[0])
	j := getJob(t, c, 1)
	for c.Height() < j.CommitDeadline {
		c.NextBlocks(1)
	}
	bad("bob", commitMsg(c, 1, "bob", as.Items, ans), label.CodeWindowClosed)
	// Labels for an unassigned item: swap in an item outside the assignment.
	wrong := append([]uint32(nil), as.Items...)
	wrong[0] = nItems + 5
	bad("bob", revealMsg(c, 1, "bob", wrong, ans), label.CodeNotAssigned)
	// Reveal not matching the commitment.
	flipped := append([]uint32(nil), ans...)
	flipped[0] = (flipped[0] + 1) % 3
	bad("bob", revealMsg(c, 1, "bob", as.Items, flipped), label.CodeRevealMismatch)
	out := append([]uint32(nil), ans...)
	out[1] = 7
	bad("bob", revealMsg(c, 1, "bob", as.Items, out), label.CodeBadAnswer)
	c.MustOK(c.Deliver(c.Sign("bob", revealMsg(c, 1, "bob", as.Items, ans)))[0])
	bad("bob", revealMsg(c, 1, "bob", as.Items, ans), label.CodeAlreadyRevealed)
	// Gold inside the reveal window, not matching its commitment, or by
	// someone else.
	s := goldSalt
	bad("alice", c.Msg("label/reveal-gold", label.RevealGoldMsg{Job: 1, Gold: goldItems(), Salt: hex.EncodeToString(s[:])}), label.CodeTooEarly)
	for c.Height() < j.RevealDeadline {
		c.NextBlocks(1)
	}
	g := goldItems()
	g[0].Class = (g[0].Class + 1) % 3
	bad("alice", c.Msg("label/reveal-gold", label.RevealGoldMsg{Job: 1, Gold: g, Salt: hex.EncodeToString(s[:])}), label.CodeGoldMismatch)
	bad("bob", c.Msg("label/reveal-gold", label.RevealGoldMsg{Job: 1, Gold: goldItems(), Salt: hex.EncodeToString(s[:])}), label.CodeNotRequester)
	// Late reveal.
	bad("mallory", revealMsg(c, 1, "mallory", mas.Items, answer("mallory", mas.Items)), label.CodeWindowClosed)
	// Settled without gold: mallory never revealed and loses as much of her
	// stake at risk as a gold failure would cost; bob is paid by the
	// gold-free estimate.
	for c.Height() < j.GoldDeadline {
		c.NextBlocks(1)
	}
	c.MustOK(c.Deliver(c.Sign("bob", c.Msg("label/settle", label.JobMsg{Job: 1})))[0])
	var res label.Results
	if err := c.Query("label/results/1", nil, &res); err != nil {
		t.Fatal(err)
	}
	for _, o := range res.Outcomes {
		switch o.Labeler {
		case apptest.Addr("mallory"):
			if p := label.DefaultParams(); o.Revealed || o.Paid != 0 || o.Slashed != j.MinStake*uint64(p.NoRevealSlashPermille)/1000 || p.NoRevealSlashPermille < p.SlashPermille {
				t.Errorf("non-revealer outcome %+v, want the no-reveal share of the stake at risk slashed, no less than a gold failure", o)
			}
		case apptest.Addr("bob"):
			if !o.Revealed || o.Slashed != 0 {
				t.Errorf("bob outcome %+v", o)
			}
		}
	}
	if res.GoldUsed || res.BondForfeited == 0 {
		t.Errorf("results %+v, want no gold and the bond forfeited", res)
	}
}

func TestQueries(t *testing.T) {
	c := newChain(t)
	var p label.Params
	if err := c.Query("label/params", nil, &p); err != nil || p != label.DefaultParams() {
		t.Fatalf("params %+v, %v", p, err)
	}
	var ae *app.Error
	if err := c.Query("label/job/9", nil, &label.Job{}); !errors.As(err, &ae) || ae.Code != app.CodeNotFound {
		t.Fatalf("missing job: %v, want app's not-found code (HTTP 404)", err)
	}
	if err := c.Query("label/nope", nil, &label.Job{}); err == nil {
		t.Fatal("unknown query accepted")
	}
	c.MustOK(c.Deliver(c.Sign("alice", c.Msg("label/create-job", createMsg())))[0])
	var jl label.JobList
	if err := c.Query("label/jobs", nil, &jl); err != nil || len(jl.Jobs) != 1 || jl.Jobs[0].Status != label.StatusOpen || jl.Next != 0 {
		t.Fatalf("jobs %+v, %v", jl, err)
	}
	// Pages: two more jobs, read two at a time.
	c.MustOK(c.Deliver(c.Sign("alice", c.Msg("label/create-job", createMsg())), c.Sign("alice", c.Msg("label/create-job", createMsg())))[0])
	jl = label.JobList{}
	if err := c.Query("label/jobs", map[string][]string{"limit": {"2"}}, &jl); err != nil || len(jl.Jobs) != 2 || jl.Jobs[1].ID != 2 || jl.Next != 2 {
		t.Fatalf("first page %+v, %v", jl, err)
	}
	jl = label.JobList{}
	if err := c.Query("label/jobs", map[string][]string{"limit": {"2"}, "after": {"2"}}, &jl); err != nil || len(jl.Jobs) != 1 || jl.Jobs[0].ID != 3 || jl.Next != 0 {
		t.Fatalf("second page %+v, %v", jl, err)
	}
	for _, bad := range []map[string][]string{{"limit": {"0"}}, {"limit": {"1001"}}, {"after": {"x"}}} {
		if err := c.Query("label/jobs", bad, &jl); app.CodeOf(err) != app.CodeBadQuery {
			t.Errorf("jobs %v: %v, want a bad-query error", bad, err)
		}
	}
	if err := c.Query("label/results/1", nil, &label.Results{}); err == nil {
		t.Fatal("results of an open job")
	}
}

// humans is a Personhood that knows a fixed set of addresses.
type humans []tx.Address

func (h humans) IsHuman(_ store.Reader, app string, a tx.Address) bool {
	for _, x := range h {
		if x == a && app == label.PersonhoodApp {
			return true
		}
	}
	return false
}

func TestPersonhoodRequired(t *testing.T) {
	b := bank.New()
	c := apptest.New(t, apptest.Genesis{Balances: map[string]uint64{"alice": 100_000_000, "bob": 10_000_000, "carol": 10_000_000}},
		b, label.New(b).WithPersonhood(humans{apptest.Addr("bob")}))
	m := createMsg()
	m.RequirePersonhood = true
	c.MustOK(c.Deliver(c.Sign("alice", c.Msg("label/create-job", m)))[0])
	for _, n := range []string{"bob", "carol"} {
		c.MustOK(c.Deliver(c.Sign(n, c.Msg("label/stake", label.StakeMsg{Amount: stake})))[0])
	}
	c.MustOK(c.Deliver(c.Sign("bob", c.Msg("label/request", label.JobMsg{Job: 1})))[0])
	c.MustFail(c.Deliver(c.Sign("carol", c.Msg("label/request", label.JobMsg{Job: 1})))[0], label.CodeNotHuman)
}

func TestSettledResultsAccessor(t *testing.T) {
	b := bank.New()
	m := label.New(b)
	c := apptest.New(t, apptest.Genesis{Balances: map[string]uint64{"alice": 100_000_000, "bob": 10_000_000}}, b, m)
	c.MustOK(c.Deliver(c.Sign("alice", c.Msg("label/create-job", createMsg())))[0])
	if _, ok, err := m.SettledResults(c.Reader(), 1); ok || err != nil {
		t.Fatal("open job has results")
	}
	j := getJob(t, c, 1)
	for c.Height() < j.GoldDeadline {
		c.NextBlocks(1)
	}
	c.MustOK(c.Deliver(c.Sign("bob", c.Msg("label/settle", label.JobMsg{Job: 1})))[0])
	res, ok, err := m.SettledResults(c.Reader(), 1)
	root := label.ResultsRoot(1, res.Labels)
	if !ok || err != nil || res.Root != hex.EncodeToString(root[:]) || len(res.Labels) != nItems || res.Labels[0] != -1 {
		t.Fatalf("results %+v, ok %v", res, ok)
	}
	// Nobody labeled: the whole budget is refunded and the bond forfeited.
	if res.Paid != 0 || res.Refunded != nItems*perItem*reward || res.BondForfeited != label.DefaultParams().RequesterBond {
		t.Fatalf("empty job results %+v", res)
	}
}
