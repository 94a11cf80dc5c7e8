package compute_test

import (
	"encoding/hex"
	"testing"

	"emergence/app/apptest"
	"emergence/compute"
)

func TestBadInputCodes(t *testing.T) {
	n := newNet(t, testParams(), "p1", "p2", "p3", "stranger", "fresh")
	n.ready(2, "p1", "p2", "p3")
	// "fresh" registers but never answers its benchmark.
	n.MustOK(n.Deliver(n.Sign("fresh", n.Msg(compute.MsgRegisterProvider, compute.RegisterProvider{Cores: 1, MemMiB: 1024, Price: 5, Stake: 10_000_000})))[0])

	low := job()
	low.Budget = low.PriceCap*2*2 - 1 // r=2 replicas at the cap for 2 s need 400
	n.MustFail(n.Deliver(n.Sign("alice", n.Msg(compute.MsgSubmitJob, low)))[0], compute.CodeLowBudget)
	bad := job()
	bad.Wasm = "not-a-hash"
	n.MustFail(n.Deliver(n.Sign("alice", n.Msg(compute.MsgSubmitJob, bad)))[0], compute.CodeBadJob)
	bad = job()
	bad.R = compute.MaxR + 1
	n.MustFail(n.Deliver(n.Sign("alice", n.Msg(compute.MsgSubmitJob, bad)))[0], compute.CodeBadJob)
	huge := job()
	huge.PriceCap, huge.WallMs = 1<<62, compute.MaxWallMs
	n.MustFail(n.Deliver(n.Sign("alice", n.Msg(compute.MsgSubmitJob, huge)))[0], compute.CodeLowBudget)

	n.MustOK(n.Deliver(n.Sign("alice", n.Msg(compute.MsgSubmitJob, job())))[0])
	id := uint64(1)
	res := n.Deliver(
		n.Sign("p1", n.Msg(compute.MsgBid, compute.Bid{Job: id, Price: 101})),
		n.Sign("stranger", n.Msg(compute.MsgBid, compute.Bid{Job: id, Price: 10})),
		n.Sign("fresh", n.Msg(compute.MsgBid, compute.Bid{Job: id, Price: 10})),
		n.Sign("p2", n.Msg(compute.MsgBid, compute.Bid{Job: id, Price: 10})),
		n.Sign("p2", n.Msg(compute.MsgBid, compute.Bid{Job: id, Price: 9})),
		n.Sign("p1", n.Msg(compute.MsgBid, compute.Bid{Job: 99, Price: 10})),
	)
	n.MustFail(res[0], compute.CodeBidAboveCap)
	n.MustFail(res[1], compute.CodeProviderNotFound)
	n.MustFail(res[2], compute.CodeNotBenchmarked)
	n.MustOK(res[3])
	n.MustFail(res[4], compute.CodeDuplicateBid)
	n.MustFail(res[5], compute.CodeJobNotFound)
	n.MustOK(n.Deliver(n.Sign("p1", n.Msg(compute.MsgBid, compute.Bid{Job: id, Price: 20})))[0])
	for n.job(id).Status == compute.JobBidding {
		n.Deliver()
	}
	o := runOutput(t, "42", 1)
	// p3 has no assignment on the job: neither its commitment nor a
	// result counts.
	n.MustFail(n.Deliver(n.commit("p3", id, o))[0], compute.CodeNotAssigned)
	n.MustOK(n.Deliver(n.commit("p1", id, o))[0])
	n.MustFail(n.Deliver(n.commit("p1", id, o))[0], compute.CodeAlreadyCommitted)
	n.MustFail(n.Deliver(n.reveal("p1", id, o))[0], compute.CodeWindowClosed) // p2 has not committed yet
	n.MustOK(n.Deliver(n.commit("p2", id, o))[0])
	n.MustFail(n.Deliver(n.reveal("p3", id, o))[0], compute.CodeNotAssigned)
	other := runOutput(t, "43", 1)
	n.MustFail(n.Deliver(n.reveal("p1", id, other))[0], compute.CodeRevealMismatch)
	wrongSalt := o
	wrongSalt.salt = [32]byte{9}
	n.MustFail(n.Deliver(n.reveal("p1", id, wrongSalt))[0], compute.CodeRevealMismatch)
	lying := o
	lying.hash = other.hash // output hash that is not the files' hash
	n.MustFail(n.Deliver(n.reveal("p1", id, lying))[0], compute.CodeBadResult)
	unsorted := compute.RevealResult{Job: id, Output: hex.EncodeToString(o.hash[:]), Salt: hex.EncodeToString(o.salt[:]),
		Files: []compute.File{{Name: "b", Blob: blob("1")}, {Name: "a", Blob: blob("2")}}}
	n.MustFail(n.Deliver(n.Sign("p1", n.Msg(compute.MsgRevealResult, unsorted)))[0], compute.CodeBadResult)
	n.MustFail(n.Deliver(n.Sign("p3", n.Msg(compute.MsgRefereeResult, compute.RefereeResult{Job: id,
		Output: hex.EncodeToString(o.hash[:]), Files: o.files})))[0], compute.CodeWindowClosed)
	for _, r := range n.Deliver(n.reveal("p1", id, o), n.reveal("p2", id, o)) {
		n.MustOK(r)
	}
	if j := n.job(id); j.Status != compute.JobDone {
		t.Fatalf("job is %s", j.Status)
	}
	// The benchmark: a wrong answer fails, an answer from a provider
	// without a pending benchmark fails.
	ans := answer(t, n.provider("fresh"))
	wrong := compute.BenchmarkAnswer{Lanes: [][]byte{make([]byte, len(ans.Lanes[0]))}}
	n.MustFail(n.Deliver(n.Sign("fresh", n.Msg(compute.MsgBenchmarkAnswer, wrong)))[0], compute.CodeBadBenchmark)
	n.MustFail(n.Deliver(n.Sign("p1", n.Msg(compute.MsgBenchmarkAnswer, wrong)))[0], compute.CodeNoBenchmark)
	n.MustFail(n.Deliver(n.Sign("fresh", n.Msg(compute.MsgBenchmarkAnswer, compute.BenchmarkAnswer{Lanes: [][]byte{{1, 2}}})))[0], compute.CodeBadBenchmark)
}

// TestFakeCapacityEarnsNothing: a provider that claims more cores than it
// has either answers late (its window closes, it is slashed and may not
// bid) or fills the lanes it could not run with junk, which the spot
// check refuses.
func TestFakeCapacityEarnsNothing(t *testing.T) {
	par := testParams()
	par.BenchSegments, par.BenchSamples = 16, 16
	n := newNet(t, par, "liar", "junk")
	for _, name := range []string{"liar", "junk"} {
		n.MustOK(n.Deliver(n.Sign(name, n.Msg(compute.MsgRegisterProvider, compute.RegisterProvider{Cores: 8, MemMiB: 1024, Price: 5, Stake: 10_000_000})))[0])
	}
	// junk runs 2 of its 8 lanes and fills the rest.
	ans := answer(t, n.provider("junk"))
	for l := 2; l < len(ans.Lanes); l++ {
		ans.Lanes[l] = make([]byte, len(ans.Lanes[l]))
	}
	n.MustFail(n.Deliver(n.Sign("junk", n.Msg(compute.MsgBenchmarkAnswer, ans)))[0], compute.CodeBadBenchmark)
	// liar needs four times the window for its 8 claimed lanes on 2 cores.
	late := answer(t, n.provider("liar"))
	n.NextBlocks(int(par.BenchBlocks))
	n.MustFail(n.Deliver(n.Sign("liar", n.Msg(compute.MsgBenchmarkAnswer, late)))[0], compute.CodeNoBenchmark)
	for _, name := range []string{"liar", "junk"} {
		p := n.provider(name)
		if p.Status != compute.ProviderFailed || p.Stake != 9_000_000 || p.Speed != 0 {
			t.Fatalf("%s: %s, stake %d, speed %d; want failed, slashed 10%%", name, p.Status, p.Stake, p.Speed)
		}
	}
	n.MustOK(n.Deliver(n.Sign("alice", n.Msg(compute.MsgSubmitJob, job())))[0])
	n.MustFail(n.Deliver(n.Sign("liar", n.Msg(compute.MsgBid, compute.Bid{Job: 1, Price: 1})))[0], compute.CodeNotBenchmarked)
	// It may try again with what it really has.
	n.MustOK(n.Deliver(n.Sign("liar", n.Msg(compute.MsgRebenchmark, compute.Rebenchmark{Cores: 2})))[0])
	n.MustOK(n.Deliver(n.Sign("liar", n.Msg(compute.MsgBenchmarkAnswer, answer(t, n.provider("liar")))))[0])
	if p := n.provider("liar"); p.Status != compute.ProviderReady || p.Cores != 2 {
		t.Fatalf("after an honest rebenchmark: %+v", p)
	}
}

// TestOfflineProviderSlashedAndReplaced: an assigned provider that never
// commits loses MissPermille of its stake and the spare bid takes its
// replica.
func TestOfflineProviderSlashedAndReplaced(t *testing.T) {
	par := testParams()
	n := newNet(t, par, "p1", "p2", "off")
	n.ready(1, "p1", "p2", "off")
	id := n.submitAndAssign(job(), map[string]uint64{"p1": 30, "off": 10, "p2": 50}, "p1", "off", "p2")
	if got := n.assignedTo(id, "p1", "p2", "off"); len(got) != 2 || got[0] == "p2" && got[1] == "p2" {
		t.Fatalf("assigned %v", got)
	}
	o := runOutput(t, "42", 1)
	n.MustOK(n.Deliver(n.commit("p1", id, o))[0])
	for n.job(id).Status == compute.JobRunning && len(n.assignedTo(id, "p2")) == 0 {
		n.Deliver()
	}
	if p := n.provider("off"); p.Stake != 9_000_000 || p.Active != 0 {
		t.Fatalf("offline provider: stake %d active %d", p.Stake, p.Active)
	}
	n.MustOK(n.Deliver(n.commit("p2", id, o))[0])
	for _, r := range n.Deliver(n.reveal("p1", id, o), n.reveal("p2", id, o)) {
		n.MustOK(r)
	}
	if j := n.job(id); j.Status != compute.JobDone || j.Paid != 30*2+50*2 {
		t.Fatalf("job %s paid %d", j.Status, j.Paid)
	}
}

// TestCollusionNeedsRecheck: two providers that reveal the same wrong
// output agree; with p = 0 they are paid (which is why p exists), with
// p = 1000 permille every agreeing job is re-run: the first referee's
// output matches no reveal, so a second referee confirms it, and both
// colluders are slashed.
func TestCollusionNeedsRecheck(t *testing.T) {
	for _, p := range []uint32{0, 1000} {
		par := testParams()
		par.RecheckPermille = p
		n := newNet(t, par, "c1", "c2", "h1", "h2")
		n.ready(1, "c1", "c2", "h1", "h2")
		id := n.submitAndAssign(job(), map[string]uint64{"c1": 10, "c2": 10}, "c1", "c2")
		wrong := runOutput(t, "made up", 3)
		for _, r := range n.Deliver(n.commit("c1", id, wrong), n.commit("c2", id, wrong)) {
			n.MustOK(r)
		}
		for _, r := range n.Deliver(n.reveal("c1", id, wrong), n.reveal("c2", id, wrong)) {
			n.MustOK(r)
		}
		j := n.job(id)
		if p == 0 {
			if j.Status != compute.JobDone || n.provider("c1").Earned != 20 {
				t.Fatalf("p=0: job %s, c1 earned %d", j.Status, n.provider("c1").Earned)
			}
			continue
		}
		if j.Status != compute.JobRefereeing || !j.Recheck {
			t.Fatalf("p=1000: job %s recheck %v", j.Status, j.Recheck)
		}
		good := runOutput(t, "42", 0)
		for range 2 {
			ref := nameOf(n.job(id).Referee, "h1", "h2")
			if ref == "" {
				t.Fatalf("referee %s is not an honest provider", n.job(id).Referee)
			}
			n.MustOK(n.Deliver(n.Sign(ref, n.Msg(compute.MsgRefereeResult, compute.RefereeResult{Job: id,
				Output: hex.EncodeToString(good.hash[:]), Files: good.files})))[0])
		}
		for _, c := range []string{"c1", "c2"} {
			if pr := n.provider(c); pr.Earned != 0 || pr.Stake != 5_000_000 {
				t.Fatalf("colluder %s earned %d stake %d", c, pr.Earned, pr.Stake)
			}
		}
		for _, h := range []string{"h1", "h2"} {
			if got := n.provider(h).Earned; got != 20 {
				t.Fatalf("referee %s earned %d, want the highest replica price for 2 s", h, got)
			}
		}
		if j := n.job(id); j.Refund != j.Budget-40 || j.Result.Output != hex.EncodeToString(good.hash[:]) {
			t.Fatalf("job refund %d of %d, result %+v", j.Refund, j.Budget, j.Result)
		}
	}
}

// TestLazyRefereeCannotSlashAlone: a referee whose output matches no
// reveal is not believed; the next referee decides and the lazy one is
// slashed.
func TestLazyRefereeCannotSlashAlone(t *testing.T) {
	n := newNet(t, testParams(), "h1", "bad", "lazy", "h2")
	n.ready(1, "h1", "bad", "lazy", "h2")
	id := n.submitAndAssign(job(), map[string]uint64{"h1": 20, "bad": 20}, "h1", "bad")
	good, garbage := runOutput(t, "42", 1), runOutput(t, "junk", 2)
	for _, r := range n.Deliver(n.commit("h1", id, good), n.commit("bad", id, garbage)) {
		n.MustOK(r)
	}
	for _, r := range n.Deliver(n.reveal("h1", id, good), n.reveal("bad", id, garbage)) {
		n.MustOK(r)
	}
	first := n.job(id).Referee
	other := "h2"
	if first == apptest.Addr("h2") {
		other = "lazy"
	}
	// Whoever was drawn first answers garbage of its own.
	own := runOutput(t, "lazy's own", 5)
	n.MustOK(n.Deliver(n.Sign(nameOf(first, "lazy", "h2"), n.Msg(compute.MsgRefereeResult, compute.RefereeResult{Job: id,
		Output: hex.EncodeToString(own.hash[:]), Files: own.files})))[0])
	j := n.job(id)
	if j.Status != compute.JobRefereeing || j.Referee != apptest.Addr(other) {
		t.Fatalf("after an unconfirmed referee: %s, referee %s", j.Status, j.Referee)
	}
	n.MustOK(n.Deliver(n.Sign(other, n.Msg(compute.MsgRefereeResult, compute.RefereeResult{Job: id,
		Output: hex.EncodeToString(good.hash[:]), Files: good.files})))[0])
	if h := n.provider("h1"); h.Earned != 40 {
		t.Fatalf("honest replica earned %d", h.Earned)
	}
	if p := n.provider(nameOf(first, "lazy", "h2")); p.Stake != 5_000_000 || p.Earned != 0 {
		t.Fatalf("unconfirmed referee stake %d earned %d", p.Stake, p.Earned)
	}
	if p := n.provider("bad"); p.Stake != 5_000_000 {
		t.Fatalf("bad replica stake %d", p.Stake)
	}
}

func nameOf(a [20]byte, names ...string) string {
	for _, n := range names {
		if apptest.Addr(n) == a {
			return n
		}
	}
	return ""
}

// TestRequesterRefereeGainsNothingByLying: with no free provider the
// requester referees; slashing the replicas by lying does not refund it.
func TestRequesterRefereeGainsNothingByLying(t *testing.T) {
	n := newNet(t, testParams(), "p1", "p2")
	n.ready(1, "p1", "p2")
	id := n.submitAndAssign(job(), map[string]uint64{"p1": 20, "p2": 30}, "p1", "p2")
	a, b := runOutput(t, "42", 1), runOutput(t, "41", 2)
	for _, r := range n.Deliver(n.commit("p1", id, a), n.commit("p2", id, b)) {
		n.MustOK(r)
	}
	for _, r := range n.Deliver(n.reveal("p1", id, a), n.reveal("p2", id, b)) {
		n.MustOK(r)
	}
	j := n.job(id)
	if !j.RefereeRequester || j.Referee != apptest.Addr("alice") {
		t.Fatalf("referee %s requester %v", j.Referee, j.RefereeRequester)
	}
	lie := runOutput(t, "neither", 3)
	n.MustOK(n.Deliver(n.Sign("alice", n.Msg(compute.MsgRefereeResult, compute.RefereeResult{Job: id,
		Output: hex.EncodeToString(lie.hash[:]), Files: lie.files})))[0])
	j = n.job(id)
	if want := j.Budget - (20+30)*2; j.Refund != want {
		t.Fatalf("lying requester refunded %d, want %d (what paying both would have left)", j.Refund, want)
	}
}

// TestDeadlineQueueIsBounded: more deadlines fall due in one block than
// MaxDuePerBlock; the excess waits for the following blocks.
func TestDeadlineQueueIsBounded(t *testing.T) {
	n := newNet(t, testParams())
	var txs [][]byte
	for i := 0; i < compute.MaxDuePerBlock+10; i++ {
		txs = append(txs, n.Sign("alice", n.Msg(compute.MsgSubmitJob, job())))
	}
	for _, r := range n.Deliver(txs...) {
		n.MustOK(r)
	}
	second := func() (jobs int) {
		for id := uint64(1); id <= compute.MaxDuePerBlock+10; id++ {
			if n.job(id).Rounds == 2 {
				jobs++
			}
		}
		return jobs
	}
	for second() == 0 {
		n.Deliver()
	}
	// The first block past the window closed exactly MaxDuePerBlock
	// windows (each job, without bids, opened a second round), the next
	// block the rest.
	if got := second(); got != compute.MaxDuePerBlock {
		t.Fatalf("%d windows closed in one block, want %d", got, compute.MaxDuePerBlock)
	}
	n.Deliver()
	if got := second(); got != compute.MaxDuePerBlock+10 {
		t.Fatalf("%d windows closed after two blocks", got)
	}
}

// TestUnregisterReturnsStake: a provider leaves with its stake only when
// it holds no open work, and may come back under its registry position.
func TestUnregisterReturnsStake(t *testing.T) {
	n := newNet(t, testParams(), "p1", "p2")
	n.ready(1, "p1", "p2")
	id := n.submitAndAssign(job(), map[string]uint64{"p1": 20, "p2": 30}, "p1", "p2")
	unreg := func(name string) []byte { return n.Sign(name, n.Msg(compute.MsgUnregister, compute.Unregister{})) }
	n.MustFail(n.Deliver(unreg("p1"))[0], compute.CodeProviderBusy)
	o := runOutput(t, "42", 1)
	for _, r := range n.Deliver(n.commit("p1", id, o), n.commit("p2", id, o)) {
		n.MustOK(r)
	}
	for _, r := range n.Deliver(n.reveal("p1", id, o), n.reveal("p2", id, o)) {
		n.MustOK(r)
	}
	var before struct{ Balance uint64 }
	if err := n.Query("bank/balance/"+apptest.Addr("p1").String(), nil, &before); err != nil {
		t.Fatal(err)
	}
	n.MustOK(n.Deliver(unreg("p1"))[0])
	var after struct{ Balance uint64 }
	if err := n.Query("bank/balance/"+apptest.Addr("p1").String(), nil, &after); err != nil {
		t.Fatal(err)
	}
	fee := uint64(1_000_000 / 100) // apptest's default gas limit at the minimum gas price
	if got := after.Balance + fee - before.Balance; got != 10_000_000 {
		t.Fatalf("unregister returned %d, want the 10 EMG stake", got)
	}
	p := n.provider("p1")
	if p.Status != compute.ProviderRetired || p.Stake != 0 || p.Jobs != 1 {
		t.Fatalf("after unregister: %+v", p)
	}
	n.MustFail(n.Deliver(unreg("p1"))[0], compute.CodeProviderNotFound)
	n.MustOK(n.Deliver(n.Sign("alice", n.Msg(compute.MsgSubmitJob, job())))[0])
	n.MustFail(n.Deliver(n.Sign("p1", n.Msg(compute.MsgBid, compute.Bid{Job: 2, Price: 10})))[0], compute.CodeNotBenchmarked)
	n.MustOK(n.Deliver(n.Sign("p1", n.Msg(compute.MsgRegisterProvider, compute.RegisterProvider{Cores: 1, MemMiB: 1024, Price: 10, Stake: 2_000_000})))[0])
	if q := n.provider("p1"); q.Seq != p.Seq || q.Status != compute.ProviderBenchmarking || q.Reputation != p.Reputation || q.Stake != 2_000_000 {
		t.Fatalf("after registering again: %+v (was %+v)", q, p)
	}
}

// TestColludingRefereeRechecked: a colluder drawn as referee for its
// partner's disputed job sides with the partner's reveal. At p = 1000
// permille every referee decision is re-checked, so the honest referees
// and finally the requester overrule it and the colluding referee is
// slashed with its partner.
func TestColludingRefereeRechecked(t *testing.T) {
	par := testParams()
	par.RecheckPermille = 1000
	n := newNet(t, par, "h1", "c1", "c2", "h2")
	n.ready(2, "h1", "c1", "c2")
	// An earlier agreeing job gives c2 reputation; h2 registers after it,
	// so c2 is the best free referee when its partner c1 is disputed.
	finish := func(id uint64, names ...string) {
		o := runOutput(t, "ok", 1)
		var txs [][]byte
		for _, name := range names {
			txs = append(txs, n.commit(name, id, o))
		}
		for _, r := range n.Deliver(txs...) {
			n.MustOK(r)
		}
		txs = txs[:0]
		for _, name := range names {
			txs = append(txs, n.reveal(name, id, o))
		}
		for _, r := range n.Deliver(txs...) {
			n.MustOK(r)
		}
		for n.job(id).Status == compute.JobRefereeing {
			j := n.job(id)
			ref := nameOf(j.Referee, "h1", "c1", "c2", "h2", "alice")
			n.MustOK(n.Deliver(n.Sign(ref, n.Msg(compute.MsgRefereeResult, compute.RefereeResult{Job: id,
				Output: hex.EncodeToString(o.hash[:]), Files: o.files})))[0])
		}
	}
	finish(n.submitAndAssign(job(), map[string]uint64{"c2": 10, "c1": 20}, "c2", "c1"), "c2", "c1")
	n.ready(2, "h2")
	if c2, h2 := n.provider("c2"), n.provider("h2"); c2.Reputation <= h2.Reputation {
		t.Fatalf("set-up: c2 reputation %d, h2 %d", c2.Reputation, h2.Reputation)
	}
	id := n.submitAndAssign(job(), map[string]uint64{"h1": 20, "c1": 20}, "h1", "c1")
	good, bad := runOutput(t, "42", 1), runOutput(t, "made up", 2)
	for _, r := range n.Deliver(n.commit("h1", id, good), n.commit("c1", id, bad)) {
		n.MustOK(r)
	}
	for _, r := range n.Deliver(n.reveal("h1", id, good), n.reveal("c1", id, bad)) {
		n.MustOK(r)
	}
	if j := n.job(id); j.Referee != apptest.Addr("c2") {
		t.Fatalf("first referee %s, want the colluder c2 (best reputation)", nameOf(j.Referee, "h1", "c1", "c2", "h2"))
	}
	stake := n.provider("c2").Stake
	for n.job(id).Status == compute.JobRefereeing {
		ref := nameOf(n.job(id).Referee, "c2", "h2", "alice")
		out := good
		if ref == "c2" {
			out = bad // sides with its partner
		}
		n.MustOK(n.Deliver(n.Sign(ref, n.Msg(compute.MsgRefereeResult, compute.RefereeResult{Job: id,
			Output: hex.EncodeToString(out.hash[:]), Files: out.files})))[0])
	}
	j := n.job(id)
	if j.Result.Output != hex.EncodeToString(good.hash[:]) {
		t.Fatalf("job settled on %s, want the honest output", j.Result.Output)
	}
	if p := n.provider("c2"); p.Stake != stake/2 || p.Reputation != 0 {
		t.Fatalf("colluding referee: stake %d (was %d), reputation %d", p.Stake, stake, p.Reputation)
	}
	if p := n.provider("h1"); p.Slashed != 0 {
		t.Fatalf("honest replica slashed %d", p.Slashed)
	}
}
