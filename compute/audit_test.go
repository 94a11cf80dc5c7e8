package compute_test

import (
	"encoding/hex"
	"testing"

	"emergence/app/apptest"
	"emergence/bank"
	"emergence/compute"
)

// TestUnconfirmedRefereeCannotLeaveBeforeSettlement: a referee whose
// answer matches no reveal is not believed and the next referee is drawn.
// Its duty holds until the job settles, so it cannot unregister in
// between, take its whole stake back and leave the slash for its wrong
// answer with nothing to take.
func TestUnconfirmedRefereeCannotLeaveBeforeSettlement(t *testing.T) {
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
	liar := nameOf(n.job(id).Referee, "lazy", "h2")
	other := map[string]string{"lazy": "h2", "h2": "lazy"}[liar]
	own := runOutput(t, "the liar's own", 5)
	n.MustOK(n.Deliver(n.Sign(liar, n.Msg(compute.MsgRefereeResult, compute.RefereeResult{Job: id,
		Output: hex.EncodeToString(own.hash[:]), Files: own.files})))[0])
	if j := n.job(id); j.Status != compute.JobRefereeing || j.Referee != apptest.Addr(other) {
		t.Fatalf("after an unconfirmed referee: %s, referee %s", j.Status, j.Referee)
	}
	n.MustFail(n.Deliver(n.Sign(liar, n.Msg(compute.MsgUnregister, compute.Unregister{})))[0], compute.CodeProviderBusy)
	if p := n.provider(liar); p.Active != 1 || p.Stake != 10_000_000 {
		t.Fatalf("unconfirmed referee: active %d stake %d, want its duty held and its stake in escrow", p.Active, p.Stake)
	}
	n.MustOK(n.Deliver(n.Sign(other, n.Msg(compute.MsgRefereeResult, compute.RefereeResult{Job: id,
		Output: hex.EncodeToString(good.hash[:]), Files: good.files})))[0])
	if j := n.job(id); j.Status != compute.JobDone || j.Result.Output != hex.EncodeToString(good.hash[:]) {
		t.Fatalf("job %s result %+v", j.Status, j.Result)
	}
	for name, want := range map[string]uint64{liar: 5_000_000, "bad": 5_000_000, "h1": 10_000_000, other: 10_000_000} {
		if p := n.provider(name); p.Stake != want || p.Active != 0 {
			t.Fatalf("%s: stake %d active %d, want stake %d and no duty", name, p.Stake, p.Active, want)
		}
	}
	// Now free, the liar leaves with what the slash left it.
	before := bank.New().Balance(n.Reader(), apptest.Addr(liar))
	n.MustOK(n.Deliver(n.Sign(liar, n.Msg(compute.MsgUnregister, compute.Unregister{})))[0])
	fee := uint64(1_000_000 / 100)
	if got := bank.New().Balance(n.Reader(), apptest.Addr(liar)) + fee - before; got != 5_000_000 {
		t.Fatalf("unregister returned %d, want the 5 EMG the slash left", got)
	}
}

// TestRequesterRefereeCannotSlashHonestReplicas: with every provider on
// the job, a re-check falls to the requester, an interested party. Its
// lie must not slash the honest replicas (half of 10 EMG each, for a job
// that cost it 80 uemg): they go unpaid, their pay goes to the pool and
// not back to the requester, so lying gains it nothing and costs them
// only the job's pay.
func TestRequesterRefereeCannotSlashHonestReplicas(t *testing.T) {
	par := testParams()
	par.RecheckPermille = 1000
	n := newNet(t, par, "p1", "p2")
	n.ready(1, "p1", "p2")
	id := n.submitAndAssign(job(), map[string]uint64{"p1": 20, "p2": 20}, "p1", "p2")
	o := runOutput(t, "42", 1)
	for _, r := range n.Deliver(n.commit("p1", id, o), n.commit("p2", id, o)) {
		n.MustOK(r)
	}
	for _, r := range n.Deliver(n.reveal("p1", id, o), n.reveal("p2", id, o)) {
		n.MustOK(r)
	}
	if j := n.job(id); !j.Recheck || !j.RefereeRequester {
		t.Fatalf("recheck %v, requester referees %v", j.Recheck, j.RefereeRequester)
	}
	pool := bank.New().ModuleBalance(n.Reader(), compute.Pool)
	lie := runOutput(t, "not what they ran", 3)
	n.MustOK(n.Deliver(n.Sign("alice", n.Msg(compute.MsgRefereeResult, compute.RefereeResult{Job: id,
		Output: hex.EncodeToString(lie.hash[:]), Files: lie.files})))[0])
	for _, name := range []string{"p1", "p2"} {
		if p := n.provider(name); p.Stake != 10_000_000 || p.Slashed != 0 || p.Active != 0 {
			t.Fatalf("honest %s: stake %d slashed %d active %d after the requester's lie", name, p.Stake, p.Slashed, p.Active)
		}
	}
	j := n.job(id)
	if want := j.Budget - 2*20*2; j.Refund != want || j.Paid != 0 {
		t.Fatalf("lying requester refunded %d (want %d), paid %d", j.Refund, want, j.Paid)
	}
	if got := bank.New().ModuleBalance(n.Reader(), compute.Pool) - pool; got != 2*20*2 {
		t.Fatalf("pool gained %d, want the replicas' 80", got)
	}
}

// TestCopiedCommitAndRevealEarnNothing: a lazy replica copies its
// partner's commitment from the block and, once reveals open, its
// partner's reveal (output, files and salt). The commitment binds the
// committer's address, so the copied reveal does not open it: the copier
// misses its reveal window and loses MissPermille of its stake, a referee
// settles the job on the honest reveal, and only the honest replica and
// the referee are paid.
func TestCopiedCommitAndRevealEarnNothing(t *testing.T) {
	n := newNet(t, testParams(), "h1", "copier", "ref")
	n.ready(1, "h1", "copier", "ref")
	id := n.submitAndAssign(job(), map[string]uint64{"h1": 20, "copier": 10}, "h1", "copier")
	o := runOutput(t, "42", 1)
	honest := compute.CommitHash(id, apptest.Addr("h1"), o.hash, o.salt)
	n.MustOK(n.Deliver(n.commit("h1", id, o))[0])
	n.MustOK(n.Deliver(n.Sign("copier", n.Msg(compute.MsgCommitResult, compute.CommitResult{Job: id, Commit: hex.EncodeToString(honest[:])})))[0])
	n.MustOK(n.Deliver(n.reveal("h1", id, o))[0])
	n.MustFail(n.Deliver(n.reveal("copier", id, o))[0], compute.CodeRevealMismatch)
	for n.job(id).Status == compute.JobRevealing {
		n.Deliver()
	}
	j := n.job(id)
	if j.Status != compute.JobRefereeing || j.Referee != apptest.Addr("ref") {
		t.Fatalf("after the reveal window: %s, referee %s", j.Status, j.Referee)
	}
	n.MustOK(n.Deliver(n.Sign("ref", n.Msg(compute.MsgRefereeResult, compute.RefereeResult{Job: id,
		Output: hex.EncodeToString(o.hash[:]), Files: o.files})))[0])
	if j := n.job(id); j.Status != compute.JobDone || j.Result.Output != hex.EncodeToString(o.hash[:]) {
		t.Fatalf("job %s result %+v", j.Status, j.Result)
	}
	for name, want := range map[string]struct{ stake, earned uint64 }{
		"copier": {9_000_000, 0}, "h1": {10_000_000, 40}, "ref": {10_000_000, 40},
	} {
		if p := n.provider(name); p.Stake != want.stake || p.Earned != want.earned {
			t.Fatalf("%s: stake %d earned %d, want %d and %d", name, p.Stake, p.Earned, want.stake, want.earned)
		}
	}
}

// TestRequesterAndItsRefereeCannotSlashHonestReplicas: the requester
// runs a provider of its own, the only free one, so it is drawn to
// re-check the honest replicas' agreeing job. It answers garbage (not
// believed alone: no reveal has it), the requester referees next and
// seconds the garbage. An output no replica revealed slashes nobody: the
// honest replicas keep their stakes and go unpaid, their 80 uemg go to
// the pool, and the pair gets back no more than the job would have cost
// them honestly.
func TestRequesterAndItsRefereeCannotSlashHonestReplicas(t *testing.T) {
	par := testParams()
	par.RecheckPermille = 1000
	n := newNet(t, par, "h1", "h2", "sock")
	n.ready(1, "h1", "h2", "sock")
	id := n.submitAndAssign(job(), map[string]uint64{"h1": 20, "h2": 20}, "h1", "h2")
	o := runOutput(t, "42", 1)
	for _, r := range n.Deliver(n.commit("h1", id, o), n.commit("h2", id, o)) {
		n.MustOK(r)
	}
	for _, r := range n.Deliver(n.reveal("h1", id, o), n.reveal("h2", id, o)) {
		n.MustOK(r)
	}
	if j := n.job(id); !j.Recheck || j.Referee != apptest.Addr("sock") {
		t.Fatalf("recheck %v, referee %s, want the requester's own provider", j.Recheck, j.Referee)
	}
	lie := runOutput(t, "garbage", 3)
	answer := func(name string) {
		n.MustOK(n.Deliver(n.Sign(name, n.Msg(compute.MsgRefereeResult, compute.RefereeResult{Job: id,
			Output: hex.EncodeToString(lie.hash[:]), Files: lie.files})))[0])
	}
	answer("sock")
	if j := n.job(id); !j.RefereeRequester {
		t.Fatalf("after the unconfirmed referee: referee %s, want the requester", j.Referee)
	}
	answer("alice")
	for _, name := range []string{"h1", "h2"} {
		if p := n.provider(name); p.Stake != 10_000_000 || p.Slashed != 0 {
			t.Fatalf("honest %s: stake %d slashed %d after the pair's lie", name, p.Stake, p.Slashed)
		}
	}
	j := n.job(id)
	if got := j.Refund + n.provider("sock").Earned; j.Status != compute.JobDone || got != j.Budget-2*20*2 {
		t.Fatalf("job %s: the pair got back %d of %d, want all but the replicas' 80", j.Status, got, j.Budget)
	}
}

// TestRefereeIsNeverDrawnBelowItsPrice: a requester posts a job at a
// price cap of 1 uemg a second and has two providers of its own bid 1
// and disagree. The referee drawn to settle them had no say in that
// price: it would either re-run the job for 1 uemg a second or miss and
// lose a tenth of its stake. A provider is drawn as referee only when its
// asking price is within the job's cap, and is paid its own price when
// the replicas bid less; here none qualifies, so the requester referees.
func TestRefereeIsNeverDrawnBelowItsPrice(t *testing.T) {
	n := newNet(t, testParams(), "s1", "s2", "h")
	n.ready(1, "h")
	for _, name := range []string{"s1", "s2"} {
		n.MustOK(n.Deliver(n.Sign(name, n.Msg(compute.MsgRegisterProvider, compute.RegisterProvider{Cores: 1, MemMiB: 1024, Price: 1, Stake: 1_000_000})))[0])
		n.MustOK(n.Deliver(n.Sign(name, n.Msg(compute.MsgBenchmarkAnswer, answer(t, n.provider(name)))))[0])
	}
	cheap := job()
	cheap.PriceCap, cheap.Budget = 1, 4
	id := n.submitAndAssign(cheap, map[string]uint64{"s1": 1, "s2": 1}, "s1", "s2")
	a, b := runOutput(t, "42", 1), runOutput(t, "41", 2)
	for _, r := range n.Deliver(n.commit("s1", id, a), n.commit("s2", id, b)) {
		n.MustOK(r)
	}
	for _, r := range n.Deliver(n.reveal("s1", id, a), n.reveal("s2", id, b)) {
		n.MustOK(r)
	}
	j := n.job(id)
	if j.Status != compute.JobRefereeing || !j.RefereeRequester {
		t.Fatalf("job %s, referee %s: h, asking 10 a second, was drawn for a job capped at 1", j.Status, nameOf(j.Referee, "h"))
	}
	if p := n.provider("h"); p.Active != 0 {
		t.Fatalf("h holds %d duties", p.Active)
	}
	n.MustOK(n.Deliver(n.Sign("alice", n.Msg(compute.MsgRefereeResult, compute.RefereeResult{Job: id,
		Output: hex.EncodeToString(a.hash[:]), Files: a.files})))[0])

	// At a cap that covers its price, h is drawn, and paid its own price
	// for the run, though the replicas bid less.
	fair := job() // cap 100 a second, 2 s
	id = n.submitAndAssign(fair, map[string]uint64{"s1": 1, "s2": 1}, "s1", "s2")
	for _, r := range n.Deliver(n.commit("s1", id, a), n.commit("s2", id, b)) {
		n.MustOK(r)
	}
	for _, r := range n.Deliver(n.reveal("s1", id, a), n.reveal("s2", id, b)) {
		n.MustOK(r)
	}
	if j := n.job(id); j.Referee != apptest.Addr("h") {
		t.Fatalf("referee %s, want h", j.Referee)
	}
	n.MustOK(n.Deliver(n.Sign("h", n.Msg(compute.MsgRefereeResult, compute.RefereeResult{Job: id,
		Output: hex.EncodeToString(a.hash[:]), Files: a.files})))[0])
	if got := n.provider("h").Earned; got != 10*2 {
		t.Fatalf("referee h earned %d, want its own price 10 for 2 s", got)
	}
}

// TestRefereesCannotDrainThePool: referees beyond what a job's budget
// pays are paid from the pool, which other providers' slashes fill. A
// coalition (requester, two replicas, the referees) runs a dispute on a
// job worth 10 EMG a run: one replica loses half its 1 EMG stake, the
// first referee is paid from the budget, the re-check's referee from the
// pool. The pool pays a job's referees at most what the job's own
// slashes raised, so the coalition ends no better than it started
// instead of 9 EMG up on someone else's slash.
func TestRefereesCannotDrainThePool(t *testing.T) {
	par := testParams()
	par.RecheckPermille = 1000
	n := newNet(t, par, "fresh", "a1", "a2", "r1", "r2")
	// Someone else's slash: a provider that never answers its benchmark
	// loses a tenth of its 90 EMG to the pool.
	n.MustOK(n.Deliver(n.Sign("fresh", n.Msg(compute.MsgRegisterProvider, compute.RegisterProvider{Cores: 1, MemMiB: 1024, Price: 10, Stake: 90_000_000})))[0])
	n.NextBlocks(int(par.BenchBlocks) + 1)
	pool := bank.New().ModuleBalance(n.Reader(), compute.Pool)
	if pool != 9_000_000 {
		t.Fatalf("pool %d after the benchmark miss", pool)
	}
	for _, name := range []string{"a1", "a2", "r1", "r2"} {
		n.MustOK(n.Deliver(n.Sign(name, n.Msg(compute.MsgRegisterProvider, compute.RegisterProvider{Cores: 1, MemMiB: 1024, Price: 10, Stake: 1_000_000})))[0])
		n.MustOK(n.Deliver(n.Sign(name, n.Msg(compute.MsgBenchmarkAnswer, answer(t, n.provider(name)))))[0])
	}
	big := job()
	big.PriceCap, big.WallMs = 1_000_000, 10_000
	big.Budget = 2 * big.PriceCap * 10
	id := n.submitAndAssign(big, map[string]uint64{"a1": big.PriceCap, "a2": big.PriceCap}, "a1", "a2")
	x, y := runOutput(t, "x", 1), runOutput(t, "y", 2)
	for _, r := range n.Deliver(n.commit("a1", id, x), n.commit("a2", id, y)) {
		n.MustOK(r)
	}
	for _, r := range n.Deliver(n.reveal("a1", id, x), n.reveal("a2", id, y)) {
		n.MustOK(r)
	}
	bk := bank.New()
	coalition := func() (sum uint64) {
		sum = n.job(id).Escrow // alice's budget, still in escrow
		for _, name := range []string{"alice", "a1", "a2", "r1", "r2"} {
			sum += bk.Balance(n.Reader(), apptest.Addr(name))
			if name != "alice" {
				sum += n.provider(name).Stake
			}
		}
		return sum
	}
	before := coalition()
	fee := uint64(1_000_000 / 100)
	var txs uint64
	for n.job(id).Status == compute.JobRefereeing {
		ref := nameOf(n.job(id).Referee, "r1", "r2")
		if ref == "" {
			t.Fatalf("referee %s is not the coalition's", n.job(id).Referee)
		}
		n.MustOK(n.Deliver(n.Sign(ref, n.Msg(compute.MsgRefereeResult, compute.RefereeResult{Job: id,
			Output: hex.EncodeToString(x.hash[:]), Files: x.files})))[0])
		txs++
	}
	if txs != 2 {
		t.Fatalf("%d referees answered, want the first and its re-check", txs)
	}
	after := coalition() + txs*fee
	if after > before {
		t.Fatalf("the coalition went from %d to %d: +%d from the pool", before, after, after-before)
	}
	if got := bk.ModuleBalance(n.Reader(), compute.Pool); got < pool {
		t.Fatalf("pool went from %d to %d", pool, got)
	}
}
